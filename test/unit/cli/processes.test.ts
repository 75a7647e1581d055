// The commands about processes: the task lister (ps), exit events
// (--exits), per-pid interception (intercept, release, monitor) and the FSM.
// argv -> exit code, output and module state, with the fake binding.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Interrupt } from '../../../src/cli/context.js';
import { loadBinding } from '../../../src/lib/binding.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { createFakeBinding, FakeBinding } from '../fake-binding.js';
import { detailFile, statsFile, tasksFile, type Row } from '../lib/tasks-fixture.js';
import { Collector, runCli } from './harness.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'smon-processes-'));
  dirs.push(d);
  return d;
}

/** A fake whose /proc/syscallmon is a temp dir holding the given files. */
function fakeWithProc(files: Record<string, string>): FakeBinding {
  const proc = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(proc, name), Buffer.from(text, 'latin1'));
  const real = loadBinding();
  return new FakeBinding({
    constants: real.constants, records: real.records, schema: real.schema, devicePath: real.devicePath, syscalls: real.syscalls,
    procDir: proc,
  });
}

const ROWS: Row[] = [
  { pid: 245, ppid: 1, comm: 'node', state: 'R', vm: 1134560, rss: 98304, threads: 11, uid: 0, gid: 0 },
  { pid: 1, ppid: 0, comm: 'init', state: 'S', vm: 2440, rss: 1012, threads: 1, uid: 0, gid: 0 },
  { pid: 77, ppid: 1, comm: 'zz top', state: 'S', vm: 9000, rss: 5000, threads: 4, uid: 1000, gid: 1000 },
  { pid: 300, ppid: 245, comm: 'ab\x1b[31m', state: 'T', vm: 0, rss: 0, threads: 1, uid: 65534, gid: 65534 },
];
const STATES = { running: 1, sleeping: 2, disk_sleep: 0, stopped: 1, tracing_stop: 0, zombie: 0, dead: 0, parked: 0, idle: 0, other: 0 };

function procFake(): FakeBinding {
  return fakeWithProc({
    status: 'mode: OFF\n',
    tasks: tasksFile(ROWS),
    task_detail: detailFile(ROWS),
    task_stats: statsFile(STATES, 17, 1, 0),
  });
}

