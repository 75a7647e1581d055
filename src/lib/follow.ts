// Following the device (Monitor.follow): events as they happen, selected by
// syscall and process, stopped after a count, with the last N already held
// shown first. Two outputs, and only two:
//
//  - NDJSON to an fd: the addon reads, selects, formats and writes
//    (native/ndjson.cc, driven by native/stream.cc); JS hears the counts.
//    No JS object per event or per batch, so a full-speed stream never
//    waits for the garbage collector (scripts/bench/analysis.md).
//  - decoded events handed to a function, which may return a promise:
//    reading pauses until it settles.
//
// The selection rule is the formatter's (a lost record is always kept: a
// gap is never hidden by a filter); for the events output it is applied
// here, on the raw record, before anything is decoded. A unit test holds
// the two equal. A filter on how calls ended (outcome.ts) reads decoded
// events, so it takes the events output.
import { isBindingError, type Binding, type StreamHandle } from './binding.js';
import { errnoNamesByNumber } from './errnos.js';
import { UsageError } from './errors.js';
import type { EventDecoder, MonitorEvent } from './events.js';
import { outcomeSelection, type OutcomeFilter } from './outcome.js';
import { recordSize, resolveLayout, type RecordLayout, type ResolvedLayout } from './records.js';
import type { SyscallTable } from './syscalls.js';

export interface FollowOptions {
  /** syscalls to show, by name or number; absent or empty: every syscall and exit */
  syscalls?: readonly (string | number)[];
  /** processes (tgids) or threads (tids) to show; absent or empty: every one */
  pids?: readonly number[];
  /** first show the last N events the ring already holds; default 0 */
  backlog?: number;
  /** stop after N events shown (lost markers not counted); default 0: never */
  count?: number;
  /** the coalescing window of Monitor.subscribe; default 0 */
  coalesceMs?: number;
  /** bytes of records per batch; default DEFAULT_BATCH_BYTES */
  maxBytes?: number;
  /** ends the follow (cleanly) when aborted */
  signal?: AbortSignal;
  /**
   * only calls that ended so (failed, slower than a duration): exits and
   * configuration changes are not calls and are left out; events output only
   */
  outcome?: OutcomeFilter;
}

export type FollowOutput =
  /** NDJSON lines, written to this fd by the addon */
  | { ndjsonFd: number }
  /** decoded events, one call per batch; a promise pauses reading until it settles */
  | { onEvents: (events: MonitorEvent[]) => void | PromiseLike<void> };

/**
 * Why a follow ended: its count was reached; its signal was aborted; stop()
 * or the monitor's close(); or the NDJSON fd's reader went away (EPIPE).
 */
export type FollowEnd = 'count' | 'aborted' | 'stopped' | 'output closed';

export interface FollowSummary {
  /** events shown (written or handed over), backlog included */
  shown: number;
  /** events read live, shown or not */
  read: number;
  /** events this reader missed: the ring overwrote them first */
  lost: number;
  seconds: number;
  reason: FollowEnd;
}

export interface Following {
  /** Ends the follow; no output follows. Idempotent. */
  stop(): void;
  /**
   * Settles once the follow has ended: resolves with the summary, rejects
   * with a read error (a SyscallmonError), a failed write other than
   * EPIPE, or what the events function threw or rejected with.
   */
  readonly done: Promise<FollowSummary>;
}

/** What following needs of its Monitor; the Monitor hands it over (src/lib only). */
export interface FollowSource {
  readonly binding: Binding;
  readonly decoder: EventDecoder;
  readonly syscalls: SyscallTable;
  readonly maxErrno: number;
  readonly defaultBatch: number;
  isClosed(): boolean;
  seek(where: 'tail' | 'head'): void;
  readRaw(maxBytes?: number): Buffer;
  /** Monitor's one stream at a time: open starts the addon's side, handle gets its callbacks. */
  stream<A extends unknown[]>(
    open: (fd: number, onNative: (err: Error | null, ...data: A) => void) => StreamHandle,
    handle: (...data: A) => void | PromiseLike<void>,
    signal: AbortSignal | undefined,
  ): { stop(): void; done: Promise<void> };
  /** checks a pid list the way targets' pids are checked */
  checkPids(pids: readonly unknown[]): number[];
  checkBatch(max: number | undefined): number;
  checkCoalesce(ms: number | undefined): number;
}

