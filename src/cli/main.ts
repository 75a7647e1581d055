/*
 * The syscallmon command line: wiring and the one top-level error handler.
 *
 * main() takes everything from outside as options (argv, output sinks,
 * environment, the addon, kmod, the VM runner, the stop signal) and returns
 * the exit code, so tests call it in-process.  run() is the process glue
 * used by bin/syscallmon.
 */
import { EventEmitter } from 'node:events';
import { Command, CommanderError, type Option } from 'commander';
import type { SignalSource } from '../daemon/daemon.js';
import { loadBinding, type Binding } from '../lib/binding.js';
import { NotLoadedError, UsageError } from '../lib/errors.js';
import { Ctx, type CliEnvironment, type Env, type Interrupt, type Sink } from './context.js';
import { classify, EXIT, EXIT_CODE_HELP } from './errors.js';
import { systemKmod, type Kmod } from '../lib/kmod.js';
import { errnoHelp } from './options.js';
import { qemuRunner, type VmRunner } from './vm.js';
import { addControl } from './commands/control.js';
import { loadCommand } from './commands/load.js';
import { logCommand } from './commands/log.js';
import { sandboxCommand, sandboxGuestCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';
import { syscallsCommand } from './commands/syscalls.js';
import { tailCommand } from './commands/tail.js';
import { unloadCommand } from './commands/unload.js';
import { psCommand } from './commands/ps.js';
import { interceptCommand } from './commands/intercept.js';
import { releaseCommand } from './commands/release.js';
import { monitorCommand } from './commands/monitor.js';
import { fsmCommand } from './commands/fsm.js';
import { ruleCommand } from './commands/rule.js';
import { protectCommand, unprotectCommand } from './commands/protect.js';
import { runCommand } from './commands/run.js';
import { spawnGated, type Launch } from '../run/gate.js';
import { applyCommand } from './commands/apply.js';
import { policyCommand } from './commands/policy.js';
import { daemonCommand } from './commands/daemon.js';

const EXAMPLES = `Examples:
  syscallmon load                                   load the module built for this kernel
  syscallmon --log --syscall openat                 log every openat
  syscallmon --block --syscall write --pid 1234     make write fail with EPERM for pid 1234
  syscallmon --log --syscall openat --failed-only   log only the openat calls that fail
  syscallmon --off                                  stop (targets are kept)
  syscallmon tail --json                            stream events as NDJSON
  syscallmon --exits on                             also record process exits
  syscallmon intercept openat && syscallmon monitor start --syscall openat --pid 1234
  syscallmon --log --file fsm.json --pid 1234       follow open -> read -> write cycles
  syscallmon run -- make                            what make and every process it forks opens, execs, …
  syscallmon rule add --name no-ptrace --syscall ptrace --cgroup /system.slice/app.service --action kill
  syscallmon protect /etc/shadow --allow exe=/usr/sbin/sshd   nobody but sshd opens it, whatever the path
  syscallmon apply policy.yaml --dry-run            what a policy file would change
  syscallmon sandbox -- /bin/cat /etc/hostname      all of it in a throw-away VM
  syscallmon daemon --policy /etc/syscallmon/policy.yaml --output /var/log/syscallmon/events.ndjson --metrics 127.0.0.1:9737`;

/** Settings every command shares; addCommand() does not copy them from the parent. */
function prepare(cmd: Command, parent: Command): Command {
  cmd.copyInheritedSettings(parent);
  cmd
    .allowExcessArguments(false)
    .option('--no-color', 'no colour, even on a terminal (NO_COLOR does the same)')
    .option('--verbose', 'show stack traces on errors');
  return cmd;
}

export function buildProgram(ctx: Ctx): Command {
  const program = new Command('syscallmon');
  program
    .description('See and block what processes ask the kernel to do (syscallmon.ko, /dev/syscallmon).')
    .usage(
      '[--off | --log | --block] [--syscall NAME]... [--pid N]... [--errno NAME] [--force]\n' +
        '                  [--record complete|entry|both] [--failed-only] [--exits on|off] [--json]\n' +
        '       syscallmon --log --file FSM.json [--pid N]... [--json]\n' +
        '       syscallmon --version [--json]\n' +
        '       syscallmon <command> [options]',
    )
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
      // Errors are printed once, by main().
      outputError: () => {},
    })
    .helpCommand(false)
    .addHelpText('after', `\n${EXAMPLES}\n\n${EXIT_CODE_HELP}\n\n${errnoHelp()}\n`);
  addControl(program, ctx);
  program
    .option('-V, --version', 'print the versions of syscallmon and of the module API, its own and the loaded module\'s')
    .option('--no-color', 'no colour, even on a terminal (NO_COLOR does the same)')
    .option('--verbose', 'show stack traces on errors');
  for (const make of [
    statusCommand, logCommand, tailCommand, syscallsCommand, loadCommand, unloadCommand, sandboxCommand,
    psCommand, interceptCommand, releaseCommand, monitorCommand, fsmCommand, ruleCommand, runCommand,
    protectCommand, unprotectCommand,
    applyCommand, policyCommand, daemonCommand,
  ]) {
    program.addCommand(prepare(make(ctx), program));
  }
  program.addCommand(prepare(sandboxGuestCommand(ctx), program), { hidden: true });
  program.hook('preAction', (_root, action) => {
    const chain = commandChain(action);
    refuseMisplacedFlags(chain);
    // Any level may say it (`syscallmon --no-color log` or `syscallmon log --no-color`);
    // optsWithGlobals() would let the root's default win.
    const levels = chain.map((c) => c.opts());
    ctx.setGlobals({
      color: levels.some((o) => o['color'] === false) ? false : undefined,
      verbose: levels.some((o) => o['verbose'] === true),
    });
  });
  return program;
}

