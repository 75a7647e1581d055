/*
 * NDJSON: one event per line, stdout holding nothing else.  A line has its
 * record type's fields of the event schema (kernel/include/uapi/
 * syscallmon_schema.h), named and ordered as there, every one present (null
 * when the record lacks it) so consumers can rely on a shape.
 *
 * NdjsonEncoder writes decoded events (log --json, sandbox --json);
 * RawNdjsonEncoder writes raw records, the same bytes as the addon's
 * formatter (native/ndjson.cc) that follow's NDJSON output uses: the tests
 * hold the three equal, and equal to JSON.stringify of the event (whose
 * toJSON the schema drives) where that is exact.  A batch becomes one string
 * built by concatenation, with no intermediate object per event and no
 * JSON.stringify for strings that need no escaping.
 */
import {
  cString,
  NO_SYSCALL,
  type ConfigEvent,
  type ExitEvent,
  type LostEvent,
  type MonitorEvent,
  type SyscallEvent,
} from '../lib/events.js';
import { recordSize, resolveLayout, type RecordLayout, type ResolvedLayout } from '../lib/records.js';
import { hexArg } from '../lib/schema.js';
import { IsoClock } from './fields.js';

// Characters JSON must escape; kernel strings rarely have any.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function jsonNullableString(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

function jsonArgs(a: readonly bigint[]): string {
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i ? ',"' : '"') + hexArg(a[i] as bigint) + '"';
  return out + ']';
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
      case 'config':
        return this.config(e);
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

  private head(e: SyscallEvent | ExitEvent | ConfigEvent): string {
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
    return (
      this.head(e) +
      ',"syscall":' + jsonString(e.syscall) +
      ',"nr":' + e.nr +
      ',"abi":"' + e.abi +
      '","native_nr":' + e.native_nr +
      ',"verdict":"' + e.verdict +
      '","block_errno":' + jsonNullableString(e.block_errno) +
      ',"rule":' + (e.rule === null ? 'null' : e.rule) +
      ',"file":' + e.file +
      ',"path":' + jsonNullableString(e.path) +
      ',"path_truncated":' + e.path_truncated +
      ',"path_unreadable":' + e.path_unreadable +
      ',"target":' + jsonNullableString(e.target) +
      ',"args":' + jsonArgs(e.args) +
      ',"ret":' + (e.ret === null ? 'null' : e.ret.toString()) +
      ',"errno":' + jsonNullableString(e.errno) +
      ',"duration_ns":' + (e.duration_ns === null ? 'null' : '"' + e.duration_ns.toString() + '"') +
      ',"call_id":' + (e.call_id === null ? 'null' : e.call_id) +
      ',"entry":' + e.entry +
      ',"no_result":' + e.no_result + '}\n'
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

  private config(e: ConfigEvent): string {
    return this.head(e) + ',"kind":"' + e.kind + '","id":' + e.id + ',"text":' + jsonString(e.text) + '}\n';
  }
}

function lostLine(e: LostEvent): string {
  return '{"type":"lost","seq":' + e.seq + ',"count":' + e.count + ',"config":' + e.config + '}\n';
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

/** A u64 as a decimal number without a BigInt when it fits in 53 bits. */
function decimalU64(buf: Buffer, off: number): string {
  const hi = buf.readUInt32LE(off + 4);
  return hi < 0x200000 ? String(buf.readUInt32LE(off) + hi * TWO_32) : buf.readBigUInt64LE(off).toString();
}

/**
 * NDJSON straight from raw records: no event object, no BigInt for the
 * arguments, no array per event; the line is the same as NdjsonEncoder's for
 * the decoded event and the addon formatter's for the record (tests hold
 * them equal).
 */
export class RawNdjsonEncoder {
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
  }

  /** The size of the whole record at buf[at] (records.ts, recordSize). */
  size(buf: Buffer, at: number): number {
    return recordSize(this.layout, buf, at);
  }

  type(buf: Buffer, at: number): 'syscall' | 'exit' | 'config' | 'lost' | 'pad' {
    const l = this.layout;
    const t = buf.readUInt16LE(at + this.o.type);
    if (t === l.recSyscall) return 'syscall';
    if (t === l.recExit) return 'exit';
    if (t === l.recConfig) return 'config';
    if (t === l.recLost) return 'lost';
    if (t === l.recPad) return 'pad';
    throw new Error(`record at byte ${at}: unknown record type ${t} (module newer than this tool?)`);
  }

  private syscallJson(nr: number): string {
    if (nr === this.layout.nrNone) return ',"syscall":"' + NO_SYSCALL + '","nr":' + nr;
    return (this.nameJson[nr] ??= ',"syscall":' + jsonString(this.syscallName(nr)) + ',"nr":' + nr);
  }

  private errnoOf(err: number): string {
    return (this.errnoJson[err] ??= jsonString(this.errnoName(err)));
  }

  /** Every line of buf's whole records, padding skipped. */
  lines(buf: Buffer): string {
    let out = '';
    for (let at = 0, size = 0; at < buf.length; at += size) {
      size = this.size(buf, at);
      if (this.type(buf, at) !== 'pad') out += this.line(buf, at);
    }
    return out;
  }

  /** The (whole, not padding) record at byte offset at, as one NDJSON line. */
  line(buf: Buffer, at: number): string {
    const l = this.layout;
    const o = this.o;
    const type = this.type(buf, at);
    const seq = buf.readUInt32LE(at + o.seq) + buf.readUInt32LE(at + o.seq + 4) * TWO_32;
    if (type === 'lost') {
      return '{"type":"lost","seq":' + seq + ',"count":' + decimalU64(buf, at + o.count) +
        ',"config":' + decimalU64(buf, at + o.config) + '}\n';
    }
    if (type === 'pad') throw new Error(`record at byte ${at}: padding has no line`);
    // Checked before anything is built, as the addon's formatter does.
    let verdict: string | undefined;
    let abi: string | undefined;
    let kind: string | undefined;
    if (type === 'config') {
      const k = buf.readUInt32LE(at + o.kind);
      kind = l.configKinds[k];
      if (kind === undefined) throw new Error(`record at byte ${at}: unknown configuration kind ${k}`);
    }
    if (type === 'syscall') {
      const v = buf.readUInt16LE(at + o.verdict);
      verdict = l.verdicts[v];
      if (verdict === undefined) throw new Error(`record at byte ${at}: unknown verdict ${v}`);
      const a = buf.readUInt16LE(at + o.abi);
      abi = l.abis[a];
      if (abi === undefined) throw new Error(`record at byte ${at}: unknown abi ${a}`);
    }
    const ts = buf.readBigUInt64LE(at + o.ts_ns).toString();
    const head =
      '{"type":"' + type +
      '","seq":' + seq +
      ',"ts_ns":"' + ts +
      '","time":"' + this.clock.iso(ts) +
      '","pid":' + buf.readUInt32LE(at + o.pid) +
      ',"tgid":' + buf.readUInt32LE(at + o.tgid) +
      ',"ppid":' + buf.readUInt32LE(at + o.ppid) +
      ',"uid":' + buf.readUInt32LE(at + o.uid) +
      ',"gid":' + buf.readUInt32LE(at + o.gid) +
      ',"comm":' + jsonCString(buf, at + o.comm, l.commLen);
    if (type === 'config') {
      return (
        head +
        ',"kind":"' + kind +
        '","id":' + buf.readUInt32LE(at + o.id) +
        ',"text":' + jsonCString(buf, at + o.text, buf.readUInt16LE(at + o.text_len)) + '}\n'
      );
    }
    if (type === 'exit') {
      return (
        head +
        ',"exit_code":' + buf.readInt32LE(at + o.exit_code) +
        ',"signal":' + buf.readInt32LE(at + o.signal) +
        ',"utime_ns":"' + buf.readBigUInt64LE(at + o.utime_ns).toString() +
        '","stime_ns":"' + buf.readBigUInt64LE(at + o.stime_ns).toString() + '"}\n'
      );
    }
    const err = buf.readInt32LE(at + o.err);
    const flags = buf.readUInt32LE(at + o.flags);
    const pathLen = buf.readUInt16LE(at + o.path_len);
    const data = at + o.data;
    let args = '[';
    for (let i = 0, a = at + o.args; i < l.nrArgs; i++, a += 8) args += (i ? ',"' : '"') + hexU64(buf, a) + '"';
    let result = ',"ret":null,"errno":null,"duration_ns":null';
    if (flags & l.fResult) {
      const ret = buf.readBigInt64LE(at + o.ret);
      const failed = ret < 0n && ret >= -BigInt(l.maxErrno);
      result =
        ',"ret":' + ret.toString() +
        ',"errno":' + (failed ? this.errnoOf(-Number(ret)) : 'null') +
        ',"duration_ns":"' + buf.readBigUInt64LE(at + o.duration_ns).toString() + '"';
    }
    const entry = (flags & l.fEntry) !== 0;
    const callId = buf.readUInt32LE(at + o.call_id) + buf.readUInt32LE(at + o.call_id + 4) * TWO_32;
    return (
      head +
      this.syscallJson(buf.readUInt32LE(at + o.nr)) +
      ',"abi":"' + abi +
      '","native_nr":' + buf.readUInt32LE(at + o.native_nr) +
      ',"verdict":"' + verdict +
      '","block_errno":' + (verdict !== 'allowed' && err !== 0 ? this.errnoOf(err) : 'null') +
      ',"rule":' + (buf.readUInt32LE(at + o.rule) || 'null') +
      ',"file":' + ((flags & l.fFile) !== 0) +
      ',"path":' + (flags & l.fPath ? jsonCString(buf, data, pathLen) : 'null') +
      ',"path_truncated":' + ((flags & l.fPathTruncated) !== 0) +
      ',"path_unreadable":' + ((flags & l.fPathUnreadable) !== 0) +
      ',"target":' + (flags & l.fTarget ? jsonCString(buf, data + pathLen, buf.readUInt16LE(at + o.target_len)) : 'null') +
      ',"args":' + args + ']' +
      result +
      ',"call_id":' + (entry || callId !== 0 ? callId : 'null') +
      ',"entry":' + entry +
      ',"no_result":' + ((flags & l.fNoResult) !== 0) + '}\n'
    );
  }
}