interface Plan {
  nrs: Set<number>;
  pids: Set<number>;
  backlog: number;
  /** 0: no limit */
  count: number;
  coalesceMs: number;
  maxBytes: number;
}

/** Largest count the formatter takes (a u32). */
const COUNT_MAX = 0xffffffff;

function wholeNumber(name: string, v: number | undefined, max: number): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`invalid ${name} ${String(v)} (a whole number from 0 to ${max})`);
  return n;
}

function plan(src: FollowSource, opts: FollowOptions): Plan {
  return {
    nrs: new Set((opts.syscalls ?? []).map((s) => src.syscalls.resolve(s).nr)),
    pids: new Set(opts.pids && opts.pids.length ? src.checkPids(opts.pids) : []),
    backlog: wholeNumber('backlog', opts.backlog, COUNT_MAX),
    count: wholeNumber('count', opts.count, COUNT_MAX),
    coalesceMs: src.checkCoalesce(opts.coalesceMs),
    maxBytes: src.checkBatch(opts.maxBytes ?? src.defaultBatch),
  };
}

/** The selection rule on a raw record (native/ndjson.cc's NdjsonFormatter::Selected, in JS). */
export class RecordSelection {
  private readonly l: ResolvedLayout;

  constructor(
    layout: RecordLayout,
    private readonly nrs: ReadonlySet<number>,
    private readonly pids: ReadonlySet<number>,
  ) {
    this.l = resolveLayout(layout);
  }

  /** The size of the whole record at buf[at] (records.ts, recordSize). */
  size(buf: Buffer, at: number): number {
    return recordSize(this.l, buf, at);
  }

  isLost(buf: Buffer, at: number): boolean {
    return buf.readUInt16LE(at + this.l.off.type) === this.l.recLost;
  }

  /** Padding: no event, skipped by every reader. */
  isPad(buf: Buffer, at: number): boolean {
    return buf.readUInt16LE(at + this.l.off.type) === this.l.recPad;
  }

  /** A lost record's count of missed events. */
  lostCount(buf: Buffer, at: number): number {
    const off = at + this.l.off.count;
    return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 4294967296;
  }

  /** Whether an event record is selected (lost records always are). */
  selects(buf: Buffer, at: number): boolean {
    const type = buf.readUInt16LE(at + this.l.off.type);
    if (type === this.l.recLost) return true;
    const o = this.l.off;
    if (this.pids.size && !this.pids.has(buf.readUInt32LE(at + o.tgid)) && !this.pids.has(buf.readUInt32LE(at + o.pid))) {
      return false;
    }
    if (this.nrs.size) return type === this.l.recSyscall && this.nrs.has(buf.readUInt32LE(at + o.nr));
    return true;
  }
}

