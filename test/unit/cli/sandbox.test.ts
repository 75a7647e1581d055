// sandbox, host side (a fake VM that leaves what the guest would in the
// share) and the guest's process-tree filter.  The real thing, QEMU and all,
// is test/unit/cli/sandbox-vm.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keepRecords, ProcessTree } from '../../../src/sandbox/guest.js';
import type { VmRunner } from '../../../src/sandbox/host.js';
import { SHARE_FILES, type GuestResult } from '../../../src/sandbox/request.js';
import type { VmRunOptions, VmRunResult } from '../../../src/vm/runner.js';
import { EventDecoder } from '../../../src/lib/events.js';
import { encodeBatch, type RecordInit } from '../../../src/lib/records.js';
import { VmError } from '../../../src/vm/errors.js';
import { createFakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';

beforeAll(() => {
  process.env.TZ = 'UTC';
});

const fake = createFakeBinding();
const c = (n: string): number => fake.c(n);
const T0 = 1770805230000000000n;

function rec(over: RecordInit): RecordInit {
  return { type: c('RECORD_SYSCALL'), nr: 257, ts_ns: T0, pid: 500, tgid: 500, ppid: 400, comm: 'cat', path: '/etc/hostname', ...over };
}

/** A VM that runs nothing and leaves in the share what `guest` says. */
function fakeVm(guest: (share: string, opts: VmRunOptions) => void, exitCode = 0): VmRunner & { seen: VmRunOptions[] } {
  const seen: VmRunOptions[] = [];
  return {
    seen,
    async run(opts) {
      seen.push(opts);
      const share = opts.shareDir as string;
      guest(share, opts);
      const result: VmRunResult = {
        exitCode, consoleLog: join(share, '.vm/console.log'), dmesg: '', shareDir: share, kver: '6.1.0-test',
        bootSeconds: 5.25, commandSeconds: 12.5, wallMs: 20000,
      };
      return result;
    },
  };
}

function writeGuest(share: string, records: RecordInit[], result: Partial<GuestResult> = {}, stdout = ''): void {
  writeFileSync(join(share, SHARE_FILES.events), encodeBatch(fake, records));
  writeFileSync(join(share, SHARE_FILES.stdout), stdout);
  writeFileSync(join(share, SHARE_FILES.stderr), '');
  const full: GuestResult = { pid: 500, exit_code: 0, signal: null, records: records.length, lost: 0, targets: ['openat'], skipped: [], ...result };
  writeFileSync(join(share, SHARE_FILES.result), JSON.stringify(full));
}

describe('sandbox (host side)', () => {
  it('boots the VM with the guest half of this binary and prints the events as a table', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 0 }), rec({ seq: 1, nr: 0, path_flags: c('PATH_NONE'), path: '' })], {}, 'myhost\n'));
    const r = await runCli(['sandbox', '--syscall', 'openat,read', '--', '/bin/cat', '/etc/hostname'], { fake, vm });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'TIME             PID  TGID  UID  COMM  SYSCALL  ACTION   PATH',
        '10:20:30.000000  500   500    0  cat   openat   ALLOWED  /etc/hostname',
        '10:20:30.000000  500   500    0  cat   read     ALLOWED',
        '',
      ].join('\n'),
    );
    // CMD's own output goes to stderr, so stdout holds only events.
    expect(r.stderr).toContain('myhost\n');
    expect(r.stderr).toMatch(/syscallmon: sandbox: \/bin\/cat \/etc\/hostname exited with 0; 2 events from 1 process, 0 lost; 1 syscall \(openat\) logged; VM boot 5.3 s, command 12.5 s/);
    const [opts] = vm.seen;
    const argv = opts!.command as string[];
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toMatch(/\/bin\/syscallmon$/);
    expect(argv.slice(2)).toEqual([
      '__sandbox-guest', '--share', opts!.shareDir, '--log', '--capacity', '65536',
      '--syscall', 'openat', '--syscall', 'read', '--', '/bin/cat', '/etc/hostname',
    ]);
    expect(opts!.cwd).toBe(process.cwd());
  });

  it('--json: NDJSON on stdout, nothing else', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 3 })], {}, 'out\n'));
    const r = await runCli(['sandbox', '--json', '--', 'cat', '/etc/hostname'], { fake, vm });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'syscall', seq: 3, syscall: 'openat', path: '/etc/hostname', pid: 500 });
    const argv = vm.seen[0]!.command as string[];
    // no --syscall: the guest picks every syscall that takes a path
    expect(argv).not.toContain('--syscall');
    expect(argv).not.toContain('--all');
  });

  it('--all asks the guest for every syscall', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 3 })]));
    expect((await runCli(['sandbox', '--all', '--', 'true'], { fake, vm })).code).toBe(0);
    expect(vm.seen[0]!.command).toContain('--all');
  });

  it('--block passes mode and errno; the share is removed afterwards', async () => {
    let share = '';
    const vm = fakeVm((s) => {
      share = s;
      writeGuest(s, [rec({ verdict: c('VERDICT_BLOCKED'), err: 13 })], { exit_code: 1 });
    });
    const r = await runCli(['sandbox', '--block', '--syscall', 'openat', '--errno', 'EACCES', '--', 'cat', '/x'], { fake, vm });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('BLOCKED EACCES');
    expect(r.stderr).toMatch(/exited with 1;.*blocked/);
    expect(vm.seen[0]!.command).toEqual(expect.arrayContaining(['--block', '--errno', 'EACCES']));
    expect(() => readFileSync(join(share, SHARE_FILES.result))).toThrow();
  });

  it.each([
    ['no command', ['sandbox'], /missing required argument 'cmd'/],
    ['empty after --', ['sandbox', '--'], /missing required argument 'cmd'/],
    ['--block without --syscall', ['sandbox', '--block', '--', 'true'], /--block needs --syscall NAME/],
    ['unknown syscall', ['sandbox', '--syscall', 'opnat', '--', 'true'], /unknown syscall 'opnat'; did you mean openat/],
    ['unknown errno', ['sandbox', '--block', '--syscall', 'openat', '--errno', 'EFOO', '--', 'true'], /unknown errno 'EFOO'/],
    ['--errno without --block', ['sandbox', '--errno', 'EPERM', '--', 'true'], /--errno goes with --block/],
    ['bad capacity', ['sandbox', '--capacity', '1000', '--', 'true'], /--capacity must be a power of two/],
    ['--json with --csv', ['sandbox', '--json', '--csv', '--', 'true'], /cannot be used with option/],
    ['--all with --syscall', ['sandbox', '--all', '--syscall', 'read', '--', 'true'], /--all or --syscall, not both/],
  ])('%s -> exit 2, no VM booted', async (_name, argv, message) => {
    const vm = fakeVm(() => {});
    const r = await runCli(argv, { fake, vm });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(vm.seen).toHaveLength(0);
  });

  it.each([
    ['kernel', 5],
    ['not_loaded', 3],
    [null, 1],
  ] as const)('a failure inside the guest keeps its kind (%s), so its exit code (%i), and its message', async (kind, exit) => {
    const vm = fakeVm((share) => {
      writeFileSync(join(share, SHARE_FILES.error), JSON.stringify({ kind, message: 'kernel refused to target openat: EINVAL' }));
    }, 5);
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(/^syscallmon: in the VM: kernel refused to target openat: EINVAL$/m);
  });

  it('a guest that reported nothing -> exit 6 with the console log', async () => {
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm: fakeVm(() => {}, 1) });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/reported nothing \(guest exit 1\); console log: .*console\.log/);
  });

  it.each([
    ['ETIMEOUT', 6, /sandbox VM: too slow/],
    ['ENOKERNEL', 6, /sandbox VM: no kernel/],
    ['EABORTED', 6, /interrupted; the VM was stopped/],
  ] as const)('runner %s -> exit %i', async (code, exit, message) => {
    const vm: VmRunner = { run: () => Promise.reject(new VmError(code, code === 'ETIMEOUT' ? 'too slow' : 'no kernel')) };
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(message);
  });
});

