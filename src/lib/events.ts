// Raw struct syscallmon_event records -> event objects whose field names are
// the NDJSON names, the same in CSV.
//
// Speed (goal: >= 2 M events/s on the host, scripts/bench/decode.ts): one
// class per record type so every object has the same shape; offsets and
// constants resolved once (records.ts, resolveLayout); strings found with
// memchr (Buffer.indexOf) and sliced without toString()'s dispatch; `time`
// and `args` decoded on first access (args from the batch buffer the event
// keeps), because a table shows neither and only NDJSON shows args.
import type { Binding } from './binding.js';
import { errnoName } from './errnos.js';
import { resolveLayout, type Abi, type RecordLayout, type ResolvedLayout, type Verdict } from './records.js';
import { SyscallTable } from './syscalls.js';

export type { Abi, Verdict };

/** When, and which process: what every syscall and exit event starts with. */
export interface EventOrigin {
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
}

export interface SyscallEvent extends EventOrigin {
  type: 'syscall';
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
  /** the ABI the call came in through; nr is the x86_64 number of its operation */
  abi: Abi;
  /** the number the caller used in its ABI (i386 socketcall: 102, whatever its operation) */
  native_nr: number;
  /** the six raw arguments, computed on access */
  readonly args: bigint[];
}

export interface ExitEvent extends EventOrigin {
  type: 'exit';
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
// comparing an event shows only event fields. toJSON gives the NDJSON shape:
// bigints as decimal strings, time as ISO 8601, args as hex.

/** The NDJSON fields of an event's origin, in their order. */
function originJson(e: EventOrigin & { type: string }): Record<string, unknown> {
  return {
    type: e.type, seq: e.seq, ts_ns: e.ts_ns.toString(), time: e.time.toISOString(),
    pid: e.pid, tgid: e.tgid, ppid: e.ppid, uid: e.uid, gid: e.gid, comm: e.comm,
  };
}

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
    readonly abi: Abi,
    readonly native_nr: number,
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
      ...originJson(this),
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
      ...originJson(this),
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

export class EventDecoder {
  readonly recordSize: number;
  private readonly layout: ResolvedLayout;

  constructor(
    layout: RecordLayout,
    private readonly syscalls: SyscallTable,
  ) {
    this.layout = resolveLayout(layout);
    this.recordSize = this.layout.recordSize;
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
    const l = this.layout;
    const o = l.off;
    const type = buf.readUInt16LE(at + o.type);
    if (type === l.recSyscall) {
      const nr = buf.readUInt32LE(at + o.nr);
      const flags = buf.readUInt16LE(at + o.path_flags);
      const verdictNum = buf.readUInt32LE(at + o.verdict);
      const verdict = l.verdicts[verdictNum];
      if (verdict === undefined) throw new Error(`record ${u64(buf, at + o.seq)}: unknown verdict ${verdictNum}`);
      const err = buf.readInt32LE(at + o.err);
      const unreadable = (flags & l.pathUnreadable) !== 0;
      const hasPath = (flags & l.pathNone) === 0 && !unreadable;
      return new SyscallRecord(
        u64(buf, at + o.seq),
        buf.readBigUInt64LE(at + o.ts_ns),
        buf.readUInt32LE(at + o.pid),
        buf.readUInt32LE(at + o.tgid),
        buf.readUInt32LE(at + o.ppid),
        buf.readUInt32LE(at + o.uid),
        buf.readUInt32LE(at + o.gid),
        cString(buf, at + o.comm, l.commLen),
        this.syscalls.nameOf(nr),
        nr,
        verdict,
        verdict !== 'allowed' && err !== 0 ? errnoName(err) : null,
        err,
        hasPath ? cString(buf, at + o.path, l.pathLen) : null,
        (flags & l.pathTruncated) !== 0,
        unreadable,
        l.abis[buf.readUInt32LE(at + o.abi)] ?? 'x86_64',
        buf.readUInt32LE(at + o.native_nr),
        buf,
        at + o.args,
      );
    }
    if (type === l.recExit) {
      return new ExitRecord(
        u64(buf, at + o.seq),
        buf.readBigUInt64LE(at + o.ts_ns),
        buf.readUInt32LE(at + o.pid),
        buf.readUInt32LE(at + o.tgid),
        buf.readUInt32LE(at + o.ppid),
        buf.readUInt32LE(at + o.uid),
        buf.readUInt32LE(at + o.gid),
        cString(buf, at + o.comm, l.commLen),
        buf.readInt32LE(at + o.exit_code),
        buf.readInt32LE(at + o.exit_signal),
        buf.readBigUInt64LE(at + o.utime_ns),
        buf.readBigUInt64LE(at + o.stime_ns),
      );
    }
    if (type === l.recLost) {
      return new LostRecord(u64(buf, at + o.seq), u64(buf, at + o.lost));
    }
    throw new Error(`record at byte ${at}: unknown record type ${type} (module newer than this library?)`);
  }
}