const lines = (s: string): Record<string, unknown>[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('ps', () => {
  it('a table in pid order, kernel text sanitised', async () => {
    const r = await runCli(['ps'], { fake: procFake() });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^\s*PID\s+PPID\s+COMMAND\s+STATE\s+VM\(KB\)\s+RSS\(KB\)\s+THREADS\s+UID\s+GID$/);
    expect(out.slice(1, 5).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([1, 77, 245, 300]);
    expect(r.stdout).toMatch(/\n\s+77\s+1\s+zz top\s+S\s+9000\s+5000\s+4\s+1000\s+1000\n/);
    expect(r.stdout).not.toContain('\x1b');
  });

  it('--json: one object per process, field names like the events\'', async () => {
    const r = await runCli(['ps', '--json'], { fake: procFake() });
    expect(r.code).toBe(0);
    const rows = lines(r.stdout);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toEqual({ pid: 245, ppid: 1, comm: 'node', state: 'R', vm_kb: 1134560, rss_kb: 98304, threads: 11, uid: 0, gid: 0 });
  });

  it.each([
    ['pid', [1, 77, 245, 300]],
    ['ppid', [1, 77, 245, 300]],
    ['rss', [245, 77, 1, 300]],
    ['vm', [245, 77, 1, 300]],
    ['threads', [245, 77, 1, 300]],
    ['uid', [1, 245, 77, 300]],
    ['command', [300, 1, 245, 77]],
    ['RSS', [245, 77, 1, 300]],
  ])('--sort %s', async (field, order) => {
    const r = await runCli(['ps', '--json', '--sort', field], { fake: procFake() });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((t) => t.pid)).toEqual(order);
  });

  it.each([
    [['ps', '--sort', 'rs'], "option '--sort <field>' argument 'rs' is invalid. unknown field 'rs'; did you mean rss?"],
    [['ps', '--sort', 'memory'], 'unknown field \'memory\' (one of pid, ppid, uid, command, rss, vm, threads)'],
    [['ps', '--stats', '--detail'], "option '--stats' cannot be used with option '--detail'"],
    [['ps', '--stats', '--sort', 'pid'], "option '--stats' cannot be used with option '--sort <field>'"],
    [['ps', 'extra'], 'too many arguments'],
  ])('%j: usage error, exit 2', async (argv, message) => {
    const r = await runCli(argv, { fake: procFake() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--detail: nice, priority, CPU times and thread ids; --json keeps the ns as strings', async () => {
    const table = await runCli(['ps', '--detail'], { fake: procFake() });
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/PID\s+PPID\s+COMMAND\s+STATE\s+NI\s+PRI\s+STARTED\s+USER\(s\)\s+SYS\(s\)\s+VM\(KB\)\s+RSS\(KB\)\s+UID\s+GID\s+TIDS/);
    expect(table.stdout).toMatch(/245\s+1\s+node\s+R \(running\)\s+-5\s+115\s+\S+\s+2\.50\s+0\.00\s+1134560\s+98304\s+0\s+0\s+245,246,247,248,249,250,… \(\+5\)/);
    const json = await runCli(['ps', '--detail', '--json', '--sort', 'rss'], { fake: procFake() });
    const first = lines(json.stdout)[0];
    expect(first).toMatchObject({ pid: 245, nice: -5, priority: 115, state_name: 'running', utime_ns: '2500000000', stime_ns: '1000000', start_time_ns: '12345679146' });
    expect(first?.tids).toHaveLength(11);
  });

  it('--stats: counts by state that add up to the total, and the totals', async () => {
    const r = await runCli(['ps', '--stats', '--json'], { fake: procFake() });
    expect(r.code).toBe(0);
    const s = lines(r.stdout);
    expect(s).toHaveLength(1);
    expect(s[0]).toEqual({ states: STATES, total_tasks: 4, total_threads: 17, total_vm_mb: 1, total_rss_mb: 0 });
    const table = await runCli(['ps', '--stats'], { fake: procFake() });
    expect(table.stdout).toMatch(/^STATE\s+TASKS\nrunning\s+1\nsleeping\s+2\ndisk sleep\s+0\n/);
    expect(table.stdout).toMatch(/total tasks\s+4\ntotal threads\s+17\ntotal VM \(MB\)\s+1\ntotal RSS \(MB\)\s+0\n$/);
  });

  it('module not loaded (no /proc/syscallmon): exit 3 with how to load it', async () => {
    const fake = fakeWithProc({});
    rmSync(fake.procDir, { recursive: true });
    const r = await runCli(['ps'], { fake });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^syscallmon: syscallmon module is not loaded \(no .*\/tasks\); load it with `syscallmon load`/);
  });

  it('a file the tool cannot parse: exit 5, one line', async () => {
    const r = await runCli(['ps', '--stats'], { fake: fakeWithProc({ status: '', task_stats: 'what\n' }) });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^syscallmon: \/proc\/syscallmon\/task_stats: unexpected text on line 1 .*\n$/);
  });
});

