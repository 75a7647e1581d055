// sandbox, host side (a fake VM that leaves what the guest would in the
// share) and guest side (the rule it has src/run add, the records it
// leaves, CMD's stdio).  The real thing, QEMU and all, is
// test/unit/cli/sandbox-vm.test.ts.
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGuest, runGuestReporting } from '../../../src/sandbox/guest.js';
import { spawnGated } from '../../../src/run/gate.js';
import type { VmRunner } from '../../../src/sandbox/host.js';
import {
  checkRequestFinding,
  commandStatus,
  SandboxError,
  SHARE_FILES,
  type GuestResult,
  type RequestInput,
} from '../../../src/sandbox/request.js';
import { STDIN_AHEAD } from '../../../src/sandbox/stdio.js';
import { undecodedWord } from '../../../src/sandbox/command.js';
import { exitRecord } from '../render/events-fixture.js';
import type { VmRunOptions, VmRunResult } from '../../../src/vm/runner.js';
import { EventDecoder, type MonitorEvent } from '../../../src/lib/events.js';
import { encodeBatch, type RecordInit } from '../../../src/lib/records.js';
import { VmError } from '../../../src/vm/errors.js';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, runCli } from './harness.js';
import { GATE, seen, simulated, type Script } from './simulated-command.js';

beforeAll(() => {
  process.env.TZ = 'UTC';
});

const fake = createFakeBinding();
const c = (n: string): number => fake.c(n);
const T0 = 1770805230000000000n;

function rec(over: Partial<RecordInit>): RecordInit {
  return {
    type: c('RECORD_SYSCALL'), nr: 257, ts_ns: T0, pid: 500, tgid: 500, ppid: 400, comm: 'cat', path: '/etc/hostname', ret: 3,
    duration_ns: 15_000n, ...over,
  };
}

/** A VM that runs nothing and leaves in the share what `guest` says, once `guest` is done. */
function fakeVm(guest: (share: string, opts: VmRunOptions) => void | Promise<void>, exitCode = 0): VmRunner & { seen: VmRunOptions[] } {
  const seen: VmRunOptions[] = [];
  return {
    seen,
    async run(opts) {
      seen.push(opts);
      const share = opts.shareDir as string;
      await guest(share, opts);
      const result: VmRunResult = {
        exitCode, consoleLog: join(share, '.vm/console.log'), dmesg: '', shareDir: share, kver: '6.1.0-test',
        bootSeconds: 5.25, commandSeconds: 12.5, wallMs: 20000,
      };
      return result;
    },
  };
}

function writeGuest(share: string, records: RecordInit[], result: Partial<GuestResult> = {}, output = ''): void {
  writeFileSync(join(share, SHARE_FILES.events), encodeBatch(fake, records));
  writeFileSync(join(share, SHARE_FILES.output), output);
  const full: GuestResult = { pid: 500, exit_code: 0, signal: null, lost: 0, syscalls: ['openat'], ...result };
  writeFileSync(join(share, SHARE_FILES.result), JSON.stringify(full));
}

