// syscallmon run: the rule it adds (a process tree on the gate's pid, owned
// by its open file), which records it shows (the tree's, never the gate's
// own before its exec), the exit status it passes on, and bad input.  The
// command is a simulated one: its calls are made through the fake binding.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MonitorEvent } from '../../../src/lib/events.js';
import { Monitor } from '../../../src/lib/monitor.js';
import type { CommandExit, Launch } from '../../../src/run/gate.js';
import { runTraced, type RunRequest } from '../../../src/run/run.js';
import { findCommand } from '../../../src/sandbox/command.js';
import { createFakeBinding, type FakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';
import { GATE, seen as nothingSeen, simulated, type Script } from './simulated-command.js';

const CMD_FILE = '/usr/bin/true';

function familyScript(exit: CommandExit = { code: 3, signal: null }): Script {
  return {
    steps: [
      // the gate's own calls before its exec: never shown
      { call: { syscall: 'openat', pid: GATE, comm: 'sh', path: '/etc/gate-own' } },
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: '/usr/local/bin/true', ret: -2 } },
      { call: { syscall: 'execve', pid: GATE, comm: 'true', path: CMD_FILE } },
      { call: { syscall: 'openat', pid: GATE, comm: 'true', path: '/etc/a' } },
      { fork: [GATE, 5001] },
      { call: { syscall: 'openat', pid: 5001, ppid: GATE, comm: 'child', path: '/etc/b', ret: -2 } },
      { fork: [5001, 5002] },
      { call: { syscall: 'unlinkat', pid: 5002, ppid: 5001, comm: 'grandchild', path: '/tmp/c' } },
      // not of the tree
      { call: { syscall: 'openat', pid: 7000, comm: 'other', path: '/etc/other' } },
      // not a path syscall: not in the default set
      { call: { syscall: 'getpid', pid: 5001, ppid: GATE, comm: 'child' } },
      // CMD waits for its children
      { exit: { pid: 5002, ppid: 5001, comm: 'grandchild' } },
      { exit: { pid: 5001, ppid: GATE, comm: 'child' } },
    ],
    exit,
  };
}

async function traced(argv: string[], script: Script, setup?: (fake: FakeBinding) => void) {
  const fake = createFakeBinding();
  setup?.(fake);
  const seen = nothingSeen();
  const r = await runCli(argv, { fake, launch: simulated(fake, script, seen), env: { PATH: '/usr/bin:/bin' } });
  return { ...r, fake, seen };
}