describe('--exits on|off', () => {
  it('turns exit events on and off; says what changed', async () => {
    const fake = createFakeBinding();
    const on = await runCli(['--exits', 'on'], { fake });
    expect(on.code).toBe(0);
    expect(on.stdout).toBe('exit events ON (was OFF); see them with syscallmon tail or syscallmon log\n');
    expect(fake.exitsOn).toBe(true);
    expect((await runCli(['--exits', 'ON'], { fake })).stdout).toMatch(/^exit events ON \(unchanged\)/);
    const off = await runCli(['--exits', 'off'], { fake });
    expect(off.stdout).toBe('exit events OFF (was ON)\n');
    expect(fake.exitsOn).toBe(false);
    expect(fake.openFds).toEqual([]);
  });

  it('--exits off while a run holds them on: they stay on, and it says so', async () => {
    const fake = createFakeBinding();
    await runCli(['--exits', 'on'], { fake });
    const run = Monitor.open({ binding: fake });
    run.hold({ exits: true });
    const off = await runCli(['--exits', 'off'], { fake });
    expect(off.stdout).toBe(
      'exit events OFF (was ON); see them with syscallmon tail or syscallmon log\n' +
        "exit events ON while 1 open file holds them (syscallmon run --exits, for its command's time); OFF once it lets go\n",
    );
    // Set on again under the hold: a change, said as one, that outlasts the run.
    expect((await runCli(['--exits', 'on'], { fake })).stdout).toBe('exit events ON (was OFF); see them with syscallmon tail or syscallmon log\n');
    run.close();
    expect(fake.exitsEffective).toBe(true);
  });

  it.each(['setExits', 'setMode'] as const)('with the mode flags, one change refused whole (%s refused): targets, exit events and mode as they were', async (refused) => {
    const fake = createFakeBinding();
    fake.failNext(refused, 'EPERM');
    const r = await runCli(['--log', '--syscall', 'openat', '--exits', 'on'], { fake });
    expect(r.code).not.toBe(0);
    expect(fake.targets.has(257)).toBe(false);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect(fake.exitsOn).toBe(false);
  });

  it('combines with the mode flags; --json is one object', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--log', '--syscall', 'openat', '--exits', 'on', '--json'], { fake });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([expect.objectContaining({ mode: 'log', previous_mode: 'off', exits: true, previous_exits: false })]);
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
    expect(fake.exitsOn).toBe(true);
  });

  it.each([
    [['--exits', 'maybe'], "option '--exits <on|off>' argument 'maybe' is invalid. expected on or off"],
    [['--exits'], "option '--exits <on|off>' argument missing"],
  ])('%j: exit 2', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('exit events in log --json, the log table and tail --json: type exit, exit_code, signal, CPU times', async () => {
    const fake = createFakeBinding();
    await runCli(['--exits', 'on'], { fake });
    fake.exit({ pid: 4321, ppid: 99, comm: 'sh', exit_code: 7, utime_ns: 300_000_000n, stime_ns: 20_000_000n });
    fake.exit({ pid: 4322, ppid: 99, comm: 'sleep', signal: 15 });
    const log = await runCli(['log', '--json'], { fake });
    expect(lines(log.stdout).filter((e) => e.type !== 'config')).toEqual([
      expect.objectContaining({ type: 'exit', pid: 4321, tgid: 4321, ppid: 99, comm: 'sh', exit_code: 7, signal: 0, utime_ns: '300000000', stime_ns: '20000000' }),
      expect.objectContaining({ type: 'exit', pid: 4322, exit_code: 0, signal: 15 }),
    ]);
    const table = await runCli(['log'], { fake });
    expect(table.stdout).toMatch(/4321\s+4321\s+0\s+sh\s+<exit>\s+code 7\s+cpu user 0\.300 s, sys 0\.020 s\n/);
    expect(table.stdout).toMatch(/4322\s+4322\s+0\s+sleep\s+<exit>\s+signal 15\s+cpu user 0\.000 s, sys 0\.000 s\n/);
    // The ring: the exits change and the controller's close, the two exits (the logs only read).
    const tail = await runCli(['tail', '--json', '-n', '4', '--count', '4'], { fake });
    expect(lines(tail.stdout).map((e) => [e.type, e.kind ?? e.exit_code, e.signal])).toEqual([
      ['config', 'exits', undefined], ['config', 'closed', undefined], ['exit', 7, 0], ['exit', 0, 15],
    ]);
  });
});

