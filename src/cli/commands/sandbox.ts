/*
 * `syscallmon sandbox [--log | --block] [--syscall NAME]... [--errno NAME] [--force]
 *                     [--record MODE] [--failed-only] [--exits on|off]
 *                     [--json | --csv | --format F] [--summary] [--failed] [--slower-than DURATION]
 *                     -- CMD [ARGS...]`
 *
 * The flags and the printing of src/sandbox: the events of CMD and its
 * descendants, from a throw-away VM, printed like `syscallmon log` does.
 * CMD gets this process's stdin; its stdout and stderr come back on stderr
 * as it writes them, in its order (stdout carries only the events).  Without
 * --syscall it logs every syscall that takes a path (what the command
 * touched); --all logs every syscall (as `syscallmon run` does: the guest
 * runs CMD with src/run).  syscallmon exits with CMD's status
 * (128 + N when signal N killed it), or with 125, 126 or 127 when the
 * sandbox failed or CMD could not be run (request.ts).  The hidden
 * `__sandbox-guest` command is the half that runs in the VM.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { undecodedWord } from '../../sandbox/command.js';
import { runGuestReporting } from '../../sandbox/guest.js';
import { runSandbox, type SandboxOutcome } from '../../sandbox/host.js';
import {
  checkRequestFinding,
  commandStatus,
  DEFAULT_PATH,
  SANDBOX_RING_SIZE,
  type SandboxRequest,
} from '../../sandbox/request.js';
import type { Ctx } from '../context.js';
import { collectNames, errnoHelp } from '../options.js';
import { sanitize } from '../../render/sanitize.js';
import { shellWord, shellWords } from '../../render/shell.js';
import { addEventOutputOptions, EventPrinter, eventOutputOf, type EventOutputFlags } from '../event-output.js';
import { printEvents } from './log.js';
import { parseOnOff } from './exits.js';
import { RECORD_MODES } from '../../lib/status.js';

interface SandboxFlags extends EventOutputFlags {
  all?: boolean;
  log?: boolean;
  block?: boolean;
  syscall?: string[];
  errno?: string;
  force?: boolean;
  record?: string;
  failedOnly?: boolean;
  exits?: boolean;
  ringSize: string;
  /** the controller's flags that have no use in the sandbox, refused with why */
  pid?: string[];
  off?: boolean;
  file?: string;
}

/** sanitize(), line by line, keeping the line breaks. */
function printable(text: string): string {
  return text.split('\n').map(sanitize).join('\n');
}

