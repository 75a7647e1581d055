// status and log over the fake binding: argv -> exit code and output.
import { beforeAll, describe, expect, it } from 'vitest';
import { Monitor } from '../../../src/lib/monitor.js';
import { encodeRecord } from '../../../src/lib/records.js';
import { createFakeBinding, type FakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';

beforeAll(() => {
  process.env.TZ = 'UTC';
});

const T0 = 1770805230000000000n; // 2026-02-11T10:20:30Z

/** openat logged for pid 100, write blocked for pid 200 by pid 4242, three calls made. */
async function busyFake(): Promise<FakeBinding> {
  const fake = createFakeBinding((f) => {
    f.clock = () => T0 - 5_000_000n;
    f.caller = { pid: 4242, tgid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'syscallmon' };
  });
  expect((await runCli(['--log', '--syscall', 'openat'], { fake })).code).toBe(0);
  expect((await runCli(['--block', '--syscall', 'write', '--pid', '200'], { fake })).code).toBe(0);
  fake.syscall({ syscall: 'openat', pid: 100, comm: 'cat', path: '/etc/hostname', ts_ns: T0, ret: 3, duration_ns: 12_345n });
  fake.syscall({ syscall: 'openat', pid: 101, tgid: 100, comm: 'cat', path: '/etc/passwd', ts_ns: T0 + 1000n, ret: -13, duration_ns: 8_000n });
  fake.syscall({ syscall: 'write', pid: 200, comm: 'sh', ts_ns: T0 + 2000n, target: 'pipe:[4321]' });
  return fake;
}

/** What `syscallmon ARGV` prints on stdout over busyFake(), where it must succeed. */
async function busyOutput(argv: string[]): Promise<string> {
  const r = await runCli(argv, { fake: await busyFake() });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('status', () => {
  it('human: mode, ring, probes, targets with action, scope and counters', async () => {
    expect(await busyOutput(['status'])).toBe(`\
mode       BLOCK
ring       9 records held in 1.2 KiB of 1 MiB; 9 written (6 config), 0 overwritten, 0 cleared
calls      0 of 4096 return slots in use; 0 recorded without result
probes     2 armed, 0 missed
exits      off (0 seen)
readers    0 others
rules      none

SYSCALL   NR  ACTION            SCOPE          RECORD    ARMED  HITS  LOGGED  BLOCKED  MISSED  NO RESULT  SKIPPED
write      1  block with EPERM  pid 200        complete  yes       1       1        1       0          0        0
openat   257  log               every process  complete  yes       2       2        0       0          0        0
`);
  });

  it('--json: one object, snake_case, counters as numbers', async () => {
    const fake = await busyFake();
    const r = await runCli(['status', '--json'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(2);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      api_version: createFakeBinding().c('API_VERSION'), mode: 'block', exits: false, clear_on_read: false,
      ring_size: 1 << 20, held_records: 9, events: 9, config_records: 6, overwritten: 0, cleared: 0, missed: 0, probes_armed: 2,
      readers: 0, return_slots: 4096, calls_in_flight: 0, no_result: 0, rules: [], file_hooks: 0, file_hooks_missed: 0, tree_missed: 0,
    });
    // Three call records of 528 bytes in all, and six config records sized by their texts.
    const texts = ['openat: none -> log all', 'OFF -> LOG', 'write: none -> block errno 1 pids 1', 'LOG -> BLOCK'];
    const closed = 'opened by pid 4242; 0 rules dropped';
    const config = [...texts, closed, closed].map((text) => encodeRecord(fake, { type: fake.c('RECORD_CONFIG'), text }).length);
    expect(s.held_bytes).toBe(528 + config.reduce((a, b) => a + b, 0));
    const counters = { armed: true, missed: 0, no_result: 0, failed_skipped: 0 };
    expect(s.targets).toEqual([
      { syscall: 'write', nr: 1, action: 'block', errno: 'EPERM', pids: [200], force: false, record: 'complete', failed_only: false, hits: 1, logged: 1, blocked: 1, ...counters },
      { syscall: 'openat', nr: 257, action: 'log', errno: null, pids: 'all', force: false, record: 'complete', failed_only: false, hits: 2, logged: 2, blocked: 0, ...counters },
    ]);
  });

  it('rules: listed in evaluation order with their counters, a stale file rule marked', async () => {
    const fake = createFakeBinding();
    const mon = Monitor.open({ binding: fake });
    mon.addRule({ name: 'mine', action: 'log', syscalls: ['getpid'], record: 'entry' }, { owned: true });
    mon.addRule({ name: 'no-mkdir', action: 'block', syscalls: ['mkdir', 'mkdirat'], errno: 'EROFS', enforce: true, uid: { min: 1000, max: 1999 }, comm: { prefix: 'py' } });
    mon.addRule({ name: 'watch', action: 'kill', syscalls: ['@mount'], tree: [300] });
    mon.replacePolicy({ mode: 'block', rules: [{ name: 'shadow', action: 'block', fileOps: ['open', 'rename'], file: '/etc/shadow', enforce: true, force: true }] });
    fake.stalePaths.add('/etc/shadow');
    fake.syscall({ syscall: 'mkdir', pid: 100, uid: 1000, comm: 'python3', path: '/x' });
    fake.syscall({ syscall: 'mount', pid: 300, path: '/mnt' });
    fake.fileAccess({ op: 'open', file: '/etc/shadow', pid: 101, syscall: 'openat' });
    const r = await runCli(['status'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(6).join('\n')).toBe(`\
rules      4 (1 policy, 2 hand, 1 owned); 2 file hooks, 0 missed
targets    none (add one: syscallmon --log --syscall NAME)

ID  RULE      CLASS   ACTION                    COVERS                                    SELECTORS                MATCHED  LOGGED  BLOCKED  KILLED  WOULD ACT
 4  shadow    policy  block with EPERM, forced  open, rename of /etc/shadow (stale)       every process                  1       1        1       0          0
 2  no-mkdir  hand    block with EROFS          mkdir, mkdirat                            uid 1000-1999, comm py*        1       1        1       0          0
 3  watch     hand    kill (audit)              mount, umount2, fsopen, fsconfig, … (+6)  tree (1)                       1       1        0       0          1
 1  mine      owned   log, recorded at entry    getpid                                    every process                  0       0        0       0          0
`);
    const s = JSON.parse((await runCli(['status', '--json'], { fake })).stdout);
    expect(s.rules.map((x: { id: number; name: string; rule_class: string; stale: boolean; matched: number }) => [x.id, x.name, x.rule_class, x.stale, x.matched])).toEqual([
      [4, 'shadow', 'policy', true, 1], [2, 'no-mkdir', 'hand', false, 1], [3, 'watch', 'hand', false, 1], [1, 'mine', 'file', false, 0],
    ]);
    expect(s.rules[1]).toMatchObject({ action: 'block', errno: 'EROFS', enforce: true, uid: { min: 1000, max: 1999 }, comm: { prefix: 'py' } });
    mon.close();
  });

  it('no targets: says how to add one', async () => {
    const r = await runCli(['status']);
    expect(r.stdout).toContain('targets    none (add one: syscallmon --log --syscall NAME)');
  });

  it('overwritten records show in the ring line', async () => {
    // Records of read() without a target: 160 bytes each, 16 to the ring.
    const fake = createFakeBinding((f) => { f.ringSize = 16 * 160; });
    await runCli(['--log', '--syscall', 'read'], { fake }); // 3 config records: target, mode, close
    for (let i = 0; i < 20; i++) fake.syscall({ syscall: 'read', pid: 5 });
    const s = JSON.parse((await runCli(['status', '--json'], { fake })).stdout);
    expect(s).toMatchObject({ held_records: 16, held_bytes: 2560, ring_size: 2560, events: 23, config_records: 3, overwritten: 7 });
    // status only reads: its close leaves no record.
    expect((await runCli(['status'], { fake })).stdout).toContain(
      'ring       16 records held in 2.5 KiB of 2.5 KiB; 23 written (3 config), 7 overwritten, 0 cleared',
    );
  });

  it.each([
    ['not loaded', (f: FakeBinding) => { f.loaded = false; }, 3],
    ['not root', (f: FakeBinding) => { f.openError = 'EACCES'; }, 4],
    ['other module version', (f: FakeBinding) => { f.apiVersion = 99; }, 5],
    ['status ioctl refused', (f: FakeBinding) => f.failNext('getStatus', 'ENOTTY'), 5],
  ])('%s', async (_name, init, code) => {
    const fake = createFakeBinding(init);
    const r = await runCli(['status', '--json'], { fake });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^syscallmon: .+\n$/);
    expect(fake.openFds).toEqual([]);
  });
});

describe('log', () => {
  it('table of everything held, oldest first', async () => {
    // Every change is in the log, made by the controller (4242): targets, modes, and its closes of the device.
    expect(await busyOutput(['log'])).toBe(`\
TIME              PID  TGID  UID  COMM        SYSCALL  VERDICT            RET  DURATION  PATH
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   target                            openat: none -> log all
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   mode                              OFF -> LOG
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   closed                            opened by pid 4242; 0 rules dropped
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   target                            write: none -> block errno 1 pids 1
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   mode                              LOG -> BLOCK
10:20:29.995000  4242  4242    0  syscallmon  CONFIG   closed                            opened by pid 4242; 0 rules dropped
10:20:30.000000   100   100    0  cat         openat   ALLOWED              3  0.000012  /etc/hostname
10:20:30.000001   101   100    0  cat         openat   ALLOWED        -EACCES  0.000008  /etc/passwd
10:20:30.000002   200   200    0  sh          write    BLOCKED EPERM   -EPERM  0.000000  pipe:[4321]
`);
  });

  it('--json: NDJSON only on stdout, one line per event', async () => {
    const fake = await busyFake();
    const r = await runCli(['log', '--json'], { fake });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((e) => e.type === 'config').map((e) => [e.pid, e.comm, e.kind, e.id, e.text])).toEqual([
      [4242, 'syscallmon', 'target', 257, 'openat: none -> log all'],
      [4242, 'syscallmon', 'mode', 0, 'OFF -> LOG'],
      [4242, 'syscallmon', 'closed', 0, 'opened by pid 4242; 0 rules dropped'],
      [4242, 'syscallmon', 'target', 1, 'write: none -> block errno 1 pids 1'],
      [4242, 'syscallmon', 'mode', 0, 'LOG -> BLOCK'],
      [4242, 'syscallmon', 'closed', 0, 'opened by pid 4242; 0 rules dropped'],
    ]);
    expect(lines.filter((e) => e.type !== 'config').map((e) => [e.type, e.pid, e.syscall, e.verdict, e.block_errno, e.path, e.target, e.ret, e.errno])).toEqual([
      ['syscall', 100, 'openat', 'allowed', null, '/etc/hostname', null, 3, null],
      ['syscall', 101, 'openat', 'allowed', null, '/etc/passwd', null, -13, 'EACCES'],
      ['syscall', 200, 'write', 'blocked', 'EPERM', null, 'pipe:[4321]', -1, 'EPERM'],
    ]);
  });

  it('--csv: header and one CRLF row per event', async () => {
    const fake = await busyFake();
    const r = await runCli(['log', '--csv'], { fake });
    const rows = r.stdout.split('\r\n');
    expect(rows[0]).toBe(
      'type,seq,ts_ns,time,pid,tgid,ppid,uid,gid,comm,syscall,nr,abi,native_nr,verdict,block_errno,rule,file,path,path_truncated,' +
        'path_unreadable,target,args,ret,errno,duration_ns,call_id,entry,no_result,exit_code,signal,utime_ns,stime_ns,kind,id,text,count,config',
    );
    expect(rows).toHaveLength(11); // header, 6 config and 3 syscall rows, final empty
    expect(rows[1]).toBe('config,0,1770805229995000000,2026-02-11T10:20:29.995Z,4242,4242,1,0,0,syscallmon,' + ','.repeat(23) + 'target,257,openat: none -> log all,,');
    expect(rows[9]).toMatch(/^syscall,8,1770805230000002000,2026-02-11T10:20:30\.000Z,200,200,1,0,0,sh,write,1,x86_64,1,blocked,EPERM,,false,,false,false,pipe:\[4321\],0x0 0x0 0x0 0x0 0x0 0x0,-1,EPERM,0,,false,false,,,,,,,,,$/);
  });

  it('reading does not consume, and a log that only read leaves no record: a second log shows the same', async () => {
    const fake = await busyFake();
    const a = await runCli(['log', '--json'], { fake });
    const b = await runCli(['log', '--json'], { fake });
    expect(a.stdout.trimEnd().split('\n')).toHaveLength(9);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--clear prints, then empties the ring', async () => {
    const fake = await busyFake();
    const r = await runCli(['log', '--json', '--clear'], { fake });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(9);
    expect(r.stderr).toBe('syscallmon: log cleared (9 records)\n');
    // What is left: the clear's own record and the close of the log that cleared.
    const after = await runCli(['log', '--json'], { fake });
    expect(after.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)).map((e) => [e.kind, e.text])).toEqual([
      ['clear', ' log'],
      ['closed', 'opened by pid 4242; 0 rules dropped'],
    ]);
  });

  it('--clear says how many records came between the read and the clear, which it dropped unseen', async () => {
    const fake = await busyFake();
    const clear = fake.clear.bind(fake);
    fake.clear = (fd: number, flags: number): void => {
      fake.syscall({ syscall: 'openat', pid: 100, comm: 'cat', path: '/late1' });
      fake.syscall({ syscall: 'openat', pid: 100, comm: 'cat', path: '/late2' });
      clear(fd, flags);
    };
    const r = await runCli(['log', '--json', '--clear'], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(9);
    expect(r.stderr).toBe('syscallmon: log cleared; 2 records arrived while reading and were cleared unseen\n');
  });

  it.each([
    [['--failed'], '--failed shows'],
    [['--slower-than', '1ms'], '--slower-than shows'],
    [['--failed', '--slower-than', '1ms', '--json'], '--failed and --slower-than show'],
  ])('--clear with %j: refused (2) before anything is read or dropped', async (filters, named) => {
    const fake = await busyFake();
    const held = fake.calls.length;
    const r = await runCli(['log', '--clear', ...filters], { fake });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`syscallmon: --clear empties the whole ring, not only what ${named}: give one or the other\n`);
    expect(fake.calls.length).toBe(held);
    expect((await runCli(['log', '--json'], { fake })).stdout.trimEnd().split('\n')).toHaveLength(9);
  });

  it.each([[[]], [['--json']], [['--csv']], [['--format', 'strace']], [['--clear']]])(
    '%j: the events before a record it cannot read are printed, then its error (1); nothing is cleared',
    async (flags) => {
      const fake = await busyFake();
      const call = { type: fake.c('RECORD_SYSCALL'), nr: 257, verdict: fake.c('VERDICT_ALLOWED'), pid: 5, tgid: 5, comm: 'cat' };
      fake.pushRecords([{ ...call, verdict: 99 }, { ...call, path: '/after' }]);
      const r = await runCli(['log', ...flags], { fake });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('/etc/passwd');
      expect(r.stdout).not.toContain('/after');
      expect(r.stderr).toBe('syscallmon: record 9: unknown verdict 99\n');
      expect(fake.calls.map((c) => c.method)).not.toContain('clear');
    },
  );

  it('a record it cannot read first: only its error, no word of an empty log', async () => {
    const fake = createFakeBinding();
    fake.pushRecords([{ type: fake.c('RECORD_SYSCALL'), nr: 257, verdict: 99 }]);
    const r = await runCli(['log'], { fake });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 1, stdout: '', stderr: 'syscallmon: record 0: unknown verdict 99\n' });
  });

  it('an empty log: a hint on stderr for the table, nothing for --json, the header for --csv', async () => {
    expect(await runCli(['log'])).toMatchObject({ code: 0, stdout: '', stderr: expect.stringMatching(/the log is empty/) });
    expect(await runCli(['log', '--json'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await runCli(['log', '--csv'])).stdout).toMatch(/^type,seq,.*\r\n$/);
  });

  it('BLOCKED in red with colour on a terminal; never with NO_COLOR or --no-color or in a pipe', async () => {
    const fake = await busyFake();
    const red = /\u001b\[31m\u001b\[1mBLOCKED EPERM/;
    expect((await runCli(['log'], { fake, stdoutIsTTY: true })).stdout).toMatch(red);
    expect((await runCli(['log'], { fake, stdoutIsTTY: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(/\u001b/);
    expect((await runCli(['log', '--no-color'], { fake, stdoutIsTTY: true })).stdout).not.toMatch(/\u001b/);
    expect((await runCli(['--no-color', 'log'], { fake, stdoutIsTTY: true })).stdout).not.toMatch(/\u001b/);
    expect((await runCli(['log'], { fake, stdoutIsTTY: false })).stdout).not.toMatch(/\u001b/);
  });

  it('a full ring reads whole from its tail (no loss for a reader that starts there)', async () => {
    const fake = createFakeBinding((f) => { f.ringSize = 16 * 160; });
    await runCli(['--log', '--syscall', 'read'], { fake });
    // The reader starts at the tail, so a full ring reads whole: no loss.
    for (let i = 0; i < 40; i++) fake.syscall({ syscall: 'read', pid: 5 });
    const r = await runCli(['log', '--json'], { fake });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(16);
  });

  it.each([
    ['--json with --csv', ['log', '--json', '--csv'], 2],
    ['unknown flag', ['log', '--tsv'], 2],
    ['stray argument', ['log', 'now'], 2],
  ])('%s -> exit %i', async (_name, argv, code) => {
    const r = await runCli(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(/^syscallmon: .+\(see --help\)\n$/);
  });

  it('module not loaded -> 3 and says how to load it', async () => {
    const r = await runCli(['log'], { fake: createFakeBinding((f) => { f.loaded = false; }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/syscallmon load/);
  });
});
