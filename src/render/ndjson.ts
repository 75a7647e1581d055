/*
 * NDJSON: one event per line, stdout holding nothing else.  Field names are
 * the library's event properties (and the header's), in one fixed order,
 * and every key is present on every line of a type (null when not
 * applicable) so consumers can rely on a shape.
 *
 * NdjsonEncoder writes decoded events (log --json, sandbox --json);
 * RawNdjsonEncoder writes raw records, the same bytes as the addon's
 * formatter (native/ndjson.cc) that follow's NDJSON output uses: the tests
 * and the fake binding hold the three equal.  A batch becomes one string
 * built by concatenation, with no intermediate object per event and no
 * JSON.stringify for strings that need no escaping.
 */
import { cString, type ExitEvent, type LostEvent, type MonitorEvent, type SyscallEvent } from '../lib/events.js';
import { resolveLayout, type RecordLayout, type ResolvedLayout } from '../lib/records.js';
import { hexArg, IsoClock } from './fields.js';

// Characters JSON must escape; kernel strings rarely have any.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function jsonNullableString(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

export class NdjsonEncoder {
  private readonly clock = new IsoClock();

  /** One event as one line, newline included. */
  line(e: MonitorEvent): string {
    switch (e.type) {
      case 'syscall':
        return this.syscall(e);
      case 'exit':
        return this.exit(e);
      case 'lost':
        return lostLine(e);
    }
  }

  /** A whole batch as one string, ready for one write. */
  batch(events: readonly MonitorEvent[], keep?: (e: MonitorEvent) => boolean): string {
    let out = '';
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (keep === undefined || keep(e)) out += this.line(e);
    }
    return out;
  }

  private head(e: SyscallEvent | ExitEvent): string {
    const ts = e.ts_ns.toString();
    return (
      '{"type":"' + e.type +
      '","seq":' + e.seq +
      ',"ts_ns":"' + ts +
      '","time":"' + this.clock.iso(ts) +
      '","pid":' + e.pid +
      ',"tgid":' + e.tgid +
      ',"ppid":' + e.ppid +
      ',"uid":' + e.uid +
      ',"gid":' + e.gid +
      ',"comm":' + jsonString(e.comm)
    );
  }

  private syscall(e: SyscallEvent): string {
    const a = e.args;
    return (
      this.head(e) +
      ',"syscall":' + jsonString(e.syscall) +
      ',"nr":' + e.nr +
      ',"action":"' + e.action +
      '","errno":' + jsonNullableString(e.errno) +
      ',"path":' + jsonNullableString(e.path) +
      ',"path_truncated":' + e.path_truncated +
      ',"args":["' + hexArg(a[0] ?? 0n) + '","' + hexArg(a[1] ?? 0n) + '","' + hexArg(a[2] ?? 0n) +
      '","' + hexArg(a[3] ?? 0n) + '","' + hexArg(a[4] ?? 0n) + '","' + hexArg(a[5] ?? 0n) + '"]}\n'
    );
  }

  private exit(e: ExitEvent): string {
    return (
      this.head(e) +
      ',"exit_code":' + e.exit_code +
      ',"signal":' + e.signal +
      ',"utime_ns":"' + e.utime_ns.toString() +
      '","stime_ns":"' + e.stime_ns.toString() + '"}\n'
    );
  }
}

function lostLine(e: LostEvent): string {
  return '{"type":"lost","count":' + e.count + '}\n';
}

/** Any JSON value as one NDJSON line (for command results such as status). */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}

const TWO_32 = 4294967296;

/**
 * The NUL-terminated string at buf[start, start + room) as a JSON string.
 * One byte loop finds the end and whether anything needs escaping or UTF-8
 * decoding; the common case (plain ASCII) is a latin1 slice in quotes.
 * Same text as the library's cString(), then JSON.stringify.
 */
function jsonCString(buf: Buffer, start: number, room: number): string {
  const limit = start + room;
  let end = start;
  let plain = true;
  for (; end < limit; end++) {
    const b = buf[end] as number;
    if (b === 0) break;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) plain = false;
  }
  if (plain) return '"' + buf.toString('latin1', start, end) + '"';
  return JSON.stringify(cString(buf, start, room));
}

