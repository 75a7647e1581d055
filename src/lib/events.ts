// Raw struct syscallmon_event records -> event objects whose field names are
// the NDJSON names (issue 3), the same in CSV.
//
// Speed (goal: >= 2 M events/s on the host, scripts/bench/decode.ts): one
// class per record type so every object has the same shape; offsets read
// once into the decoder; strings found with memchr (Buffer.indexOf) and
// sliced without toString()'s dispatch; `time` and `args`
// decoded on first access (args from the batch buffer the event keeps),
// because a table shows neither and only NDJSON shows args.
import type { Binding } from './binding.js';
import { errnoName } from './errnos.js';
import { checkLayout, type RecordLayout } from './records.js';
import { SyscallTable } from './syscalls.js';

export type Verdict = 'allowed' | 'blocked' | 'would_block';

export interface SyscallEvent {
  type: 'syscall';
  seq: number;
  /** CLOCK_REALTIME in ns (exceeds 2^53: bigint) */
  ts_ns: bigint;
  /** ts_ns as a Date (ms precision), computed on access */
  readonly time: Date;
  pid: number;
  tgid: number;
  ppid: number;
  uid: number;
  gid: number;
  comm: string;
  syscall: string;
  nr: number;
  action: Verdict;
  /** errno name when blocked or would_block, else null */
  errno: string | null;
  /** errno number (0 when allowed) */
  err: number;
  /** first path argument; null when the syscall has none or it was unreadable */
  path: string | null;
  path_truncated: boolean;
  path_unreadable: boolean;
  /** entered through the 32-bit (ia32) ABI; nr is still the x86_64 number */
  ia32: boolean;
  /** the six raw arguments, computed on access */
  readonly args: bigint[];
}

export interface ExitEvent {
  type: 'exit';
  seq: number;
  ts_ns: bigint;
  readonly time: Date;
  pid: number;
  tgid: number;
  ppid: number;
  uid: number;
  gid: number;
  comm: string;
  exit_code: number;
  signal: number;
  utime_ns: bigint;
  stime_ns: bigint;
}

export interface LostEvent {
  type: 'lost';
  /** first seq this reader missed */
  seq: number;
  count: number;
}

export type MonitorEvent = SyscallEvent | ExitEvent | LostEvent;

const TWO_32 = 4294967296;

function u64(buf: Buffer, off: number): number {
  // Sequence numbers and counts stay far below 2^53.
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32;
}

type Slicer = (this: Buffer, start: number, end: number) => string;
// Buffer.prototype.utf8Slice skips toString()'s encoding dispatch (a third of
// string decoding time); it is long-standing but undocumented, so fall back.
const utf8Slice: Slicer =
  (Buffer.prototype as unknown as { utf8Slice?: Slicer }).utf8Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('utf8', start, end);
  };

/** The NUL-terminated string in buf[start, start + room). */
export function cString(buf: Buffer, start: number, room: number): string {
  // indexOf is a native memchr; a field without NUL ends at its size.
  let end = buf.indexOf(0, start);
  if (end < 0 || end > start + room) end = start + room;
  return end === start ? '' : utf8Slice.call(buf, start, end);
}