describe('intercept, release, monitor start|stop', () => {
  it('intercept: a log target with an empty pid set; turns LOG on when OFF and says so', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['intercept', 'openat'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'openat (257): intercepted; its probe is armed and no pid is monitored yet\n' +
        'mode LOG (was OFF): probes are armed only while the mode is not OFF\n' +
        'next: syscallmon monitor start --syscall openat --pid N\n',
    );
    expect(fake.targets.get(257)).toMatchObject({ action: fake.c('ACTION_LOG'), flags: 0, pids: [] });
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
    // the exclusive flag went down to the kernel
    const add = fake.calls.find((c) => c.method === 'addTarget')?.args[1] as { flags: number };
    expect(add.flags & fake.c('TARGET_EXCLUSIVE')).not.toBe(0);
    // matches nothing yet
    expect(fake.syscall({ syscall: 'openat', pid: 500 }).seen).toBe(false);
  });

  it('intercept in BLOCK mode leaves the mode alone', async () => {
    const fake = createFakeBinding((f) => (f.mode = f.c('MODE_BLOCK')));
    const r = await runCli(['intercept', 'read', '--json'], { fake });
    expect(lines(r.stdout)).toEqual([{ syscall: 'read', nr: 0, mode: 'block', previous_mode: 'block', pids: [] }]);
    expect(fake.mode).toBe(fake.c('MODE_BLOCK'));
  });

  it('intercepting twice: exit 5 with EBUSY', async () => {
    const fake = createFakeBinding();
    await runCli(['intercept', 'openat'], { fake });
    const r = await runCli(['intercept', 'openat'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'syscallmon: cannot intercept openat: EBUSY (already intercepted: log, no pid; release it first: syscallmon release openat)\n',
    );
    expect(fake.openFds).toEqual([]);
  });

  it('intercepting what --log targets for every process: EBUSY, says so', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'openat'], { fake });
    const r = await runCli(['intercept', 'openat'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('EBUSY (already targeted: log, every process;');
  });

  it('monitor start / stop one pid at a time; events only from monitored pids', async () => {
    const fake = createFakeBinding();
    await runCli(['intercept', 'openat'], { fake });
    const start = await runCli(['monitor', 'start', '--syscall', 'openat', '--pid', '500'], { fake });
    expect(start.code).toBe(0);
    expect(start.stdout).toBe('openat (257): monitoring pid 500 (pids now 500)\n');
    const again = await runCli(['monitor', 'start', '--syscall', 'openat', '--pid', '500'], { fake });
    expect(again.stdout).toBe('openat (257): pid 500 was already monitored (pids now 500)\n');
    await runCli(['monitor', 'start', '--syscall', 'openat', '--pid', '600'], { fake });
    expect(fake.targets.get(257)?.pids).toEqual([500, 600]);
    expect(fake.syscall({ syscall: 'openat', pid: 500 }).seen).toBe(true);
    expect(fake.syscall({ syscall: 'openat', pid: 700 }).seen).toBe(false);
    const stop = await runCli(['monitor', 'stop', '--syscall', 'openat', '--pid', '500', '--json'], { fake });
    expect(lines(stop.stdout)).toEqual([{ action: 'stop', syscall: 'openat', nr: 257, pid: 500, changed: true, pids: [600] }]);
    const stopNot = await runCli(['monitor', 'stop', '--syscall', 'openat', '--pid', '500'], { fake });
    expect(stopNot.stdout).toBe('openat (257): pid 500 was not monitored; nothing to stop (pids now 600)\n');
    expect(fake.syscall({ syscall: 'openat', pid: 500 }).seen).toBe(false);
  });

  it('a monitored process that exits leaves the scope', async () => {
    const fake = createFakeBinding();
    await runCli(['intercept', 'openat'], { fake });
    await runCli(['monitor', 'start', '--syscall', 'openat', '--pid', '500'], { fake });
    fake.exit({ pid: 500 });
    expect(fake.targets.get(257)?.pids).toEqual([]);
  });

  it('release: the target goes; releasing again is EINVAL (exit 5)', async () => {
    const fake = createFakeBinding();
    await runCli(['intercept', 'openat'], { fake });
    await runCli(['monitor', 'start', '--syscall', 'openat', '--pid', '500'], { fake });
    const r = await runCli(['release', 'openat'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('openat (257): released; its probe is disarmed (was: log, pid 500)\n');
    expect(fake.targets.has(257)).toBe(false);
    const again = await runCli(['release', 'openat'], { fake });
    expect(again.code).toBe(5);
    expect(again.stderr).toBe('syscallmon: cannot release openat: EINVAL (openat is not intercepted)\n');
  });

  it.each([
    ['monitoring a pid that does not exist: ESRCH', ['monitor', 'start', '--syscall', 'openat', '--pid', '999'], true, 5,
      'syscallmon: cannot start monitoring pid 999 for openat: ESRCH (no such process 999)\n'],
    ['monitoring for a syscall not intercepted: EINVAL', ['monitor', 'start', '--syscall', 'read', '--pid', '10'], true, 5,
      'syscallmon: cannot start monitoring pid 10 for read: EINVAL (read is not intercepted; first: syscallmon intercept read)\n'],
    ['stop for a syscall not intercepted: EINVAL', ['monitor', 'stop', '--syscall', 'read', '--pid', '10'], true, 5,
      'syscallmon: cannot stop monitoring pid 10 for read: EINVAL (read is not intercepted; first: syscallmon intercept read)\n'],
    ['releasing what was never intercepted: EINVAL', ['release', 'write'], false, 5,
      'syscallmon: cannot release write: EINVAL (write is not intercepted)\n'],
    ['unknown syscall: suggestion', ['intercept', 'opnat'], false, 2, "syscallmon: unknown syscall 'opnat'; did you mean openat?\n"],
    ['monitor: bad action', ['monitor', 'begin', '--syscall', 'openat', '--pid', '1'], false, 2, null],
    ['monitor: --pid missing', ['monitor', 'start', '--syscall', 'openat'], false, 2, null],
    ['monitor: --pid 0', ['monitor', 'start', '--syscall', 'openat', '--pid', '0'], false, 2, null],
    ['release: no name', ['release'], false, 2, null],
  ])('%s', async (_name, argv, intercepted, code, message) => {
    const fake = createFakeBinding((f) => (f.livePids = new Set([10, 500])));
    if (intercepted) await runCli(['intercept', 'openat'], { fake });
    const r = await runCli(argv as string[], { fake });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    if (message) expect(r.stderr).toBe(message);
    else expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['start', '--syscall', 'read', '--syscall', 'openat', '--pid', '10']],
    [['start', '--syscall', 'openat', '--pid', '10', '--pid', '500']],
    [['stop', '--syscall', 'openat,read', '--pid', '10']],
  ])('monitor %j: one syscall and one pid, a second is refused rather than replacing the first (exit 2)', async (argv) => {
    const fake = createFakeBinding((f) => (f.livePids = new Set([10, 500])));
    await runCli(['intercept', 'openat'], { fake });
    await runCli(['intercept', 'read'], { fake });
    const r = await runCli(['monitor', ...argv], { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`syscallmon: monitor ${argv[0]} takes one --syscall and one --pid (run it once for each)\n`);
    expect(r.stdout).toBe('');
    expect([...fake.targets.values()].map((t) => t.pids)).toEqual([[], []]);
  });

  it('monitor start on a syscall targeted for every process: EINVAL, says why', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'read'], { fake });
    const r = await runCli(['monitor', 'start', '--syscall', 'read', '--pid', '10'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('EINVAL (read is targeted for every process, not per pid;');
  });

  it('module not loaded: exit 3', async () => {
    const r = await runCli(['intercept', 'openat'], { fake: createFakeBinding((f) => (f.loaded = false)) });
    expect(r.code).toBe(3);
  });
});