describe('syscallmon run', () => {
  it('prints like log and tail: --format strace, --failed, --summary', async () => {
    const strace = await traced(['run', '--format', 'strace', '--', 'true'], familyScript());
    expect(strace.code, strace.stderr).toBe(3);
    const lines = strace.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\[pid +5000\] execve\("\/usr\/bin\/true", /);
    expect(lines[2]).toMatch(/^\[pid +5001\] openat\(.*"\/etc\/b".* = -1 ENOENT /);
    const failed = await traced(['run', '--json', '--failed', '--', 'true'], familyScript());
    expect(failed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).map((e) => [e.tgid, e.syscall, e.errno])).toEqual([
      [5001, 'openat', 'ENOENT'],
    ]);
    const summary = await traced(['run', '--summary', '--json', '--', 'true'], familyScript());
    const counts = JSON.parse(summary.stdout) as { rows: { syscall: string; calls: number; errors: number }[] };
    expect(counts.rows.map((s) => [s.syscall, s.calls, s.errors]).sort()).toEqual([
      ['execve', 1, 0],
      ['openat', 2, 1],
      ['unlinkat', 1, 0],
    ]);
    expect((await traced(['run', '--format', 'csv', '--', 'true'], familyScript())).code).toBe(2);
  });

  it("shows the tree's calls (not the gate's before its exec, nor others'), passes the exit status on, leaves no rule", async () => {
    const r = await traced(['run', '--json', '--', 'true'], familyScript());
    expect(r.code, r.stderr).toBe(3);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.tgid, e.syscall, e.path, e.errno])).toEqual([
      [GATE, 'execve', CMD_FILE, null],
      [GATE, 'openat', '/etc/a', null],
      [5001, 'openat', '/etc/b', 'ENOENT'],
      [5002, 'unlinkat', '/tmp/c', null],
    ]);
    // the rule: a log rule on the tree of the gate, owned by run's open file, every path syscall
    const rules = r.seen.rulesAtOpen!;
    expect(rules).toHaveLength(1);
    expect(rules[0]!.rule_class).toBe(r.fake.c('CLASS_FILE'));
    expect(rules[0]!.rule.flags & r.fake.c('SEL_TREE')).not.toBe(0);
    expect(rules[0]!.rule.pids).toEqual([GATE]);
    expect(rules[0]!.rule.action).toBe(r.fake.c('RULE_LOG'));
    const withPath = r.fake.syscalls.filter((s) => s.pathArg >= 0 && s.symbol !== '').map((s) => s.nr).sort((a, b) => a - b);
    expect([...rules[0]!.rule.syscalls].sort((a, b) => a - b)).toEqual(withPath);
    expect(r.fake.rules).toEqual([]);
    // the mode was OFF: LOG while the command ran, OFF again
    expect(r.fake.mode).toBe(r.fake.c('MODE_OFF'));
    expect(r.stderr).toBe(
      'syscallmon: run: the mode was OFF: LOG while CMD ran, OFF again now\n' +
        'syscallmon: run: true exited with 3; 4 events from 3 processes, 0 lost\n',
    );
  });

  it('the human form: one line per event', async () => {
    const r = await traced(['run', '--', 'true'], familyScript({ code: 0, signal: null }));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\S+\s+5001\s+child\s+openat\s+ALLOWED\s+-ENOENT\s+\S+\s+\/etc\/b$/);
  });

  it('--syscall names what is shown; the exec is followed but not shown unless asked', async () => {
    const r = await traced(['run', '--json', '--syscall', 'unlinkat', '--', 'true'], familyScript());
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).syscall)).toEqual(['unlinkat']);
    const names = r.seen.rulesAtOpen![0]!.rule.syscalls.map((nr) => r.fake.syscallEntry(nr).name).sort();
    expect(names).toEqual(['execve', 'execveat', 'unlinkat']);
  });

  it('--all: every syscall this kernel implements, none it does not', async () => {
    const r = await traced(['run', '--all', '--', 'true'], familyScript());
    const implemented = r.fake.syscalls.filter((s) => s.symbol !== '').map((s) => s.nr).sort((a, b) => a - b);
    expect(implemented.length).toBeLessThan(r.fake.syscalls.length);
    expect([...r.seen.rulesAtOpen![0]!.rule.syscalls].sort((a, b) => a - b)).toEqual(implemented);
  });

  it('a signal that killed the command: 128+N', async () => {
    const r = await traced(['run', '--', 'true'], { steps: [], exit: { code: null, signal: 'SIGKILL' } });
    expect(r.code).toBe(137);
    expect(r.stderr).toContain('syscallmon: run: true was killed by SIGKILL; 0 events from 1 process, 0 lost');
  });

  it('--action block: a log rule for the exec, then the block rule, both on the tree; the mode stays', async () => {
    const r = await traced(
      ['run', '--json', '--action', 'block', '--syscall', 'unlinkat', '--', 'true'],
      familyScript(),
      (fake) => void (fake.mode = fake.c('MODE_BLOCK')),
    );
    const rules = r.seen.rulesAtOpen!;
    expect(rules.map((x) => [x.rule.action, x.rule.syscalls.map((nr) => r.fake.syscallEntry(nr).name).sort(), x.rule.pids])).toEqual([
      [r.fake.c('RULE_LOG'), ['execve', 'execveat'], [GATE]],
      [r.fake.c('RULE_BLOCK'), ['unlinkat'], [GATE]],
    ]);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.tgid, e.syscall, e.verdict])).toEqual([[5002, 'unlinkat', 'blocked']]);
    expect(r.fake.mode).toBe(r.fake.c('MODE_BLOCK'));
  });

  it.each([
    ['OFF', 'MODE_OFF'],
    ['LOG', 'MODE_LOG'],
  ])('--action block from mode %s: BLOCK while CMD runs, so its call is blocked; the mode as it was after', async (name, mode) => {
    const r = await traced(
      ['run', '--json', '--action', 'block', '--syscall', 'unlinkat', '--', 'true'],
      familyScript(),
      (fake) => void (fake.mode = fake.c(mode)),
    );
    expect(r.seen.modeAtOpen).toBe(r.fake.c('MODE_BLOCK'));
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.tgid, e.syscall, e.verdict])).toEqual([[5002, 'unlinkat', 'blocked']]);
    expect(r.fake.mode).toBe(r.fake.c(mode));
    expect(r.stderr).toContain(`syscallmon: run: the mode was ${name}: BLOCK while CMD ran, ${name} again now\n`);
  });

  it('--action block from LOG is refused when raising the mode would make a block target act too: nothing run, the mode as it was', async () => {
    const r = await traced(['run', '--action', 'block', '--syscall', 'unlinkat', '--', 'true'], familyScript(), (fake) => {
      fake.mode = fake.c('MODE_LOG');
      fake.targets.set(fake.syscallEntry('mkdir').nr, {
        nr: fake.syscallEntry('mkdir').nr, action: fake.c('ACTION_BLOCK'), err: 1, flags: fake.c('TARGET_ALL_PIDS'),
        pids: [], record: fake.c('RECORD_COMPLETE'), hits: 0n, logged: 0n, blocked: 0n, missed: 0n, no_result: 0n, failed_skipped: 0n,
      } as never);
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      'syscallmon: run --action block: the mode is LOG, and raising it to BLOCK for CMD would make block target mkdir act too; ' +
        'raise it yourself (syscallmon --block), or add --audit\n',
    );
    expect(r.seen.rulesAtOpen).toBeUndefined();
    expect(r.fake.mode).toBe(r.fake.c('MODE_LOG'));
  });

  it('--action block --audit: LOG is enough, the call only would_block', async () => {
    const r = await traced(['run', '--json', '--action', 'block', '--audit', '--syscall', 'unlinkat', '--', 'true'], familyScript());
    expect(r.seen.modeAtOpen).toBe(r.fake.c('MODE_LOG'));
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.tgid, e.syscall, e.verdict])).toEqual([[5002, 'unlinkat', 'would_block']]);
    expect(r.fake.mode).toBe(r.fake.c('MODE_OFF'));
  });

  it("a block target stays in force for the command: its syscall is left to the target, whose records are shown", async () => {
    const r = await traced(['run', '--json', '--', 'true'], familyScript(), (fake) => {
      fake.mode = fake.c('MODE_BLOCK');
      fake.targets.set(fake.syscallEntry('unlinkat').nr, {
        nr: fake.syscallEntry('unlinkat').nr, action: fake.c('ACTION_BLOCK'), err: 1, flags: fake.c('TARGET_ALL_PIDS'),
        pids: [], record: fake.c('RECORD_COMPLETE'), hits: 0n, logged: 0n, blocked: 0n, missed: 0n, no_result: 0n, failed_skipped: 0n,
      } as never);
    });
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ tgid: 5002, syscall: 'unlinkat', verdict: 'blocked', rule: null });
    expect(r.stderr).toContain('syscallmon: run: unlinkat: shown as their block targets recorded them');
  });

  it.each([
    [['run', '--action', 'block', '--', 'true'], '--action block needs the syscalls to block: --syscall NAME'],
    [['run', '--action', 'kill', '--syscall', '@exec', '--', 'true'], '--action kill of @exec would stop CMD itself from starting'],
    [['run', '--all', '--syscall', 'openat', '--', 'true'], '--all or --syscall, not both'],
    [['run', '--action', 'allow', '--', 'true'], "argument 'allow' is invalid"],
    [['run', '--tree', '1', '--', 'true'], "unknown option '--tree'"],
    [['run', '--syscall', 'opnat', '--', 'true'], "unknown syscall 'opnat'"],
    [['run', '--audit', '--', 'true'], '--audit applies to --action block or kill, not log'],
  ])('%j: usage error, nothing run', async (argv, message) => {
    const r = await traced(argv, familyScript());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.seen.rulesAtOpen).toBeUndefined();
    expect(r.fake.calls).toEqual([]);
  });

  it.each([
    [['run', '--', 'no-such-command-here'], 127, 'syscallmon: run: no-such-command-here: not found in PATH'],
    [['run', '--', '/etc'], 126, 'syscallmon: run: /etc: is a directory'],
  ])('%j: exit %i before anything is added', async (argv, code, message) => {
    const r = await traced(argv, familyScript());
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.fake.calls).toEqual([]);
  });

  it('the module not loaded: exit 3, nothing run', async () => {
    const r = await traced(['run', '--', 'true'], familyScript(), (fake) => void (fake.loaded = false));
    expect(r.code).toBe(3);
    expect(r.seen.rulesAtOpen).toBeUndefined();
  });
});

