/*
 * `syscallmon sandbox [--log | --block] [--syscall NAME]... [--errno NAME]
 *                     [--json | --csv] -- CMD [ARGS...]`
 *
 * The flags and the printing of src/sandbox: the events of CMD and its
 * descendants, from a throw-away VM, printed like `syscallmon log` does;
 * CMD's own output on stderr.  Without --syscall it logs every syscall that
 * takes a path (what the command touched); --all logs every syscall, which
 * is slow to arm under TCG (about a minute).  The hidden `__sandbox-guest`
 * command is the half that runs in the VM.
 */
import { Command, Option } from 'commander';
import { runGuestReporting } from '../../sandbox/guest.js';
import { runSandbox, type SandboxOutcome } from '../../sandbox/host.js';
import { checkRequest, SANDBOX_CAPACITY, type SandboxRequest } from '../../sandbox/request.js';
import type { Ctx } from '../context.js';
import { collectNames, errnoHelp } from '../options.js';
import { sanitize } from '../../render/sanitize.js';
import { renderLog, type LogFormat } from './log.js';

interface SandboxFlags {
  all?: boolean;
  log?: boolean;
  block?: boolean;
  syscall?: string[];
  errno?: string;
  json?: boolean;
  csv?: boolean;
  capacity: string;
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
    `syscallmon: sandbox: ${req.command.join(' ')} ${how}; ${shown} event${shown === 1 ? '' : 's'} ` +
    `from ${pids} process${pids === 1 ? '' : 'es'}, ${r.lost} lost; ` +
    `${r.targets.length} syscall${r.targets.length === 1 ? '' : 's'} ${r.targets.length <= 4 ? `(${r.targets.join(', ')}) ` : ''}` +
    `${req.action === 'block' ? 'blocked' : 'logged'}; VM boot ${o.bootSeconds.toFixed(1)} s, command ${o.commandSeconds.toFixed(1)} s`
  );
}

function requestOf(ctx: Ctx, flags: SandboxFlags, command: string[]): SandboxRequest {
  return checkRequest(ctx.io.binding(), {
    block: flags.block,
    syscalls: flags.syscall,
    all: flags.all,
    errno: flags.errno,
    capacity: flags.capacity,
    command,
  });
}

function commonFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log', 'log the targets (default)').conflicts('block'))
    .option('--block', 'block the targets: they fail with --errno (default EPERM)')
    .option('--syscall <name>', 'target this syscall (repeatable, or comma-separated); default: every syscall that takes a path', collectNames)
    .option('--all', 'target every syscall (arming ~350 probes takes about a minute under emulation)')
    .option('--errno <name>', 'errno a blocked call returns (default EPERM)')
    .addOption(new Option('--capacity <records>', 'ring size in the VM').default(String(SANDBOX_CAPACITY)));
}

export function sandboxCommand(ctx: Ctx): Command {
  return commonFlags(new Command('sandbox'))
    .description('run CMD in a throw-away VM with the module loaded; print the events of CMD and its children')
    .usage('[--log | --block] [--syscall NAME]... [--errno NAME] [--json | --csv] -- CMD [ARGS...]')
    .addOption(new Option('--json', 'NDJSON: one event per line').conflicts('csv'))
    .option('--csv', 'CSV with a header row (RFC 4180)')
    .argument('<cmd...>', 'the command and its arguments')
    .addHelpText('after', `\n${errnoHelp()}\n`)
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags) => {
      const req = requestOf(ctx, flags, command);
      const interrupt = ctx.io.interrupt();
      await ctx.note(`syscallmon: sandbox: booting the VM for ${command.join(' ')} (about a minute under emulation)`);
      let outcome: SandboxOutcome;
      try {
        outcome = await runSandbox(
          {
            binding: ctx.io.binding(),
            vm: ctx.io.vm,
            // The console carries firmware screen-clearing sequences and guest output: made printable first.
            onConsole: ctx.verbose ? (text) => void ctx.io.stderr.write(printable(text)) : undefined,
          },
          req,
          interrupt.signal,
        );
      } finally {
        interrupt.dispose();
      }
      // CMD's own output goes to stderr: stdout carries only the events.
      if (outcome.cmdStdout.length) await ctx.io.stderr.write(outcome.cmdStdout.toString('utf8'));
      if (outcome.cmdStderr.length) await ctx.io.stderr.write(outcome.cmdStderr.toString('utf8'));
      const format: LogFormat = flags.json ? 'json' : flags.csv ? 'csv' : 'table';
      await ctx.out(renderLog(outcome.events, format, ctx));
      if (ctx.verbose) {
        for (const s of outcome.result.skipped) await ctx.note(`syscallmon: sandbox: not targeted: ${s.syscall}: ${s.reason}`);
      }
      await ctx.note(sandboxSummary(req, outcome));
    });
}

/** The half that runs inside the VM; not for people. */
export function sandboxGuestCommand(ctx: Ctx): Command {
  return commonFlags(new Command('__sandbox-guest'))
    .description('(internal) the inside of `syscallmon sandbox`')
    .requiredOption('--share <dir>', 'writable directory shared with the host')
    .argument('<cmd...>')
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags & { share: string }) => {
      await runGuestReporting({ binding: ctx.io.binding(), kmod: ctx.io.kmod }, () => requestOf(ctx, flags, command), flags.share);
    });
}