/** A Collector that can wait for text. */
class Watched extends Collector {
  private waiters: { re: RegExp; resolve: () => void }[] = [];
  override write(chunk: string): void {
    super.write(chunk);
    this.waiters = this.waiters.filter((w) => (w.re.test(this.text) ? (w.resolve(), false) : true));
  }
  until(re: RegExp): Promise<void> {
    if (re.test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ re, resolve }));
  }
}

function fsmFile(content: string): string {
  const path = join(tempDir(), 'fsm.json');
  writeFileSync(path, content);
  return path;
}

/** The README's FSM: open, read, write. */
const README_FSM = '{\n  "states": ["open", "read", "write"]\n}\n';

/** Starts the CLI with a controllable Ctrl-C; resolves once its ready line is out. */
async function startFsm(argv: string[], fake: FakeBinding) {
  const controller = new AbortController();
  const interrupt = (): Interrupt => ({ signal: controller.signal, dispose: () => {} });
  const out = new Watched();
  const err = new Watched();
  const done = runCli(argv, { fake, interrupt, stdout: out, stderr: err });
  await Promise.race([err.until(/Ctrl-C to stop\n/), done.then((r) => Promise.reject(new Error(`ended early: ${r.stderr}`)))]);
  return { out, err, done, stop: (why = 'SIGINT') => controller.abort(why) };
}