describe('run: failures only', () => {
  /** The gate fails to exec from PATH, then execs CMD; CMD and a child fail one call each. */
  const failing: Script = {
    steps: [
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: '/usr/local/bin/true', ret: -2 } },
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD_FILE } },
      { call: { syscall: 'openat', pid: GATE, comm: 'true', path: '/etc/here' } },
      { call: { syscall: 'openat', pid: GATE, comm: 'true', path: '/etc/missing', ret: -2 } },
      { fork: [GATE, 5001] },
      { call: { syscall: 'execve', pid: 5001, ppid: GATE, comm: 'true', path: '/no/such/tool', ret: -2 } },
      { call: { syscall: 'execve', pid: 5001, ppid: GATE, comm: 'true', path: '/usr/bin/ls' } },
      { exit: { pid: 5001, ppid: GATE, comm: 'ls' } },
    ],
    exit: { code: 0, signal: null },
  };

  it('--failed-only: CMD\'s own failures are shown (its exec, a success, is seen by a rule of its own before the rule)', async () => {
    const r = await traced(['run', '--json', '--failed-only', '--', 'true'], failing);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).map((e) => [e.tgid, e.syscall, e.path, e.errno])).toEqual([
      [GATE, 'openat', '/etc/missing', 'ENOENT'],
      [5001, 'execve', '/no/such/tool', 'ENOENT'],
    ]);
    const rules = r.seen.rulesAtOpen!.map((x) => ({
      action: x.rule.action,
      failedOnly: (x.rule.flags & r.fake.c('RULE_FAILED_ONLY')) !== 0,
      execs: x.rule.syscalls.map((nr) => r.fake.syscallEntry(nr).name).filter((n) => n.startsWith('execve')).sort(),
      tree: x.rule.pids,
    }));
    expect(rules).toEqual([
      { action: r.fake.c('RULE_LOG'), failedOnly: false, execs: ['execve', 'execveat'], tree: [GATE] },
      { action: r.fake.c('RULE_LOG'), failedOnly: true, execs: [], tree: [GATE] },
    ]);
  });

  it('--failed-only --syscall execve: the tree\'s failed execs, not the gate\'s search before CMD, no success', async () => {
    const r = await traced(['run', '--json', '--failed-only', '--syscall', 'execve', '--', 'true'], failing);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).map((e) => [e.tgid, e.syscall, e.path, e.errno])).toEqual([
      [5001, 'execve', '/no/such/tool', 'ENOENT'],
    ]);
    // no syscall left for a second rule: the exec rule alone
    expect(r.seen.rulesAtOpen).toHaveLength(1);
    expect(r.stderr).toContain('syscallmon: run: true exited with 0; 1 event from 2 processes, 0 lost');
  });
});