describe('sandbox (guest side): only CMD and its descendants', () => {
  const decoder = EventDecoder.forBinding(fake);

  it('follows the tree through parent tgids, in record order', () => {
    const tree = new ProcessTree(500);
    expect(tree.accept({ tgid: 500, ppid: 400 })).toBe(true); // CMD
    expect(tree.accept({ tgid: 400, ppid: 1 })).toBe(false); // the sandbox itself
    expect(tree.accept({ tgid: 501, ppid: 500 })).toBe(true); // child
    expect(tree.accept({ tgid: 502, ppid: 501 })).toBe(true); // grandchild
    expect(tree.accept({ tgid: 600, ppid: 1 })).toBe(false); // unrelated
    expect(tree.size).toBe(3);
  });

  it('keeps the records of the tree and lost markers, drops the rest and the hidden fork records', () => {
    const records = [
      rec({ seq: 0, tgid: 1, pid: 1, ppid: 0, comm: 'init' }),
      rec({ seq: 1 }),
      rec({ seq: 2, nr: 56, path_flags: c('PATH_NONE'), path: '' }), // clone by CMD: hidden, but teaches the tree nothing new
      rec({ seq: 3, pid: 501, tgid: 501, ppid: 500, comm: 'child' }),
      { type: c('RECORD_LOST'), nr: c('NR_NONE'), seq: 4, lost: 9 },
      rec({ seq: 5, pid: 777, tgid: 777, ppid: 1, comm: 'other' }),
    ];
    const raw = encodeBatch(fake, records);
    const r = keepRecords(raw, decoder, new ProcessTree(500), new Set([56]));
    expect(r.records).toBe(3);
    expect(r.lost).toBe(9);
    const kept = decoder.decode(Buffer.concat(r.kept));
    expect(kept.map((e) => e.seq)).toEqual([1, 3, 4]);
  });

  it('a fork record (hidden) still brings the forking process into the tree', () => {
    const raw = encodeBatch(fake, [
      rec({ seq: 0, pid: 501, tgid: 501, ppid: 500, nr: 56, path_flags: c('PATH_NONE'), path: '' }), // child forks
      rec({ seq: 1, pid: 502, tgid: 502, ppid: 501, comm: 'grandchild' }),
    ]);
    const r = keepRecords(raw, decoder, new ProcessTree(500), new Set([56]));
    expect(decoder.decode(Buffer.concat(r.kept)).map((e) => e.seq)).toEqual([1]);
  });
});
