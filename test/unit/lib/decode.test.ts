// The decoder against strace: calls.ndjson holds calls a program made with
// known arguments, the path and fd target the module would record, and the
// line strace -y printed for each (test/fixtures/strace/record.sh).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeArgs, decodeResult, decodedSyscalls, formatCall, type DecodableCall,
} from '../../../src/lib/decode/index.js';
import { loadBinding } from '../../../src/lib/binding.js';
import { EventDecoder, type SyscallEvent } from '../../../src/lib/events.js';
import { encodeBatch } from '../../../src/lib/records.js';
import { difference, parseStraceLine } from '../../fixtures/strace/compare.js';

interface Recorded {
  syscall: string;
  args: string[];
  ret: string | null;
  path: string | null;
  path_unreadable: boolean;
  target: string | null;
  strace: string;
}

const fixture = join(import.meta.dirname, '../../fixtures/strace/calls.ndjson');
const recorded: Recorded[] = readFileSync(fixture, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Recorded);

function callOf(r: Recorded): DecodableCall {
  return {
    syscall: r.syscall, nr: 0, abi: 'x86_64', native_nr: 0, args: r.args.map((a) => BigInt(a)), ret: r.ret === null ? null : BigInt(r.ret),
    duration_ns: null, path: r.path, path_truncated: false, path_unreadable: r.path_unreadable, target: r.target, verdict: 'allowed', block_errno: null,
  };
}

describe('decoded calls read like strace -y', () => {
  it.each(recorded.map((r, i) => [`${i + 1} ${r.strace}`, r] as const))('%s', (_name, r) => {
    const line = parseStraceLine(r.strace);
    expect(line).not.toBeNull();
    const call = callOf(r);
    const diff = difference(line!, { syscall: call.syscall, args: decodeArgs(call), result: decodeResult(call).text });
    expect(diff, `${formatCall(call)} = ${decodeResult(call).text}`).toBeNull();
  });

  it('covers the calls people look at most', () => {
    const traced = new Set(recorded.map((r) => r.syscall));
    expect(traced.size).toBeGreaterThanOrEqual(60);
    for (const s of traced) expect(decodedSyscalls()).toContain(s);
  });
});

/** A call with every field a decoder reads; tests override what they look at. */
function call(over: Partial<DecodableCall> & Pick<DecodableCall, 'syscall'>): DecodableCall {
  return {
    nr: 0, abi: 'x86_64', native_nr: 0, args: [0n, 0n, 0n, 0n, 0n, 0n], ret: 0n, duration_ns: null, path: null, path_truncated: false,
    path_unreadable: false, target: null,
    verdict: 'allowed', block_errno: null, ...over,
  };
}

const AT_FDCWD = BigInt.asUintN(64, -100n);

describe('events are calls the decoder reads', () => {
  it('decodes a syscall event as the library decodes it from a record: blocked, failed, complete', () => {
    const binding = loadBinding();
    const c = binding.constants as Record<string, number>;
    const decoder = EventDecoder.forBinding(binding);
    const [opened, missing, blocked] = decoder.decode(encodeBatch(binding, [
      { type: c.RECORD_SYSCALL!, nr: 257, args: [AT_FDCWD, 0x1000n, 0x80000n], path: '/etc/passwd', ret: 3, duration_ns: 12_000n },
      { type: c.RECORD_SYSCALL!, nr: 257, args: [AT_FDCWD, 0x1000n, 0n], path: '/nope', ret: -2, duration_ns: 9_000n },
      { type: c.RECORD_SYSCALL!, nr: 87, path: '/tmp/keep', verdict: c.VERDICT_BLOCKED!, err: 13, ret: -13 },
    ])) as SyscallEvent[];
    expect(`${formatCall(opened!)} = ${decodeResult(opened!).text}`).toBe('openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3');
    expect(decodeResult(missing!).text).toBe('-1 ENOENT (No such file or directory)');
    expect(decodeResult(blocked!).text).toBe('-1 EACCES (Permission denied) (INJECTED)');
  });
});

