/*
 * Exit codes, and the one place that turns whatever a command threw into
 * one: the library's errors by their kind, commander's usage errors, and
 * the sandbox's failures with the status they carry.  Commands throw;
 * the one handler in main.ts prints `syscallmon: <message>` and returns the
 * code.
 */
import { CommanderError } from 'commander';
import { KernelError, SyscallmonError, type ErrorKind } from '../lib/errors.js';
import { RunError } from '../run/run.js';
import { SANDBOX_STATUS, SandboxError, signalNumber } from '../sandbox/request.js';

export const EXIT = {
  ok: 0,
  /** a bug or an environment problem nothing below names (e.g. the addon is not built) */
  failure: 1,
  /** `syscalls PATTERN` matched nothing, as grep says it */
  noMatch: 1,
  usage: 2,
  notLoaded: 3,
  permission: 4,
  kernel: 5,
} as const;

/**
 * What the process exits with: one of EXIT, or from `sandbox` CMD's own
 * status and the statuses of request.ts's SANDBOX_STATUS.
 */
export type ExitCode = number;

/** A row of the exit code table: its codes, and what they mean (each further line continues it). */
export interface ExitCodeRow {
  codes: readonly ExitCode[];
  meaning: readonly string[];
}

/** What syscallmon's own exit codes mean. */
export const EXIT_CODES: readonly ExitCodeRow[] = [
  { codes: [EXIT.ok], meaning: ['success'] },
  { codes: [EXIT.failure], meaning: ['unexpected failure (a bug, or the addon is not built: npm run build:addon);', 'syscalls PATTERN: no syscall matches'] },
  { codes: [EXIT.usage], meaning: ['usage: bad flag, value or syscall name'] },
  {
    codes: [EXIT.notLoaded],
    meaning: ["module not loaded (load it with: syscallmon load; where the kernel can't load modules,", 'run the command in a VM instead: syscallmon sandbox)'],
  },
  { codes: [EXIT.permission], meaning: ['permission denied (needs root: EACCES / EPERM)'] },
  { codes: [EXIT.kernel], meaning: ['the kernel refused (errno shown), or module and tool versions differ'] },
];

/** The statuses sandbox and run exit with when CMD's own can't be given. */
export const COMMAND_EXIT_CODES: readonly ExitCodeRow[] = [
  { codes: [SANDBOX_STATUS.failed], meaning: ['sandbox: the sandbox itself failed (the VM, or the module in it)'] },
  { codes: [SANDBOX_STATUS.cannotRun], meaning: ["CMD can't be run"] },
  { codes: [SANDBOX_STATUS.notFound], meaning: ['CMD was not found'] },
  {
    codes: ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'].map((s) => SANDBOX_STATUS.signalBase + signalNumber(s)!),
    meaning: ['interrupted by SIGHUP, SIGINT, SIGQUIT, SIGTERM (sandbox: the VM was stopped; run: CMD was killed by it)'],
  },
];

function exitCodeLines(rows: readonly ExitCodeRow[]): string[] {
  return rows.flatMap(({ codes, meaning }) => {
    const head = `  ${codes.join(', ')}  `;
    return meaning.map((line, i) => (i === 0 ? head : ' '.repeat(head.length)) + line);
  });
}

/** The exit code table shown at the end of --help; the README's lists the same codes. */
export const EXIT_CODE_HELP = [
  'Exit codes:',
  ...exitCodeLines(EXIT_CODES),
  "  sandbox and run exit with CMD's status (128+N when signal N killed it), or:",
  ...exitCodeLines(COMMAND_EXIT_CODES),
].join('\n');

const KIND_EXIT: Readonly<Record<ErrorKind, ExitCode>> = {
  usage: EXIT.usage,
  not_loaded: EXIT.notLoaded,
  permission: EXIT.permission,
  kernel: EXIT.kernel,
  version: EXIT.kernel,
};

/** Exit code and one-line message for anything a command threw. */
export function classify(e: unknown): { code: ExitCode; message: string } {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return { code: EXIT.ok, message: '' };
    // One line: commander puts its "(Did you mean …?)" on a line of its own.
    const text = e.message
      .replace(/^error:\s*/, '')
      .replace(/\s*\(Did you mean (.*)\)\s*$/s, '; did you mean $1')
      .replace(/\s*\n\s*/g, ' ');
    return { code: EXIT.usage, message: `${text} (see --help)` };
  }
  if (e instanceof SyscallmonError) return { code: KIND_EXIT[e.kind], message: e.message };
  if (e instanceof SandboxError) return { code: e.status, message: `sandbox: ${e.message}` };
  if (e instanceof RunError) return { code: e.status, message: `run: ${e.message}` };
  const message = e instanceof Error ? e.message : String(e);
  return { code: EXIT.failure, message };
}

/**
 * refused, the error a change met, as it is when everything done before it
 * was taken back (stuck empty); else the same kind of error saying what
 * could not be, so a half-applied change is never silent.
 */
export function withStuck(refused: unknown, stuck: readonly string[]): unknown {
  if (stuck.length === 0) return refused;
  const known = refused instanceof SyscallmonError ? refused : undefined;
  const message = refused instanceof Error ? refused.message : String(refused);
  return new SyscallmonError(known?.kind ?? 'kernel', `${message}; and could not take back ${stuck.join(', ')}`, {
    cause: refused,
    code: known?.code,
  });
}

/** "what (why)": one thing a change could not take back. */
export function stuckText(what: string, why: unknown): string {
  return `${what} (${why instanceof Error ? why.message : String(why)})`;
}

/**
 * A kernel refusal, reworded for the command that met it: keeps the errno
 * name (and so exit code 5), says what it means there; what does not
 * is returned as it is.
 */
export function refusal(e: unknown, what: string, meaning: Partial<Record<string, string>>): unknown {
  if (!(e instanceof SyscallmonError) || e.kind !== 'kernel' || e.code === undefined) return e;
  const why = meaning[e.code];
  if (why === undefined) return e;
  return new KernelError(`cannot ${what}: ${e.code} (${why})`, { cause: e.cause });
}
