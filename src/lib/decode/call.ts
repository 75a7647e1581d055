/*
 * What the decoders read from an event, and what they give back.  The
 * decoders are pure functions of these fields: a syscall event carries them
 * all, and tests build them by hand.
 */
import type { Verdict } from '../records.js';

export interface DecodableCall {
  /** x86_64 name of the operation ("openat") */
  syscall: string;
  nr: number;
  /** the ABI the call came in through; only x86_64 and x32 share the layout the signatures describe */
  abi?: string;
  /** the six raw argument registers */
  args: readonly bigint[];
  /** what the call returned (negative errno on failure); null when no result was recorded */
  ret: bigint | number | null;
  /** entry to return; null without a result */
  duration_ns: bigint | number | null;
  /** the first path argument as the module read it; null when it has none or could not read it */
  path: string | null;
  path_unreadable?: boolean;
  path_truncated?: boolean;
  /** what the first fd argument referred to (/proc/PID/fd's text); null when none */
  target: string | null;
  verdict: Verdict;
  /** the errno a block target returns (blocked) or would return (would_block) */
  block_errno: string | null;
}

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
