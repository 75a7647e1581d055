/*
 * What the decoders read from an event, and what they give back.  The
 * decoders are pure functions of these fields, so tests build them by hand.
 */
import type { SyscallEvent } from '../events.js';

/**
 * The fields of a syscall event the decoders read: the operation, the entry
 * it came in through (which lays out its arguments), its raw arguments,
 * what the record says of the path and the fd argument (their bytes quoted
 * when given), the result and duration, and the verdict with the errno a
 * block target gives.
 */
export type DecodableCall = Pick<
  SyscallEvent,
  | 'syscall'
  | 'nr'
  | 'abi'
  | 'native_nr'
  | 'args'
  | 'ret'
  | 'duration_ns'
  | 'path'
  | 'path_truncated'
  | 'path_unreadable'
  | 'target'
  | 'path_bytes'
  | 'target_bytes'
  | 'verdict'
  | 'block_errno'
>;

/**
 * How an argument was shown: an fd (with its target when the record has
 * it), the path the record carries, user memory the record does not carry
 * (shown by its address, where strace would show what is there), or a value
 * (a number, flags, a constant).
 */
export type ArgKind = 'fd' | 'path' | 'memory' | 'value';

export interface DecodedArg {
  text: string;
  kind: ArgKind;
  /** strace names some arguments ("child_stack=NULL"); text is then the value alone */
  name?: string;
}

export interface DecodedResult {
  /** strace's text after "= ": 3, 0x7f2a1c000000, -1 ENOENT (No such file or directory), ? ERESTARTSYS (...), ? */
  text: string;
  /** the value and errno name alone, for a table column: 3, -1 ENOENT, ? */
  short: string;
  /** the call returned an error (or was blocked) */
  failed: boolean;
  /** the error's name, when failed */
  errno: string | null;
}