/** The flags every command also has, and that mean the same at any level. */
const ANY_LEVEL = new Set(['color', 'verbose']);

/** The program, the commands between, and the command: `syscallmon rule add` is [syscallmon, rule, add]. */
export function commandChain(cmd: Command): Command[] {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) chain.unshift(c);
  return chain;
}

/** How a command is written after `syscallmon`: 'status', 'rule add'; '' for the program itself. */
export function commandPath(cmd: Command): string {
  return commandChain(cmd).slice(1).map((c) => c.name()).join(' ');
}

/**
 * Flags written before a command (`syscallmon --block --syscall unlinkat
 * sandbox …`) are parsed by the level they were written at, whose action
 * does not run: they would be dropped.  Refused instead, saying where they
 * belong: after the command when it has them too, else on their own level.
 */
function refuseMisplacedFlags(chain: readonly Command[]): void {
  const action = chain[chain.length - 1]!;
  const given = chain.slice(0, -1).flatMap((level) =>
    level.options
      .filter((o) => !ANY_LEVEL.has(o.attributeName()) && level.getOptionValueSource(o.attributeName()) === 'cli')
      .map((option) => ({ level, option })),
  );
  if (given.length === 0) return;
  const name = commandPath(action);
  const flagsOf = (opts: readonly { option: Option }[]): string => opts.map((g) => g.option.long ?? g.option.flags).join(' ');
  const foreign = given.filter((g) => !action.options.some((a) => a.long === g.option.long && !a.hidden));
  if (foreign.length) {
    // One level at a time: the flags of the first level that has any.
    const owner = commandPath(foreign[0]!.level);
    const mine = foreign.filter((g) => g.level === foreign[0]!.level);
    const what = mine.length === 1 ? 'it is a flag' : 'they are flags';
    const of = owner === '' ? 'syscallmon without a command' : `syscallmon ${owner}`;
    throw new UsageError(
      `${flagsOf(mine)} before '${name}' would be ignored: ${what} of ${of} ` +
        `(syscallmon ${owner === '' ? '' : `${owner} `}${flagsOf(mine)} …), not of ${name}`,
    );
  }
  throw new UsageError(
    `${flagsOf(given)} before '${name}' would be ignored: write ${given.length === 1 ? 'it' : 'them'} after the command ` +
      `(syscallmon ${name} ${flagsOf(given)} …)`,
  );
}

function stackOf(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    parts.push(depth === 0 ? (cur.stack ?? String(cur)) : `caused by: ${cur.stack ?? String(cur)}`);
    cur = cur.cause;
  }
  return parts.join('\n');
}

export interface MainOptions {
  /** arguments after the program name */
  argv: readonly string[];
  stdout?: Sink;
  stderr?: Sink;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  env?: Env;
  /** the addon, or a fake; default: the built addon, loaded on first use */
  binding?: Binding | (() => Binding);
  kmod?: Kmod;
  vm?: VmRunner;
  /** what stops tail, fsm, run and sandbox; default: none ever arrives (run() passes signalInterrupt's) */
  interrupt?: () => Interrupt;
  /** the sandboxed command's stdin; default: none (it reads an empty stdin) */
  stdin?: () => NodeJS.ReadableStream;
  /** how `run` starts its command; default: /bin/sh held at a gate */
  launch?: Launch;
  /** the daemon's signals; default: none ever arrives */
  signals?: SignalSource;
}

const discard: Sink = { write: () => {} };