describe('sandbox (host side)', () => {
  it('boots the VM with the guest half of this binary and prints the events as a table', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 0 }), rec({ seq: 1, nr: 0, path: undefined, target: '/etc/hostname', ret: 7 })], {}, 'myhost\n'));
    const r = await runCli(['sandbox', '--syscall', 'openat,read', '--', '/bin/cat', '/etc/hostname'], { fake, vm });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`\
TIME             PID  TGID  UID  COMM  SYSCALL  VERDICT  RET  DURATION  PATH
10:20:30.000000  500   500    0  cat   openat   ALLOWED    3  0.000015  /etc/hostname
10:20:30.000000  500   500    0  cat   read     ALLOWED    7  0.000015  /etc/hostname
`);
    // CMD's own output goes to stderr, so stdout holds only events.
    expect(r.stderr).toContain('myhost\n');
    expect(r.stderr).toMatch(/syscallmon: sandbox: \/bin\/cat \/etc\/hostname exited with 0; 2 events from 1 process, 0 lost; 1 syscall \(openat\) logged; VM boot 5.3 s, command 12.5 s/);
    // what it is doing, and no guess at how long it takes
    expect(r.stderr.split('\n')[0]).toBe('syscallmon: sandbox: booting a VM for /bin/cat /etc/hostname');
    const [opts] = vm.seen;
    const argv = opts!.command as string[];
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toMatch(/\/bin\/syscallmon$/);
    expect(argv.slice(2)).toEqual([
      '__sandbox-guest', '--share', opts!.shareDir, '--log', '--ring-size', '16777216',
      '--syscall', 'openat', '--syscall', 'read', '--', '/bin/cat', '/etc/hostname',
    ]);
    expect(opts!.cwd).toBe(process.cwd());
    // no wall-clock limit of the runner's own cuts CMD short
    expect(opts!.timeoutMs).toBe(Infinity);
    // the node that runs the guest half stays visible even where the VM mounts a tmpfs
    expect(opts!.hostPaths).toContain(dirname(process.execPath));
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

  it('--format strace, --failed, --summary: printed as log prints them; the guest is asked the same', async () => {
    const records = [
      rec({ seq: 0, args: [-100n, 0x1000n, 0x80000n], ret: 3 }),
      rec({ seq: 1, pid: 501, tgid: 501, args: [-100n, 0x1000n, 0n], path: '/nonexistent', ret: -2, duration_ns: 7_000n }),
    ];
    const run = async (flags: string[]) => {
      const vm = fakeVm((share) => writeGuest(share, records));
      const r = await runCli(['sandbox', '--syscall', 'openat', ...flags, '--', 'sh', '-c', 'cat /etc/hostname /nonexistent'], { fake, vm });
      expect((vm.seen[0]!.command as string[]).slice(5)).toEqual(['--log', '--ring-size', '16777216', '--syscall', 'openat', '--', 'sh', '-c', 'cat /etc/hostname /nonexistent']);
      return r;
    };
    expect((await run(['--format', 'strace'])).stdout).toBe(
      '[pid   500] openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = 3 <0.000015>\n' +
        '[pid   501] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000007>\n',
    );
    const failed = await run(['--json', '--failed']);
    expect(failed.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).path)).toEqual(['/nonexistent']);
    const summary = await run(['--summary']);
    expect(summary.code).toBe(0);
    expect(summary.stdout.split('\n')[2]).toBe('100.00    0.000022          11 0.000015         2         1 openat');
    expect(summary.stderr).toMatch(/exited with 0; 2 events from 2 processes/);
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
      writeGuest(s, [rec({ verdict: c('VERDICT_BLOCKED'), err: 13, ret: -13 })], { exit_code: 1 });
    });
    const r = await runCli(['sandbox', '--block', '--syscall', 'openat', '--errno', 'EACCES', '--', 'cat', '/x'], { fake, vm });
    // cat's status is syscallmon's
    expect(r.code).toBe(1);
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
    ['bad ring size', ['sandbox', '--ring-size', '1000', '--', 'true'], /the ring size must be a power of two/],
    ['--json with --csv', ['sandbox', '--json', '--csv', '--', 'true'], /cannot be used with option/],
    ['--all with --syscall', ['sandbox', '--all', '--syscall', 'read', '--', 'true'], /--all or --syscall, not both/],
    ['--force without --block', ['sandbox', '--force', '--syscall', 'read', '--', 'true'], /--force goes with --block/],
    ['--block of an exec', ['sandbox', '--block', '--syscall', 'openat,execve', '--', 'true'], /^syscallmon: --block of execve would stop CMD itself from starting$/m],
    ['--block of a call never blocked', ['sandbox', '--block', '--syscall', 'exit_group', '--', 'true'], /^syscallmon: rule sandbox: exit_group can't be blocked or killed$/m],
    ['--exits neither on nor off', ['sandbox', '--exits', 'yes', '--', 'true'], /option '--exits <on\|off>' argument 'yes' is invalid/],
    ['--pid', ['sandbox', '--pid', '12', '--', 'true'], /^syscallmon: --pid has no use in the sandbox: it watches CMD and its descendants/],
    ['--off', ['sandbox', '--off', '--', 'true'], /^syscallmon: --off has no use in the sandbox/],
    ['--file', ['sandbox', '--file', 'f.json', '--', 'true'], /^syscallmon: --file runs the FSM where the module is loaded/],
  ])('%s -> exit 2, no VM booted', async (_name, argv, message) => {
    const vm = fakeVm(() => {});
    const r = await runCli(argv, { fake, vm });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(vm.seen).toHaveLength(0);
  });

  it.each([
    ['kernel', 125],
    ['not_loaded', 125],
    [null, 125],
  ] as const)('a failure inside the guest (%s) is the sandbox\'s own: exit %i, with its message', async (kind, exit) => {
    const vm = fakeVm((share) => {
      writeFileSync(join(share, SHARE_FILES.error), JSON.stringify({ kind, message: 'kernel refused to target openat: EINVAL' }));
    }, 5);
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(/^syscallmon: sandbox: in the VM: kernel refused to target openat: EINVAL$/m);
  });

  it('a command the guest could not run keeps the status the guest gave it', async () => {
    const vm = fakeVm((share) => {
      writeFileSync(join(share, SHARE_FILES.error), JSON.stringify({ kind: null, status: 127, message: 'tool: no such file' }));
    }, 127);
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/^syscallmon: sandbox: in the VM: tool: no such file$/m);
  });

  it('a guest that reported nothing -> exit 125 with the console log, which is kept', async () => {
    let share = '';
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm: fakeVm((s) => { share = s; }, 1) });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/reported nothing \(guest exit 1\); console log: .*console\.log/);
    expect(existsSync(share)).toBe(true);
    rmSync(share, { recursive: true, force: true });
  });

  it.each([
    ['ETIMEOUT', 125, /^syscallmon: sandbox: the VM failed: too slow$/m],
    ['ENOKERNEL', 125, /^syscallmon: sandbox: the VM failed: no kernel$/m],
    ['EQEMU', 125, /^syscallmon: sandbox: the VM failed: no kernel$/m],
  ] as const)('runner %s -> exit %i', async (code, exit, message) => {
    const vm: VmRunner = { run: () => Promise.reject(new VmError(code, code === 'ETIMEOUT' ? 'too slow' : 'no kernel')) };
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    ['no kernel', 'ENOKERNEL', 'no /boot/vmlinuz-6.1.0-test: install linux-image-6.1.0-test', undefined, false],
    ['no QEMU', 'EQEMU', 'cannot start qemu-system-x86_64: not found, install qemu-system-x86', undefined, false],
    ['QEMU refusing to start, its console empty', 'EQEMU', "QEMU exited with status 1: could not load kernel '/boot/vmlinuz-x': Permission denied", '', false],
    ['QEMU failing after the boot began', 'EQEMU', 'QEMU exited with signal SIGSEGV', 'Linux version 6.1.0\n', true],
    ['a timeout', 'ETIMEOUT', 'VM timed out after 600 s; QEMU killed', 'Linux version 6.1.0\n', true],
  ] as const)('the VM failed (%s): the share is kept, and named, only when its console log has something to say', async (_name, code, message, console, kept) => {
    let share = '';
    const vm: VmRunner = {
      run: (opts) => {
        share = opts.shareDir as string;
        const log = join(share, '.vm', 'console.log');
        if (console !== undefined) {
          mkdirSync(join(share, '.vm'));
          writeFileSync(log, console);
        }
        return Promise.reject(new VmError(code, message, console === undefined ? undefined : log));
      },
    };
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(125);
    const log = join(share, '.vm', 'console.log');
    expect(r.stderr).toContain(`syscallmon: sandbox: the VM failed: ${message}${kept ? `; console log: ${log}` : ''}\n`);
    expect(share).not.toBe('');
    expect(existsSync(share)).toBe(kept);
    rmSync(share, { recursive: true, force: true });
  });

  it('a file the runner cannot read is the sandbox\'s failure: exit 125 in one line, not 1 (a status CMD has)', async () => {
    const eacces = Object.assign(new Error("EACCES: permission denied, open '/bin/busybox'"), { code: 'EACCES', errno: -13 });
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm: { run: () => Promise.reject(eacces) } });
    expect(r.code).toBe(125);
    expect(r.stderr.split('\n').slice(1)).toEqual(["syscallmon: sandbox: EACCES: permission denied, open '/bin/busybox'", '']);
  });

  it('a result the guest left half-written: exit 125, naming the file', async () => {
    const vm = fakeVm((share) => {
      writeFileSync(join(share, SHARE_FILES.events), '');
      writeFileSync(join(share, SHARE_FILES.result), '{"pid": 500, "exit_');
    });
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm });
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^syscallmon: sandbox: the guest left its result\.json unreadable: .*JSON.*$/m);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['EPIPE', 141],
  ] as const)('interrupted by %s: the VM is stopped, exit %i', async (reason, exit) => {
    const controller = new AbortController();
    const vm: VmRunner = {
      run: (opts) =>
        new Promise((_resolve, reject) => {
          opts.signal?.addEventListener('abort', () => reject(new VmError('EABORTED', 'VM run aborted; QEMU killed')));
          controller.abort(reason);
        }),
    };
    const r = await runCli(['sandbox', '--', 'true'], { fake, vm, interrupt: () => ({ signal: controller.signal, dispose: () => {} }) });
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(new RegExp(`^syscallmon: sandbox: interrupted by ${reason === 'EPIPE' ? 'SIGPIPE' : reason}; the VM was stopped$`, 'm'));
  });
});

