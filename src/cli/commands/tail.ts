/*
 * `syscallmon tail [--json] [--syscall NAME]... [--pid N]... [-n N] [--count N]`
 *
 * Follows the ring live through the library's raw subscription, which the
 * addon drives by polling the device fd.  While events stream in, reads wait
 * up to --coalesce ms to take them in batches: one wake-up per event would
 * cost the traced processes more than their syscalls (issue 5).
 * --syscall/--pid only choose what is shown; they never arm a probe.
 * Stops on Ctrl-C, SIGTERM, stdout closing, or after --count events, and
 * then prints a summary on stderr.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { errnoName } from '../../lib/errnos.js';
import { isBindingError, type Binding } from '../../lib/binding.js';
import { MAX_COALESCE_MS, type Monitor, type Subscription } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { collect, collectNames, parseCount, parsePid, parsePositive } from '../options.js';
import { eventLine } from '../../render/events.js';
import { RawNdjsonEncoder } from '../../render/ndjson.js';
import type { Palette } from '../../render/colour.js';

/**
 * tail's coalescing window. 2 ms is invisible to a reader of the output and
 * lets a reader sharing one CPU with a full-speed producer take ~100-event
 * batches (issue 5: instruction clock, openat loop).
 */
export const DEFAULT_COALESCE_MS = 2;

function parseCoalesce(value: string): number {
  const n = parseCount(value);
  if (n > MAX_COALESCE_MS) throw new InvalidArgumentError(`expected milliseconds from 0 to ${MAX_COALESCE_MS}`);
  return n;
}

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
  /** Monitor.subscribe's coalescing window: how long a busy stream waits to fill a batch */
  coalesceMs: number;
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
  /** The fd behind the writer, when writing to it directly now keeps the output in order (Sink.directFd). */
  directFd?(): number | undefined;
}

/** Binding.ndjsonFormatter's result: whole records to their NDJSON bytes, or straight to an fd. */
type NativeFormat = NonNullable<ReturnType<NonNullable<Binding['ndjsonFormatter']>>>;

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
   * counted, each run of consecutive kept records handed to emit (the whole
   * batch in one run when nothing is filtered out).
   */
  nativeRuns(buf: Buffer, live: boolean, emit: (records: Buffer) => void): void {
    const limit = this.opts.count > 0 ? this.opts.count : Infinity;
    let run = -1;
    let at = 0;
    for (; at + this.size <= buf.length; at += this.size) {
      const type = this.raw.type(buf, at);
      if (live) {
        if (type === 'lost') this.lost += this.raw.lostCount(buf, at);
        else this.read++;
      }
      if (!this.keep(buf, at, type)) {
        if (run >= 0) emit(buf.subarray(run, at));
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
    if (run >= 0) emit(buf.subarray(run, at));
  }

  formatNative(buf: Buffer, live: boolean, native: NativeFormat): Buffer {
    const parts: Buffer[] = [];
    this.nativeRuns(buf, live, (records) => parts.push(native(records)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** --json with the addon's formatter writing each kept run straight to fd: no JS string or Buffer per batch. */
  writeNative(buf: Buffer, fd: number): void {
    const native = this.native!;
    this.nativeRuns(buf, true, (records) => native.writeTo(fd, records));
  }

  hasNative(): boolean {
    return this.native !== undefined && this.opts.json;
  }

  /** --json with nothing filtered out and no --count: every record goes out as it is. */
  everything(): boolean {
    return this.native !== undefined && this.opts.filter.nrs.size === 0 && this.opts.filter.pids.size === 0 && this.opts.count === 0;
  }

  /** What the addon wrote on its own (Monitor.writeNdjson). */
  counted(events: number, lost: number): void {
    this.read += events;
    this.shown += events;
    this.lost += lost;
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
  const sink = new RecordSink(m, raw, opts, colour, opts.json ? m.ndjsonFormatter() : undefined);
  if (opts.backlog > 0) {
    const text = sink.backlog(opts.backlog);
    if (text) await out.write(text);
  } else {
    m.seek('head');
  }
  await ready();
  let stdoutGone = false;
  if (!sink.full && !signal.aborted) {
    const native = sink.everything() ? nativeStream(m, out, opts.coalesceMs, signal, sink) : undefined;
    const sub: Subscription = native ?? m.subscribeRaw(
      (batch): void | Promise<void> => {
        const fd = sink.hasNative() ? out.directFd?.() : undefined;
        if (fd !== undefined) {
          sink.writeNative(batch, fd);
          if (sink.full) sub.stop();
          return;
        }
        const text = sink.formatBatch(batch);
        // One write per batch; a pending write pauses reading (the kernel ring keeps the rest).
        const written = text.length ? out.write(text) : undefined;
        if (!sink.full) return written;
        if (written === undefined) return sub.stop();
        return written.then(() => sub.stop());
      },
      // Every path here is done with the batch before it returns: the text
      // path's strings and formatNative's Buffer are copies.
      { signal, coalesceMs: opts.coalesceMs, transient: true },
    );
    try {
      await sub.done;
    } catch (e) {
      if (isBindingError(e) && e.code === 'EPIPE') stdoutGone = true;
      else if (!signal.aborted) throw e;
    }
  }
  const reason = sink.full ? 'count' : stdoutGone ? 'EPIPE' : signal.aborted ? String(signal.reason ?? 'aborted') : 'end';
  return { shown: sink.shown, read: sink.read, lost: sink.lost, seconds: (performance.now() - started) / 1000, reason };
}

/**
 * tail --json of everything to a plain fd: the addon reads, formats and
 * writes on its own (Monitor.writeNdjson), with no JS per batch beyond the
 * counts. undefined when the writer has no fd to hand over, or the addon
 * cannot.
 */
function nativeStream(m: Monitor, out: Writer, coalesceMs: number, signal: AbortSignal, sink: RecordSink): Subscription | undefined {
  const fd = out.directFd?.();
  if (fd === undefined || m.binding.startNdjsonStream === undefined) return undefined;
  return m.writeNdjson(fd, { signal, coalesceMs, onProgress: (events, lost) => sink.counted(events, lost) });
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
    .addOption(
      new Option('--coalesce <ms>', 'while events stream in, wait up to MS ms to read them in batches (0: each at once)')
        .argParser(parseCoalesce)
        .default(DEFAULT_COALESCE_MS),
    )
    .action(async (opts: { json?: boolean; syscall?: string[]; pid?: number[]; lines: number; count?: number; coalesce: number }) => {
      const table = ctx.syscalls();
      const nrs = new Set((opts.syscall ?? []).map((s) => table.resolve(s).nr));
      const monitor = ctx.openMonitor();
      const interrupt = ctx.io.interrupt();
      let summary: TailSummary;
      try {
        summary = await tail(
          monitor,
          { json: opts.json === true, filter: { nrs, pids: new Set(opts.pid ?? []) }, backlog: opts.lines, count: opts.count ?? 0, coalesceMs: opts.coalesce },
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
