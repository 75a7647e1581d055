/*
 * The kinds of argument a signature is made of.  Each turns one raw
 * register into the text strace would print, using the record's path and fd
 * target where the call has them: the module reads the first path argument
 * and the first fd argument of a call, so the first of each kind here takes
 * them (the signatures list arguments in the kernel's order, so "first"
 * means the same thing on both sides).
 */
import type { DecodableCall, DecodedArg } from './call.js';
import { hex, id, int, long, octal, pointer, quoted, targetSuffix, uint, ulong } from './format.js';
import { constant, flags, type Xlat } from './xlat.js';

export interface ArgContext {
  readonly call: DecodableCall;
  /** the raw arguments (some decoders look at another argument: open's mode needs its flags) */
  readonly args: readonly bigint[];
  /** the first fd argument has been decoded: later ones have no target */
  fdSeen: boolean;
  /** likewise for the path */
  pathSeen: boolean;
}

export type Arg = (v: bigint, ctx: ArgContext) => DecodedArg;

/** How a successful result is shown (failures are the same for every call). */
export type ResultFormat = (ret: bigint, args: readonly bigint[]) => string;

export interface Signature {
  /** the arguments strace prints, or a function of the raw ones for calls whose shape depends on them */
  readonly args: readonly Arg[] | ((args: readonly bigint[]) => readonly Arg[]);
  /** default: signed decimal */
  readonly result?: ResultFormat;
}

const AT_FDCWD = -100;

const value = (text: string): DecodedArg => ({ text, kind: 'value' });

const utf8 = new TextEncoder();

function fdText(n: number, ctx: ArgContext): DecodedArg {
  const first = !ctx.fdSeen;
  ctx.fdSeen = true;
  const target = first ? ctx.call.target : null;
  if (target === null || n < 0) return { text: String(n), kind: 'fd' };
  return { text: `${n}${targetSuffix(ctx.call.target_bytes ?? utf8.encode(target))}`, kind: 'fd' };
}

/** A file descriptor; the first one of a call shows what it refers to: 3</etc/passwd>. */
export const fd: Arg = (v, ctx) => fdText(int(v), ctx);

/** A directory fd of an *at call: AT_FDCWD, or an fd. */
export const dirfd: Arg = (v, ctx) => {
  const n = int(v);
  if (n !== AT_FDCWD) return fdText(n, ctx);
  ctx.fdSeen = true;
  return { text: 'AT_FDCWD', kind: 'fd' };
};

/**
 * A path.  The first one is what the record carries: quoted, or the address
 * when the module could not read it; any other is memory we don't have.
 */
export const path: Arg = (v, ctx) => {
  const first = !ctx.pathSeen;
  ctx.pathSeen = true;
  const c = ctx.call;
  if (first && c.path !== null && !c.path_unreadable) {
    return { text: quoted(c.path_bytes ?? utf8.encode(c.path), c.path_truncated), kind: 'path' };
  }
  return { text: pointer(v), kind: first ? 'path' : 'memory' };
};

/** User memory the record does not carry (a buffer, a struct, a string that isn't the path): its address. */
export const mem: Arg = (v) => ({ text: pointer(v), kind: 'memory' });

/** An address that is itself the value (mmap's hint, munmap's start): NULL or hex. */
export const addr: Arg = (v) => value(pointer(v));

export const i32: Arg = (v) => value(String(int(v)));
export const u32: Arg = (v) => value(String(uint(v)));
/** off_t, loff_t, long */
export const i64: Arg = (v) => value(long(v));
/** size_t, unsigned long */
export const u64: Arg = (v) => value(ulong(v));
/** %#lx: what strace prints for a value it does not decode */
export const hexArg: Arg = (v) => value(hex(v));
/** a mode_t in octal: 0644 */
export const mode: Arg = (v) => value(octal(uint(v)));
/** uid_t / gid_t */
export const uid: Arg = (v) => value(id(v));

/** Flags of an int argument (the kernel reads 32 bits). */
export function flagsOf(table: Xlat, zero = '0'): Arg {
  return (v) => value(flags(table, BigInt(uint(v)), zero));
}

/** Flags of a 64-bit argument. */
export function flags64(table: Xlat, zero = '0'): Arg {
  return (v) => value(flags(table, BigInt.asUintN(64, v), zero));
}

/** One of a set of int constants. */
export function constOf(table: Xlat): Arg {
  return (v) => value(constant(table, BigInt(uint(v))));
}

/** Text computed from the value (and the other arguments). */
export function textOf(f: (v: bigint, args: readonly bigint[]) => string): Arg {
  return (v, ctx) => value(f(v, ctx.args));
}

/**
 * The argument at register index, wherever it is printed: strace skips
 * registers a call ignores (preadv2's pos_h, futex's uaddr2 for FUTEX_WAIT_BITSET).
 */
export function at(index: number, arg: Arg): Arg {
  return (_v, ctx) => arg(ctx.args[index] ?? 0n, ctx);
}

/** strace's name=value form (clone's child_stack=NULL). */
export function named(name: string, arg: Arg): Arg {
  return (v, ctx) => ({ ...arg(v, ctx), name });
}

/** Results shown in hex (addresses: mmap, brk). */
export const hexResult: ResultFormat = (ret) => `0x${BigInt.asUintN(64, ret).toString(16)}`;