describe('sandbox: CMD\'s status is syscallmon\'s', () => {
  it.each([
    ['exit 0', { exit_code: 0, signal: null }, 0, 'exited with 0'],
    ['exit 1', { exit_code: 1, signal: null }, 1, 'exited with 1'],
    ['exit 3', { exit_code: 3, signal: null }, 3, 'exited with 3'],
    ['exit 127 (its own)', { exit_code: 127, signal: null }, 127, 'exited with 127'],
    ['SIGTERM', { exit_code: null, signal: 'SIGTERM' }, 143, 'was killed by SIGTERM'],
    ['SIGKILL', { exit_code: null, signal: 'SIGKILL' }, 137, 'was killed by SIGKILL'],
  ] as const)('%s', async (_name, status, exit, how) => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 1 })], status));
    const r = await runCli(['sandbox', '--', 'sh', '-c', 'exit 3'], { fake, vm });
    expect(r.code).toBe(exit);
    // the summary shows CMD quoted, as it can be typed again
    expect(r.stderr).toContain(`syscallmon: sandbox: sh -c 'exit 3' ${how}; `);
  });
});

describe('sandbox: CMD found on the host first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smon-cmd-'));
  const script = join(dir, 'tool.sh');
  writeFileSync(script, '#!/bin/sh\n');
  chmodSync(script, 0o644);
  mkdirSync(join(dir, 'bin'));
  const runnable = join(dir, 'bin', 'mytool');
  writeFileSync(runnable, '#!/bin/sh\nexit 0\n');
  chmodSync(runnable, 0o755);

  it.each([
    ['no such file', ['/no/such/cmd'], 127, 'sandbox: /no/such/cmd: no such file'],
    ['not in PATH', ['nosuchcommand-xyz'], 127, 'sandbox: nosuchcommand-xyz: not found in PATH (/usr/bin:/bin)'],
    ['a directory', [dir], 126, `sandbox: ${dir}: is a directory`],
    ['not executable', [script], 126, `sandbox: ${script}: is not executable (no x permission)`],
  ] as const)('%s -> exit %i before any VM, in syscallmon\'s words', async (_name, command, exit, message) => {
    const vm = fakeVm(() => {});
    const r = await runCli(['sandbox', '--', ...command], { fake, vm, env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(exit);
    expect(r.stderr).toBe(`syscallmon: ${message}\n`);
    expect(vm.seen).toHaveLength(0);
  });

  it.each([
    ['a newline', 'no\nsyscallmon: such', "$'no\\nsyscallmon: such'"],
    ['an escape sequence', 'x\u001b]0;owned\u0007', "$'x\\x1b]0;owned\\x07'"],
    ['a space', 'my tool', "'my tool'"],
  ])('a CMD not found whose name has %s: one line, the name quoted as a shell takes it back', async (_name, command, shown) => {
    const vm = fakeVm(() => {});
    const r = await runCli(['sandbox', '--', command], { fake, vm, env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(127);
    expect(r.stderr).toBe(`syscallmon: sandbox: ${shown}: not found in PATH (/usr/bin:/bin)\n`);
  });

  it('CMD is looked for in syscallmon\'s PATH, which the VM gets too; its directory is kept visible there', async () => {
    const vm = fakeVm((share) => writeGuest(share, []));
    const path = `${join(dir, 'bin')}:/usr/bin:/bin`;
    const r = await runCli(['sandbox', '--', 'mytool'], { fake, vm, env: { PATH: path } });
    expect(r.code, r.stderr).toBe(0);
    expect(vm.seen[0]!.env).toEqual({ PATH: path });
    expect(vm.seen[0]!.hostPaths).toContain(join(dir, 'bin'));
  });

  it('a relative CMD is found from the working directory', async () => {
    const vm = fakeVm((share) => writeGuest(share, []));
    const r = await runCli(['sandbox', '--', relative(process.cwd(), runnable)], { fake, vm });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('sandbox: words of CMD node could not decode', () => {
  const cmdline = (...words: (string | Buffer)[]) => () => Buffer.concat(words.flatMap((w) => [Buffer.from(w), Buffer.from([0])]));

  it.each([
    ['a byte that is not UTF-8', ['sandbox', '--', 'printf', 'a\uFFFDb'], cmdline('node', 'bin', 'sandbox', '--', 'printf', Buffer.from([0x61, 0xff, 0x62])), 1],
    ['CMD itself', ['sandbox', '--', '\uFFFD'], cmdline('node', 'bin', 'sandbox', '--', Buffer.from([0xc3])), 0],
    ['U+FFFD as it was given', ['sandbox', '--', 'printf', 'a\uFFFDb'], cmdline('node', 'bin', 'sandbox', '--', 'printf', 'a\uFFFDb'), -1],
    ['all UTF-8', ['sandbox', '--', 'printf', 'é'], cmdline('node', 'bin', 'sandbox', '--', 'printf', 'é'), -1],
  ] as const)('%s', (_name, argv, raw, index) => {
    const command = argv.slice(2);
    expect(undecodedWord(command, ['node', 'bin', ...argv], raw)).toBe(index);
  });

  it('a command that is not the end of this process\'s argv (the library, a test) is not looked up', () => {
    expect(undecodedWord(['printf', 'a\uFFFDb'], ['node', 'vitest'], () => Buffer.from('x\0\xff\0'))).toBe(-1);
  });
});

describe('sandbox: control flags in the VM', () => {
  it('--exits on: the guest is asked for exit events, and they are shown', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 1 }), exitRecord({ seq: 2, pid: 500, tgid: 500, ppid: 400, exit_code: 3 })], { exit_code: 3 }));
    const r = await runCli(['sandbox', '--exits', 'on', '--syscall', 'openat', '--', 'sh', '-c', 'exit 3'], { fake, vm });
    expect(r.code).toBe(3);
    expect(vm.seen[0]!.command).toEqual(expect.arrayContaining(['--exits', 'on']));
    expect(r.stdout).toMatch(/^\S+ +500 +500 +0 +cat +<exit> +code 3 /m);
  });

  it('--exits off (the default) asks for none', async () => {
    const vm = fakeVm((share) => writeGuest(share, []));
    await runCli(['sandbox', '--exits', 'off', '--', 'true'], { fake, vm });
    expect(vm.seen[0]!.command).not.toContain('--exits');
  });

  it('--block --force reaches the guest', async () => {
    const vm = fakeVm((share) => writeGuest(share, []));
    await runCli(['sandbox', '--block', '--force', '--syscall', 'unlinkat', '--', 'true'], { fake, vm });
    expect(vm.seen[0]!.command).toEqual(expect.arrayContaining(['--block', '--force', '--syscall', 'unlinkat']));
  });
});

