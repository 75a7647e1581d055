/*
 * `syscallmon log [--json | --csv | --format F] [--summary] [--failed]
 *                 [--slower-than DURATION] [--clear]`: everything the ring
 * holds, in the order it was written (seq).  The device never consumes what
 * it returns (clear_on_read only affects /proc), so reading is harmless;
 * --clear empties the ring afterwards, and so is refused with a filter that
 * would leave some of what it drops unseen.
 */
import { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import type { MonitorEvent } from '../../lib/events.js';
import type { Monitor } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { addEventOutputOptions, EventPrinter, eventOutputOf, type EventOutputFlags } from '../event-output.js';

/** Bytes per read(): a default ring (1 MiB) drains in one call. */
const BATCH_BYTES = 1 << 20;

export interface LogResult {
  events: MonitorEvent[];
  /** with --clear: records that arrived between the read and the clear, dropped unseen */
  clearedUnseen: number | null;
  /** a record that could not be read: events holds those before it, and nothing was cleared */
  failure?: unknown;
}

export function readLog(m: Monitor, opts: { clear: boolean }): LogResult {
  m.seek('tail');
  const events: MonitorEvent[] = [];
  for (;;) {
    const raw = m.readRaw(BATCH_BYTES);
    if (raw.length === 0) break;
    try {
      m.decoder.decode(raw, events);
    } catch (failure) {
      return { events, clearedUnseen: null, failure };
    }
  }
  if (!opts.clear) return { events, clearedUnseen: null };
  m.clear({ log: true });
  // A clear moves our cursor past what it drops with no lost record for it
  // (only what was overwritten before is lost): the records that came
  // between the read and the clear show as the gap between the seq we were
  // due next and the first one after the clear, its own record at the latest.
  const after = m.readAvailable();
  const first = after.find((e) => e.type !== 'lost');
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) {
    return { events, clearedUnseen: after[0]?.type === 'lost' ? after[0].count : 0 };
  }
  const due = last.type === 'lost' ? last.seq + last.count : last.seq + 1;
  return { events, clearedUnseen: Math.max(0, first.seq - due) };
}

/**
 * Events printed whole (log, sandbox), and the summary's note when events
 * were lost.  With `empty`, a table with nothing to show is that note
 * instead (or why nothing is shown).
 */
export async function printEvents(ctx: Ctx, printer: EventPrinter, events: readonly MonitorEvent[], empty?: string): Promise<void> {
  const text = printer.whole(events);
  const nothing = printer.output.format === 'table' && !printer.output.summary && printer.shown === 0 && printer.lost === 0;
  if (empty !== undefined && nothing) {
    const held = events.some((e) => e.type !== 'lost');
    await ctx.note(held ? 'syscallmon: no call matches --failed / --slower-than' : empty);
  } else {
    await ctx.out(text);
  }
  const lost = printer.lostNote();
  if (lost !== null) await ctx.note(lost);
}

export function logCommand(ctx: Ctx): Command {
  return addEventOutputOptions(new Command('log'), ['table', 'json', 'csv', 'strace'])
    .description('print every event the ring holds, oldest first')
    .option('--clear', 'then empty the ring: every record it holds is dropped (so not with --failed or --slower-than)')
    .action(async (opts: EventOutputFlags & { clear?: boolean }) => {
      const printer = new EventPrinter(ctx, eventOutputOf(opts));
      const filters = [...(opts.failed ? ['--failed'] : []), ...(opts.slowerThan !== undefined ? ['--slower-than'] : [])];
      if (opts.clear && filters.length) {
        throw new UsageError(`--clear empties the whole ring, not only what ${filters.join(' and ')} ${filters.length === 1 ? 'shows' : 'show'}: give one or the other`);
      }
      const monitor = ctx.openMonitor();
      let result: LogResult;
      try {
        result = readLog(monitor, { clear: opts.clear === true });
      } finally {
        monitor.close();
      }
      if (result.failure !== undefined && result.events.length === 0) throw result.failure;
      await printEvents(ctx, printer, result.events, 'syscallmon: the log is empty (target a syscall first: syscallmon --log --syscall NAME)');
      if (result.failure !== undefined) throw result.failure;
      if (result.clearedUnseen) {
        await ctx.note(
          `syscallmon: log cleared; ${result.clearedUnseen} record${result.clearedUnseen === 1 ? '' : 's'} ` +
            'arrived while reading and were cleared unseen',
        );
      } else if (opts.clear) {
        await ctx.note(`syscallmon: log cleared (${result.events.filter((e) => e.type !== 'lost').length} records)`);
      }
    });
}