describe('what the record carries', () => {
  it('a path the module read only the start of, and one it could not read', () => {
    const args = [AT_FDCWD, 0x7ffd0000n, 0n, 0n, 0n, 0n];
    expect(formatCall(call({ syscall: 'openat', args, path: '/very/long', path_truncated: true }))).toBe(
      'openat(AT_FDCWD, "/very/long"..., O_RDONLY)',
    );
    expect(formatCall(call({ syscall: 'openat', args, path: null, path_unreadable: true }))).toBe('openat(AT_FDCWD, 0x7ffd0000, O_RDONLY)');
  });

  it('the first fd shows its target (a deleted file marked after it, < and > escaped); later fds do not', () => {
    expect(formatCall(call({ syscall: 'dup2', args: [3n, 10n, 0n, 0n, 0n, 0n], target: '/tmp/a<b> (deleted)' }))).toBe(
      'dup2(3</tmp/a\\74b\\76>(deleted), 10)',
    );
    expect(formatCall(call({ syscall: 'read', args: [5n, 0x1000n, 4n, 0n, 0n, 0n], target: 'pipe:[1234]' }))).toBe(
      'read(5<pipe:[1234]>, 0x1000, 4)',
    );
    // AT_FDCWD is the first fd argument even without a target: renameat's second dirfd gets none.
    expect(formatCall(call({ syscall: 'renameat', args: [AT_FDCWD, 0x1000n, 4n, 0x2000n, 0n, 0n], path: 'a', target: '/tmp' }))).toBe(
      'renameat(AT_FDCWD, "a", 4, 0x2000)',
    );
  });

  it('calls without a signature, and i386 calls laid out differently, are raw hex', () => {
    expect(formatCall(call({ syscall: 'kexec_load', args: [1n, 0n, 0x10n, 0n, 0n, 0n] }))).toBe('kexec_load(0x1, 0, 0x10, 0, 0, 0)');
    expect(formatCall(call({ syscall: 'connect', abi: 'i386', args: [3n, 0x1000n, 16n, 0n, 0n, 0n] }))).toBe('connect(0x3, 0x1000, 0x10, 0, 0, 0)');
    expect(formatCall(call({ syscall: 'close', abi: 'i386', args: [3n, 0n, 0n, 0n, 0n, 0n] }))).toBe('close(3)');
  });
});

describe('results', () => {
  it.each([
    ['a result', call({ syscall: 'openat', ret: 3n }), '3', '3', false],
    ['an address in hex', call({ syscall: 'mmap', ret: 0x7f0000001000n }), '0x7f0000001000', '0x7f0000001000', false],
    ['an i386 mmap2\'s address in hex, its arguments raw', call({ syscall: 'mmap', abi: 'i386', native_nr: 192, ret: 0xf7f00000n }), '0xf7f00000', '0xf7f00000', false],
    ['an i386 old mmap\'s address in hex, its arguments raw', call({ syscall: 'mmap', abi: 'i386', native_nr: 90, ret: 0xf7f00000n }), '0xf7f00000', '0xf7f00000', false],
    ['an error', call({ syscall: 'openat', ret: -2n }), '-1 ENOENT (No such file or directory)', '-1 ENOENT', true],
    ['another error', call({ syscall: 'openat', ret: -13n }), '-1 EACCES (Permission denied)', '-1 EACCES', true],
    ['a restart inside the kernel', call({ syscall: 'read', ret: -512n }), '? ERESTARTSYS (To be restarted if SA_RESTART is set)', '? ERESTARTSYS', true],
    ['no result recorded', call({ syscall: 'read', ret: null }), '?', '?', false],
    ['a call that never returns', call({ syscall: 'exit_group', ret: null }), '?', '?', false],
    ['a blocked call', call({ syscall: 'openat', ret: null, verdict: 'blocked', block_errno: 'EPERM' }), '-1 EPERM (Operation not permitted) (INJECTED)', '-1 EPERM', true],
    ['a call that would have been blocked', call({ syscall: 'openat', ret: 3n, verdict: 'would_block', block_errno: 'EACCES' }), '3 (WOULD_BLOCK EACCES)', '3', false],
    ['an unknown errno', call({ syscall: 'ioctl', ret: -515n }), '-1 ENOIOCTLCMD (Unknown error 515)', '-1 ENOIOCTLCMD', true],
    ['a large value that is not an errno', call({ syscall: 'lseek', ret: 5000n }), '5000', '5000', false],
  ])('%s', (_name, c, text, short, failed) => {
    expect(decodeResult(c)).toMatchObject({ text, short, failed });
  });
});

