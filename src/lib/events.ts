// Raw records -> event objects whose properties are the event schema's
// fields (kernel/include/uapi/syscallmon_schema.h): the same names as NDJSON
// and CSV.
//
// Speed (goal: >= 2 M events/s on the host, scripts/bench/decode.ts): one
// class per record type so every object has the same shape; offsets and
// constants resolved once (records.ts, resolveLayout); members read through
// one DataView per batch, whose reads the compiler inlines (Buffer's read
// methods stay calls, and readBigUInt64LE builds each bigint from three), the
// batch's bounds checked once per record (recordSize); strings found with memchr
// (Buffer.indexOf) and sliced without toString()'s dispatch, comm and fd
// targets kept by their bytes (RecentStrings); `time` and `args` decoded on
// first access (args from the batch's view the event keeps), because a table
// shows neither and only NDJSON shows args; so are the bytes of a path or fd
// target, which only strace's quoting needs.
import type { Binding } from './binding.js';
import { errnoName } from './errnos.js';
import {
  fixedSize,
  recordSize,
  resolveLayout,
  u16,
  type Abi,
  type ConfigKind,
  type RecordLayout,
  type ResolvedLayout,
  type Verdict,
} from './records.js';
import { eventJson, resolveSchema, type EventSchema, type SchemaField } from './schema.js';
import { SyscallTable } from './syscalls.js';

export type { Abi, ConfigKind, Verdict };

/** The syscall name of a file access made in no syscall (nr SYSCALLMON_NR_NONE: a kernel thread's, an io_uring worker's). */
export const NO_SYSCALL = 'none';

/** The syscall name of a record's nr, as events and NDJSON give it: NO_SYSCALL for nr NR_NONE. */
export function syscallNameOf(nr: number, layout: Pick<ResolvedLayout, 'nrNone'>, syscalls: SyscallTable): string {
  return nr === layout.nrNone ? NO_SYSCALL : syscalls.nameOf(nr);
}

/** When, and which process: what every syscall, exit and config event starts with. */
export interface EventOrigin {
  seq: number;
  /** CLOCK_REALTIME in ns (exceeds 2^53: bigint); of a call: when it entered the kernel */
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
  /** the operation's name (x86_64) */
  syscall: string;
  /** the operation's x86_64 number */
  nr: number;
  /** the ABI the call came in through */
  abi: Abi;
  /** the number the caller used in its ABI (i386 socketcall: 102, whatever its operation) */
  native_nr: number;
  verdict: Verdict;
  /** the errno name a block target returns (blocked) or would (would_block); null when it has none */
  block_errno: string | null;
  /** the id of the rule that decided; null: the syscall's target */
  rule: number | null;
  /** decided by a file rule at a security hook: path is the file accessed, as the kernel resolved it */
  file: boolean;
  /** the path argument (of a file rule's record: the file); null when the syscall has none, it was NULL, or unreadable */
  path: string | null;
  path_truncated: boolean;
  /** the path argument could not be read, at entry nor at return */
  path_unreadable: boolean;
  /** what the fd argument referred to, as /proc/PID/fd shows it ("/tmp/x", "pipe:[1234]"); null when none */
  target: string | null;
  /**
   * The bytes path and target were decoded from, computed on access: a file
   * name need not be UTF-8, and the text has U+FFFD for each byte that is
   * not.  Not event fields: NDJSON and CSV show the text.  An event built by
   * hand may leave them out; the decoders then quote the text's UTF-8.
   */
  readonly path_bytes?: Uint8Array | null;
  readonly target_bytes?: Uint8Array | null;
  /** the raw arguments, computed on access */
  readonly args: bigint[];
  /** what the call returned; null for a record written at entry */
  ret: bigint | null;
  /** the errno name of a call that failed (a blocked one included); else null */
  errno: string | null;
  /** entry to return (CLOCK_MONOTONIC); null for a record written at entry */
  duration_ns: bigint | null;
  /** both halves of a call recorded at entry and at return carry the entry record's seq; else null */
  call_id: number | null;
  /** the entry half of such a call */
  entry: boolean;
  /** written without its result: its return could not be followed (no return slot free, or task work run inside the call) */
  no_result: boolean;
}

export interface ExitEvent extends EventOrigin {
  type: 'exit';
  exit_code: number;
  signal: number;
  utime_ns: bigint;
  stime_ns: bigint;
}

