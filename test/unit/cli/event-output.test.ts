// The event output flags of log and tail over the fake binding (the
// sandbox's: sandbox.test.ts): --format strace, --summary, --failed and
// --slower-than, and the combinations refused.
import { describe, expect, it } from 'vitest';
import { createFakeBinding, type FakeBinding } from '../fake-binding.js';
import { armedFake, runCli, startTail, until } from './harness.js';

const AT_FDCWD = -100n;
const O_CLOEXEC = 0o2000000n;

/** A cat (pid 100) and its thread 101: opens, a failed open, a read, a slow read, a close. */
async function catFake(): Promise<FakeBinding> {
  const fake = createFakeBinding();
  expect((await runCli(['--log', '--syscall', 'openat,read,close'], { fake })).code).toBe(0);
  fake.syscall({ syscall: 'openat', pid: 100, args: [AT_FDCWD, 0x1000n, O_CLOEXEC], path: '/etc/passwd', ret: 3, duration_ns: 12_345n });
  fake.syscall({ syscall: 'openat', pid: 100, args: [AT_FDCWD, 0x1000n, 0n], path: '/nonexistent', ret: -2, duration_ns: 8_000n });
  fake.syscall({ syscall: 'read', pid: 100, args: [3n, 0x2000n, 4096n], target: '/etc/passwd', ret: 1234, duration_ns: 20_000n });
  fake.syscall({ syscall: 'read', pid: 101, tgid: 100, args: [0n, 0x3000n, 10n], target: 'pipe:[77]', ret: 5, duration_ns: 300_000_000n });
  fake.syscall({ syscall: 'close', pid: 100, args: [3n], target: '/etc/passwd', ret: 0, duration_ns: 1_000n });
  return fake;
}

describe('log --format strace', () => {
  it('one strace line per call, [pid N] on each once there is more than one thread; configuration changes between marks', async () => {
    const r = await runCli(['log', '--format', 'strace'], { fake: await catFake() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`\
--- CONFIG target: openat: none -> log all by 4242 (syscallmon) uid 0 ---
--- CONFIG target: read: none -> log all by 4242 (syscallmon) uid 0 ---
--- CONFIG target: close: none -> log all by 4242 (syscallmon) uid 0 ---
--- CONFIG mode: OFF -> LOG by 4242 (syscallmon) uid 0 ---
--- CONFIG closed: opened by pid 4242; 0 rules dropped by 4242 (syscallmon) uid 0 ---
[pid   100] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <0.000012>
[pid   100] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000008>
[pid   100] read(3</etc/passwd>, 0x2000, 4096) = 1234 <0.000020>
[pid   101] read(0<pipe:[77]>, 0x3000, 10) = 5 <0.300000>
[pid   100] close(3</etc/passwd>)       = 0 <0.000001>
`);
  });

  it('one thread: no prefix, as strace without -f', async () => {
    const r = await runCli(['log', '--format', 'strace', '--failed'], { fake: await catFake() });
    expect(r.stdout).toBe('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000008>\n');
  });
});

describe('log --failed, --slower-than', () => {
  it('--failed: only the calls that returned an error', async () => {
    const r = await runCli(['log', '--json', '--failed'], { fake: await catFake() });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/nonexistent']);
  });

  it('--slower-than: only the calls that took longer', async () => {
    for (const [limit, paths] of [
      ['10ms', [null]],
      ['0.3s', []],
      ['12.345us', [null, null]],
      ['12.344us', ['/etc/passwd', null, null]],
      ['7999ns', ['/etc/passwd', '/nonexistent', null, null]],
      ['1us', ['/etc/passwd', '/nonexistent', null, null]],
      ['999ns', ['/etc/passwd', '/nonexistent', null, null, null]],
    ] as const) {
      const r = await runCli(['log', '--json', '--slower-than', limit], { fake: await catFake() });
      expect(r.code, limit).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).path), limit).toEqual(paths);
    }
  });

  it('both: calls that meet both', async () => {
    const r = await runCli(['log', '--json', '--failed', '--slower-than', '1us'], { fake: await catFake() });
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/nonexistent']);
    const none = await runCli(['log', '--failed', '--slower-than', '1ms'], { fake: await catFake() });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('syscallmon: no call matches --failed / --slower-than\n');
  });

  it.each([
    [['--slower-than', '10'], /option '--slower-than <duration>' argument '10' is invalid\. expected a number and a unit, like 10ms/],
    [['--slower-than', '1.5 min'], /argument '1.5 min' is invalid/],
    [['--format', 'xml'], /option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json, csv, strace/],
    [['--json', '--format', 'strace'], /^syscallmon: --json and --format strace say two different things: give one$/],
    [['--csv', '--format', 'json'], /^syscallmon: --csv and --format json say two different things: give one$/],
    [['--summary', '--csv'], /^syscallmon: --summary prints a table, or with --json one JSON object; not CSV$/],
  ])('%j: usage error (2), nothing read', async (flags, message) => {
    const fake = await catFake();
    const before = fake.calls.length;
    const r = await runCli(['log', ...flags], { fake });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(fake.calls.length).toBe(before);
  });

  it('--json and --format json say the same thing', async () => {
    const fake = await catFake();
    const a = await runCli(['log', '--json'], { fake });
    const b = await runCli(['log', '--json', '--format', 'json'], { fake });
    expect(b.code).toBe(0);
    const calls = (out: string) => out.split('\n').filter((l) => l.includes('"type":"syscall"'));
    expect(calls(b.stdout)).toHaveLength(5);
    expect(calls(b.stdout)).toEqual(calls(a.stdout));
  });
});

