// tail over the fake binding: the ready line, live events, filters that never
// arm, lost lines, --json written by the addon, and a clean stop with a
// summary. (The follow behind it: test/unit/lib/follow.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { createFakeBinding } from '../fake-binding.js';
import { armedFake, runCli, startTail, TAIL_READY, until } from './harness.js';

beforeAll(() => {
  process.env.TZ = 'UTC';
});

describe('tail', () => {
  it('prints the ready line on stderr, then events that happen afterwards; Ctrl-C stops with a summary', async () => {
    const fake = await armedFake();
    fake.syscall({ syscall: 'openat', pid: 1, path: '/before' }); // held already: not shown without -n
    const t = startTail(fake, ['--json'], () => {
      fake.syscall({ syscall: 'openat', pid: 42, comm: 'cat', path: '/etc/hostname' });
    });
    await until(() => t.out.text.includes('/etc/hostname'), 'the event');
    t.stop('SIGINT');
    const r = await t.done;
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ type: 'syscall', pid: 42, syscall: 'openat', path: '/etc/hostname' })]);
    expect(r.stderr).toMatch(TAIL_READY);
    expect(r.stderr).toMatch(/^syscallmon: tail stopped \(SIGINT\): 1 shown, 1 read, 0 lost in \d+\.\d s$/m);
    expect(fake.openFds).toEqual([]);
    expect(fake.activeStreams).toBe(0);
  });

  it('shows a change another process makes as a CONFIG line, in the human form and in NDJSON', async () => {
    const fake = await armedFake();
    fake.caller = { pid: 777, tgid: 777, ppid: 1, uid: 0, gid: 0, comm: 'admin' };
    const t = startTail(fake, [], () => void runCli(['--block', '--syscall', 'mkdir'], { fake }));
    await until(() => t.out.text.includes('closed'), 'the changes');
    t.stop();
    const r = await t.done;
    expect(r.stdout.replace(/^\d\d:\d\d:\d\d\.\d{6}/gm, 'TIME')).toBe(`\
TIME  CONFIG  target  mkdir: none -> block errno 1 all  by 777 (admin) uid 0
TIME  CONFIG  mode  LOG -> BLOCK  by 777 (admin) uid 0
TIME  CONFIG  closed  opened by pid 777; 0 rules dropped  by 777 (admin) uid 0
`);
    const j = startTail(fake, ['--json'], () => void runCli(['--off'], { fake }));
    await until(() => j.out.text.includes('closed'), 'the changes');
    j.stop();
    const lines = (await j.done).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => [e.type, e.kind, e.text, e.pid, e.comm])).toEqual([
      ['config', 'mode', 'BLOCK -> OFF', 777, 'admin'],
      ['config', 'closed', 'opened by pid 777; 0 rules dropped', 777, 'admin'],
    ]);
    // A filter by syscall shows calls only.
    const f = startTail(fake, ['--json', '--syscall', 'openat'], () => {
      void runCli(['--log'], { fake });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/shown' });
    });
    await until(() => f.out.text.includes('/shown'), 'the call');
    f.stop();
    expect((await f.done).stdout.trimEnd().split('\n').map((l) => JSON.parse(l).type)).toEqual(['syscall']);
  });

  it('--syscall and --pid only filter what is shown: nothing is armed or changed', async () => {
    const fake = await armedFake();
    const before = fake.calls.length;
    const t = startTail(fake, ['--json', '--syscall', 'openat', '--pid', '42'], () => {
      fake.syscall({ syscall: 'openat', pid: 42, path: '/yes' });
      fake.syscall({ syscall: 'openat', pid: 43, path: '/other-pid' });
      fake.syscall({ syscall: 'read', pid: 42 });
      fake.syscall({ syscall: 'openat', pid: 44, tgid: 42, path: '/thread-of-42' });
    });
    await until(() => t.err.text.includes('following'), 'ready');
    await until(() => t.out.text.includes('/thread-of-42'), 'events');
    t.stop();
    const r = await t.done;
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/yes', '/thread-of-42']);
    expect(r.stderr).toMatch(/2 shown, 4 read/);
    const methods = fake.calls.slice(before).map((c) => c.method);
    expect(methods).not.toContain('addTarget');
    expect(methods).not.toContain('setMode');
    expect(methods).not.toContain('addPids');
  });

  it('a lost line whenever the reader was overtaken, and it is never filtered out', async () => {
    // Records of read() without a target: 160 bytes each, 16 to the ring.
    const fake = createFakeBinding((f) => { f.ringSize = 16 * 160; });
    await runCli(['--log', '--syscall', 'read'], { fake });
    const t = startTail(fake, ['--pid', '99999'], () => {
      // 40 calls in one turn: the stream reads after this, so 24 were overwritten.
      for (let i = 0; i < 40; i++) fake.syscall({ syscall: 'read', pid: 7 });
    });
    await until(() => t.out.text.includes('lost'), 'lost line');
    t.stop();
    const r = await t.done;
    expect(r.stdout).toBe('-- 24 events lost: the reader was overtaken --\n');
    expect(r.stderr).toMatch(/0 shown, 16 read, 24 lost/);
  });

  it('--json lost marker is {"type":"lost","seq":S,"count":N,"config":C}', async () => {
    const fake = createFakeBinding((f) => { f.ringSize = 16 * 160; });
    await runCli(['--log', '--syscall', 'read'], { fake });
    const t = startTail(fake, ['--json'], () => {
      for (let i = 0; i < 20; i++) fake.syscall({ syscall: 'read', pid: 7 });
    });
    await until(() => t.out.text.split('\n').length > 16, 'events');
    t.stop();
    const r = await t.done;
    // tail starts after the controller's three config records (target, mode, its close): seq 3.
    expect(r.stdout.split('\n')[0]).toBe('{"type":"lost","seq":3,"count":4,"config":0}');
  });

  it('--json is written to stdout\'s fd by the addon\'s NDJSON stream: no JS write at all', async () => {
    const fake = await armedFake();
    const t = startTail(fake, ['--json', '--syscall', 'read'], () => {
      for (let i = 0; i < 100; i++) fake.syscall({ syscall: 'read', pid: 7 });
    });
    await until(() => t.out.text.split('\n').length > 100, 'events');
    t.stop();
    await t.done;
    expect(t.out.writes).toBe(0);
    const stream = fake.calls.find((c) => c.method === 'startNdjsonStream');
    expect(stream?.args[3]).toBe(await t.out.fd());
    expect(fake.calls.map((c) => c.method)).not.toContain('startStream');
  });

  it('--json -n N --count M: the backlog, then live events, stopped by the count, all through the addon', async () => {
    const fake = await armedFake();
    for (let i = 1; i <= 5; i++) fake.syscall({ syscall: 'openat', pid: i, path: `/old${i}` });
    const t = startTail(fake, ['--json', '-n', '2', '--count', '4', '--syscall', 'openat'], () => {
      for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 9, path: `/new${i}` });
    });
    const r = await t.done;
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/old4', '/old5', '/new0', '/new1']);
    expect(r.stderr).toMatch(/tail stopped \(count reached\): 4 shown, 2 read, 0 lost/);
    expect(t.out.writes).toBe(0);
  });

  it('-n N first shows the last N events already held, then follows', async () => {
    const fake = await armedFake();
    for (let i = 1; i <= 5; i++) fake.syscall({ syscall: 'openat', pid: i, path: `/old${i}` });
    const t = startTail(fake, ['--json', '-n', '2'], () => {
      fake.syscall({ syscall: 'openat', pid: 9, path: '/new' });
    });
    await until(() => t.out.text.includes('/new'), 'new event');
    t.stop();
    const r = await t.done;
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/old4', '/old5', '/new']);
  });

  it('--count N stops by itself after N events', async () => {
    const fake = await armedFake();
    const t = startTail(fake, ['--count', '2'], () => {
      for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 3, comm: 'cat', path: `/f${i}`, ret: 3 + i, duration_ns: 21_000n });
    });
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{6} +3 +cat +openat +ALLOWED +3 +0\.000021 +\/f0$/m);
    expect(r.stderr).toMatch(/tail stopped \(count reached\): 2 shown/);
    expect(fake.openFds).toEqual([]);
  });

  it('SIGTERM ends it the same way', async () => {
    const fake = await armedFake();
    const t = startTail(fake, [], () => setImmediate(() => t.stop('SIGTERM')));
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tail stopped \(SIGTERM\): 0 shown/);
  });

  it('a read error ends it with exit 5 and the errno', async () => {
    const fake = await armedFake();
    const t = startTail(fake, [], () => {
      setImmediate(() => fake.failStream(fake.openFds[0]!, 'EIO'));
    });
    const r = await t.done;
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^syscallmon: kernel refused to read events: EIO/m);
    expect(fake.openFds).toEqual([]);
  });

  it.each([[[]], [['--format', 'strace']], [['--json']], [['--failed']]])(
    '%j: the events of a batch before a record it cannot read are shown, then its error ends tail (1)',
    async (flags) => {
      const fake = await armedFake();
      const call = { type: fake.c('RECORD_SYSCALL'), nr: 257, verdict: fake.c('VERDICT_ALLOWED'), pid: 5, tgid: 5, comm: 'cat', ret: -2 };
      const t = startTail(fake, flags, () => {
        fake.pushRecords([{ ...call, path: '/one' }, { ...call, path: '/two' }, { ...call, verdict: 99 }, { ...call, path: '/after' }]);
      });
      const r = await t.done;
      expect(r.code).toBe(1);
      expect(r.stdout.match(/\/one|\/two|\/after/g)).toEqual(['/one', '/two']);
      expect(r.stderr.trimEnd().split('\n').pop()).toMatch(/^syscallmon: record (6|at byte \d+): unknown verdict 99$/);
      expect(fake.openFds).toEqual([]);
    },
  );

  it.each([
    ['unknown syscall filter, with a suggestion', ['tail', '--syscall', 'raed'], 2, /unknown syscall 'raed'; did you mean read/],
    ['bad pid', ['tail', '--pid', '-3'], 2, /argument '-3' is invalid/],
    ['bad -n', ['tail', '-n', 'many'], 2, /'-n, --lines <n>' argument 'many' is invalid/],
    ['--count 0', ['tail', '--count', '0'], 2, /expected a whole number ≥ 1/],
    ['--count 1.5: the bound --count has', ['tail', '--count', '1.5'], 2, /'--count <n>' argument '1\.5' is invalid\. expected a whole number ≥ 1 \(see --help\)$/m],
    ['-n 1.5: the bound -n has', ['tail', '-n', '1.5'], 2, /argument '1\.5' is invalid\. expected a whole number ≥ 0 \(see --help\)$/m],
  ])('%s', async (_name, argv, code, message) => {
    const fake = createFakeBinding();
    const r = await runCli(argv, { fake });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(fake.calls.map((c) => c.method)).not.toContain('open');
  });

  it('reads with a 2 ms coalescing window by default; --coalesce sets it, 0 turns it off', async () => {
    for (const [argv, want] of [[[], 2], [['--coalesce', '0'], 0], [['--coalesce', '25'], 25]] as const) {
      const fake = await armedFake();
      const t = startTail(fake, [...argv], () => {});
      await until(() => fake.calls.some((c) => c.method === 'startStream'), 'the stream');
      t.stop();
      expect((await t.done).code).toBe(0);
      const call = fake.calls.find((c) => c.method === 'startStream')!;
      expect(call.args[3]).toBe(want);
    }
  });

  it('--coalesce beyond 1000 ms or not a number is a usage error (2)', async () => {
    for (const bad of ['1001', '-1', 'soon']) {
      const r = await runCli(['tail', '--coalesce', bad], { fake: createFakeBinding() });
      expect([bad, r.code]).toEqual([bad, 2]);
      expect(r.stderr).toMatch(/--coalesce/);
    }
  });

  it('module not loaded -> 3, before any ready line', async () => {
    const r = await runCli(['tail'], { fake: createFakeBinding((f) => { f.loaded = false; }) });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(TAIL_READY);
  });
});
