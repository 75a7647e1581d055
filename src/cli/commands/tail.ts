/*
 * `syscallmon tail [--json] [--syscall NAME]... [--pid N]... [-n N] [--count N]`
 *
 * Follows the ring live: the library's event stream is driven by poll() on
 * the device in the addon's reader thread, so nothing here sleeps or polls.
 * --syscall/--pid only choose what is shown; they never arm a probe.
 * Stops on Ctrl-C, SIGTERM, stdout closing, or after --count events, and
 * then prints a summary on stderr.
 */
import { Command, Option } from 'commander';
import type { MonitorEvent } from '../../lib/events.js';
import type { Monitor } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { collect, collectNames, parseCount, parsePid, parsePositive } from '../options.js';
import { eventLine } from '../../render/events.js';
import { NdjsonEncoder } from '../../render/ndjson.js';
import type { Palette } from '../../render/colour.js';

export interface TailFilter {
  /** syscall numbers to show; empty: all */
  nrs: ReadonlySet<number>;
  /** tgids or thread ids to show; empty: all */
  pids: ReadonlySet<number>;
}

/** Lost markers always pass: a gap must never be hidden by a filter. */
export function makeFilter(f: TailFilter): ((e: MonitorEvent) => boolean) | undefined {
  if (f.nrs.size === 0 && f.pids.size === 0) return undefined;
  return (e) => {
    if (e.type === 'lost') return true;
    if (f.pids.size && !f.pids.has(e.tgid) && !f.pids.has(e.pid)) return false;
    if (f.nrs.size) return e.type === 'syscall' && f.nrs.has(e.nr);
    return true;
  };
}

export interface TailOptions {
  json: boolean;
  filter: TailFilter;
  /** records already held to show first */
  backlog: number;
  /** stop after this many events shown (lost markers not counted); 0: never */
  count: number;
}

export interface TailSummary {
  shown: number;
  read: number;
  lost: number;
  seconds: number;
  /** why it stopped: 'SIGINT', 'SIGTERM', 'EPIPE', 'count', 'end' */
  reason: string;
}

interface Writer {
  write(text: string): void | Promise<void>;
}

/** Formats events for the chosen output; one string per batch. */
class BatchFormatter {
  private readonly ndjson = new NdjsonEncoder();
  constructor(
    private readonly json: boolean,
    private readonly colour: Palette,
  ) {}

  format(e: MonitorEvent): string {
    return this.json ? this.ndjson.line(e) : eventLine(e, this.colour);
  }
}

function drainBacklog(m: Monitor, keep: number): MonitorEvent[] {
  m.seek('tail');
  const ring: MonitorEvent[] = [];
  for (;;) {
    const batch = m.readAvailable(4096);
    if (batch.length === 0) break;
    for (const e of batch) {
      // A gap in history older than what is kept is not worth reporting.
      if (e.type === 'lost') continue;
      ring.push(e);
      if (ring.length > keep) ring.shift();
    }
  }
  return ring;
}

export async function tail(
  m: Monitor,
  opts: TailOptions,
  out: Writer,
  colour: Palette,
  signal: AbortSignal,
  ready: () => void | Promise<void>,
): Promise<TailSummary> {
  const started = performance.now();
  const keep = makeFilter(opts.filter);
  const fmt = new BatchFormatter(opts.json, colour);
  let shown = 0;
  let read = 0;
  let lost = 0;
  let reason = 'end';
  const limit = opts.count > 0 ? opts.count : Infinity;

  // One pass over a batch: count, filter, format into one string, one write.
  const emit = async (batch: readonly MonitorEvent[]): Promise<boolean> => {
    let text = '';
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (e.type === 'lost') lost += e.count;
      else read++;
      if (keep !== undefined && !keep(e)) continue;
      text += fmt.format(e);
      if (e.type !== 'lost' && ++shown >= limit) {
        reason = 'count';
        break;
      }
    }
    if (text !== '') await out.write(text);
    return reason !== 'count';
  };

  if (opts.backlog > 0) {
    const old = drainBacklog(m, opts.backlog);
    read -= old.length; // counted again by emit; backlog is not "read live"
    await emit(old);
  } else {
    m.seek('head');
  }
  await ready();
  if (reason !== 'count' && !signal.aborted) {
    try {
      for await (const batch of m.events({ signal })) {
        if (!(await emit(batch))) break;
        if (signal.aborted) break;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }
  if (reason !== 'count' && signal.aborted) reason = String(signal.reason ?? 'aborted');
  return { shown, read: Math.max(0, read), lost, seconds: (performance.now() - started) / 1000, reason };
}

export function renderSummary(s: TailSummary): string {
  const why = s.reason === 'count' ? 'count reached' : s.reason === 'end' ? 'stream ended' : s.reason;
  return (
    `syscallmon: tail stopped (${why}): ${s.shown} shown, ${s.read} read, ` +
    `${s.lost} lost in ${s.seconds.toFixed(1)} s`
  );
}

export function tailCommand(ctx: Ctx): Command {
  return new Command('tail')
    .description('follow events live (Ctrl-C stops); filters only choose what is shown')
    .option('--json', 'NDJSON: one event per line')
    .option('--syscall <name>', 'show only this syscall (repeatable, or comma-separated)', collectNames)
    .option('--pid <pid>', 'show only this process or thread (repeatable)', collect(parsePid))
    .addOption(new Option('-n, --lines <n>', 'first show the last N events already held').argParser(parseCount).default(0))
    .addOption(new Option('--count <n>', 'stop after N events are shown').argParser(parsePositive))
    .action(async (opts: { json?: boolean; syscall?: string[]; pid?: number[]; lines: number; count?: number }) => {
      const table = ctx.syscalls();
      const nrs = new Set((opts.syscall ?? []).map((s) => table.resolve(s).nr));
      const monitor = ctx.openMonitor();
      const interrupt = ctx.io.interrupt();
      let summary: TailSummary;
      try {
        summary = await tail(
          monitor,
          { json: opts.json === true, filter: { nrs, pids: new Set(opts.pid ?? []) }, backlog: opts.lines, count: opts.count ?? 0 },
          ctx.io.stdout,
          ctx.colour,
          interrupt.signal,
          () => ctx.note(`syscallmon: following ${ctx.devicePath()}${opts.count ? ` until ${opts.count} events` : ''}; Ctrl-C to stop`),
        );
      } finally {
        interrupt.dispose();
        monitor.close();
      }
      await ctx.note(renderSummary(summary));
    });
}