describe('--summary', () => {
  it.each([
    [['log', '--summary', '--format', 'strace']],
    [['tail', '--summary', '--format', 'strace']],
    [['run', '--summary', '--format', 'strace', '--', 'true']],
    [['sandbox', '--summary', '--format', 'strace', '--', 'true']],
  ])('%j: refused as CSV is (2), nothing read or run', async (argv) => {
    const fake = await catFake();
    const before = fake.calls.length;
    const r = await runCli(argv, { fake });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("syscallmon: --summary prints a table, or with --json one JSON object; not strace's lines\n");
    expect(fake.calls.length).toBe(before);
  });

  it("log: strace -c's table: calls, errors, times per syscall, the longest total first", async () => {
    const r = await runCli(['log', '--summary'], { fake: await catFake() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`\
% time     seconds  usecs/call  longest     calls    errors syscall
------ ----------- ----------- -------- --------- --------- ----------------
 99.99    0.300020      150010 0.300000         2           read
  0.01    0.000020          10 0.000012         2         1 openat
  0.00    0.000001           1 0.000001         1           close
------ ----------- ----------- -------- --------- --------- ----------------
100.00    0.300041       60008 0.300000         5         1 total
`);
  });

  it('--json: one object, counts equal to the events, times as decimal strings; filters apply first', async () => {
    const fake = await catFake();
    const events = (await runCli(['log', '--json'], { fake })).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const s = JSON.parse((await runCli(['log', '--summary', '--json'], { fake })).stdout);
    for (const row of s.rows) {
      const mine = events.filter((e) => e.syscall === row.syscall);
      expect(row.calls).toBe(mine.length);
      expect(row.timed).toBe(mine.filter((e) => e.duration_ns !== null).length);
      expect(row.errors).toBe(mine.filter((e) => e.errno !== null).length);
      expect(BigInt(row.total_ns)).toBe(mine.reduce((t, e) => t + BigInt(e.duration_ns), 0n));
    }
    expect(s.total).toEqual({ calls: 5, timed: 5, errors: 1, total_ns: '300041345', max_ns: '300000000' });
    const failed = JSON.parse((await runCli(['log', '--summary', '--json', '--failed'], { fake })).stdout);
    expect(failed.rows).toEqual([{ syscall: 'openat', nr: 257, calls: 1, timed: 1, errors: 1, total_ns: '8000', max_ns: '8000' }]);
  });

  it('tail: events lost are said on stderr, since the table cannot count them', async () => {
    const fake = createFakeBinding((f) => (f.ringSize = 16 * 168));
    expect((await runCli(['--log', '--syscall', 'read'], { fake })).code).toBe(0);
    const t = startTail(fake, ['--summary'], () => {
      for (let i = 0; i < 40; i++) fake.syscall({ syscall: 'read', pid: 7 });
    });
    await until(() => fake.activeStreams === 1 && t.err.text.includes('Ctrl-C'), 'the tail');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    t.stop();
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ *100\.00 .* 16 +total\n$/m);
    expect(r.stderr).toMatch(/^syscallmon: 24 events were lost \(the reader was overtaken\): the summary does not count them$/m);
  });
});