/** Every record the ring holds now, from the oldest: the backlog's source (the cursor ends at the head). */
function readHeld(src: FollowSource): Buffer {
  src.seek('tail');
  const parts: Buffer[] = [];
  for (let buf = src.readRaw(); buf.length; buf = src.readRaw()) parts.push(buf);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function isEpipe(e: unknown): boolean {
  return isBindingError(e) && e.syscall === 'write' && e.code === 'EPIPE';
}

export function follow(src: FollowSource, output: FollowOutput, opts: FollowOptions = {}): Following {
  const p = plan(src, opts);
  const keeps = opts.outcome ? outcomeSelection(opts.outcome) : null;
  if (keeps && 'ndjsonFd' in output) {
    throw new UsageError('an outcome filter reads decoded events: follow with the events output, not ndjsonFd');
  }
  const started = performance.now();
  const totals = { shown: 0, read: 0, lost: 0 };
  let full = false;
  let stopped = false;
  let live: { stop(): void; done: Promise<void> } | null = null;
  let outputClosed = false;
  let startLive: () => { stop(): void; done: Promise<void> };
  let pending: void | PromiseLike<void> = undefined;

  if ('ndjsonFd' in output) {
    const fd = output.ndjsonFd;
    const formatter = src.binding.ndjsonFormatter(errnoNamesByNumber(src.maxErrno), src.syscalls.namesByNumber(), {
      nrs: [...p.nrs],
      pids: [...p.pids],
      limit: p.count,
    });
    if (p.backlog > 0) {
      try {
        const c = formatter.writeLast(fd, readHeld(src), p.backlog);
        totals.shown += c.shown;
        full = c.full;
      } catch (e) {
        if (!isEpipe(e)) throw e;
        outputClosed = true;
      }
    } else {
      src.seek('head');
    }
    startLive = () =>
      src.stream<[number?, number?, number?, boolean?]>(
        (devFd, onNative) => src.binding.startNdjsonStream(devFd, p.maxBytes, formatter, fd, onNative, p.coalesceMs),
        (read = 0, shown = 0, lost = 0, isFull = false) => {
          totals.read += read;
          totals.shown += shown;
          totals.lost += lost;
          if (isFull) {
            full = true;
            live?.stop();
          }
        },
        opts.signal,
      );
  } else {
    const onEvents = output.onEvents;
    const sel = new RecordSelection(src.binding, p.nrs, p.pids);
    const limit = p.count > 0 ? p.count : Infinity;
    if (p.backlog > 0) {
      const held = readHeld(src);
      const picked: number[] = [];
      for (let at = 0, size = 0; at < held.length; at += size) {
        size = sel.size(held, at);
        if (!sel.isLost(held, at) && !sel.isPad(held, at) && sel.selects(held, at)) picked.push(at);
      }
      let events: MonitorEvent[] = [];
      let failure: { error: unknown } | null = null;
      try {
        if (keeps === null) {
          for (const at of picked.slice(-p.backlog).slice(0, limit)) events.push(src.decoder.decodeAt(held, at));
        } else {
          // the last N that pass: decoded from the newest back until N are found
          for (let i = picked.length - 1; i >= 0 && events.length < p.backlog; i--) {
            const e = src.decoder.decodeAt(held, picked[i]!);
            if (keeps(e)) events.push(e);
          }
          events = events.reverse().slice(0, limit);
        }
      } catch (error) {
        // decoded from the newest back, what was found is newer than the record refused
        if (keeps !== null) events = events.reverse().slice(0, limit);
        failure = { error };
      }
      totals.shown += events.length;
      full = totals.shown >= limit;
      const handed = events.length ? onEvents(events) : undefined;
      pending =
        failure === null
          ? handed
          : Promise.resolve(handed).then(() => {
              throw failure.error;
            });
    } else {
      src.seek('head');
    }
    startLive = () =>
      src.stream<[Buffer | null]>(
        (devFd, onNative) => src.binding.startStream(devFd, p.maxBytes, onNative, p.coalesceMs, false),
        (batch) => {
          if (!batch || batch.length === 0) return;
          const events: MonitorEvent[] = [];
          // A record that can't be decoded ends the follow, but only once
          // the events before it are handed over, as the NDJSON output
          // writes their lines first.
          let failure: { error: unknown } | null = null;
          try {
            for (let at = 0, size = 0; at < batch.length && !full; at += size) {
              size = sel.size(batch, at);
              if (sel.isPad(batch, at)) continue;
              const lost = sel.isLost(batch, at);
              if (lost) totals.lost += sel.lostCount(batch, at);
              else totals.read++;
              if (!sel.selects(batch, at)) continue;
              const e = src.decoder.decodeAt(batch, at);
              if (keeps !== null && !keeps(e)) continue;
              events.push(e);
              if (!lost && ++totals.shown >= limit) full = true;
            }
          } catch (error) {
            failure = { error };
          }
          const handed = events.length ? onEvents(events) : undefined;
          const after = (): void => {
            if (failure !== null) throw failure.error;
            if (full) live?.stop();
          };
          if (failure === null && !full) return handed;
          if (handed === undefined || typeof handed.then !== 'function') return after();
          return Promise.resolve(handed).then(after);
        },
        opts.signal,
      );
  }

  const stop = (): void => {
    stopped = true;
    live?.stop();
  };
  const done = (async (): Promise<FollowSummary> => {
    try {
      if (pending !== undefined) await pending;
      if (!full && !stopped && !outputClosed && !opts.signal?.aborted && !src.isClosed()) {
        live = startLive();
        await live.done;
      }
    } catch (e) {
      if (!isEpipe(e)) throw e;
      outputClosed = true;
    }
    const reason: FollowEnd = full ? 'count' : outputClosed ? 'output closed' : opts.signal?.aborted ? 'aborted' : 'stopped';
    return { ...totals, seconds: (performance.now() - started) / 1000, reason };
  })();
  return { stop, done };
}