/** A change of the configuration, and who made it (the origin's process). */
export interface ConfigEvent extends EventOrigin {
  type: 'config';
  kind: ConfigKind;
  /** the syscall (target, pids: 0 for every pid-scoped target) or the rule (rule_add, rule_del) it is about; else 0 */
  id: number;
  /** what changed: "LOG -> BLOCK", "openat: none -> block errno 1 pids 1", ... */
  text: string;
}

export interface LostEvent {
  type: 'lost';
  /** first seq this reader missed */
  seq: number;
  count: number;
  /** of them, configuration records */
  config: number;
}

export type MonitorEvent = SyscallEvent | ExitEvent | ConfigEvent | LostEvent;

const TWO_32 = 4294967296;

/** The reads the decoder makes, by DataView's names; all little-endian. buffer and byteOffset: for a string's bytes. */
type RecordReads = Pick<DataView, 'getUint16' | 'getUint32' | 'getInt32' | 'getBigUint64' | 'getBigInt64' | 'buffer' | 'byteOffset'>;

/**
 * DataView's reads made by the Buffer's own methods, for a record that does
 * not fit in the buffer decodeAt was given: it fails, member by member, with
 * the errors Buffer's reads give.
 */
class BufferReads implements RecordReads {
  constructor(private readonly buf: Buffer) {}
  get buffer(): ArrayBufferLike {
    return this.buf.buffer;
  }
  get byteOffset(): number {
    return this.buf.byteOffset;
  }
  getUint16(off: number): number {
    return this.buf.readUInt16LE(off);
  }
  getUint32(off: number): number {
    return this.buf.readUInt32LE(off);
  }
  getInt32(off: number): number {
    return this.buf.readInt32LE(off);
  }
  getBigUint64(off: number): bigint {
    return this.buf.readBigUInt64LE(off);
  }
  getBigInt64(off: number): bigint {
    return this.buf.readBigInt64LE(off);
  }
}