describe('tail', () => {
  it('--format strace: lines as calls return; the pid prefix starts with the second thread', async () => {
    const fake = await armedFake();
    const t = startTail(fake, ['--format', 'strace', '--count', '3'], () => {
      fake.syscall({ syscall: 'openat', pid: 5, args: [AT_FDCWD, 0x1000n, 0n], path: '/a', ret: 3, duration_ns: 1000n });
      setImmediate(() => {
        fake.syscall({ syscall: 'openat', pid: 6, args: [AT_FDCWD, 0x1000n, 0n], path: '/b', ret: -13, duration_ns: 2000n });
        fake.syscall({ syscall: 'read', pid: 5, args: [3n, 0x1000n, 1n], target: '/a', ret: 1, duration_ns: 3000n });
      });
    });
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`\
openat(AT_FDCWD, "/a", O_RDONLY)        = 3 <0.000001>
[pid     6] openat(AT_FDCWD, "/b", O_RDONLY) = -1 EACCES (Permission denied) <0.000002>
[pid     5] read(3</a>, 0x1000, 1)      = 1 <0.000003>
`);
  });

  it('--json --failed: NDJSON of the failed calls only, and --count counts only them', async () => {
    const fake = await armedFake();
    const t = startTail(fake, ['--json', '--failed', '--count', '2'], () => {
      fake.syscall({ syscall: 'openat', pid: 5, path: '/ok', ret: 3 });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/no1', ret: -2 });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/ok2', ret: 4 });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/no2', ret: -2 });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/no3', ret: -2 });
    });
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/no1', '/no2']);
    expect(r.stderr).toMatch(/tail stopped \(count reached\): 2 shown, \d+ read, 0 lost/);
  });

  it('-n N --slower-than: the last N slow calls held, then live slow ones', async () => {
    const fake = await armedFake();
    for (let i = 0; i < 6; i++) fake.syscall({ syscall: 'read', pid: 5, duration_ns: i % 2 ? 50_000_000n : 1000n, ret: i });
    const t = startTail(fake, ['--json', '-n', '2', '--slower-than', '10ms', '--count', '3'], () => {
      fake.syscall({ syscall: 'read', pid: 5, duration_ns: 1000n, ret: 10 });
      fake.syscall({ syscall: 'read', pid: 5, duration_ns: 20_000_000n, ret: 11 });
    });
    const r = await t.done;
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).ret)).toEqual([3, 5, 11]);
  });

  it('--summary: the table on stdout when it stops, no event lines', async () => {
    const fake = await armedFake();
    const t = startTail(fake, ['--summary', '--count', '3'], () => {
      fake.syscall({ syscall: 'openat', pid: 5, path: '/a', ret: 3, duration_ns: 4000n });
      fake.syscall({ syscall: 'openat', pid: 5, path: '/b', ret: -2, duration_ns: 2000n });
      fake.syscall({ syscall: 'read', pid: 5, ret: 1, duration_ns: 1000n });
    });
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(2, 4)).toEqual([
      ' 85.71    0.000006           3 0.000004         2         1 openat',
      ' 14.29    0.000001           1 0.000001         1           read',
    ]);
    expect(r.stderr).toMatch(/tail stopped \(count reached\): 3 shown/);
  });

  it('has no csv: a stream has no header to start with', async () => {
    const r = await runCli(['tail', '--format', 'csv'], { fake: await armedFake() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are table, json, strace/);
  });
});