describe('fsm', () => {
  it('arms the open family, read and write for the pid; prints transitions and the cycle; Ctrl-C: summary, cleanup', async () => {
    const fake = createFakeBinding();
    const file = fsmFile(README_FSM);
    const run = await startFsm(['fsm', file, '--pid', '100'], fake);
    expect(run.err.text).toBe(
      'syscallmon: mode LOG (was OFF): probes are armed only while the mode is not OFF; OFF again when the FSM stops\n' +
        'syscallmon: fsm: open → read → write (loops back); open = open, openat, openat2, creat\n' +
        'syscallmon: fsm: watching pid 100, waiting for state 1/3 open; Ctrl-C to stop\n',
    );
    expect([...fake.targets.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 85, 257, 437]);
    for (const t of fake.targets.values()) expect(t).toMatchObject({ action: fake.c('ACTION_LOG'), flags: 0, pids: [100] });
    // what the gated shell does: open, read (several), another open, write
    const t0 = 1_770_805_230_000_000_000n;
    fake.syscall({ syscall: 'write', pid: 100, comm: 'sh', ts_ns: t0 }); // before any open: ignored
    fake.syscall({ syscall: 'openat', pid: 100, comm: 'sh', path: '/etc/hostname', ts_ns: t0 + 1000n });
    fake.syscall({ syscall: 'read', pid: 100, comm: 'sh', ts_ns: t0 + 2000n });
    fake.syscall({ syscall: 'read', pid: 100, comm: 'sh', ts_ns: t0 + 3000n });
    fake.syscall({ syscall: 'openat', pid: 100, comm: 'sh', path: '/tmp/x', ts_ns: t0 + 4000n });
    fake.syscall({ syscall: 'write', pid: 100, comm: 'sh', ts_ns: t0 + 501_000n });
    fake.syscall({ syscall: 'openat', pid: 200, comm: 'other', ts_ns: t0 + 600_000n }); // out of scope
    await run.out.until(/cycle 1 complete/);
    run.stop();
    const r = await run.done;
    expect(r.code).toBe(0);
    const body = r.stdout.replace(/^\d\d:\d\d:\d\d\.\d{6} {2}/gm, '');
    expect(body).toBe(
      '[FSM] state 1/3 open: observed openat by sh (pid 100) /etc/hostname → state 2/3 read\n' +
        '[FSM] state 2/3 read: observed read by sh (pid 100) → state 3/3 write\n' +
        '[FSM] state 3/3 write: observed write by sh (pid 100) → state 1/3 open\n' +
        '[FSM] cycle 1 complete: open → read → write in 500.0 µs\n',
    );
    expect(r.stderr).toContain(
      'syscallmon: fsm stopped (SIGINT) after ',
    );
    expect(r.stderr).toMatch(/: 1 cycle completed, 3 transitions, 6 events seen \(3 not matching the state they came in\)\n/);
    expect(r.stderr).toContain('syscallmon: time per cycle: mean 500.0 µs, min 500.0 µs, max 500.0 µs\n');
    expect(r.stderr).toMatch(/syscallmon: stopped in state 1\/3 open\n$/);
    // it took back what it added, mode included
    expect(fake.targets.size).toBe(0);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect(fake.openFds).toEqual([]);
    expect(fake.activeStreams).toBe(0);
  });

  it('holds LOG while it runs: the mode set to OFF meanwhile does not disarm it; OFF once it stops', async () => {
    const fake = createFakeBinding();
    fake.mode = fake.c('MODE_LOG');
    const run = await startFsm(['fsm', fsmFile('{"states":["read","write"]}'), '--pid', '100'], fake);
    expect(run.err.text).not.toContain('mode LOG (was');
    const admin = Monitor.open({ binding: fake });
    admin.setMode('off');
    admin.close();
    fake.syscall({ syscall: 'read', pid: 100, comm: 'sh', ts_ns: 10_000n });
    fake.syscall({ syscall: 'write', pid: 100, comm: 'sh', ts_ns: 25_000n });
    await run.out.until(/cycle 1 complete/);
    run.stop();
    expect((await run.done).code).toBe(0);
    expect(fake.effectiveMode).toBe(fake.c('MODE_OFF'));
  });

  it("the controller's form under a run's hold on LOG sets LOG, so it stays on once the run ends", async () => {
    const fake = createFakeBinding();
    const run = Monitor.open({ binding: fake });
    run.hold({ mode: 'log' });
    const fsm = await startFsm(['--log', '--file', fsmFile('{"states":["read","write"]}')], fake);
    fsm.stop();
    expect((await fsm.done).code).toBe(0);
    run.close();
    expect(fake.effectiveMode).toBe(fake.c('MODE_LOG'));
  });

  it('--json: transition, cycle and summary objects only on stdout', async () => {
    const fake = createFakeBinding();
    const run = await startFsm(['fsm', fsmFile('{"states":["read","write"]}'), '--json'], fake);
    for (const t of fake.targets.values()) expect(t.flags).toBe(fake.c('TARGET_ALL_PIDS'));
    fake.syscall({ syscall: 'read', pid: 7, comm: 'cat', ts_ns: 10_000n });
    fake.syscall({ syscall: 'write', pid: 8, comm: 'tee', ts_ns: 25_000n });
    await run.out.until(/"type":"cycle"/);
    run.stop('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(0);
    const objs = lines(r.stdout);
    expect(objs.map((o) => o.type)).toEqual(['transition', 'transition', 'cycle', 'summary']);
    expect(objs[0]).toMatchObject({ cycle: 1, index: 0, from: 'read', to: 'write', syscall: 'read', nr: 0, pid: 7, tgid: 7, comm: 'cat', ts_ns: '10000' });
    expect(objs[2]).toEqual({ type: 'cycle', cycle: 1, duration_ns: '15000', started_ts_ns: '10000', ended_ts_ns: '25000' });
    expect(objs[3]).toMatchObject({ type: 'summary', reason: 'SIGTERM', cycles: 1, transitions: 2, cycle_ns: ['15000'], mean_ns: '15000', state: 'read' });
  });

  it('the controller\'s form: --log --file FILE.json sets LOG and leaves it on; targets still removed', async () => {
    const fake = createFakeBinding((f) => (f.mode = f.c('MODE_BLOCK')));
    const run = await startFsm(['--log', '--file', fsmFile(README_FSM), '--pid', '100'], fake);
    expect(run.err.text).toMatch(/^syscallmon: mode LOG \(was BLOCK\)\n/);
    fake.syscall({ syscall: 'open', pid: 100, comm: 'sh' });
    await run.out.until(/observed open /);
    run.stop();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/0 cycles completed, 1 transition, /);
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
    expect(fake.targets.size).toBe(0);
  });

  it('targets that were there stay: every-process ones are used as they are, pid-scoped ones get our pid and lose it again', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'write', '--pid', '55'], { fake });
    await runCli(['--log', '--syscall', 'read'], { fake });
    const shape = (): unknown => [...fake.targets.values()].map((t) => [t.nr, t.action, t.err, t.flags, [...t.pids]]);
    const before = shape();
    const run = await startFsm(['fsm', fsmFile('{"states":["read","write"]}'), '--pid', '100'], fake);
    expect(run.err.text).toContain('syscallmon: read: already targeted for every process; used as it is\n');
    expect(run.err.text).toContain('syscallmon: write: already targeted for pids 55; added ours\n');
    expect(fake.targets.get(1)?.pids).toEqual([55, 100]);
    // a read by another process (the every-process target sees it) is not ours
    fake.syscall({ syscall: 'read', pid: 999 });
    fake.syscall({ syscall: 'read', pid: 100 });
    await run.out.until(/observed read by proc \(pid 100\)/);
    run.stop();
    const r = await run.done;
    expect(r.stdout).not.toContain('999');
    expect(shape()).toEqual(before);
    expect(fake.mode).toBe(fake.c('MODE_LOG'));
  });

  it('a pid-scoped target in the way of an every-process FSM: exit 5, nothing left armed', async () => {
    const fake = createFakeBinding();
    await runCli(['--log', '--syscall', 'write', '--pid', '55'], { fake });
    const r = await runCli(['fsm', fsmFile('{"states":["read","write"]}')], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'syscallmon: write is already targeted for pid 55; the FSM needs it for every process: give --pid, or remove that target first (syscallmon release write)\n',
    );
    expect([...fake.targets.keys()]).toEqual([1]);
  });

  it('a pid-scoped block target is not widened to our pids (their calls would be blocked): exit 5', async () => {
    const fake = createFakeBinding();
    await runCli(['--block', '--syscall', 'write', '--pid', '55'], { fake });
    const r = await runCli(['fsm', fsmFile('{"states":["read","write"]}'), '--pid', '100'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      'syscallmon: write is a block target for pid 55; adding 100 would block their calls: remove it first (syscallmon release write)\n',
    );
    expect([...fake.targets.keys()]).toEqual([1]);
    expect(fake.targets.get(1)?.pids).toEqual([55]);
    expect(fake.mode).toBe(fake.c('MODE_BLOCK'));
  });

  it('a pid that does not exist: ESRCH, exit 5, nothing left armed', async () => {
    const fake = createFakeBinding((f) => (f.livePids = new Set([1])));
    const r = await runCli(['fsm', fsmFile(README_FSM), '--pid', '4242'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/ESRCH/);
    expect(fake.targets.size).toBe(0);
    expect(fake.mode).toBe(fake.c('MODE_OFF'));
    expect(fake.openFds).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"states": ["open",]}', /^syscallmon: .*fsm\.json: not valid JSON \(/],
    ['states missing', '{"sates": ["open"]}', /^syscallmon: .*fsm\.json: unknown field 'sates'; did you mean 'states'\?\n$/],
    ['states not a list', '{"states": "open"}', /^syscallmon: .*fsm\.json: field 'states' must be a list of syscall names, got the string "open"\n$/],
    ['a state not a string', '{"states": ["open", {"read": 1}]}', /^syscallmon: .*fsm\.json: states\[1\] must be a syscall name \(a non-empty string\), got an object\n$/],
    ['unknown syscall', '{"states": ["open", "read", "wirte"]}', /^syscallmon: .*fsm\.json: states\[2\]: unknown syscall 'wirte'; did you mean write\?\n$/],
  ])('%s: exit 2, one line naming the field, the device untouched', async (_name, content, message) => {
    const fake = createFakeBinding();
    for (const argv of [['fsm', fsmFile(content)], ['--log', '--file', fsmFile(content)]]) {
      const r = await runCli(argv, { fake });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
    expect(fake.calls.filter((c) => c.method === 'open')).toEqual([]);
  });

  it.each([
    ['a missing file', ['fsm', '/nonexistent/fsm.json'], 'syscallmon: cannot read FSM file /nonexistent/fsm.json: ENOENT (no such file)\n'],
    ['--file without --log', ['--file', 'x.json'], 'syscallmon: --file runs an FSM: syscallmon --log --file FILE.json [--pid N]... [--json]\n'],
    ['--file with --syscall', ['--log', '--syscall', 'read', '--file', 'x.json'], 'syscallmon: --file runs an FSM: syscallmon --log --file FILE.json [--pid N]... [--json]\n'],
    ['--block --file', ['--block', '--file', 'x.json'], 'syscallmon: --file runs an FSM: syscallmon --log --file FILE.json [--pid N]... [--json]\n'],
  ])('%s: exit 2', async (_name, argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
  });

  it('a directory as the file: exit 2', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'd.json'));
    const r = await runCli(['fsm', join(dir, 'd.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read FSM file .*d\.json: EISDIR\n$/);
  });
});
