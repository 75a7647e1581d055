/*
 * Calls read like strace prints them: each argument decoded by the
 * signature of its syscall (flags, modes, fds with their targets, signals,
 * families, the path the record carries), the result with its errno, and
 * raw hex for calls without a signature.  Pure functions of an event.
 */
import { errnoName, errnoNumber, errnoText } from '../errnos.js';
import type { Signature } from './args.js';
import type { DecodableCall, DecodedArg, DecodedResult } from './call.js';
import { hex } from './format.js';
import { FILE_CALLS } from './files.js';
import { MEMORY_CALLS } from './memory.js';
import { MOUNT_CALLS } from './mounts.js';
import { NETWORK_CALLS } from './network.js';
import { PROCESS_CALLS } from './processes.js';

export type { ArgKind, DecodableCall, DecodedArg, DecodedResult } from './call.js';
export { seconds } from './format.js';
export { signalName } from './processes.js';

const SIGNATURES: ReadonlyMap<string, Signature> = new Map(
  Object.entries({ ...FILE_CALLS, ...MOUNT_CALLS, ...MEMORY_CALLS, ...PROCESS_CALLS, ...NETWORK_CALLS }),
);

/*
 * i386 calls whose entry lays its arguments out differently from the
 * x86_64 call of the same operation are shown raw rather than misread.
 * Their results mean the same on both, so they keep their signature's form
 * (decodeResult); none of those forms reads an argument.
 */

/**
 * Operations every i386 entry of which differs: 64-bit values split in two
 * registers, structs passed by pointer, the socketcall multiplexer's packed
 * arguments, clone's order.
 */
const I386_LAYOUT_DIFFERS = new Set([
  'mmap', 'lseek', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'readahead', 'fadvise64',
  'fallocate', 'sync_file_range', 'truncate', 'ftruncate', 'statfs', 'fstatfs', 'getdents', 'clone', 'select',
  'fanotify_mark', 'socket', 'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname',
  'getpeername', 'shutdown', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'setsockopt',
  'getsockopt',
]);

/**
 * i386 entries, by their own number (asm/syscalls_32.h), that differ where
 * another i386 entry of the same operation does not: 16-bit ids, the old
 * signal calls (a one-word mask, no size, sigaction's old struct), and
 * calls with fewer arguments than the x86_64 operation reads.
 */
const I386_ENTRY_LAYOUT_DIFFERS = new Set([
  7, // waitpid: wait4 without rusage
  16, // lchown16
  22, // oldumount: umount2 without flags
  23, // setuid16
  25, // stime32: settimeofday's operation from a time_t
  34, // nice: setpriority's operation from an increment
  46, // setgid16
  48, // signal: rt_sigaction's operation from a handler
  67, // sigaction
  70, // setreuid16
  71, // setregid16
  72, // sigsuspend
  73, // sigpending
  95, // fchown16
  119, // sigreturn
  126, // sigprocmask
  138, // setfsuid16
  139, // setfsgid16
  164, // setresuid16
  170, // setresgid16
  182, // chown16
]);

function i386LayoutDiffers(call: DecodableCall): boolean {
  return call.abi === 'i386' && (I386_LAYOUT_DIFFERS.has(call.syscall) || I386_ENTRY_LAYOUT_DIFFERS.has(call.native_nr));
}

/** The x86_64 names of the syscalls whose arguments are decoded (the others are shown in hex). */
export function decodedSyscalls(): string[] {
  return [...SIGNATURES.keys()].sort();
}

/** The signature the arguments are decoded by; none for a call shown raw. */
function signatureOf(call: DecodableCall): Signature | undefined {
  return i386LayoutDiffers(call) ? undefined : SIGNATURES.get(call.syscall);
}

/** The arguments as strace would print them; all six registers in hex for a call without a signature. */
export function decodeArgs(call: DecodableCall): DecodedArg[] {
  const sig = signatureOf(call);
  if (sig === undefined) return call.args.map((a) => ({ text: hex(a), kind: 'value' }));
  const ctx = { call, args: call.args, fdSeen: false, pathSeen: false };
  const list = typeof sig.args === 'function' ? sig.args(call.args) : sig.args;
  return list.map((arg, i) => arg(call.args[i] ?? 0n, ctx));
}

/** openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) */
export function formatCall(call: DecodableCall): string {
  const args = decodeArgs(call).map((a) => (a.name === undefined ? a.text : `${a.name}=${a.text}`));
  return `${call.syscall}(${args.join(', ')})`;
}

/** The largest errno the kernel returns as a negative result (include/linux/err.h). */
const MAX_ERRNO = 4095n;

/** strace's words for the restart codes a call interrupted by a signal returns inside the kernel. */
const RESTART_TEXT: Readonly<Record<number, string>> = {
  512: 'To be restarted if SA_RESTART is set',
  513: 'To be restarted',
  514: 'To be restarted if no handler',
  516: 'Interrupted by signal',
};

function failure(errno: number, suffix: string): DecodedResult {
  const name = errnoName(errno);
  const restart = RESTART_TEXT[errno];
  if (restart !== undefined) return { text: `? ${name} (${restart})${suffix}`, short: `? ${name}`, failed: true, errno: name };
  return { text: `-1 ${name} (${errnoText(errno)})${suffix}`, short: `-1 ${name}`, failed: true, errno: name };
}

/**
 * The errno a call failed with: a blocked call's, or a result in the
 * kernel's error range; null when it did not fail (or has no result yet).
 */
function failedWith(call: DecodableCall): number | null {
  if (call.verdict === 'blocked' && call.block_errno !== null) {
    const n = errnoNumber(call.block_errno);
    if (n !== undefined) return n;
  }
  if (call.ret === null) return null;
  const ret = BigInt.asIntN(64, call.ret);
  return ret < 0n && ret >= -MAX_ERRNO ? Number(-ret) : null;
}

/** The call failed: it was blocked, a kill rule ended it (it did not run either), or it returned an error. */
export function isFailure(call: DecodableCall): boolean {
  return call.verdict === 'blocked' || call.verdict === 'killed' || failedWith(call) !== null;
}

/**
 * The result as strace prints it after "= ": 3, 0x7f2a1c000000, -1 ENOENT
 * (No such file or directory), ? when none was recorded.  A blocked call
 * failed with its errno without running: strace marks an injected error
 * the same way.  A call that would have been blocked ran; its note says so.
 */
export function decodeResult(call: DecodableCall): DecodedResult {
  const errno = failedWith(call);
  if (call.verdict === 'blocked' && errno !== null) return failure(errno, ' (INJECTED)');
  const note = call.verdict === 'would_block' && call.block_errno !== null ? ` (WOULD_BLOCK ${call.block_errno})` : '';
  if (errno !== null) return failure(errno, note);
  if (call.ret === null) return { text: `?${note}`, short: '?', failed: false, errno: null };
  const ret = BigInt.asIntN(64, call.ret);
  // The signature's own, not signatureOf's: a call shown raw keeps its result's form.
  const format = SIGNATURES.get(call.syscall)?.result;
  const text = format ? format(ret, call.args) : ret.toString();
  return { text: text + note, short: text, failed: false, errno: null };
}
