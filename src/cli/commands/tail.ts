/*
 * `syscallmon tail [--json] [--syscall NAME]... [--pid N]... [-n N] [--count N]`
 *
 * Follows the ring live through the library's raw batch stream, which the
 * addon drives by polling the device fd: nothing here sleeps or loops on a timer.
 * --syscall/--pid only choose what is shown; they never arm a probe.
 * Stops on Ctrl-C, SIGTERM, stdout closing, or after --count events, and
 * then prints a summary on stderr.
 */
import { Command, Option } from 'commander';
import { errnoName } from '../../lib/errnos.js';
import type { Monitor } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { collect, collectNames, parseCount, parsePid, parsePositive } from '../options.js';
import { eventLine } from '../../render/events.js';
import { RawNdjsonEncoder } from '../../render/ndjson.js';
import type { Palette } from '../../render/colour.js';

export interface TailFilter {
  /** syscall numbers to show; empty: all */
  nrs: ReadonlySet<number>;
  /** tgids or thread ids to show; empty: all */
  pids: ReadonlySet<number>;
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
  /** native --json batches arrive as UTF-8 bytes (the CLI's sinks hand them to the stream as is) */
  write(text: string | Uint8Array): void | Promise<void>;
}

/** A batch of whole records to its NDJSON bytes (Binding.ndjsonFormatter). */
type NativeFormat = (batch: Buffer) => Buffer;

/**
 * Works on raw batches, record by record: the filter reads three fields in
 * place, and --json goes straight from the record to its line — in the
 * addon when it has the formatter (one call per batch: JS cost ~20 k
 * instructions per event, issue 5), else RawNdjsonEncoder, the same bytes —
 * so the hot path makes no event objects at all.  Only
 * the human format decodes, one record at a time.
 */
class RecordSink {
  shown = 0;
  read = 0;
  lost = 0;
  full = false;
  private readonly size: number;

  constructor(
    private readonly m: Monitor,
    private readonly raw: RawNdjsonEncoder,
    private readonly opts: TailOptions,
    private readonly colour: Palette,
    private readonly native?: NativeFormat,
  ) {
    this.size = raw.recordSize;
  }

  private keep(buf: Buffer, at: number, type: 'syscall' | 'exit' | 'lost'): boolean {
    // A gap must never be hidden by a filter.
    if (type === 'lost') return true;
    const { nrs, pids } = this.opts.filter;
    if (pids.size && !pids.has(this.raw.tgid(buf, at)) && !pids.has(this.raw.pid(buf, at))) return false;
    if (nrs.size) return type === 'syscall' && nrs.has(this.raw.nr(buf, at));
    return true;
  }

  /** Formats the kept records of one batch as one string; live: counted as read. */
  format(buf: Buffer, live: boolean, from = 0): string {
    const limit = this.opts.count > 0 ? this.opts.count : Infinity;
    let text = '';
    for (let at = from; at + this.size <= buf.length; at += this.size) {
      const type = this.raw.type(buf, at);
      if (live) {
        if (type === 'lost') this.lost += this.raw.lostCount(buf, at);
        else this.read++;
      }
      if (!this.keep(buf, at, type)) continue;
      text += this.opts.json ? this.raw.line(buf, at) : eventLine(this.m.decoder.decodeAt(buf, at), this.colour);
      if (type !== 'lost' && ++this.shown >= limit) {
        this.full = true;
        break;
      }
    }
    return text;
  }

  /**
   * format() for --json with the addon's formatter: the same records kept and
   * counted, each run of consecutive kept records formatted by one native
   * call (one for the whole batch when nothing is filtered out).
   */
  formatNative(buf: Buffer, live: boolean, native: NativeFormat): Buffer {
    const limit = this.opts.count > 0 ? this.opts.count : Infinity;
    const parts: Buffer[] = [];
    let run = -1;
    let at = 0;
    for (; at + this.size <= buf.length; at += this.size) {
      const type = this.raw.type(buf, at);
      if (live) {
        if (type === 'lost') this.lost += this.raw.lostCount(buf, at);
        else this.read++;
      }
      if (!this.keep(buf, at, type)) {
        if (run >= 0) parts.push(native(buf.subarray(run, at)));
        run = -1;
        continue;
      }
      if (run < 0) run = at;
      if (type !== 'lost' && ++this.shown >= limit) {
        this.full = true;
        at += this.size;
        break;
      }
    }
    if (run >= 0) parts.push(native(buf.subarray(run, at)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** One batch for out.write: native bytes when the addon formats --json, else a string. */
  formatBatch(buf: Buffer): string | Buffer {
    return this.native !== undefined && this.opts.json ? this.formatNative(buf, true, this.native) : this.format(buf, true);
  }

  /** The last n records already held (lost markers of that history skipped), as one string. */
  backlog(n: number): string {
    this.m.seek('tail');
    const ring: { buf: Buffer; at: number }[] = [];
    for (let buf = this.m.readRaw(4096); buf.length; buf = this.m.readRaw(4096)) {
      for (let at = 0; at + this.size <= buf.length; at += this.size) {
        const type = this.raw.type(buf, at);
        if (type === 'lost' || !this.keep(buf, at, type)) continue;
        ring.push({ buf, at });
        if (ring.length > n) ring.shift();
      }
    }
    let text = '';
    for (const r of ring) text += this.format(r.buf.subarray(r.at, r.at + this.size), false);
    return text;
  }
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
  const raw = new RawNdjsonEncoder(m.binding, (nr) => m.syscalls.nameOf(nr), errnoName);
  const native = opts.json ? m.binding.ndjsonFormatter?.(errnoNames(m.binding.constants)) : undefined;
  const sink = new RecordSink(m, raw, opts, colour, native);
  if (opts.backlog > 0) {
    const text = sink.backlog(opts.backlog);
    if (text) await out.write(text);
  } else {
    m.seek('head');
  }
  await ready();
  if (!sink.full && !signal.aborted) {
    try {
      for await (const batch of m.rawBatches({ signal })) {
        const text = sink.formatBatch(batch);
        // One write per batch; awaiting it is the backpressure (the kernel ring keeps the rest).
        if (text.length) await out.write(text);
        if (sink.full || signal.aborted) break;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }
  const reason = sink.full ? 'count' : signal.aborted ? String(signal.reason ?? 'aborted') : 'end';
  return { shown: sink.shown, read: sink.read, lost: sink.lost, seconds: (performance.now() - started) / 1000, reason };
}

/** errnoName for every errno the module can report, indexed by number, for the native formatter. */
function errnoNames(constants: Record<string, number>): string[] {
  const max = constants.MAX_ERRNO;
  if (max === undefined) throw new Error('syscallmon addon does not export MAX_ERRNO');
  const names: string[] = [];
  for (let e = 1; e <= max; e++) names[e] = errnoName(e);
  return names;
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
