/*
 * `syscallmon tail [--json | --format F] [--summary] [--failed] [--slower-than DURATION]
 *                  [--syscall NAME]... [--pid N]... [-n N] [--count N] [--coalesce MS]`
 *
 * The library's follow (Monitor.follow) with flags: --json has the addon
 * write NDJSON straight to stdout's fd; the human form prints one
 * fixed-width line per event, --format strace strace's lines. --syscall,
 * --pid, --failed and --slower-than only choose what is shown; they never
 * arm a probe. Stops on Ctrl-C, SIGTERM, stdout closing, or after --count
 * events, and then prints a summary on stderr (and --summary's table on
 * stdout).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FollowSummary } from '../../lib/follow.js';
import { MAX_COALESCE_MS } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { addEventOutputOptions, EventPrinter, eventOutputOf, followOutput, type EventOutputFlags } from '../event-output.js';
import { collect, collectNames, parseCount, parsePid, parsePositive } from '../options.js';

/**
 * tail's coalescing window. 2 ms is invisible to a reader of the output and
 * lets a reader sharing one CPU with a full-speed producer take ~100-event
 * batches (scripts/bench/analysis.md: instruction clock, openat loop).
 */
export const DEFAULT_COALESCE_MS = 2;

function parseCoalesce(value: string): number {
  const n = parseCount(value);
  if (n > MAX_COALESCE_MS) throw new InvalidArgumentError(`expected milliseconds from 0 to ${MAX_COALESCE_MS}`);
  return n;
}

interface TailFlags extends EventOutputFlags {
  syscall?: string[];
  pid?: number[];
  lines: number;
  count?: number;
  coalesce: number;
}

/** Why tail stopped, as its summary says it: the interrupt's reason when that is what ended it. */
function stopReason(s: FollowSummary, interrupt: AbortSignal): string {
  switch (s.reason) {
    case 'count':
      return 'count reached';
    case 'output closed':
      return 'EPIPE';
    case 'aborted':
      return String(interrupt.reason ?? 'aborted');
    case 'stopped':
      return 'stream ended';
  }
}

export function renderSummary(s: FollowSummary, why: string): string {
  return `syscallmon: tail stopped (${why}): ${s.shown} shown, ${s.read} read, ${s.lost} lost in ${s.seconds.toFixed(1)} s`;
}

export function tailCommand(ctx: Ctx): Command {
  return addEventOutputOptions(new Command('tail'), ['table', 'json', 'strace'])
    .description('follow events live (Ctrl-C stops); filters only choose what is shown')
    .option('--syscall <name>', 'show only this syscall (repeatable, or comma-separated)', collectNames)
    .option('--pid <pid>', 'show only this process or thread (repeatable)', collect(parsePid))
    .addOption(new Option('-n, --lines <n>', 'first show the last N events already held').argParser(parseCount).default(0))
    .addOption(new Option('--count <n>', 'stop after N events are shown').argParser(parsePositive))
    .addOption(
      new Option('--coalesce <ms>', 'while events stream in, wait up to MS ms to read them in batches (0: each at once)')
        .argParser(parseCoalesce)
        .default(DEFAULT_COALESCE_MS),
    )
    .action(async (opts: TailFlags) => {
      const printer = new EventPrinter(ctx, eventOutputOf(opts));
      // Bad names are usage errors whether or not the module is loaded.
      for (const name of opts.syscall ?? []) ctx.syscalls().resolve(name);
      const output = await followOutput(ctx, printer);
      const monitor = ctx.openMonitor();
      const interrupt = ctx.io.interrupt();
      let summary: FollowSummary;
      try {
        const following = monitor.follow(output, {
          syscalls: opts.syscall,
          pids: opts.pid,
          backlog: opts.lines,
          count: opts.count,
          coalesceMs: opts.coalesce,
          signal: interrupt.signal,
          outcome: printer.output.outcome,
        });
        await ctx.note(`syscallmon: following ${monitor.devicePath}${opts.count ? ` until ${opts.count} events` : ''}; Ctrl-C to stop`);
        summary = await following.done;
      } finally {
        interrupt.dispose();
        monitor.close();
      }
      const table = printer.end();
      if (table !== '') await ctx.out(table);
      const lost = printer.lostNote();
      if (lost !== null) await ctx.note(lost);
      await ctx.note(renderSummary(summary, stopReason(summary, interrupt.signal)));
    });
}