function toDate(ts: bigint): Date {
  return new Date(Number(ts / 1_000_000n));
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

// Lazy state lives in #private fields: not enumerable, so spreading or
// comparing an event shows only event fields. toJSON gives the NDJSON shape
// (issue 3): bigints as decimal strings, time as ISO 8601, args as hex.

class SyscallRecord implements SyscallEvent {
  readonly type = 'syscall' as const;
  #time: Date | undefined;
  #args: bigint[] | undefined;
  /** the batch, until args are decoded */
  #buf: Buffer | undefined;
  readonly #argsAt: number;

  constructor(
    readonly seq: number,
    readonly ts_ns: bigint,
    readonly pid: number,
    readonly tgid: number,
    readonly ppid: number,
    readonly uid: number,
    readonly gid: number,
    readonly comm: string,
    readonly syscall: string,
    readonly nr: number,
    readonly action: Verdict,
    readonly errno: string | null,
    readonly err: number,
    readonly path: string | null,
    readonly path_truncated: boolean,
    readonly path_unreadable: boolean,
    readonly ia32: boolean,
    buf: Buffer,
    argsAt: number,
  ) {
    this.#buf = buf;
    this.#argsAt = argsAt;
  }

  get time(): Date {
    return (this.#time ??= toDate(this.ts_ns));
  }

  get args(): bigint[] {
    if (this.#args === undefined) {
      const buf = this.#buf as Buffer;
      const out = new Array<bigint>(6);
      for (let i = 0; i < 6; i++) out[i] = buf.readBigUInt64LE(this.#argsAt + 8 * i);
      this.#args = out;
      this.#buf = undefined; // nothing lazy is left: let the batch go
    }
    return this.#args;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: this.type, seq: this.seq, ts_ns: this.ts_ns.toString(), time: this.time.toISOString(),
      pid: this.pid, tgid: this.tgid, ppid: this.ppid, uid: this.uid, gid: this.gid, comm: this.comm,
      syscall: this.syscall, nr: this.nr, action: this.action, errno: this.errno, path: this.path,
      path_truncated: this.path_truncated, args: this.args.map(hex),
    };
  }
}

class ExitRecord implements ExitEvent {
  readonly type = 'exit' as const;
  #time: Date | undefined;

  constructor(
    readonly seq: number,
    readonly ts_ns: bigint,
    readonly pid: number,
    readonly tgid: number,
    readonly ppid: number,
    readonly uid: number,
    readonly gid: number,
    readonly comm: string,
    readonly exit_code: number,
    readonly signal: number,
    readonly utime_ns: bigint,
    readonly stime_ns: bigint,
  ) {}

  get time(): Date {
    return (this.#time ??= toDate(this.ts_ns));
  }

  toJSON(): Record<string, unknown> {
    return {
      type: this.type, seq: this.seq, ts_ns: this.ts_ns.toString(), time: this.time.toISOString(),
      pid: this.pid, tgid: this.tgid, ppid: this.ppid, uid: this.uid, gid: this.gid, comm: this.comm,
      exit_code: this.exit_code, signal: this.signal, utime_ns: this.utime_ns.toString(),
      stime_ns: this.stime_ns.toString(),
    };
  }
}

class LostRecord implements LostEvent {
  readonly type = 'lost' as const;
  constructor(
    readonly seq: number,
    readonly count: number,
  ) {}

  toJSON(): Record<string, unknown> {
    return { type: this.type, count: this.count };
  }
}

const VERDICTS: readonly Verdict[] = ['allowed', 'blocked', 'would_block'];

/** A number the addon must export (a constant or an offset from the uapi header). */
export function need(rec: Record<string, number>, name: string): number {
  const v = rec[name];
  if (v === undefined) throw new Error(`syscallmon addon does not export ${name}`);
  return v;
}

export class EventDecoder {
  readonly recordSize: number;
  private readonly verdicts: Verdict[] = [];
  private readonly o: {
    type: number; path_flags: number; nr: number; seq: number; ts_ns: number; pid: number; tgid: number;
    ppid: number; uid: number; gid: number; verdict: number; err: number; exit_code: number;
    exit_signal: number; event_flags: number; comm: number; args: number; utime_ns: number; stime_ns: number; lost: number;
    path: number;
  };
  private readonly commLen: number;
  private readonly pathLen: number;
  private readonly recSyscall: number;
  private readonly recExit: number;
  private readonly recLost: number;
  private readonly pathNone: number;
  private readonly pathUnreadable: number;
  private readonly pathTruncated: number;
  private readonly eventIa32: number;

  constructor(
    layout: RecordLayout,
    private readonly syscalls: SyscallTable,
  ) {
    checkLayout(layout);
    const c = layout.constants;
    const off = layout.offsets;
    this.recordSize = need(c, 'RECORD_SIZE');
    this.o = {
      type: need(off, 'type'), path_flags: need(off, 'path_flags'), nr: need(off, 'nr'), seq: need(off, 'seq'),
      ts_ns: need(off, 'ts_ns'), pid: need(off, 'pid'), tgid: need(off, 'tgid'), ppid: need(off, 'ppid'),
      uid: need(off, 'uid'), gid: need(off, 'gid'), verdict: need(off, 'verdict'), err: need(off, 'err'),
      exit_code: need(off, 'exit_code'), exit_signal: need(off, 'exit_signal'), event_flags: need(off, 'event_flags'), comm: need(off, 'comm'),
      args: need(off, 'args'), utime_ns: need(off, 'utime_ns'), stime_ns: need(off, 'stime_ns'),
      lost: need(off, 'lost'), path: need(off, 'path'),
    };
    this.commLen = need(c, 'COMM_LEN');
    this.pathLen = need(c, 'PATH_LEN');
    this.recSyscall = need(c, 'RECORD_SYSCALL');
    this.recExit = need(c, 'RECORD_EXIT');
    this.recLost = need(c, 'RECORD_LOST');
    this.pathNone = need(c, 'PATH_NONE');
    this.pathUnreadable = need(c, 'PATH_UNREADABLE');
    this.pathTruncated = need(c, 'PATH_TRUNCATED');
    this.eventIa32 = need(c, 'EVENT_IA32');
    this.verdicts[need(c, 'VERDICT_ALLOWED')] = 'allowed';
    this.verdicts[need(c, 'VERDICT_BLOCKED')] = 'blocked';
    this.verdicts[need(c, 'VERDICT_WOULD_BLOCK')] = 'would_block';
    if (this.verdicts.filter(Boolean).length !== VERDICTS.length) throw new Error('verdict constants collide');
  }

  static forBinding(binding: Binding): EventDecoder {
    return new EventDecoder(binding, new SyscallTable(binding.syscalls));
  }

  /** Every whole record of buf, in order; a trailing partial record is an error (read() never returns one). */
  decode(buf: Buffer, out: MonitorEvent[] = []): MonitorEvent[] {
    const size = this.recordSize;
    if (buf.length % size !== 0) {
      throw new Error(`batch of ${buf.length} bytes is not a whole number of ${size}-byte records`);
    }
    for (let at = 0; at < buf.length; at += size) out.push(this.decodeAt(buf, at));
    return out;
  }

  /** The record at byte offset at. Unknown record types throw: they mean a newer module. */
  decodeAt(buf: Buffer, at: number): MonitorEvent {
    const o = this.o;
    const type = buf.readUInt16LE(at + o.type);
    if (type === this.recSyscall) {
      const nr = buf.readUInt32LE(at + o.nr);
      const flags = buf.readUInt16LE(at + o.path_flags);
      const verdictNum = buf.readUInt32LE(at + o.verdict);
      const verdict = this.verdicts[verdictNum];
      if (verdict === undefined) throw new Error(`record ${u64(buf, at + o.seq)}: unknown verdict ${verdictNum}`);
      const err = buf.readInt32LE(at + o.err);
      const unreadable = (flags & this.pathUnreadable) !== 0;
      const hasPath = (flags & this.pathNone) === 0 && !unreadable;
      return new SyscallRecord(
        u64(buf, at + o.seq),
        buf.readBigUInt64LE(at + o.ts_ns),
        buf.readUInt32LE(at + o.pid),
        buf.readUInt32LE(at + o.tgid),
        buf.readUInt32LE(at + o.ppid),
        buf.readUInt32LE(at + o.uid),
        buf.readUInt32LE(at + o.gid),
        cString(buf, at + o.comm, this.commLen),
        this.syscalls.nameOf(nr),
        nr,
        verdict,
        verdict !== 'allowed' && err !== 0 ? errnoName(err) : null,
        err,
        hasPath ? cString(buf, at + o.path, this.pathLen) : null,
        (flags & this.pathTruncated) !== 0,
        unreadable,
        (buf.readUInt32LE(at + o.event_flags) & this.eventIa32) !== 0,
        buf,
        at + o.args,
      );
    }
    if (type === this.recExit) {
      return new ExitRecord(
        u64(buf, at + o.seq),
        buf.readBigUInt64LE(at + o.ts_ns),
        buf.readUInt32LE(at + o.pid),
        buf.readUInt32LE(at + o.tgid),
        buf.readUInt32LE(at + o.ppid),
        buf.readUInt32LE(at + o.uid),
        buf.readUInt32LE(at + o.gid),
        cString(buf, at + o.comm, this.commLen),
        buf.readInt32LE(at + o.exit_code),
        buf.readInt32LE(at + o.exit_signal),
        buf.readBigUInt64LE(at + o.utime_ns),
        buf.readBigUInt64LE(at + o.stime_ns),
      );
    }
    if (type === this.recLost) {
      return new LostRecord(u64(buf, at + o.seq), u64(buf, at + o.lost));
    }
    throw new Error(`record at byte ${at}: unknown record type ${type} (module newer than this library?)`);
  }
}
