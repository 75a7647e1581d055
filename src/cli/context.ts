/*
 * What a command may touch, gathered in one object so main() can be called
 * in-process by tests with fakes for every outside thing: the output
 * streams, the environment, the addon, insmod/rmmod, the VM runner and the
 * signals that stop `tail` and steer the daemon.
 */
import type { SignalSource } from '../daemon/daemon.js';
import type { Binding } from '../lib/binding.js';
import { Monitor } from '../lib/monitor.js';
import { SyscallTable } from '../lib/syscalls.js';
import { colourEnabled, palette, type Palette } from '../render/colour.js';
import { jsonLine } from '../render/ndjson.js';
import type { Kmod } from '../lib/kmod.js';
import type { Launch } from '../run/gate.js';
import type { VmRunner } from './vm.js';

/** Where output goes.  A Promise from write() means "wait before writing more" (backpressure). */
export interface Sink {
  write(chunk: string | Uint8Array): void | Promise<void>;
  /**
   * The fd behind the sink, once whatever is queued in it has been written,
   * so that output written to the fd directly (the addon's NDJSON) lands in
   * order; undefined when there is no fd.
   */
  fd?(): Promise<number | undefined>;
}

/** Aborted on Ctrl-C, SIGTERM, or when stdout's reader goes away (EPIPE). */
export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface CliEnvironment {
  stdout: Sink;
  stderr: Sink;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Env;
  /** the addon, loaded on first use: help and usage errors never need it */
  binding(): Binding;
  kmod: Kmod;
  vm: VmRunner;
  /** installed only by commands that run until stopped (tail, sandbox) */
  interrupt(): Interrupt;
  /** the process's signals, for the daemon (SIGHUP, SIGUSR1, SIGTERM, SIGINT) */
  signals: SignalSource;
  /** what the sandbox hands CMD on its stdin, taken only then; none: an empty stdin */
  stdin?(): NodeJS.ReadableStream;
  /** starts `run`'s command held at a gate */
  launch: Launch;
}

export interface GlobalFlags {
  /** false after --no-color */
  color?: boolean;
  verbose?: boolean;
}

export class Ctx {
  /** a command may set this for an outcome that is not an error */
  exitCode = 0;
  private globals: GlobalFlags = {};
  private table: SyscallTable | undefined;

  constructor(readonly io: CliEnvironment) {}

  setGlobals(flags: GlobalFlags): void {
    this.globals = { ...this.globals, ...flags };
  }

  /** Colour decided once, here, for text bound for stdout. */
  get colour(): Palette {
    return palette(colourEnabled({ isTTY: this.io.stdoutIsTTY, env: this.io.env, flag: this.globals.color }));
  }

  get verbose(): boolean {
    return this.globals.verbose === true;
  }

  /** The generated syscall table; needs the addon, not the module. */
  syscalls(): SyscallTable {
    this.table ??= new SyscallTable(this.io.binding().syscalls);
    return this.table;
  }

  openMonitor(): Monitor {
    return Monitor.open({ binding: this.io.binding() });
  }

  /** Runs fn with an open monitor, which is closed after whatever fn did. */
  withMonitor<T>(fn: (m: Monitor) => T): T {
    const m = this.openMonitor();
    try {
      return fn(m);
    } finally {
      m.close();
    }
  }

  /** A command's result on stdout: one JSON object with --json, else its text. */
  report<T>(result: T, json: boolean | undefined, render: (r: T) => string): void | Promise<void> {
    return this.out(json ? jsonLine(result) : render(result));
  }

  /** stdout's fd, for output the addon writes itself (tail --json). */
  async stdoutFd(): Promise<number> {
    const fd = await this.io.stdout.fd?.();
    if (fd === undefined) throw new Error('stdout has no file descriptor to write NDJSON to');
    return fd;
  }

  out(text: string): void | Promise<void> {
    return this.io.stdout.write(text);
  }

  /** Human notes, progress and summaries: never on stdout, which may be NDJSON. */
  note(line: string): void | Promise<void> {
    return this.io.stderr.write(line + '\n');
  }
}