export async function main(opts: MainOptions): Promise<number> {
  const binding = opts.binding;
  let loaded: Binding | undefined;
  const io: CliEnvironment = {
    stdout: opts.stdout ?? discard,
    stderr: opts.stderr ?? discard,
    stdoutIsTTY: opts.stdoutIsTTY ?? false,
    stderrIsTTY: opts.stderrIsTTY ?? false,
    env: opts.env ?? {},
    binding: () => (loaded ??= typeof binding === 'function' ? binding() : (binding ?? loadBinding())),
    kmod: opts.kmod ?? systemKmod,
    vm: opts.vm ?? qemuRunner,
    interrupt: opts.interrupt ?? neverInterrupt,
    stdin: opts.stdin,
    launch: opts.launch ?? spawnGated,
    signals: opts.signals ?? new EventEmitter(),
  };
  const ctx = new Ctx(io);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...opts.argv], { from: 'user' });
    return ctx.exitCode;
  } catch (thrown) {
    const e = notLoadedHere(thrown, io.kmod);
    const { code, message } = classify(e);
    if (code === EXIT.ok) return code;
    // --verbose may not have been parsed when the error is a usage error.
    const dashdash = opts.argv.indexOf('--');
    const verbose = ctx.verbose || opts.argv.slice(0, dashdash < 0 ? undefined : dashdash).includes('--verbose');
    await io.stderr.write(`syscallmon: ${message}\n`);
    if (verbose && (code === EXIT.failure || !(e instanceof CommanderError))) {
      await io.stderr.write(stackOf(e) + '\n');
    }
    return code;
  }
}

/**
 * `syscallmon load` is no way out where this kernel cannot load modules (a
 * container): there a module that is not loaded points to the sandbox.
 */
function notLoadedHere(e: unknown, kmod: Kmod): unknown {
  if (!(e instanceof NotLoadedError)) return e;
  const can = kmod.canLoadModules();
  if (can.ok) return e;
  return new NotLoadedError(e.detail, {
    cause: e.cause,
    code: e.code,
    hint: `${can.why}, so it cannot be loaded here; run the command in a VM instead: syscallmon sandbox [--log | --block] [--syscall NAME]... -- CMD`,
  });
}

function neverInterrupt(): Interrupt {
  return { signal: new AbortController().signal, dispose: () => {} };
}

/**
 * A process stream as a Sink: waits for 'drain', and goes quiet once writes
 * fail.  A reader that went away (EPIPE: `| head`) is no failure; any other
 * write error (ENOSPC, EIO) is kept in `failure`, as the output is lost.
 */
export class StreamSink implements Sink {
  closed = false;
  failure: NodeJS.ErrnoException | undefined;
  private readonly closedController = new AbortController();

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') this.failure ??= e;
      this.markClosed();
    });
  }

  /** aborted when writes started failing (EPIPE: `syscallmon tail | head`) */
  get closedSignal(): AbortSignal {
    return this.closedController.signal;
  }

  write(chunk: string): void | Promise<void> {
    if (this.closed) return;
    if (this.stream.write(chunk)) return;
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }

  async fd(): Promise<number | undefined> {
    const stream = this.stream as NodeJS.WritableStream & { fd?: unknown; writableLength?: number };
    if (typeof stream.fd !== 'number') return undefined;
    while (!this.closed && (stream.writableLength ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('close', done);
      });
    }
    return stream.fd;
  }

  private markClosed(): void {
    this.closed = true;
    this.closedController.abort(new Error('stdout closed'));
  }
}

/**
 * The signals that stop a command which runs until stopped (tail, fsm, run,
 * sandbox), so that it puts back what it changed (the mode, a VM) first: the
 * default action of each ends the process at once.  SIGHUP is a closed
 * terminal or ssh session.  The daemon takes no interrupt: SIGHUP reloads
 * its policy (daemon/signals.ts).
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * An Interrupt aborted by the first of STOP_SIGNALS from signals (its name
 * the reason), or by closed ('EPIPE').  A signal is taken once: sent again
 * before dispose(), its default action applies.
 */
export function signalInterrupt(signals: SignalSource, closed: AbortSignal): Interrupt {
  const controller = new AbortController();
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = (): void => {
      signals.off(name, listener);
      controller.abort(name);
    };
    return [name, listener] as const;
  });
  const onClosed = (): void => controller.abort('EPIPE');
  for (const [name, listener] of listeners) signals.on(name, listener);
  closed.addEventListener('abort', onClosed, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      for (const [name, listener] of listeners) signals.off(name, listener);
      closed.removeEventListener('abort', onClosed);
    },
  };
}

/** bin/syscallmon's entry point. */
export async function run(): Promise<void> {
  const stdout = new StreamSink(process.stdout);
  const stderr = new StreamSink(process.stderr);
  const code = await main({
    argv: process.argv.slice(2),
    stdout,
    stderr,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    stdin: () => process.stdin,
    signals: process,
    interrupt: () => signalInterrupt(process, stdout.closedSignal),
  });
  // A failed write is reported on the next tick, after the command has returned.
  await new Promise((resolve) => setImmediate(resolve));
  const lost = stdout.failure;
  if (lost !== undefined) {
    // Else `syscallmon status --json > file` on a full disk would succeed with an empty file.
    const why = lost.message.replace(/^[A-Z0-9]+: /, '').replace(/, write$/, '');
    await stderr.write(`syscallmon: cannot write the output: ${lost.code ? `${lost.code} (${why})` : why}\n`);
  }
  process.exitCode = lost !== undefined && code === EXIT.ok ? EXIT.failure : code;
}
