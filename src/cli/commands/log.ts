/*
 * `syscallmon log [--json | --csv] [--clear]`: everything the ring holds, in
 * the order it was written (seq).  The device never consumes what it returns
 * (clear_on_read only affects /proc), so reading is harmless; --clear drops
 * it afterwards.
 */
import { Command, Option } from 'commander';
import type { MonitorEvent } from '../../lib/events.js';
import type { Monitor } from '../../lib/monitor.js';
import { resolveSchema } from '../../lib/schema.js';
import type { Ctx } from '../context.js';
import { CsvEncoder } from '../../render/csv.js';
import { renderEventTable } from '../../render/events.js';
import { NdjsonEncoder } from '../../render/ndjson.js';

/** Bytes per read(): a default ring (1 MiB) drains in one call. */
const BATCH_BYTES = 1 << 20;

export interface LogResult {
  events: MonitorEvent[];
  /** with --clear: records that arrived between the read and the clear, dropped unseen */
  clearedUnseen: number | null;
}

export function readLog(m: Monitor, opts: { clear: boolean }): LogResult {
  m.seek('tail');
  const events: MonitorEvent[] = [];
  for (;;) {
    const batch = m.readAvailable(BATCH_BYTES);
    if (batch.length === 0) break;
    for (const e of batch) events.push(e);
  }
  if (!opts.clear) return { events, clearedUnseen: null };
  m.clear({ log: true });
  // A clear moves the ring's tail past our cursor; anything we had not read
  // comes back as one lost record with the exact count.
  const after = m.readAvailable();
  const first = after[0];
  return { events, clearedUnseen: first?.type === 'lost' ? first.count : 0 };
}

export type LogFormat = 'table' | 'json' | 'csv';

export function renderLog(events: readonly MonitorEvent[], format: LogFormat, ctx: Ctx): string {
  switch (format) {
    case 'json':
      return new NdjsonEncoder().batch(events);
    case 'csv': {
      const csv = new CsvEncoder(resolveSchema(ctx.io.binding()), { sanitize: ctx.io.stdoutIsTTY });
      return csv.header() + csv.rows(events);
    }
    case 'table':
      return renderEventTable(events, ctx.colour);
  }
}

export function logCommand(ctx: Ctx): Command {
  return new Command('log')
    .description('print every event the ring holds, oldest first')
    .addOption(new Option('--json', 'NDJSON: one event per line').conflicts('csv'))
    .option('--csv', 'CSV with a header row (RFC 4180)')
    .option('--clear', 'then drop what was printed from the ring')
    .action(async (opts: { json?: boolean; csv?: boolean; clear?: boolean }) => {
      const format: LogFormat = opts.json ? 'json' : opts.csv ? 'csv' : 'table';
      const monitor = ctx.openMonitor();
      let result: LogResult;
      try {
        result = readLog(monitor, { clear: opts.clear === true });
      } finally {
        monitor.close();
      }
      if (format === 'table' && result.events.length === 0) {
        await ctx.note('syscallmon: the log is empty (target a syscall first: syscallmon --log --syscall NAME)');
      } else {
        await ctx.out(renderLog(result.events, format, ctx));
      }
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
