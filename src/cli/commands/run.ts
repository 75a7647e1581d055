/*
 * `syscallmon run [--syscall NAME|@FAMILY]... [--all] [selectors] [--action log|block|kill] [--audit]
 *                 [--json | --format table|json|strace] [--summary] [--failed] [--slower-than DURATION]
 *                 -- CMD [ARGS...]`
 *
 * strace -f without ptrace, where the module is loaded: the flags and the
 * printing of src/run.  Events stream live on stdout; CMD's stdin is this
 * one, its stdout and stderr go to this stderr (stdout carries only the
 * events).  Without --syscall it logs every syscall that takes a path;
 * --all every syscall.  syscallmon exits with CMD's status (128+N when
 * signal N killed it), 126/127 when CMD can't be run or isn't there.
 * Ctrl-C reaches CMD from the terminal, what is sent to syscallmon is
 * passed on to it, and syscallmon waits for CMD to exit.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../lib/errors.js';
import type { MonitorEvent } from '../../lib/events.js';
import { Monitor } from '../../lib/monitor.js';
import { outcomeSelection } from '../../lib/outcome.js';
import type { Rule } from '../../lib/rules.js';
import { shellWords } from '../../render/shell.js';
import type { Gated, GatedStdio } from '../../run/gate.js';
import { defaultSyscalls, execsIn, RunError, runTraced, type RunOutcome } from '../../run/run.js';
import { inTerminalForeground } from '../../run/terminal.js';
import { findCommand } from '../../sandbox/command.js';
import { commandStatus, DEFAULT_PATH } from '../../sandbox/request.js';
import type { Ctx } from '../context.js';
import { addEventOutputOptions, EventPrinter, eventOutputOf, type EventOutputFlags } from '../event-output.js';
import { single } from '../options.js';
import { addActionFlags, addSelectorFlags, ruleOf, type RuleFlags } from '../rule-flags.js';

interface RunFlags extends RuleFlags, EventOutputFlags {
  all?: boolean;
}

/** How many of the processes CMD left running are named. */
const LEFT_RUNNING_SHOWN = 8;

export function runSummary(command: readonly string[], o: RunOutcome): string {
  const how = o.exit.signal ? `was killed by ${o.exit.signal}` : `exited with ${o.exit.code}`;
  return (
    `syscallmon: run: ${shellWords(command)} ${how}; ${o.shown} event${o.shown === 1 ? '' : 's'} ` +
    `from ${o.processes} process${o.processes === 1 ? '' : 'es'}, ${o.lost} lost`
  );
}

/** The rule CMD's tree gets, checked whole before anything runs. */
function runRule(ctx: Ctx, flags: RunFlags): Rule {
  const action = flags.action ?? 'log';
  const acts = action === 'block' || action === 'kill';
  if (flags.all && flags.syscall) throw new UsageError('--all or --syscall, not both');
  if (acts && !flags.syscall) throw new UsageError(`--action ${action} needs the syscalls to ${action}: --syscall NAME`);
  const name = flags.name ?? `run:${process.pid}`;
  const rule = ruleOf(name, action, flags);
  if (!flags.syscall) rule.syscalls = defaultSyscalls(ctx.syscalls(), flags.all === true);
  const execs = acts ? execsIn(flags.syscall ?? []) : [];
  if (execs.length) throw new UsageError(`--action ${action} of ${execs.join(', ')} would stop CMD itself from starting`);
  Monitor.checkRule({ ...rule, tree: [process.pid] }, { binding: ctx.io.binding(), owned: true });
  return rule;
}

/** What CMD gets as stdin, stdout and stderr: this process's own, as fds where there are fds. */
async function commandStdio(ctx: Ctx): Promise<GatedStdio> {
  const input = ctx.io.stdin?.() as (NodeJS.ReadableStream & { fd?: unknown }) | undefined;
  const err = await ctx.io.stderr.fd?.();
  return {
    stdin: typeof input?.fd === 'number' ? input.fd : 'ignore',
    stdout: err ?? 'pipe',
    stderr: err ?? 'pipe',
  };
}

/** The signals a terminal sends its foreground process group from the keyboard (Ctrl-C, Ctrl-\). */
const KEYBOARD_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGQUIT']);

/**
 * Passes on to CMD what syscallmon is sent while CMD runs (SIGTERM, SIGHUP
 * …), so that CMD ends and syscallmon puts the mode back after it.  A
 * keyboard signal is not passed on while syscallmon is in its terminal's
 * foreground: the terminal sent it to CMD too (same process group), and a
 * second one may mean more (a second Ctrl-C quits at once).  Output closing
 * (EPIPE) only stops the printing.
 */