describe('sandbox: what a targeted call records', () => {
  it.each([
    [['--record', 'entry'], ['--record', 'entry']],
    [['--record', 'both'], ['--record', 'both']],
    [['--failed-only'], ['--failed-only']],
    [['--record', 'complete'], []],
  ])('%j reaches the guest as %j', async (flags, guestFlags) => {
    const vm = fakeVm((share) => writeGuest(share, []));
    const r = await runCli(['sandbox', ...flags, '--syscall', 'openat', '--', 'true'], { fake, vm });
    expect(r.code, r.stderr).toBe(0);
    const command = vm.seen[0]!.command as string[];
    const guestPart = command.slice(command.indexOf('__sandbox-guest'), command.lastIndexOf('--'));
    expect(guestPart.filter((a) => ['--record', '--failed-only', 'entry', 'both', 'complete'].includes(a))).toEqual(guestFlags);
  });

  it('--failed-only with --record entry or both: usage error before any VM', async () => {
    for (const mode of ['entry', 'both']) {
      const vm = fakeVm(() => {});
      const r = await runCli(['sandbox', '--record', mode, '--failed-only', '--', 'true'], { fake, vm });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`syscallmon: --failed-only needs complete records (a call's failure is known when it returns), not --record ${mode}\n`);
      expect(vm.seen).toEqual([]);
    }
  });

  it('an unknown record mode: usage error before any VM', async () => {
    const vm = fakeVm(() => {});
    const r = await runCli(['sandbox', '--record', 'exit', '--', 'true'], { fake, vm });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--record <mode>' argument 'exit' is invalid\. Allowed choices are complete, entry, both/);
    expect(vm.seen).toEqual([]);
  });
});