/** A u64 that stays far below 2^53 (sequence numbers, counts) as a number. */
function u64(reads: RecordReads, off: number): number {
  return reads.getUint32(off, true) + reads.getUint32(off + 4, true) * TWO_32;
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

/** The bytes cString decodes from the field at reads[start, start + room), copied: the event outlives its batch. */
function cBytes(reads: RecordReads, start: number, room: number): Uint8Array {
  const field = new Uint8Array(reads.buffer, reads.byteOffset + start, room);
  const end = field.indexOf(0);
  return field.slice(0, end < 0 ? room : end);
}

const utf8 = new TextEncoder();

/**
 * Decoding puts U+FFFD for each byte that is not UTF-8; text without one
 * encodes back to the very bytes it came from.
 */
function lossy(text: string | null): boolean {
  return text !== null && text.includes('\ufffd');
}

/**
 * The strings lately decoded from one field, kept by their bytes: a process's
 * comm, and the target of an fd it keeps using, come back record after
 * record, and comparing a few bytes costs less than decoding them. Gives what
 * cString gives.
 */
class RecentStrings {
  static readonly #SLOTS = 16;
  /** the longest string kept; longer ones are decoded each time */
  readonly #width: number;
  /** slot i's bytes, at i * width */
  readonly #bytes: Uint8Array;
  /** -1: empty */
  readonly #lengths = new Int32Array(RecentStrings.#SLOTS).fill(-1);
  readonly #strings: string[] = new Array<string>(RecentStrings.#SLOTS).fill('');

  constructor(width: number) {
    this.#width = width;
    this.#bytes = new Uint8Array(RecentStrings.#SLOTS * width);
  }

  /** cString(buf, start, room) */
  get(buf: Buffer, start: number, room: number): string {
    // Find the NUL as cString does, hashing the bytes on the way (FNV-1a).
    const limit = start + room;
    const stop = limit < buf.length ? limit : buf.length;
    let end = start;
    let hash = 0x811c9dc5;
    for (; end < stop; end++) {
      const b = buf[end] as number;
      if (b === 0) break;
      hash = Math.imul(hash ^ b, 0x01000193);
    }
    if (end >= stop) end = limit; // no NUL before the field's (or the buffer's) end
    const n = end - start;
    if (n === 0) return '';
    if (n > this.#width || end > buf.length) return utf8Slice.call(buf, start, end);
    const slot = hash & (RecentStrings.#SLOTS - 1);
    const bytes = this.#bytes;
    const at = slot * this.#width;
    if (this.#lengths[slot] === n) {
      let i = 0;
      while (i < n && bytes[at + i] === buf[start + i]) i++;
      if (i === n) return this.#strings[slot] as string;
    }
    const s = utf8Slice.call(buf, start, end);
    for (let i = 0; i < n; i++) bytes[at + i] = buf[start + i] as number;
    this.#lengths[slot] = n;
    this.#strings[slot] = s;
    return s;
  }
}

function toDate(ts: bigint): Date {
  return new Date(Number(ts / 1_000_000n));
}

// Lazy state lives in #private fields: not enumerable, so spreading or
// comparing an event shows only event fields. toJSON gives the NDJSON shape
// by the schema (schema.ts, eventJson).

class SyscallRecord implements SyscallEvent {
  readonly type = 'syscall' as const;
  #time: Date | undefined;
  #args: bigint[] | undefined;
  /** the batch, until args are decoded */
  #reads: RecordReads | undefined;
  readonly #argsAt: number;
  readonly #decoder: EventDecoder;
  /** the bytes of a lossy path or target, taken from the batch before it goes */
  #recordBytes: { path: Uint8Array | null; target: Uint8Array | null } | undefined;

  constructor(
    decoder: EventDecoder,
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
    readonly abi: Abi,
    readonly native_nr: number,
    readonly verdict: Verdict,
    readonly block_errno: string | null,
    readonly rule: number | null,
    readonly file: boolean,
    readonly path: string | null,
    readonly path_truncated: boolean,
    readonly path_unreadable: boolean,
    readonly target: string | null,
    readonly ret: bigint | null,
    readonly errno: string | null,
    readonly duration_ns: bigint | null,
    readonly call_id: number | null,
    readonly entry: boolean,
    readonly no_result: boolean,
    reads: RecordReads,
    argsAt: number,
  ) {
    this.#decoder = decoder;
    this.#reads = reads;
    this.#argsAt = argsAt;
  }

  get time(): Date {
    return (this.#time ??= toDate(this.ts_ns));
  }

  get args(): bigint[] {
    if (this.#args === undefined) {
      const reads = this.#reads as RecordReads;
      const n = this.#decoder.layout.nrArgs;
      const out = new Array<bigint>(n);
      for (let i = 0; i < n; i++) out[i] = reads.getBigUint64(this.#argsAt + 8 * i, true);
      this.#args = out;
      if (lossy(this.path) || lossy(this.target)) SyscallRecord.#bytesOfRecord(this);
      this.#reads = undefined; // nothing lazy is left: let the batch go
    }
    return this.#args;
  }

  // The bytes are looked for only on access: text without U+FFFD is its
  // bytes' whole decoding, and decoding stays a pass over the batch.
  get path_bytes(): Uint8Array | null {
    if (this.path === null) return null;
    return lossy(this.path) ? SyscallRecord.#bytesOfRecord(this).path : utf8.encode(this.path);
  }

  get target_bytes(): Uint8Array | null {
    if (this.target === null) return null;
    return lossy(this.target) ? SyscallRecord.#bytesOfRecord(this).target : utf8.encode(this.target);
  }

  /**
   * The path's and the target's bytes as e's record holds them; first
   * called while e holds the batch.  Static: an instance private method
   * would cost every event a brand check at construction.
   */
  static #bytesOfRecord(e: SyscallRecord): { path: Uint8Array | null; target: Uint8Array | null } {
    if (e.#recordBytes === undefined) {
      const reads = e.#reads as RecordReads;
      const o = e.#decoder.layout.off;
      const at = e.#argsAt - o.args;
      const pathLen = reads.getUint16(at + o.path_len, true);
      const targetLen = reads.getUint16(at + o.target_len, true);
      e.#recordBytes = {
        path: e.path === null ? null : cBytes(reads, at + o.data, pathLen),
        target: e.target === null ? null : cBytes(reads, at + o.data + pathLen, targetLen),
      };
    }
    return e.#recordBytes;
  }

  toJSON(): Record<string, unknown> {
    return eventJson(this.#decoder.schema.byType.syscall, this);
  }
}

/** The fields of the header and task that exit and config records carry. */
type RecordTask = Omit<EventOrigin, 'time'>;

abstract class TaskRecord {
  #time: Date | undefined;
  readonly #fields: readonly SchemaField[];
  readonly seq: number;
  readonly ts_ns: bigint;
  readonly pid: number;
  readonly tgid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly gid: number;
  readonly comm: string;

  constructor(fields: readonly SchemaField[], task: RecordTask) {
    this.#fields = fields;
    ({ seq: this.seq, ts_ns: this.ts_ns, pid: this.pid, tgid: this.tgid, ppid: this.ppid, uid: this.uid, gid: this.gid, comm: this.comm } = task);
  }

  get time(): Date {
    return (this.#time ??= toDate(this.ts_ns));
  }

  toJSON(): Record<string, unknown> {
    return eventJson(this.#fields, this);
  }
}

class ExitRecord extends TaskRecord implements ExitEvent {
  readonly type = 'exit' as const;

  constructor(
    fields: readonly SchemaField[],
    task: RecordTask,
    readonly exit_code: number,
    readonly signal: number,
    readonly utime_ns: bigint,
    readonly stime_ns: bigint,
  ) {
    super(fields, task);
  }
}

class ConfigRecord extends TaskRecord implements ConfigEvent {
  readonly type = 'config' as const;

  constructor(
    fields: readonly SchemaField[],
    task: RecordTask,
    readonly kind: ConfigKind,
    readonly id: number,
    readonly text: string,
  ) {
    super(fields, task);
  }
}

class LostRecord implements LostEvent {
  readonly type = 'lost' as const;
  readonly #fields: readonly SchemaField[];

  constructor(
    fields: readonly SchemaField[],
    readonly seq: number,
    readonly count: number,
    readonly config: number,
  ) {
    this.#fields = fields;
  }

  toJSON(): Record<string, unknown> {
    return eventJson(this.#fields, this);
  }
}

export class EventDecoder {
  readonly layout: ResolvedLayout;
  readonly schema: EventSchema;
  /** ret of a failed call is -errno down to this */
  readonly #lowestErrnoRet: bigint;
  readonly #comms: RecentStrings;
  readonly #targets: RecentStrings;
  /** decodeAt's batch and the view on it, kept until the next batch (as its events keep it) */
  #batch: Buffer | undefined;
  #batchView: DataView | undefined;

  constructor(
    binding: RecordLayout & Pick<Binding, 'schema'>,
    private readonly syscalls: SyscallTable,
  ) {
    this.layout = resolveLayout(binding);
    this.schema = resolveSchema(binding);
    this.#lowestErrnoRet = -BigInt(this.layout.maxErrno);
    this.#comms = new RecentStrings(this.layout.commLen);
    // pipe:[N], socket:[N], a log file: short; a long path is rarely written to in turn with others
    this.#targets = new RecentStrings(64);
  }

  static forBinding(binding: Binding): EventDecoder {
    return new EventDecoder(binding, new SyscallTable(binding.syscalls));
  }

  /** The size of the whole record at buf[at]; throws for one no module writes (records.ts, recordSize). */
  recordSize(buf: Buffer, at: number): number {
    return recordSize(this.layout, buf, at);
  }

  /** Whether the record at buf[at] is padding, which carries no event. */
  isPad(buf: Buffer, at: number): boolean {
    return u16(buf, at + this.layout.off.type) === this.layout.recPad;
  }

  /** buf's records older than seq: the whole of buf, or the part before its first record of seq or later. */
  recordsBefore(buf: Buffer, seq: number): Buffer {
    const l = this.layout;
    const reads = new BufferReads(buf);
    for (let at = 0; at < buf.length; at += recordSize(l, buf, at)) {
      if (!this.isPad(buf, at) && u64(reads, at + l.off.seq) >= seq) return buf.subarray(0, at);
    }
    return buf;
  }

  /** Every event of buf's whole records, in order (padding skipped); anything else is an error. */
  decode(buf: Buffer, out: MonitorEvent[] = []): MonitorEvent[] {
    const l = this.layout;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    for (let at = 0, size = 0; at < buf.length; at += size) {
      size = recordSize(l, buf, at);
      const type = u16(buf, at + l.off.type);
      if (type !== l.recPad) out.push(this.#decode(buf, view, at, type));
    }
    return out;
  }

  /** The event of the (whole, not padding) record at byte offset at. */
  decodeAt(buf: Buffer, at: number): MonitorEvent {
    const l = this.layout;
    const type = u16(buf, at + l.off.type);
    if (buf !== this.#batch) {
      this.#batch = buf;
      this.#batchView = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    const reads = at + fixedSize(l, type) <= buf.length ? (this.#batchView as DataView) : new BufferReads(buf);
    return this.#decode(buf, reads, at, type);
  }

  /** The header and task fields of the exit or config record at buf[at]. */
  private taskAt(buf: Buffer, reads: RecordReads, at: number): RecordTask {
    const o = this.layout.off;
    return {
      seq: u64(reads, at + o.seq),
      ts_ns: reads.getBigUint64(at + o.ts_ns, true),
      pid: reads.getUint32(at + o.pid, true),
      tgid: reads.getUint32(at + o.tgid, true),
      ppid: reads.getUint32(at + o.ppid, true),
      uid: reads.getUint32(at + o.uid, true),
      gid: reads.getUint32(at + o.gid, true),
      comm: this.#comms.get(buf, at + o.comm, this.layout.commLen),
    };
  }

  /** The event of the record of this type at buf[at], its fixed part read through reads. */
  #decode(buf: Buffer, reads: RecordReads, at: number, type: number): MonitorEvent {
    const l = this.layout;
    const o = l.off;
    if (type === l.recSyscall) {
      const flags = reads.getUint32(at + o.flags, true);
      const seq = u64(reads, at + o.seq);
      const verdictNum = reads.getUint16(at + o.verdict, true);
      const verdict = l.verdicts[verdictNum];
      if (verdict === undefined) throw new Error(`record ${seq}: unknown verdict ${verdictNum}`);
      const abiNum = reads.getUint16(at + o.abi, true);
      const abi = l.abis[abiNum];
      if (abi === undefined) throw new Error(`record ${seq}: unknown abi ${abiNum}`);
      const err = reads.getInt32(at + o.err, true);
      const nr = reads.getUint32(at + o.nr, true);
      const pathLen = reads.getUint16(at + o.path_len, true);
      const result = (flags & l.fResult) !== 0;
      const ret = result ? reads.getBigInt64(at + o.ret, true) : null;
      const entry = (flags & l.fEntry) !== 0;
      const callId = u64(reads, at + o.call_id);
      return new SyscallRecord(
        this,
        seq,
        reads.getBigUint64(at + o.ts_ns, true),
        reads.getUint32(at + o.pid, true),
        reads.getUint32(at + o.tgid, true),
        reads.getUint32(at + o.ppid, true),
        reads.getUint32(at + o.uid, true),
        reads.getUint32(at + o.gid, true),
        this.#comms.get(buf, at + o.comm, l.commLen),
        syscallNameOf(nr, l, this.syscalls),
        nr,
        abi,
        reads.getUint32(at + o.native_nr, true),
        verdict,
        verdict !== 'allowed' && err !== 0 ? errnoName(err) : null,
        reads.getUint32(at + o.rule, true) || null,
        (flags & l.fFile) !== 0,
        (flags & l.fPath) !== 0 ? cString(buf, at + o.data, pathLen) : null,
        (flags & l.fPathTruncated) !== 0,
        (flags & l.fPathUnreadable) !== 0,
        (flags & l.fTarget) !== 0 ? this.#targets.get(buf, at + o.data + pathLen, reads.getUint16(at + o.target_len, true)) : null,
        ret,
        ret !== null && ret < 0n && ret >= this.#lowestErrnoRet ? errnoName(-Number(ret)) : null,
        result ? reads.getBigUint64(at + o.duration_ns, true) : null,
        entry || callId !== 0 ? callId : null,
        entry,
        (flags & l.fNoResult) !== 0,
        reads,
        at + o.args,
      );
    }
    if (type === l.recExit) {
      return new ExitRecord(
        this.schema.byType.exit,
        this.taskAt(buf, reads, at),
        reads.getInt32(at + o.exit_code, true),
        reads.getInt32(at + o.signal, true),
        reads.getBigUint64(at + o.utime_ns, true),
        reads.getBigUint64(at + o.stime_ns, true),
      );
    }
    if (type === l.recConfig) {
      const kindNum = reads.getUint32(at + o.kind, true);
      const kind = l.configKinds[kindNum];
      if (kind === undefined) throw new Error(`record ${u64(reads, at + o.seq)}: unknown configuration kind ${kindNum}`);
      return new ConfigRecord(
        this.schema.byType.config,
        this.taskAt(buf, reads, at),
        kind,
        reads.getUint32(at + o.id, true),
        cString(buf, at + o.text, reads.getUint16(at + o.text_len, true)),
      );
    }
    if (type === l.recLost) {
      const seq = u64(reads, at + o.seq);
      return new LostRecord(this.schema.byType.lost, seq, u64(reads, at + o.count), u64(reads, at + o.config));
    }
    throw new Error(`record at byte ${at}: unknown record type ${type} (module newer than this library?)`);
  }
}