/** The table scripts/gen-syscalls.sh makes from the installed kernel's headers, as the build makes it. */
function generatedTable(): string {
  const root = resolve(import.meta.dirname, '../../..');
  const dir = mkdtempSync(join(tmpdir(), 'smon-decode-'));
  try {
    const table = join(dir, 'syscall_table.h');
    const kdir = execFileSync('sh', [join(root, 'scripts/kdir.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    execFileSync('sh', [join(root, 'scripts/gen-syscalls.sh'), kdir, table]);
    return readFileSync(table, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * i386 entries that perform an x86_64 operation with their own argument
 * layout: 64-bit values split in two registers, 16-bit ids, the old signal
 * calls' masks and missing size arguments, fewer arguments than the x86_64
 * call reads.  Each is shown raw, as the registers hold it; the same
 * operation through an i386 entry laid out as on x86_64 is decoded.
 */
describe('i386 entries laid out unlike their x86_64 operation are raw hex', () => {
  const i386 = new Map(
    [...generatedTable().matchAll(/^SYSCALLMON_ENTRY\(1, (\d+), \w+, "__ia32_(\w+)", (\d+)\)$/gm)].map((m) => [Number(m[1]), { symbol: m[2], op: Number(m[3]) }]),
  );
  const args = [1n, 2n, 3n, 4n, 5n, 6n];

  it.each([
    [7, 'sys_waitpid', 61, 'wait4'],
    [16, 'sys_lchown16', 94, 'lchown'],
    [22, 'sys_oldumount', 166, 'umount2'],
    [23, 'sys_setuid16', 105, 'setuid'],
    [25, 'sys_stime32', 164, 'settimeofday'],
    [34, 'sys_nice', 141, 'setpriority'],
    [46, 'sys_setgid16', 106, 'setgid'],
    [48, 'sys_signal', 13, 'rt_sigaction'],
    [67, 'compat_sys_sigaction', 13, 'rt_sigaction'],
    [70, 'sys_setreuid16', 113, 'setreuid'],
    [71, 'sys_setregid16', 114, 'setregid'],
    [72, 'sys_sigsuspend', 130, 'rt_sigsuspend'],
    [73, 'compat_sys_sigpending', 127, 'rt_sigpending'],
    [95, 'sys_fchown16', 93, 'fchown'],
    [119, 'compat_sys_sigreturn', 15, 'rt_sigreturn'],
    [126, 'compat_sys_sigprocmask', 14, 'rt_sigprocmask'],
    [138, 'sys_setfsuid16', 122, 'setfsuid'],
    [139, 'sys_setfsgid16', 123, 'setfsgid'],
    [164, 'sys_setresuid16', 117, 'setresuid'],
    [170, 'sys_setresgid16', 119, 'setresgid'],
    [182, 'sys_chown16', 92, 'chown'],
    [314, 'sys_ia32_sync_file_range', 277, 'sync_file_range'],
  ])('i386 %i (%s) performs %i (%s)', (native, symbol, nr, syscall) => {
    expect(i386.get(native)).toEqual({ symbol, op: nr });
    expect(formatCall(call({ syscall, nr, abi: 'i386', native_nr: native, args }))).toBe(`${syscall}(0x1, 0x2, 0x3, 0x4, 0x5, 0x6)`);
  });

  it.each([
    [114, 'compat_sys_wait4', 61, 'wait4', 'wait4(1, 0x2, WNOHANG|WSTOPPED, 0x4)'],
    [212, 'sys_chown', 92, 'chown', 'chown(0x1, 2, 3)'],
    [213, 'sys_setuid', 105, 'setuid', 'setuid(1)'],
    [52, 'sys_umount', 166, 'umount2', 'umount2(0x1, MNT_DETACH)'],
  ])('the same operation through i386 %i (%s) is decoded', (native, symbol, nr, syscall, text) => {
    expect(i386.get(native)).toEqual({ symbol, op: nr });
    expect(formatCall(call({ syscall, nr, abi: 'i386', native_nr: native, args }))).toBe(text);
  });
});

/**
 * The module reads the path and the fd target of the first path and fd
 * arguments named by its table (scripts/gen-syscalls.sh); the signatures
 * must show them at the same registers, and every call with a path or an
 * fd target must have a signature.
 */
describe('signatures agree with the module on which argument is the path and which the fd', () => {
  const ops = [...generatedTable().matchAll(/^SYSCALLMON_OP\((\d+), (\w+), (-?\d+)(?:, (-?\d+))?\)$/gm)].map((m) => ({
    name: m[2] as string,
    pathArg: Number(m[3]),
    fdArg: m[4] === undefined ? undefined : Number(m[4]),
  }));

  /** Decodes with each register holding its own index plus 0x1000 and reads the indexes back. */
  function registers(name: string): { path: number; fd: number } {
    const args = [0, 1, 2, 3, 4, 5].map((i) => BigInt(0x1000 + i));
    const decoded = decodeArgs(call({ syscall: name, args, path_unreadable: true, target: 'T' }));
    const path = decoded.find((a) => a.kind === 'path');
    const fd = decoded.find((a) => a.kind === 'fd' && a.text.endsWith('<T>'));
    return {
      path: path ? Number(BigInt(path.text)) - 0x1000 : -1,
      fd: fd ? Number.parseInt(fd.text, 10) - 0x1000 : -1,
    };
  }

  it('has the table', () => expect(ops.length).toBeGreaterThan(300));
  it.each(ops.filter((o) => decodedSyscalls().includes(o.name) || o.pathArg >= 0 || (o.fdArg ?? -1) >= 0).map((o) => [o.name, o] as const))('%s', (name, o) => {
    expect(decodedSyscalls()).toContain(name);
    const at = registers(name);
    expect(at.path).toBe(o.pathArg);
    if (o.fdArg !== undefined) expect(at.fd).toBe(o.fdArg);
  });
});