describe('sandbox: stdin and output', () => {
  /** A VM whose guest is cat: waits for the end of stdin, echoes it as CMD's output. */
  const catVm = (): VmRunner => fakeVm(async (share) => {
    while (!existsSync(join(share, SHARE_FILES.stdinEnd))) await sleep(10);
    writeGuest(share, [], {}, readFileSync(join(share, SHARE_FILES.stdin), 'utf8'));
  });

  it('stdin reaches CMD, in order, to its end', async () => {
    const r = await runCli(['sandbox', '--', 'cat'], { fake, vm: catVm(), stdin: () => Readable.from([Buffer.from('hello '), Buffer.from('world\n')]) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('hello world\n');
  });

  it('without a stdin CMD reads an empty one', async () => {
    const vm = fakeVm((share) => {
      expect(existsSync(join(share, SHARE_FILES.stdinEnd))).toBe(true);
      expect(readFileSync(join(share, SHARE_FILES.stdin), 'utf8')).toBe('');
      writeGuest(share, []);
    });
    expect((await runCli(['sandbox', '--', 'cat'], { fake, vm })).code).toBe(0);
  });

  it('CMD\'s output comes back on stderr as it is, stdout and stderr in the order CMD wrote them', async () => {
    const vm = fakeVm((share) => writeGuest(share, [rec({ seq: 1 })], {}, 'out 1\nerr 1\nout 2\n'));
    const r = await runCli(['sandbox', '--', 'cat'], { fake, vm });
    expect(r.stderr).toContain('out 1\nerr 1\nout 2\n');
    expect(r.stdout).not.toContain('out 1');
  });

  it('stdin that CMD does not take is not read far ahead of it', async () => {
    // An endless stdin; the guest takes nothing until the host has stopped reading.
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 65536;
        this.push(Buffer.alloc(65536, 'y'));
      },
    });
    const vm = fakeVm(async (share) => {
      const size = (): number => statSync(join(share, SHARE_FILES.stdin)).size;
      while (!endless.isPaused()) await sleep(10);
      const held = size();
      expect(held).toBeGreaterThan(STDIN_AHEAD);
      expect(held).toBeLessThanOrEqual(STDIN_AHEAD + 65536);
      // the guest takes it all: the host reads on
      writeFileSync(join(share, SHARE_FILES.stdinTaken), String(held));
      while (size() === held) await sleep(10);
      writeGuest(share, []);
    });
    const r = await runCli(['sandbox', '--', 'head', '-c1'], { fake, vm, stdin: () => endless });
    expect(r.code, r.stderr).toBe(0);
    expect(sent).toBeGreaterThan(STDIN_AHEAD);
    // and once CMD is done, stdin is left alone
    expect(endless.isPaused()).toBe(true);
    endless.destroy();
  });
});