describe('run --record entry: the exec of CMD told by its path, as the gate\'s shell passed it', () => {
  /** CMD given as bin/syscallmon, or found through a relative PATH entry: the shell passes execve the relative path. */
  const relative: Script = {
    steps: [
      { call: { syscall: 'openat', pid: GATE, comm: 'sh', path: '/etc/gate-own' } },
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: 'bin/syscallmon' } },
      { call: { syscall: 'openat', pid: GATE, comm: 'syscallmon', path: '/etc/a' } },
    ],
    exit: { code: 0, signal: null },
  };

  it.each([
    ['a path with a slash', ['bin/syscallmon'], '/usr/bin:/bin'],
    ['a name found in a relative PATH entry', ['syscallmon'], 'bin:/usr/bin'],
  ])('%s: CMD\'s calls are shown, not the gate\'s before', async (_what, command, path) => {
    const fake = createFakeBinding();
    const seen = nothingSeen();
    const r = await runCli(['run', '--json', '--record', 'entry', '--', ...command], { fake, launch: simulated(fake, relative, seen), env: { PATH: path } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).map((e) => [e.tgid, e.syscall, e.path, e.ret])).toEqual([
      [GATE, 'execve', 'bin/syscallmon', null],
      [GATE, 'openat', '/etc/a', null],
    ]);
  });
});

