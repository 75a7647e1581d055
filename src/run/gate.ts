/*
 * A command held at a gate: /bin/sh starts at once, so its pid is known and
 * a rule can name it, and waits for a line on fd 3 before it execs the
 * command in place (same pid).  stdin, stdout and stderr are the command's
 * own from the start: the gate reads nothing of them (a stdin given as a
 * pipe is written by the caller once the gate is open).  If whoever holds
 * the gate dies first, the read fails and the shell exits 125 without
 * running anything.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface GatedStdio {
  /** an fd the command gets as it is, 'ignore' (/dev/null), or 'pipe': write it through Gated.input */
  stdin: number | 'ignore' | 'pipe';
  /** an fd, or 'pipe': read it from Gated.output */
  stdout: number | 'pipe';
  stderr: number | 'pipe';
}

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Gated {
  /** the shell's pid, which the command keeps */
  readonly pid: number;
  /** lets the command run */
  open(): void;
  /** signals the process (the gate, or the command once open) */
  kill(signal: NodeJS.Signals): void;
  /** stdout and stderr given as 'pipe' */
  readonly output: Readable[];
  /** stdin given as 'pipe' */
  readonly input?: Writable;
  readonly exited: Promise<CommandExit>;
}

/** Starts a gated command; a test hands its own. */
export type Launch = (command: readonly string[], stdio: GatedStdio) => Gated;

/** The status the gate exits with when it was never opened. */
export const GATE_CLOSED_STATUS = 125;

const GATE_SCRIPT = `read -r _ <&3 || exit ${GATE_CLOSED_STATUS}; exec "$@" 3<&-`;

export const spawnGated: Launch = (command, stdio) => {
  const child = spawn('/bin/sh', ['-c', GATE_SCRIPT, 'sh', ...command], {
    stdio: [stdio.stdin, stdio.stdout, stdio.stderr, 'pipe'] as StdioOptions,
  });
  const exited = new Promise<CommandExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const gate = child.stdio[3] as Writable | null;
  if (child.pid === undefined || gate === null) {
    throw new Error('could not start /bin/sh for the command');
  }
  gate.on('error', () => {});
  // EPIPE once the command closes its stdin is no failure of the caller's.
  child.stdin?.on('error', () => {});
  const output = [child.stdout, child.stderr].filter((s): s is Readable => s !== null);
  return {
    pid: child.pid,
    open: () => void gate.end('\n'),
    kill: (signal) => void child.kill(signal),
    output,
    ...(child.stdin ? { input: child.stdin } : {}),
    exited,
  };
};