describe('sandbox (guest side): CMD run as `run` runs it, the command simulated through the fake', () => {
  const CMD = '/bin/sh';
  /** The gate, CMD (a shell) and what it forks; another process; calls of every kind. */
  const script: Script = {
    steps: [
      // the gate's own calls before its exec: never kept
      { call: { syscall: 'openat', pid: GATE, comm: 'sh', path: '/etc/ld.so.cache' } },
      { call: { syscall: 'execve', pid: GATE, comm: 'sh', path: CMD } },
      { call: { syscall: 'openat', pid: GATE, comm: 'sh', path: '/etc/profile', ret: -2 } },
      { fork: [GATE, 5001] },
      { call: { syscall: 'execve', pid: 5001, ppid: GATE, comm: 'sh', path: '/usr/bin/rm' } },
      { call: { syscall: 'unlinkat', pid: 5001, ppid: GATE, comm: 'rm', path: '/tmp/f' } },
      { fork: [5001, 5002] },
      { call: { syscall: 'openat', pid: 5002, ppid: 5001, comm: 'rm', path: '/etc/passwd' } },
      { exit: { pid: 5002, ppid: 5001, comm: 'rm' } },
      { exit: { pid: 5001, ppid: GATE, comm: 'rm', exit_code: 1 } },
      // not of the tree
      { call: { syscall: 'unlinkat', pid: 7000, comm: 'other', path: '/tmp/g' } },
      { exit: { pid: 7000, comm: 'other' } },
    ],
    exit: { code: 1, signal: null },
  };

  async function guest(input: Omit<RequestInput, 'command'>, stdin = '') {
    const dir = mkdtempSync(join(tmpdir(), 'smon-guest-'));
    writeFileSync(join(dir, SHARE_FILES.stdin), stdin);
    writeFileSync(join(dir, SHARE_FILES.stdinEnd), '');
    const binding = createFakeBinding();
    const into = seen();
    try {
      const request = checkRequestFinding(fake, { command: [CMD, '-c', 'rm /tmp/f'], ...input });
      const result = await runGuest({ binding, kmod: new FakeKmod(), launch: simulated(binding, script, into) }, request, dir);
      const events = EventDecoder.forBinding(fake).decode(readFileSync(join(dir, SHARE_FILES.events)));
      const rules = into.rulesAtOpen!.map((r) => ({
        name: r.rule.name,
        owned: r.rule_class === c('CLASS_FILE'),
        action: r.rule.action,
        flags: r.rule.flags,
        err: r.rule.err,
        record: r.rule.record,
        syscalls: r.rule.syscalls.map((nr) => binding.syscallEntry(nr).name).sort(),
        tree: r.rule.pids,
      }));
      return { result, events, rules, binding, into };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const shown = (events: MonitorEvent[]) => events.map((e) => (e.type === 'syscall' ? [e.tgid, e.syscall, e.path] : e.type === 'exit' ? [e.tgid, 'exit'] : [e.type]));

  it('the default: a log rule on the tree of every implemented syscall that takes a path; the mode LOG for CMD\'s time; only CMD\'s tree kept', async () => {
    const g = await guest({});
    const withPath = fake.syscalls.filter((s) => s.pathArg >= 0 && s.symbol !== '').map((s) => s.name).sort();
    expect(g.rules).toEqual([{ name: 'sandbox', owned: true, action: c('RULE_LOG'), flags: c('SEL_TREE'), err: 0, record: c('RECORD_COMPLETE'), syscalls: withPath, tree: [GATE] }]);
    expect([...g.result.syscalls].sort()).toEqual(withPath);
    expect(g.into.modeAtOpen).toBe(c('MODE_LOG'));
    expect(g.binding.mode).toBe(c('MODE_OFF'));
    expect(g.binding.rules).toEqual([]);
    expect(shown(g.events)).toEqual([
      [GATE, 'execve', CMD],
      [GATE, 'openat', '/etc/profile'],
      [5001, 'execve', '/usr/bin/rm'],
      [5001, 'unlinkat', '/tmp/f'],
      [5002, 'openat', '/etc/passwd'],
    ]);
    expect(g.result).toMatchObject({ pid: GATE, exit_code: 1, signal: null, lost: 0 });
  });

  it('--all: every syscall this kernel implements', async () => {
    const g = await guest({ all: true });
    expect(g.rules[0]!.syscalls).toEqual(fake.syscalls.filter((s) => s.symbol !== '').map((s) => s.name).sort());
  });

  it('--block: an enforced block rule after a log rule for the exec, the mode BLOCK for CMD\'s time; --errno, --force', async () => {
    const g = await guest({ block: true, syscalls: ['unlinkat'], errno: 'EACCES', force: true });
    expect(g.rules).toEqual([
      { name: 'sandbox:exec', owned: true, action: c('RULE_LOG'), flags: c('SEL_TREE'), err: 0, record: c('RECORD_COMPLETE'), syscalls: ['execve', 'execveat'], tree: [GATE] },
      {
        name: 'sandbox', owned: true, action: c('RULE_BLOCK'), flags: c('SEL_TREE') | c('RULE_ENFORCE') | c('RULE_FORCE'), err: 13,
        record: c('RECORD_COMPLETE'), syscalls: ['unlinkat'], tree: [GATE],
      },
    ]);
    expect(g.into.modeAtOpen).toBe(c('MODE_BLOCK'));
    expect(g.binding.mode).toBe(c('MODE_OFF'));
    expect(g.events.map((e) => e.type === 'syscall' && [e.tgid, e.syscall, e.verdict, e.errno])).toEqual([[5001, 'unlinkat', 'blocked', 'EACCES']]);
    expect(g.result.syscalls).toEqual(['unlinkat']);
  });

  it.each([
    [{ record: 'entry' }, 'RECORD_ENTRY', 0],
    [{ record: 'both' }, 'RECORD_BOTH', 0],
    [{ failedOnly: true }, 'RECORD_COMPLETE', 1],
  ] as const)('%j: the rule records so', async (input, record, failedOnly) => {
    const g = await guest({ syscalls: ['openat'], ...input });
    const rule = g.rules.find((r) => r.name === 'sandbox')!;
    expect(rule.record).toBe(c(record));
    expect((rule.flags & c('RULE_FAILED_ONLY')) !== 0).toBe(failedOnly === 1);
  });

  it('--failed-only: only failures, CMD\'s own included (its exec is seen all the same)', async () => {
    const g = await guest({ syscalls: ['openat'], failedOnly: true });
    expect(shown(g.events)).toEqual([[GATE, 'openat', '/etc/profile']]);
  });

  it('--exits on: on for CMD\'s time, off after; the exits of CMD\'s tree only', async () => {
    const g = await guest({ syscalls: ['unlinkat'], exits: true });
    expect(g.into.exitsAtOpen).toBe(true);
    expect(g.binding.exitsEffective).toBe(false);
    expect(shown(g.events)).toEqual([[5001, 'unlinkat', '/tmp/f'], [5002, 'exit'], [5001, 'exit']]);
  });

  it('CMD\'s stdin is a pipe the guest writes the host\'s stdin into once the gate is open; its output goes to the share', async () => {
    const g = await guest({}, 'from the host\n');
    expect(g.into.stdio).toEqual({ stdin: 'pipe', stdout: expect.any(Number), stderr: expect.any(Number) });
    expect(g.into.stdio!.stdout).toBe(g.into.stdio!.stderr);
    expect(g.into.input).toBe('from the host\n');
  });

  it('a rule the kernel refuses: the gate is killed, nothing run, the error thrown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-guest-'));
    const binding = createFakeBinding((f) => f.failNext('addRule', 'ENOENT'));
    const into = seen();
    const request = checkRequestFinding(fake, { syscalls: ['openat'], command: [CMD] });
    await expect(runGuest({ binding, kmod: new FakeKmod(), launch: simulated(binding, script, into) }, request, dir)).rejects.toThrow(/add rule sandbox/);
    expect(into.signals).toEqual(['SIGKILL']);
    expect(into.rulesAtOpen).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('sandbox (guest side): CMD run for real on this host, the module a fake', () => {
  function share(stdin?: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'smon-guest-'));
    writeFileSync(join(dir, SHARE_FILES.stdin), stdin ?? '');
    if (stdin !== undefined) writeFileSync(join(dir, SHARE_FILES.stdinEnd), '');
    return dir;
  }

  async function guest(command: string[], dir: string, more: Partial<RequestInput> = {}) {
    const binding = createFakeBinding();
    const request = checkRequestFinding(fake, { syscalls: ['openat'], command, ...more });
    const result = await runGuest({ binding, kmod: new FakeKmod(), launch: spawnGated }, request, dir);
    return { result, binding, output: readFileSync(join(dir, SHARE_FILES.output), 'latin1') };
  }

  it('stdout and stderr keep the order CMD wrote them in', async () => {
    const { output, result } = await guest(['sh', '-c', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'], share(''));
    expect(output).toBe('out1\nerr1\nout2\nerr2\n');
    expect(result.exit_code).toBe(0);
  });

  it('output written by opening /dev/stderr or /dev/stdout again is neither lost nor out of order', async () => {
    const { output } = await guest(['sh', '-c', 'echo out1; echo err1 > /dev/stderr; echo out2; echo err2 >> /dev/stderr; echo out3 > /dev/stdout'], share(''));
    expect(output).toBe('out1\nerr1\nout2\nerr2\nout3\n');
  });

  it('output larger than a pipe holds, binary, comes back whole', async () => {
    const { output } = await guest(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" "\\377"; echo end'], share(''));
    const bytes = Buffer.from(output, 'latin1');
    expect(bytes.length).toBe(3_000_004);
    expect(bytes.subarray(0, 3_000_000).every((b) => b === 0xff)).toBe(true);
    expect(bytes.subarray(3_000_000).toString()).toBe('end\n');
  });

  it('output comes back when the temporary directory can\'t be written (the guest\'s /tmp is the host\'s, read-only, when run from /tmp)', async () => {
    const saved = process.env['TMPDIR'];
    const dir = share('');
    process.env['TMPDIR'] = '/etc/hostname/not-a-dir';
    try {
      const { output } = await guest(['sh', '-c', 'echo out; echo err >&2'], dir);
      expect(output).toBe('out\nerr\n');
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
  });

  it('a process CMD left behind holding its output does not keep the guest from reporting', async () => {
    const started = Date.now();
    const { output, result } = await guest(['sh', '-c', 'sleep 10 & echo started'], share(''));
    expect(output).toBe('started\n');
    expect(result.exit_code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('CMD reads the host\'s stdin to its end', async () => {
    const { output } = await guest(['cat'], share('line 1\nline 2\n'));
    expect(output).toBe('line 1\nline 2\n');
  });

  it('stdin that arrives while CMD runs reaches it, and its end ends CMD\'s', async () => {
    const dir = share();
    const running = guest(['sh', '-c', 'read a; echo "got $a"; read b; echo "got $b"; cat; echo end'], dir);
    appendFileSync(join(dir, SHARE_FILES.stdin), 'one\n');
    while (!readFileSync(join(dir, SHARE_FILES.output), { encoding: 'utf8', flag: 'a+' }).includes('got one')) await sleep(10);
    appendFileSync(join(dir, SHARE_FILES.stdin), 'two\nthree\n');
    writeFileSync(join(dir, SHARE_FILES.stdinEnd), '');
    const { output } = await running;
    expect(output).toBe('got one\ngot two\nthree\nend\n');
    expect(readFileSync(join(dir, SHARE_FILES.stdinTaken), 'utf8')).toBe(String('one\ntwo\nthree\n'.length));
  });

  it('a CMD that never reads its stdin still ends', async () => {
    const { result } = await guest(['true'], share());
    expect(result.exit_code).toBe(0);
  });

  it.each([
    [['sh', '-c', 'exit 3'], 3, null],
    [['sh', '-c', 'kill -TERM $$'], null, 'SIGTERM'],
  ] as const)('%j: exit code %s, signal %s', async (command, code, signal) => {
    const { result } = await guest([...command], share(''));
    expect(result.exit_code).toBe(code);
    expect(result.signal).toBe(signal);
    expect(commandStatus(result)).toBe(code ?? 143);
  });

  it('--exits on: exit events on while CMD runs, off after', async () => {
    const { binding } = await guest(['true'], share(''), { exits: true });
    expect(binding.calls.filter((c) => c.method === 'hold').map((c) => c.args[2])).toEqual([binding.c('EXITS_ON'), binding.c('EXITS_OFF')]);
    expect(binding.exitsEffective).toBe(false);
  });

  it('a CMD the guest cannot find is 127 in the share, in syscallmon\'s words', async () => {
    const dir = share('');
    const binding = createFakeBinding();
    await expect(
      runGuestReporting({ binding, kmod: new FakeKmod(), launch: spawnGated }, () => checkRequestFinding(binding, { command: ['/no/such/tool'] }), dir),
    ).rejects.toThrow(SandboxError);
    expect(JSON.parse(readFileSync(join(dir, SHARE_FILES.error), 'utf8'))).toEqual({ kind: null, status: 127, message: '/no/such/tool: no such file' });
  });
});