describe('run: processes CMD leaves running', () => {
  /** CMD (`sh -c '(sleep 1; rm f) &'`) forks and exits without waiting: what it forked runs on. */
  const leaving = (children: number): Script => ({
    steps: [
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD_FILE } },
      ...Array.from({ length: children }, (_, i) => ({ fork: [GATE, 5001 + i] as [number, number] })),
    ],
    exit: { code: 0, signal: null },
  });

  it.each([
    [1, '1 process of CMD\'s tree still running, no longer watched (pid 5001)'],
    [2, '2 processes of CMD\'s tree still running, no longer watched (pids 5001, 5002)'],
    [10, '10 processes of CMD\'s tree still running, no longer watched (pids 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, …)'],
  ])('%i left running: one line says so', async (children, line) => {
    const r = await traced(['run', '--action', 'block', '--syscall', 'unlinkat', '--', 'true'], leaving(children));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`\nsyscallmon: run: ${line}\n`);
    // Once run has ended the rule is gone: the call it would have blocked runs.
    expect(r.fake.rules).toEqual([]);
    expect(r.fake.syscall({ syscall: 'unlinkat', pid: 5001, ppid: GATE, path: '/tmp/f' }).verdict).toBeNull();
  });
});

describe('run: when CMD\'s calls cannot be read', () => {
  /** CMD makes one call, then the device fails (or the ring holds what this tool can't decode); CMD runs until killed. */
  const failing = (act: (fake: FakeBinding) => void): Script => ({
    steps: [{ call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD_FILE } }, { act }],
    exit: null,
  });

  it.each([
    ['a read error', (fake: FakeBinding) => fake.failStream(fake.openFds[0]!, 'EIO'), /kernel refused to read events: EIO\b/],
    [
      'a record it cannot decode',
      (fake: FakeBinding) => fake.pushRecords([{ type: fake.c('RECORD_SYSCALL'), nr: fake.syscallEntry('openat').nr, pid: GATE, verdict: 99 }]),
      /record \d+: unknown verdict 99/,
    ],
  ])('%s: CMD is stopped, the mode set back, one line, exit 5', async (_what, act, why) => {
    const r = await traced(['run', '--json', '--', 'true'], failing(act));
    expect(r.code, r.stderr).toBe(5);
    expect(r.seen.signals).toEqual(['SIGTERM']);
    expect(r.seen.modeAtOpen).toBe(r.fake.c('MODE_LOG'));
    expect(r.fake.mode).toBe(r.fake.c('MODE_OFF'));
    expect(r.fake.rules).toEqual([]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^syscallmon: cannot follow CMD's calls: .*; CMD was stopped \(SIGTERM\)$/);
    expect(lines[0]).toMatch(why);
  });
});