function relaySignals(ctx: Ctx, onClosed: () => void): { attach(cmd: Gated): void; dispose(): void } {
  let cmd: Gated | null = null;
  let interrupt = ctx.io.interrupt();
  const onAbort = (): void => {
    const reason: unknown = interrupt.signal.reason;
    interrupt.dispose();
    if (reason === 'EPIPE') onClosed();
    else if (typeof reason === 'string' && reason.startsWith('SIG') && !(KEYBOARD_SIGNALS.has(reason) && inTerminalForeground())) {
      cmd?.kill(reason as NodeJS.Signals);
    }
    interrupt = ctx.io.interrupt();
    interrupt.signal.addEventListener('abort', onAbort, { once: true });
  };
  interrupt.signal.addEventListener('abort', onAbort, { once: true });
  return {
    attach: (c) => void (cmd = c),
    dispose: () => {
      interrupt.signal.removeEventListener('abort', onAbort);
      interrupt.dispose();
    },
  };
}

export function runCommand(ctx: Ctx): Command {
  const cmd = new Command('run')
    .description(
      'run CMD and show its syscalls and those of every process it forks, live (strace -f without ptrace; needs the module loaded). ' +
        'CMD reads this stdin; its output goes to stderr; syscallmon exits with its status',
    )
    .usage(
      '[--syscall NAME|@FAMILY]... [--all] [selectors] [--action log|block|kill] [--audit]\n' +
        '                      [--json | --format F] [--summary] [--failed] [--slower-than DURATION] -- CMD [ARGS...]',
    );
  addActionFlags(cmd, ['log', 'block', 'kill']);
  addSelectorFlags(cmd, false);
  // A stream has no CSV header to start with: no csv, as tail.
  addEventOutputOptions(cmd, ['table', 'json', 'strace']);
  return cmd
    .option('--all', 'every syscall (default: every syscall that takes a path)')
    .addOption(single(new Option('--name <name>', 'the rule\'s name (default run:PID); it goes when run ends')))
    .argument('<cmd...>', 'the command and its arguments')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nThe rule covers CMD and every process it forks from its start (a process tree), owned by this run: ' +
        'the module removes it when run ends, even if run is killed. Selectors narrow it within the tree. ' +
        'While CMD runs the mode is raised to what the rule needs, and set back after: LOG from OFF, BLOCK for --action block or kill without --audit. ' +
        'Exit status: CMD\'s own (128+N when signal N killed it); 126: CMD cannot be run; 127: not found; 2: usage.\n',
    )
    .action(async (command: string[], flags: RunFlags) => {
      const rule = runRule(ctx, flags);
      const printer = new EventPrinter(ctx, eventOutputOf(flags));
      const keeps = outcomeSelection(printer.output.outcome);
      const found = findCommand(command[0] ?? '', { path: ctx.io.env['PATH'] || DEFAULT_PATH, cwd: process.cwd() });
      if (!found.ok) throw new RunError(found.status, found.message);
      const stdio = await commandStdio(ctx);
      let printing = true;
      const print = (events: MonitorEvent[]): void | Promise<void> => {
        if (!printing) return;
        const text = printer.batch(keeps === null ? events : events.filter(keeps));
        return text === '' ? undefined : ctx.out(text);
      };
      const monitor = ctx.openMonitor();
      const relay = relaySignals(ctx, () => void (printing = false));
      let outcome: RunOutcome;
      try {
        outcome = await runTraced(
          monitor,
          { command, file: found.file, execPath: found.execPath, rule },
          { launch: ctx.io.launch, stdio, onEvents: print, started: (c) => relay.attach(c) },
        );
      } finally {
        relay.dispose();
        monitor.close();
      }
      if (printing) {
        const end = printer.end();
        if (end !== '') await ctx.out(end);
      }
      const lostNote = printer.lostNote();
      if (lostNote !== null) await ctx.note(lostNote);
      if (outcome.raisedMode) {
        const [from, to, now] = [outcome.raisedMode.from, outcome.raisedMode.to, outcome.raisedMode.now].map((m) => m.toUpperCase());
        // Another holder (a run of its own) or a mode set meanwhile decides what it is now.
        const after = now === from ? `${from} again now` : `${now} now, as set or held by others`;
        await ctx.note(`syscallmon: run: the mode was ${from}: ${to} while CMD ran, ${after}`);
      }
      const left = outcome.leftRunning;
      if (left.length) {
        const shown = left.length > LEFT_RUNNING_SHOWN ? `${left.slice(0, LEFT_RUNNING_SHOWN).join(', ')}, …` : left.join(', ');
        await ctx.note(
          `syscallmon: run: ${left.length === 1 ? '1 process' : `${left.length} processes`} of CMD's tree still running, ` +
            `no longer watched (pid${left.length === 1 ? '' : 's'} ${shown})`,
        );
      }
      if (outcome.leftToTargets.length) {
        await ctx.note(`syscallmon: run: ${outcome.leftToTargets.join(', ')}: shown as their block targets recorded them (a rule would come before the target)`);
      }
      await ctx.note(runSummary(command, outcome));
      ctx.exitCode = commandStatus({ exit_code: outcome.exit.code, signal: outcome.exit.signal });
    });
}