/** A u64 as 0x-hex without a BigInt: two u32 halves. */
function hexU64(buf: Buffer, off: number): string {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  if (hi === 0) return lo === 0 ? '0x0' : '0x' + lo.toString(16);
  return '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}

/**
 * NDJSON straight from raw records: no event object, no BigInt for the
 * arguments, no array per event; the line is the same as NdjsonEncoder's for
 * the decoded event and the addon formatter's for the record (tests hold
 * them equal).
 */
export class RawNdjsonEncoder {
  readonly recordSize: number;
  private readonly clock = new IsoClock();
  private readonly layout: ResolvedLayout;
  /** field offsets, read by the per-event accessors below */
  private readonly o: ResolvedLayout['off'];
  /** per syscall number: `,"syscall":"openat","nr":257` */
  private readonly nameJson: string[] = [];
  private readonly errnoJson: string[] = [];

  constructor(
    layout: RecordLayout,
    private readonly syscallName: (nr: number) => string,
    private readonly errnoName: (errno: number) => string,
  ) {
    this.layout = resolveLayout(layout);
    this.o = this.layout.off;
    this.recordSize = this.layout.recordSize;
  }

  type(buf: Buffer, at: number): 'syscall' | 'exit' | 'lost' {
    const l = this.layout;
    const t = buf.readUInt16LE(at + this.o.type);
    if (t === l.recSyscall) return 'syscall';
    if (t === l.recExit) return 'exit';
    if (t === l.recLost) return 'lost';
    throw new Error(`record at byte ${at}: unknown record type ${t} (module newer than this tool?)`);
  }

  nr(buf: Buffer, at: number): number {
    return buf.readUInt32LE(at + this.o.nr);
  }

  pid(buf: Buffer, at: number): number {
    return buf.readUInt32LE(at + this.o.pid);
  }

  tgid(buf: Buffer, at: number): number {
    return buf.readUInt32LE(at + this.o.tgid);
  }

  /** lost records: how many this reader missed */
  lostCount(buf: Buffer, at: number): number {
    return buf.readUInt32LE(at + this.o.lost) + buf.readUInt32LE(at + this.o.lost + 4) * TWO_32;
  }

  private syscallJson(nr: number): string {
    return (this.nameJson[nr] ??= ',"syscall":' + jsonString(this.syscallName(nr)) + ',"nr":' + nr);
  }

  private errnoOf(err: number): string {
    return (this.errnoJson[err] ??= jsonString(this.errnoName(err)));
  }

  /** The record at byte offset at, as one NDJSON line. */
  line(buf: Buffer, at: number): string {
    const l = this.layout;
    const o = this.o;
    const type = this.type(buf, at);
    if (type === 'lost') return '{"type":"lost","count":' + this.lostCount(buf, at) + '}\n';
    const ts = buf.readBigUInt64LE(at + o.ts_ns).toString();
    const head =
      '{"type":"' + type +
      '","seq":' + (buf.readUInt32LE(at + o.seq) + buf.readUInt32LE(at + o.seq + 4) * TWO_32) +
      ',"ts_ns":"' + ts +
      '","time":"' + this.clock.iso(ts) +
      '","pid":' + buf.readUInt32LE(at + o.pid) +
      ',"tgid":' + buf.readUInt32LE(at + o.tgid) +
      ',"ppid":' + buf.readUInt32LE(at + o.ppid) +
      ',"uid":' + buf.readUInt32LE(at + o.uid) +
      ',"gid":' + buf.readUInt32LE(at + o.gid) +
      ',"comm":' + jsonCString(buf, at + o.comm, l.commLen);
    if (type === 'exit') {
      return (
        head +
        ',"exit_code":' + buf.readInt32LE(at + o.exit_code) +
        ',"signal":' + buf.readInt32LE(at + o.exit_signal) +
        ',"utime_ns":"' + buf.readBigUInt64LE(at + o.utime_ns).toString() +
        '","stime_ns":"' + buf.readBigUInt64LE(at + o.stime_ns).toString() + '"}\n'
      );
    }
    const verdict = buf.readUInt32LE(at + o.verdict);
    const action = l.verdicts[verdict];
    if (action === undefined) throw new Error(`record at byte ${at}: unknown verdict ${verdict}`);
    const err = buf.readInt32LE(at + o.err);
    const flags = buf.readUInt16LE(at + o.path_flags);
    const hasPath = (flags & (l.pathNone | l.pathUnreadable)) === 0;
    const a = at + o.args;
    return (
      head +
      this.syscallJson(buf.readUInt32LE(at + o.nr)) +
      ',"action":"' + action +
      '","errno":' + (action !== 'allowed' && err !== 0 ? this.errnoOf(err) : 'null') +
      ',"path":' + (hasPath ? jsonCString(buf, at + o.path, l.pathLen) : 'null') +
      ',"path_truncated":' + ((flags & l.pathTruncated) !== 0) +
      ',"args":["' + hexU64(buf, a) + '","' + hexU64(buf, a + 8) + '","' + hexU64(buf, a + 16) +
      '","' + hexU64(buf, a + 24) + '","' + hexU64(buf, a + 32) + '","' + hexU64(buf, a + 40) + '"]}\n'
    );
  }
}