describe('runTraced: what the sandbox asks of it', () => {
  const script: Script = {
    steps: [
      { call: { syscall: 'openat', pid: GATE, comm: 'sh', path: '/etc/gate-own' } },
      { exit: { pid: 4999, ppid: 1, comm: 'other' } },
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD_FILE } },
      { fork: [GATE, 5001] },
      { call: { syscall: 'unlinkat', pid: 5001, ppid: GATE, comm: 'rm', path: '/tmp/f' } },
      { call: { syscall: 'unlinkat', pid: 7000, comm: 'other', path: '/tmp/g' } },
      { exit: { pid: 5001, ppid: GATE, comm: 'rm', exit_code: 1 } },
      { exit: { pid: 7000, comm: 'other' } },
    ],
    exit: { code: 1, signal: null },
  };

  async function traceWith(request: Partial<RunRequest>, setup?: (fake: FakeBinding) => void, steps: Script['steps'] = script.steps) {
    const fake = createFakeBinding();
    setup?.(fake);
    const into = nothingSeen();
    const m = Monitor.open({ binding: fake });
    const events: MonitorEvent[] = [];
    const records: Buffer[] = [];
    try {
      const outcome = await runTraced(
        m,
        { command: ['true'], file: CMD_FILE, execPath: CMD_FILE, rule: { name: 'sandbox', action: 'log', syscalls: ['unlinkat'] }, ...request },
        {
          launch: simulated(fake, { ...script, steps }, into),
          stdio: { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
          onEvents: (e) => void events.push(...e),
          onRecords: (r) => void records.push(r),
          started: (cmd) => void cmd.input?.end('to CMD\n'),
        },
      );
      return { outcome, fake, into, events, records: m.decoder.decode(Buffer.concat(records)) };
    } finally {
      m.close();
    }
  }

  it('an enforced block rule: the mode BLOCK for CMD\'s time only, CMD\'s call blocked, another process\'s not', async () => {
    const t = await traceWith({ rule: { name: 'sandbox', action: 'block', enforce: true, errno: 'EACCES', syscalls: ['unlinkat'] } });
    expect(t.into.modeAtOpen).toBe(t.fake.c('MODE_BLOCK'));
    expect(t.fake.mode).toBe(t.fake.c('MODE_OFF'));
    expect(t.outcome.raisedMode).toEqual({ from: 'off', to: 'block', now: 'off' });
    expect(t.events.map((e) => (e.type === 'syscall' ? [e.tgid, e.syscall, e.verdict, e.errno] : e.type))).toEqual([
      [5001, 'unlinkat', 'blocked', 'EACCES'],
    ]);
    expect(t.outcome.syscalls).toEqual(['unlinkat']);
  });

  it("the mode CMD's rule needs is held: another run letting go, or the mode set lower, while CMD runs leaves CMD's calls blocked", async () => {
    const block = { rule: { name: 'sandbox', action: 'block' as const, enforce: true, errno: 'EACCES', syscalls: ['unlinkat'] } };
    let other: Monitor | undefined;
    const [exec, fork, unlink] = script.steps.filter((s) => 'fork' in s || ('call' in s && s.call.pid !== 7000 && s.call.path !== '/etc/gate-own'));
    const t = await traceWith(
      block,
      (fake) => {
        // Another run: the mode is BLOCK because it holds it.
        other = Monitor.open({ binding: fake });
        other.hold({ mode: 'block' });
      },
      [
        exec!,
        fork!,
        { act: () => other!.hold({}) },
        { act: () => other!.setMode('off') },
        unlink!,
      ],
    );
    other!.close();
    expect(t.outcome.raisedMode).toBeNull();
    expect(t.events.map((e) => (e.type === 'syscall' ? [e.tgid, e.syscall, e.verdict] : e.type))).toEqual([[5001, 'unlinkat', 'blocked']]);
    expect(t.fake.effectiveMode).toBe(t.fake.c('MODE_OFF'));
  });

  it("a run's end leaves the mode another run holds", async () => {
    let other: Monitor | undefined;
    const t = await traceWith({ rule: { name: 'sandbox', action: 'block', enforce: true, syscalls: ['unlinkat'] } }, (fake) => {
      other = Monitor.open({ binding: fake });
      other.hold({ mode: 'log' });
    });
    expect(t.outcome.raisedMode).toEqual({ from: 'log', to: 'block', now: 'log' });
    expect(t.fake.effectiveMode).toBe(t.fake.c('MODE_LOG'));
    other!.close();
    expect(t.fake.effectiveMode).toBe(t.fake.c('MODE_OFF'));
  });

  it('a mode already higher stays as it is', async () => {
    const t = await traceWith({}, (fake) => void (fake.mode = fake.c('MODE_BLOCK')));
    expect(t.outcome.raisedMode).toBeNull();
    expect(t.fake.mode).toBe(t.fake.c('MODE_BLOCK'));
  });

  it('exits: on for CMD\'s time, off after; the exits of CMD\'s tree are kept, not others\'', async () => {
    const t = await traceWith({ exits: true });
    expect(t.into.exitsAtOpen).toBe(true);
    expect(t.fake.exitsEffective).toBe(false);
    expect(t.events.map((e) => (e.type === 'lost' || e.type === 'config' ? e.type : [e.type, e.tgid]))).toEqual([
      ['syscall', 5001],
      ['exit', 5001],
    ]);
  });

  it("exits held: set off while CMD runs, CMD's exits are recorded all the same; another run's hold outlasts this run", async () => {
    let other: Monitor | undefined;
    const setOff = (fake: FakeBinding): void => {
      const admin = Monitor.open({ binding: fake });
      admin.setExits(false);
      admin.close();
    };
    const t = await traceWith(
      { exits: true },
      (fake) => {
        other = Monitor.open({ binding: fake });
        other.hold({ exits: true });
      },
      [{ act: setOff }, ...script.steps],
    );
    expect(t.events.filter((e) => e.type === 'exit').map((e) => e.tgid)).toEqual([5001]);
    expect(t.fake.exitsEffective).toBe(true);
    other!.close();
    expect(t.fake.exitsEffective).toBe(false);
  });

  it('exits already on stay on', async () => {
    const t = await traceWith({ exits: true }, (fake) => void (fake.exitsOn = true));
    expect(t.fake.exitsOn).toBe(true);
  });

  it("the last reading ends at the ring's head as CMD exited: a process left running that calls on cannot keep it going", async () => {
    const fake = createFakeBinding();
    const m = Monitor.open({ binding: fake });
    const left = { call: (n: number) => fake.syscall({ syscall: 'unlinkat', pid: 5001, ppid: GATE, comm: 'rm', path: `/tmp/${n}` }) };
    let calls = 0;
    const launch: Launch = (command, stdio) => {
      const gated = simulated(fake, { steps: [{ call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD_FILE } }, { fork: [GATE, 5001] }], exit: { code: 0, signal: null } }, nothingSeen())(command, stdio);
      // As CMD exits, what it left running makes a call; each one shown is followed by another (at most 1000: an endless reading fails rather than hangs).
      void gated.exited.then(() => left.call(calls++));
      return gated;
    };
    try {
      const shown: string[] = [];
      const outcome = await runTraced(
        m,
        { command: ['true'], file: CMD_FILE, execPath: CMD_FILE, rule: { name: 'run', action: 'log', syscalls: ['unlinkat'] } },
        {
          launch,
          stdio: { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
          onEvents: (events) => {
            for (const e of events) if (e.type === 'syscall') shown.push(e.path!);
            if (calls < 1000) left.call(calls++);
          },
        },
      );
      expect(shown).toEqual(['/tmp/0']);
      expect(calls).toBe(2);
      expect(outcome.leftRunning).toEqual([5001]);
    } finally {
      m.close();
    }
  });

  it('onRecords: the kept records as the module wrote them, the same as the events; a piped stdin is the caller\'s to write', async () => {
    const t = await traceWith({});
    expect(t.records).toEqual(t.events);
    expect(t.events.map((e) => e.type === 'syscall' && e.path)).toEqual(['/tmp/f']);
    expect(t.into.stdio?.stdin).toBe('pipe');
    expect(t.into.input).toBe('to CMD\n');
  });
});

