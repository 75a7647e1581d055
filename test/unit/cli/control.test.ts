// The controller's flags: argv -> exit code, output and module state.
import { describe, expect, it } from 'vitest';
import { Monitor } from '../../../src/lib/monitor.js';
import { createFakeBinding, errnoError, type FakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';

function targetOf(fake: FakeBinding, nr: number) {
  const t = fake.targets.get(nr);
  return t && { action: t.action, err: t.err, flags: t.flags, pids: [...t.pids] };
}

describe('controller: the README\'s transcripts', () => {
  it('--log --syscall openat: mode LOG, openat logged for every process', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--log', '--syscall', 'openat'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mode LOG (was OFF)\nopenat (257): log, every process (added)\n');
    expect(r.stderr).toBe('');
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
    expect(targetOf(fake, 257)).toMatchObject({ action: fake.c('ACTION_LOG'), flags: fake.c('TARGET_ALL_PIDS'), pids: [] });
    expect(fake.openFds).toEqual([]);
  });

  it('--block --syscall write --pid 1234: mode BLOCK, write blocked with EPERM for pid 1234 only', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--block', '--syscall', 'write', '--pid', '1234'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mode BLOCK (was OFF)\nwrite (1): block with EPERM, pid 1234 (added)\n');
    expect(fake.mode).toBe(fake.c('MODE_BLOCK'));
    expect(targetOf(fake, 1)).toEqual({ action: fake.c('ACTION_BLOCK'), err: 1, flags: 0, pids: [1234] });
    // and it does what it says: 1234 is blocked, 999 is not
    expect(fake.syscall({ syscall: 'write', pid: 1234 })).toMatchObject({ verdict: fake.c('VERDICT_BLOCKED'), errno: 1 });
    expect(fake.syscall({ syscall: 'write', pid: 999 }).seen).toBe(false);
  });

  it.each([
    [['--log', '--syscall', 'openat']],
    [['--block', '--syscall', 'write', '--pid', '1234']],
    [['--block', '--syscall', 'unlink', '--errno', 'EACCES', '--pid', '7', '--pid', '8']],
  ])('running %j twice is harmless: same state, second run says unchanged', async (argv) => {
    const fake = createFakeBinding();
    expect((await runCli(argv, { fake })).code).toBe(0);
    const state = JSON.stringify([...fake.targets.entries()].map(([nr, t]) => [nr, t.action, t.err, t.flags, t.pids]));
    const mode = fake.mode;
    const again = await runCli(argv, { fake });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^mode \w+ \(unchanged\)\n.*\(unchanged\)\n$/);
    expect(JSON.stringify([...fake.targets.entries()].map(([nr, t]) => [nr, t.action, t.err, t.flags, t.pids]))).toBe(state);
    expect(fake.mode).toBe(mode);
  });

  it('--off sets mode OFF and keeps the targets', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat,read'], { fake });
    const r = await runCli(['--off'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mode OFF (was LOG)\nevery probe is disarmed; targets are kept for the next --log/--block\n');
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect([...fake.targets.keys()].sort((a, b) => a - b)).toEqual([0, 257]);
  });

  it('--off while a run holds LOG: says the mode stays LOG until the run lets go, and status says who holds it', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat'], { fake });
    const run = Monitor.open({ binding: fake });
    run.hold({ mode: 'log' });
    const r = await runCli(['--off'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'mode OFF (was LOG)\n' +
        "mode LOG in effect while 1 open file holds it (syscallmon run, for its command's time); OFF once it lets go\n",
    );
    expect(JSON.parse((await runCli(['--off', '--json'], { fake })).stdout)).toMatchObject({ mode: 'off', mode_in_effect: 'log', mode_holders: 1 });
    expect((await runCli(['status'], { fake })).stdout.split('\n')[0]).toMatch(/^mode +LOG \(set OFF; 1 open file holds a mode: syscallmon run\)$/);
    run.hold({ mode: 'log', exits: true });
    expect((await runCli(['status'], { fake })).stdout).toMatch(/\nexits +on \(0 seen; set off, held on by 1 open file\)\n/);
    run.close();
    expect(fake.effectiveMode).toBe(fake.c('MODE_OFF'));
    expect((await runCli(['status'], { fake })).stdout).toMatch(/\nexits +off \(0 seen\)\n/);
    expect((await runCli(['status'], { fake })).stdout.split('\n')[0]).toMatch(/^mode +OFF$/);
  });

  it('--block while a run holds BLOCK over LOG: a change, said as one, that outlasts the run', async () => {
    const fake = createFakeBinding();
    fake.mode = fake.c('MODE_LOG');
    const run = Monitor.open({ binding: fake });
    run.hold({ mode: 'block' });
    const r = await runCli(['--block'], { fake });
    expect(r.stdout).toBe('mode BLOCK (was LOG)\n');
    expect(JSON.parse((await runCli(['--block', '--json'], { fake })).stdout)).toMatchObject({ mode: 'block', previous_mode: 'block' });
    run.close();
    expect(fake.effectiveMode).toBe(fake.c('MODE_BLOCK'));
  });

  it('intercept while a run holds LOG over OFF: sets LOG, so the probe stays armed once the run ends', async () => {
    const fake = createFakeBinding();
    const run = Monitor.open({ binding: fake });
    run.hold({ mode: 'log' });
    const r = await runCli(['intercept', 'openat'], { fake });
    expect(r.stdout).toContain('mode LOG (was OFF): probes are armed only while the mode is not OFF\n');
    run.close();
    expect(fake.effectiveMode).toBe(fake.c('MODE_LOG'));
  });

  it('intercept whose mode change is refused takes its target back', async () => {
    const fake = createFakeBinding();
    fake.failNext('setMode', 'EPERM');
    const r = await runCli(['intercept', 'openat'], { fake });
    expect(r.code).not.toBe(0);
    expect(fake.targets.has(257)).toBe(false);
  });

  it('--off --syscall --pid of a pid not in the scope: unchanged, not "pids removed"', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat', '--pid', '5'], { fake });
    fake.livePids = null;
    const r = await runCli(['--off', '--syscall', 'openat', '--pid', '999'], { fake });
    expect(r.stdout).toMatch(/^openat \(257\): .*\(unchanged\)$/m);
    expect(r.stdout).not.toMatch(/pids removed/);
  });

  it('protect: a file given twice is protected once; unprotect of it twice deletes once', async () => {
    const fake = createFakeBinding();
    fake.existingPaths = new Set(['/tmp/s']);
    const r = await runCli(['protect', '/tmp/s', '/tmp/../tmp/s', '--json'], { fake });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).rules).toHaveLength(1);
    const u = await runCli(['unprotect', '/tmp/s', '/tmp/s', '--json'], { fake });
    expect(u.code, u.stderr).toBe(0);
    expect(JSON.parse(u.stdout).rules).toHaveLength(1);
  });

  it('protect: a refusal whose taking back fails says both, and names what is left', async () => {
    const fake = createFakeBinding();
    fake.existingPaths = new Set(['/tmp/a', '/tmp/b']);
    fake.failNext('deleteRules', 'EIO');
    const r = await runCli(['protect', '/tmp/a', '/tmp/b', '/tmp/missing'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/tmp/missing');
    expect(r.stderr).toMatch(/and could not take back the rules added before it \(#1, #2\) \(.*EIO/);
  });

  it('monitor start --pid 1 on a block target that is not forced: a usage error (2), not "needs root"', async () => {
    const fake = createFakeBinding();
    await runCli(['--block', '--syscall', 'write', '--pid', '5'], { fake });
    const r = await runCli(['monitor', 'start', '--syscall', 'write', '--pid', '1'], { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("syscallmon: blocking pid 1 (init) needs force: write's block target is not forced\n");
  });

  it('--off --syscall removes that target and leaves the mode alone', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat', '--syscall', 'read'], { fake });
    const r = await runCli(['--off', '--syscall', 'read', '--syscall', 'write'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('mode LOG (unchanged)\nread (0): target removed\nwrite (1): not targeted; nothing to remove\n');
    expect([...fake.targets.keys()]).toEqual([257]);
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
  });

  it('--off --syscall --pid removes only those pids from the scope', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat', '--pid', '10', '--pid', '20'], { fake });
    const r = await runCli(['--off', '--syscall', 'openat', '--pid', '10'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('openat (257): log, pid 20 (pids removed)');
    expect(fake.targets.get(257)?.pids).toEqual([20]);
  });

  it('changing a target is reported as updated; LOG mode warns that block targets only audit', async () => {
    const fake = createFakeBinding();
    await runCli(['--block', '--syscall', 'unlink'], { fake });
    const r = await runCli(['--log', '--syscall', 'openat'], { fake });
    expect(r.stdout).toContain('mode LOG (was BLOCK)');
    expect(r.stdout).toContain('mode LOG: unlink only log WOULD_BLOCK; use --block to enforce');
    const u = await runCli(['--block', '--syscall', 'openat', '--errno', 'eacces'], { fake });
    expect(u.stdout).toContain('openat (257): block with EACCES, every process (updated)');
    expect(fake.targets.get(257)?.err).toBe(13);
  });

  it('--json prints one JSON object and nothing else', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--block', '--syscall', 'write', '--pid', '1234', '--json'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      mode: 'block',
      previous_mode: 'off',
      targets: [
        {
          syscall: 'write',
          nr: 1,
          change: 'added',
          target: {
            syscall: 'write', nr: 1, action: 'block', errno: 'EPERM', pids: [1234], force: false, record: 'complete', failed_only: false,
          },
        },
      ],
      audit_only: [],
    });
  });

  it('--force may block pid 1', async () => {
    const fake = createFakeBinding();
    expect((await runCli(['--block', '--syscall', 'kill', '--pid', '1'], { fake })).code).toBe(2);
    const r = await runCli(['--block', '--syscall', 'kill', '--pid', '1', '--force'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kill (62): block with EPERM, pid 1, forced (added)');
  });
});

describe('controller: what a target records', () => {
  it('--record entry, both; --failed-only: the target says so, and its calls are recorded that way', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--log', '--syscall', 'read', '--record', 'entry'], { fake });
    expect(r.stdout).toBe('mode LOG (was OFF)\nread (0): log, every process, recorded at entry (added)\n');
    expect(fake.targets.get(0)?.record).toBe(fake.c('RECORD_ENTRY'));
    const both = await runCli(['--log', '--syscall', 'write', '--record', 'both', '--pid', '7'], { fake });
    expect(both.stdout).toContain('write (1): log, pid 7, recorded at entry and return (added)');
    const failed = await runCli(['--log', '--syscall', 'openat', '--failed-only'], { fake });
    expect(failed.stdout).toContain('openat (257): log, every process, failures only (added)');
    expect(fake.targets.get(257)).toMatchObject({
      record: fake.c('RECORD_COMPLETE'), flags: fake.c('TARGET_ALL_PIDS') | fake.c('TARGET_FAILED_ONLY'),
    });
    // What they make: a read at entry, no result; write's two halves; only the failing openat.
    fake.syscall({ syscall: 'read', pid: 7, ret: 5 });
    fake.syscall({ syscall: 'write', pid: 7, ret: 5 });
    fake.syscall({ syscall: 'openat', pid: 7, path: '/ok', ret: 3 });
    fake.syscall({ syscall: 'openat', pid: 7, path: '/missing', ret: -2 });
    const logged = (await runCli(['log', '--json'], { fake })).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const events = logged.filter((e) => e.type === 'syscall');
    const entry = events[1].seq;
    expect(events.map((e) => [e.syscall, e.ret, e.entry, e.call_id, e.path])).toEqual([
      ['read', null, false, null, null],
      ['write', null, true, entry, null],
      ['write', 5, false, entry, null],
      ['openat', -2, false, null, '/missing'],
    ]);
    // Each target's change is a config record, which says how it records.
    expect(logged.filter((e) => e.kind === 'target').map((e) => e.text)).toEqual([
      'read: none -> log all record=entry',
      'write: none -> log pids 1 record=both',
      'openat: none -> log all failed-only',
    ]);
    const status = await runCli(['status'], { fake });
    expect(status.stdout).toMatch(/^openat +257 +log +every process +complete, failures only +yes +2 +2 +0 +0 +0 +1$/m);
    expect(status.stdout).toMatch(/^read +0 +log +every process +entry +yes/m);
  });

  it('each run states the record mode: without --record a target records complete calls again', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'read', '--record', 'entry'], { fake });
    expect((await runCli(['--log', '--syscall', 'read', '--record', 'entry'], { fake })).stdout).toContain('(unchanged)');
    const r = await runCli(['--log', '--syscall', 'read'], { fake });
    expect(r.stdout).toContain('read (0): log, every process (updated)');
    expect(fake.targets.get(0)?.record).toBe(fake.c('RECORD_COMPLETE'));
  });

  it.each([
    ['--failed-only with --record entry', ['--log', '--syscall', 'read', '--record', 'entry', '--failed-only'], /^syscallmon: --failed-only needs complete records \(a call's failure is known when it returns\), not --record entry\n$/],
    ['--failed-only with --record both', ['--log', '--syscall', 'read', '--record', 'both', '--failed-only'], /not --record both/],
    ['an unknown record mode', ['--log', '--syscall', 'read', '--record', 'exit'], /argument 'exit' is invalid. Allowed choices are complete, entry, both/],
    ['--record without a target', ['--log', '--record', 'entry'], /--record and --failed-only say what a target records: give --log or --block with --syscall NAME/],
    ['--failed-only with --off', ['--off', '--syscall', 'read', '--failed-only'], /--record and --failed-only say what a target records/],
    ['--record without a mode', ['--syscall', 'read', '--record', 'entry'], /say what to do with it/],
    ['--record with --file', ['--log', '--file', 'fsm.json', '--record', 'entry'], /--file runs an FSM/],
  ])('%s: exit 2, nothing changed', async (_name, argv, message) => {
    const fake = createFakeBinding();
    const r = await runCli(argv, { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fake.targets.size).toBe(0);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
  });
});

describe('controller: errors and exit codes', () => {
  it.each([
    ['no flag at all', [], 2, /no command or flag given; try syscallmon --help/],
    ['unknown command', ['stauts'], 2, /unknown command 'stauts'; did you mean status\?/],
    ['a root flag typed as a command', ['version'], 2, /^syscallmon: unknown command 'version'; did you mean --version\? \(see syscallmon --help\)$/m],
    ['unknown syscall, with a suggestion', ['--log', '--syscall', 'opnat'], 2, /unknown syscall 'opnat'; did you mean openat\?/],
    ['unknown errno', ['--block', '--syscall', 'write', '--errno', 'EPREM'], 2, /unknown errno 'EPREM'; did you mean EPERM\? \(--help lists the errno names\)$/m],
    ['unknown errno, nothing close', ['--block', '--syscall', 'write', '--errno', 'EFOO'], 2, /^syscallmon: unknown errno 'EFOO' \(--help lists the errno names\)$/m],
    ['two modes', ['--log', '--block', '--syscall', 'write'], 2, /'--log' cannot be used with option '--block'/],
    ['--off with --log', ['--off', '--log'], 2, /'--off' cannot be used with option '--log'/],
    ['bad pid', ['--log', '--syscall', 'read', '--pid', 'abc'], 2, /'--pid <pid>' argument 'abc' is invalid/],
    ['pid 0', ['--log', '--syscall', 'read', '--pid', '0'], 2, /a pid is a whole number from 1 to 4194304/],
    ['pid too large', ['--log', '--syscall', 'read', '--pid', '4194305'], 2, /a pid is a whole number/],
    ['--pid without --syscall', ['--log', '--pid', '5'], 2, /--pid scopes a target: give --syscall NAME too/],
    ['--syscall without a mode', ['--syscall', 'read'], 2, /say what to do with it: --off, --log or --block/],
    ['--errno without --block', ['--log', '--syscall', 'read', '--errno', 'EPERM'], 2, /--errno goes with --block/],
    ['--force without --block', ['--log', '--syscall', 'read', '--force'], 2, /--force goes with --block/],
    ['--block --errno without a target', ['--block', '--errno', 'EACCES'], 2, /^syscallmon: --errno says how a target blocks: give --syscall NAME$/m],
    ['--block --force without a target', ['--block', '--force'], 2, /^syscallmon: --force says how a target blocks: give --syscall NAME$/m],
    ['--block --errno --force without a target', ['--block', '--errno', 'EACCES', '--force'], 2, /--errno and --force say how a target blocks: give --syscall NAME/],
    ['unknown option', ['--loud'], 2, /unknown option '--loud'; did you mean --log\? \(see --help\)/],
    ['pid 1 without --force', ['--block', '--syscall', 'kill', '--pid', '1'], 2, /blocking pid 1 \(init\) needs force/],
  ])('%s', async (_name, argv, code, message) => {
    const fake = createFakeBinding();
    const r = await runCli(argv as string[], { fake });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^syscallmon: [^\n]*\n$/); // one line, no stack
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect(fake.targets.size).toBe(0);
  });

  it.each([
    ['module not loaded', (f: FakeBinding) => { f.loaded = false; }, 3, /not loaded.*`syscallmon load`/],
    ['not root (EACCES)', (f: FakeBinding) => { f.openError = 'EACCES'; }, 4, /permission denied.*EACCES.*needs root/],
    ['EPERM from an ioctl', (f: FakeBinding) => f.failNext('setMode', 'EPERM'), 4, /permission denied.*EPERM/],
    ['module of another API version', (f: FakeBinding) => { f.apiVersion = 99; }, 5, new RegExp(`API version 99.*expects version ${createFakeBinding().c('API_VERSION')}`)],
    ['no such pid (ESRCH)', (f: FakeBinding) => { f.livePids = new Set([1]); }, 5, /ESRCH.*no such process among 1234/],
  ])('%s', async (_name, init, code, message) => {
    const fake = createFakeBinding(init);
    const r = await runCli(['--block', '--syscall', 'write', '--pid', '1234'], { fake });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(fake.openFds).toEqual([]);
  });

  it.each([
    [['--block', '--syscall', 'exit_group']],
    [['--block', '--syscall', 'openat,exit_group']],
    [['--block', '--syscall', 'openat', '--syscall', '231']],
  ])('%j: a syscall that can never be blocked is refused before the device is opened (exit 2)', async (argv) => {
    const fake = createFakeBinding();
    const r = await runCli(argv, { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("syscallmon: exit_group can't be blocked\n");
    expect(fake.calls.map((c) => c.method)).not.toContain('open');
    expect(fake.targets.size).toBe(0);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
  });

  it('--log may still target a syscall that can never be blocked', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--log', '--syscall', 'exit_group'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exit_group (231): log, every process (added)');
  });

  it('--verbose adds the stack trace', async () => {
    const fake = createFakeBinding((f) => { f.loaded = false; });
    const r = await runCli(['--verbose', '--log', '--syscall', 'read'], { fake });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(/^syscallmon: syscallmon module is not loaded/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('usage errors do not need the module, the device, or even the addon', async () => {
    const r = await runCli(['--log', '--pid', '5'], {
      binding: () => {
        throw new Error('addon must not be loaded for this');
      },
    });
    expect(r.code).toBe(2);
  });
});

/** Makes the binding's nth addTarget calls (counting from 1) fail with code, as a kernel refusal would. */
function failAddTarget(fake: FakeBinding, code: string, ...nth: number[]): void {
  const add = fake.addTarget.bind(fake);
  let calls = 0;
  fake.addTarget = (fd, t) => {
    if (nth.includes(++calls)) throw errnoError(code, 'ioctl:ADD_TARGET');
    add(fd, t);
  };
}

/** Every target's settings as the fake holds them, by syscall number. */
function targetState(fake: FakeBinding) {
  return [...fake.targets.values()]
    .map((t) => ({ nr: t.nr, action: t.action, err: t.err, flags: t.flags, record: t.record, pids: [...t.pids].sort() }))
    .sort((a, b) => a.nr - b.nr);
}

describe('controller: a refused change is undone whole', () => {
  it('a second target refused: the first, new, is removed again; the mode stays', async () => {
    const fake = createFakeBinding();
    failAddTarget(fake, 'ENOSPC', 2);
    const r = await runCli(['--block', '--syscall', 'openat,unlink'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^syscallmon: kernel refused to target unlink: ENOSPC[^\n]*\n$/);
    expect(fake.targets.size).toBe(0);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect(fake.openFds).toEqual([]);
  });

  it('a second target refused: the first, changed, gets back its action, errno, scope and record mode', async () => {
    const fake = createFakeBinding();
    expect((await runCli(['--log', '--syscall', 'openat', '--pid', '7', '--pid', '8', '--record', 'both'], { fake })).code).toBe(0);
    expect((await runCli(['--block', '--syscall', 'write', '--errno', 'EACCES', '--pid', '9'], { fake })).code).toBe(0);
    expect((await runCli(['--log'], { fake })).code).toBe(0);
    const before = targetState(fake);
    failAddTarget(fake, 'ENOSPC', 3);
    const r = await runCli(['--block', '--syscall', 'openat,write,unlink', '--errno', 'EROFS'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/kernel refused to target unlink: ENOSPC/);
    expect(targetState(fake)).toEqual(before);
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
  });

  it('the mode refused: the targets set for it are undone too', async () => {
    const fake = createFakeBinding((f) => f.failNext('setMode', 'EBUSY'));
    const r = await runCli(['--log', '--syscall', 'openat,read'], { fake });
    expect(r.code).toBe(5);
    expect(fake.targets.size).toBe(0);
  });

  it('--off --syscall --pid refused for the second target: the first gets its pids back', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat', '--pid', '10', '--pid', '20'], { fake });
    await runCli(['--log', '--syscall', 'read'], { fake });
    const before = targetState(fake);
    // read targets every process: it has no pids to remove (EINVAL).
    const r = await runCli(['--off', '--syscall', 'openat,read', '--pid', '10'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/read is not targeted, or targets every process/);
    expect(targetState(fake)).toEqual(before);
  });

  it('a target that cannot be put back is named, not left silent', async () => {
    const fake = createFakeBinding();
    failAddTarget(fake, 'ENOSPC', 2);
    fake.failNext('delTarget', 'EIO');
    const r = await runCli(['--log', '--syscall', 'openat,unlink'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^syscallmon: kernel refused to target unlink: ENOSPC.*; and could not take back openat \(kernel refused to untarget openat: EIO/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