export function sandboxSummary(req: SandboxRequest, o: SandboxOutcome): string {
  const r = o.result;
  const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.exit_code}`;
  const shown = o.events.filter((e) => e.type !== 'lost').length;
  const pids = new Set(o.events.flatMap((e) => (e.type === 'lost' ? [] : [e.tgid]))).size;
  return (
    `syscallmon: sandbox: ${shellWords(req.command)} ${how}; ${shown} event${shown === 1 ? '' : 's'} ` +
    `from ${pids} process${pids === 1 ? '' : 'es'}, ${r.lost} lost; ` +
    `${r.syscalls.length} syscall${r.syscalls.length === 1 ? '' : 's'} ${r.syscalls.length <= 4 ? `(${r.syscalls.join(', ')}) ` : ''}` +
    `${req.action === 'block' ? 'blocked' : 'logged'}; VM boot ${o.bootSeconds.toFixed(1)} s, command ${o.commandSeconds.toFixed(1)} s`
  );
}

/** Why each of the controller's flags that the sandbox does not take has no use there. */
const NO_USE: readonly (readonly [keyof SandboxFlags, string])[] = [
  ['pid', '--pid has no use in the sandbox: it watches CMD and its descendants, whose pids are not known before they run'],
  ['off', '--off has no use in the sandbox: its VM starts with the module off and is thrown away when CMD ends'],
  ['file', '--file runs the FSM where the module is loaded, not in the sandbox: syscallmon --log --file FILE.json'],
];

function requestOf(ctx: Ctx, flags: SandboxFlags, command: string[]) {
  for (const [flag, why] of NO_USE) if (flags[flag] !== undefined) throw new UsageError(why);
  const undecoded = undecodedWord(command);
  if (undecoded >= 0) {
    throw new UsageError(
      `${undecoded === 0 ? 'CMD' : `CMD's argument ${undecoded}`} (${shellWord(command[undecoded]!)} as read) is not UTF-8: ` +
        'the sandbox hands CMD its words as UTF-8 text, so it would run CMD with other bytes',
    );
  }
  return checkRequestFinding(ctx.io.binding(), {
    block: flags.block,
    syscalls: flags.syscall,
    all: flags.all,
    errno: flags.errno,
    force: flags.force,
    record: flags.record,
    failedOnly: flags.failedOnly,
    exits: flags.exits,
    ringSize: flags.ringSize,
    command,
    path: ctx.io.env['PATH'] || DEFAULT_PATH,
  });
}

function commonFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log', "log CMD's calls of the syscalls (default)").conflicts('block'))
    .option('--block', "block CMD's calls of the syscalls: they fail with --errno (default EPERM)")
    .option('--syscall <name>', 'the syscalls (repeatable, or comma-separated); default: every syscall that takes a path', collectNames)
    .option('--all', 'every syscall, not only those that take a path')
    .option('--errno <name>', 'errno a blocked call returns (default EPERM)')
    .option('--force', 'with --block: may also block processes that hold /dev/syscallmon')
    .addOption(
      new Option('--record <mode>', 'what a call records: complete (default: at its return, with result and duration), entry (at once), both (linked by call_id)')
        .choices(RECORD_MODES),
    )
    .option('--failed-only', 'record only calls that return an error (complete records)')
    .option('--exits <on|off>', 'process-exit events of CMD and its descendants too (default off)', parseOnOff)
    .addOption(new Option('--ring-size <size>', 'the ring\'s size in the VM, in bytes (K, M, G: 1024s)').default(`${SANDBOX_RING_SIZE / (1024 * 1024)}M`));
}

export function sandboxCommand(ctx: Ctx): Command {
  return addEventOutputOptions(commonFlags(new Command('sandbox')), ['table', 'json', 'csv', 'strace'])
    .description(
      'run CMD in a throw-away VM with the module loaded; print the events of CMD and its children. ' +
        'CMD reads this stdin; its output comes back on stderr; syscallmon exits with its status',
    )
    .usage(
      '[--log | --block] [--syscall NAME]... [--all] [--errno NAME] [--force] [--record complete|entry|both]\n' +
        '                          [--failed-only] [--exits on|off] [--ring-size SIZE] [--json | --csv | --format F]\n' +
        '                          [--summary] [--failed] [--slower-than DURATION] -- CMD [ARGS...]',
    )
    .addOption(new Option('--pid <pid>').hideHelp().argParser(collectNames))
    .addOption(new Option('--off').hideHelp())
    .addOption(new Option('--file <json>').hideHelp())
    .argument('<cmd...>', 'the command and its arguments')
    .addHelpText('after', `\n${SANDBOX_EXIT_HELP}\n\n${errnoHelp()}\n`)
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags) => {
      const printer = new EventPrinter(ctx, eventOutputOf(flags));
      const { request: req, file } = requestOf(ctx, flags, command);
      const interrupt = ctx.io.interrupt();
      await ctx.note(`syscallmon: sandbox: booting a VM for ${shellWords(command)}`);
      let outcome: SandboxOutcome;
      try {
        outcome = await runSandbox(
          {
            binding: ctx.io.binding(),
            vm: ctx.io.vm,
            // The console carries firmware screen-clearing sequences and guest output: made printable first.
            onConsole: ctx.verbose ? (text) => void ctx.io.stderr.write(printable(text)) : undefined,
            // CMD's own output goes to stderr, as it comes: stdout carries only the events.
            onOutput: (bytes) => void ctx.io.stderr.write(bytes),
            stdin: ctx.io.stdin?.(),
            commandFile: file,
          },
          req,
          interrupt.signal,
        );
      } finally {
        interrupt.dispose();
      }
      await printEvents(ctx, printer, outcome.events);
      await ctx.note(sandboxSummary(req, outcome));
      ctx.exitCode = commandStatus(outcome.result);
    });
}

/** The end of `sandbox --help`. */
export const SANDBOX_EXIT_HELP = `Exit status:
  CMD's own; 128+N when signal N killed it (143: SIGTERM)
  2    usage: bad flag, value or syscall name (nothing was run)
  125  the sandbox itself failed (the VM, the module in it)
  126  CMD was found but cannot be run
  127  CMD was not found
  129, 130, 131, 143  interrupted by SIGHUP, SIGINT, SIGQUIT, SIGTERM (the VM was stopped)`;

/** The half that runs inside the VM; not for people. */
export function sandboxGuestCommand(ctx: Ctx): Command {
  return commonFlags(new Command('__sandbox-guest'))
    .description('(internal) the inside of `syscallmon sandbox`')
    .requiredOption('--share <dir>', 'writable directory shared with the host')
    .argument('<cmd...>')
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags & { share: string }) => {
      await runGuestReporting(
        { binding: ctx.io.binding(), kmod: ctx.io.kmod, launch: ctx.io.launch },
        () => requestOf(ctx, flags, command),
        flags.share,
      );
    });
}