// The real gate, with a real command on this host.
describe('the gate', () => {
  it('holds the command until opened, keeps its pid, and gives its exit status', async () => {
    const { spawnGated } = await import('../../../src/run/gate.js');
    const g = spawnGated(['sh', '-c', 'echo $$; exit 7'], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    const out = new PassThrough();
    g.output[0]!.pipe(out);
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    await new Promise((r) => setTimeout(r, 50));
    expect(text).toBe('');
    g.open();
    expect(await g.exited).toEqual({ code: 7, signal: null });
    await new Promise((r) => setTimeout(r, 10));
    expect(text.trim()).toBe(String(g.pid));
  });

  it('execs CMD by the path findCommand gives as its execPath (dash), or by its absolute file (bash)', async () => {
    const { spawnGated } = await import('../../../src/run/gate.js');
    const dir = mkdtempSync(join(tmpdir(), 'smon-cmd-'));
    try {
      // A script's interpreter gets the script's path as execve got it.
      writeFileSync(join(dir, 'says-its-path'), '#!/bin/sh\necho "$0"\n', { mode: 0o755 });
      const rel = relative(process.cwd(), dir);
      for (const [name, path] of [
        [`${rel}/says-its-path`, '/usr/bin:/bin'],
        ['says-its-path', `/usr/bin:${rel}:/bin`],
        ['says-its-path', `/usr/bin:${dir}`],
      ] as const) {
        const found = findCommand(name, { path, cwd: process.cwd() });
        if (!found.ok) throw new Error(found.message);
        // The gate's shell searches the PATH it was given.
        const saved = process.env['PATH'];
        process.env['PATH'] = path;
        let g: ReturnType<typeof spawnGated>;
        try {
          g = spawnGated([name], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
        } finally {
          process.env['PATH'] = saved;
        }
        let text = '';
        g.output[0]!.on('data', (d: Buffer) => (text += d.toString()));
        g.open();
        expect(await g.exited).toEqual({ code: 0, signal: null });
        await new Promise((r) => setTimeout(r, 10));
        expect([found.execPath, found.file], `${name} in ${path}`).toContain(text.trim());
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('findCommand: an empty PATH entry is the working directory, whose name the shell passes alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-cmd-'));
    try {
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
      expect(findCommand('tool', { path: '/no/such/dir::/bin', cwd: dir })).toEqual({ ok: true, file: join(dir, 'tool'), execPath: 'tool' });
      expect(findCommand('./tool', { path: '/bin', cwd: dir })).toEqual({ ok: true, file: join(dir, 'tool'), execPath: './tool' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never runs the command when its holder goes away before opening it', async () => {
    const { spawnSync } = await import('node:child_process');
    const { existsSync, readFileSync } = await import('node:fs');
    const marker = `/tmp/smon-gate-ran-${process.pid}`;
    // The holder is a node process that starts a gate and exits at once.
    const script =
      `import('${process.cwd()}/dist/run/gate.js').then(({ spawnGated }) => {` +
      ` const g = spawnGated(['touch', '${marker}'], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });` +
      ' console.log(g.pid); process.exit(0); })';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // Until the gate's shell is gone (or a zombie nobody reaps).
    for (let i = 0; i < 200; i++) {
      let state = '';
      try {
        state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
      } catch {
        break;
      }
      if (state === 'Z') break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(existsSync(marker)).toBe(false);
  });
});
