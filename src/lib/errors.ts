// The one family of errors: every failure syscallmon itself names is a
// SyscallmonError whose kind says what went wrong. The CLI maps kind -> exit
// code (usage 2, not_loaded 3, permission 4, kernel and version 5); messages
// are one line, ready to print.
import { isBindingError, type BindingError } from './binding.js';
import { errnoMessage } from './errnos.js';

export type ErrorKind = 'usage' | 'not_loaded' | 'permission' | 'kernel' | 'version';

export class SyscallmonError extends Error {
  readonly kind: ErrorKind;
  /** errno name from the kernel ('EBUSY'), when the error came from a syscall */
  readonly code?: string;
  /** positive errno, when from a syscall */
  readonly errno?: number;
  /** which call failed ('open', 'ioctl:ADD_TARGET'), when from a syscall */
  readonly syscall?: string;

  constructor(kind: ErrorKind, message: string, options?: SyscallmonErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
    const cause = options?.cause;
    if (isBindingError(cause)) {
      this.code = cause.code;
      this.errno = cause.errno;
      this.syscall = cause.syscall;
    }
    if (options?.code !== undefined) this.code = options.code;
  }
}

export interface SyscallmonErrorOptions {
  cause?: unknown;
  /** the errno name, when it is known without a syscall of ours (e.g. from insmod's output) */
  code?: string;
}

/** The base of the named errors below: a SyscallmonError of one kind. */
function ofKind(kind: ErrorKind) {
  return class extends SyscallmonError {
    constructor(message: string, options?: SyscallmonErrorOptions) {
      super(kind, message, options);
    }
  };
}

/** Bad input from the user: an unknown name, a value out of range, a flag that makes no sense. */
export class UsageError extends ofKind('usage') {}

/**
 * A policy file that can't be applied as written: the message starts with
 * where ("policy.yaml:12: spec.rules[1].errno: …"), and the parts are kept
 * for programs (a daemon reports them).
 */
export class PolicyError extends UsageError {
  readonly file: string;
  /** 1-based; 0 when the whole file is meant (unreadable) */
  readonly line: number;
  /** the field as a path into the document ("spec.rules[1].errno"); '' for the file or its syntax */
  readonly field: string;
  /** what is wrong, without where */
  readonly reason: string;

  constructor(where: { file: string; line: number; field: string }, reason: string, options?: SyscallmonErrorOptions) {
    const at = where.line > 0 ? `${where.file}:${where.line}` : where.file;
    super(`${at}: ${where.field ? `${where.field}: ` : ''}${reason}`, options);
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
    this.reason = reason;
  }
}

/**
 * The module is not loaded (no /dev/syscallmon).  The message says what
 * showed it and how to load it: LOAD_HINT unless options.hint says
 * otherwise (the CLI's, where this kernel can't load modules).
 */
export class NotLoadedError extends ofKind('not_loaded') {
  /** what showed that it is not loaded ("open /dev/syscallmon: ENOENT") */
  readonly detail: string;

  constructor(detail: string, options?: SyscallmonErrorOptions & { hint?: string }) {
    super(`syscallmon module is not loaded (${detail}); ${options?.hint ?? LOAD_HINT}`, options);
    this.detail = detail;
  }
}

/** Not allowed: not root, EACCES, EPERM. */
export class PermissionError extends ofKind('permission') {}

/** The kernel refused a request (errno in .code). */
export class KernelError extends ofKind('kernel') {}

/** The loaded module speaks another API version than this library. */
export class VersionError extends ofKind('version') {}

export const LOAD_HINT = 'load it with `syscallmon load` (or `sudo insmod build/kernel/$(uname -r)/syscallmon.ko`)';

/** "EBUSY (device or resource busy)" */
export function describeErrno(e: Pick<BindingError, 'code' | 'errno'>): string {
  const text = errnoMessage(e.errno);
  return text ? `${e.code} (${text})` : e.code;
}

/**
 * Turns an addon error into a typed one. what says what was being done
 * ("add target openat"); hints maps errno names to an explanation for this
 * particular call, e.g. { EBUSY: 'openat is already targeted' }.
 */
export function fromBindingError(
  e: unknown,
  what: string,
  hints: Partial<Record<string, string>> = {},
): Error {
  if (e instanceof SyscallmonError || !isBindingError(e)) return e instanceof Error ? e : new Error(String(e));
  const hint = hints[e.code];
  const detail = hint ? `: ${hint}` : '';
  if (e.syscall === 'open' && (e.code === 'ENOENT' || e.code === 'ENODEV' || e.code === 'ENXIO')) {
    return new NotLoadedError(`${what}: ${e.code}`, { cause: e });
  }
  if (e.code === 'ENOTTY' && e.syscall.startsWith('ioctl:')) {
    // The version was checked at open: a request the module does not know
    // means it was built from another syscallmon of the same API version.
    return new VersionError(
      `the loaded module does not know how to ${what} (${e.syscall.slice('ioctl:'.length)}: ENOTTY): it was built from ` +
        'another version of syscallmon; rebuild and reload it (`syscallmon unload && syscallmon load`)',
      { cause: e },
    );
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new PermissionError(
      `permission denied: cannot ${what} (${e.code}${detail}); syscallmon needs root (CAP_SYS_ADMIN)`,
      { cause: e },
    );
  }
  return new KernelError(`kernel refused to ${what}: ${describeErrno(e)}${detail}`, { cause: e });
}
