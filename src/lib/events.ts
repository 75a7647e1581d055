// Raw records -> event objects whose properties are the event schema's
// fields (kernel/include/uapi/syscallmon_schema.h): the same names as NDJSON
// and CSV.
//
// Speed (goal: >= 2 M events/s on the host, scripts/bench/decode.ts): one
// class per record type so every object has the same shape; offsets and
// constants resolved once (records.ts, resolveLayout); 64-bit members read
// through one DataView per batch (Buffer's readBigUInt64LE builds each bigint
// from three); strings found with memchr (Buffer.indexOf) and sliced without
// toString()'s dispatch; `time` and `args` decoded on first access (args from
// the batch's view the event keeps), because a table shows neither and only
// NDJSON shows args.
import type { Binding } from './binding.js';
import { errnoName } from './errnos.js';
import {
  recordSize,
  resolveLayout,
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
  /** written at entry because its return could not be followed (no return slot free) */
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

// The 64-bit reads below take an offset already known to be a whole number
// (the record's type was read at it); one past the batch's end goes through
// Buffer's own read, so it fails with the error it always has.

/** A u64 that stays far below 2^53 (sequence numbers, counts) as a number. */
function u64(buf: Buffer, view: DataView, off: number): number {
  if (off + 8 > view.byteLength) return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32;
  return view.getUint32(off, true) + view.getUint32(off + 4, true) * TWO_32;
}

function bigU64(buf: Buffer, view: DataView, off: number): bigint {
  return off + 8 > view.byteLength ? buf.readBigUInt64LE(off) : view.getBigUint64(off, true);
}

function bigS64(buf: Buffer, view: DataView, off: number): bigint {
  return off + 8 > view.byteLength ? buf.readBigInt64LE(off) : view.getBigInt64(off, true);
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

/** The batch a view was made on, as a Buffer: for a read that must fail as Buffer's does. */
function bufferOf(view: DataView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
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
  #view: DataView | undefined;
  readonly #argsAt: number;
  readonly #decoder: EventDecoder;

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
    view: DataView,
    argsAt: number,
  ) {
    this.#decoder = decoder;
    this.#view = view;
    this.#argsAt = argsAt;
  }

  get time(): Date {
    return (this.#time ??= toDate(this.ts_ns));
  }

  get args(): bigint[] {
    if (this.#args === undefined) {
      const view = this.#view as DataView;
      const n = this.#decoder.layout.nrArgs;
      const out = new Array<bigint>(n);
      for (let i = 0; i < n; i++) {
        const off = this.#argsAt + 8 * i;
        out[i] = off + 8 > view.byteLength ? bufferOf(view).readBigUInt64LE(off) : view.getBigUint64(off, true);
      }
      this.#args = out;
      this.#view = undefined; // nothing lazy is left: let the batch go
    }
    return this.#args;
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
    return buf.readUInt16LE(at + this.layout.off.type) === this.layout.recPad;
  }

  /** Every event of buf's whole records, in order (padding skipped); anything else is an error. */
  decode(buf: Buffer, out: MonitorEvent[] = []): MonitorEvent[] {
    const l = this.layout;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    for (let at = 0, size = 0; at < buf.length; at += size) {
      size = recordSize(l, buf, at);
      const type = buf.readUInt16LE(at + l.off.type);
      if (type !== l.recPad) out.push(this.#decode(buf, view, at, type));
    }
    return out;
  }

  /** The event of the (whole, not padding) record at byte offset at. */
  decodeAt(buf: Buffer, at: number): MonitorEvent {
    const type = buf.readUInt16LE(at + this.layout.off.type);
    if (buf !== this.#batch) {
      this.#batch = buf;
      this.#batchView = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    return this.#decode(buf, this.#batchView as DataView, at, type);
  }

  /** The header and task fields of the exit or config record at buf[at]. */
  private taskAt(buf: Buffer, view: DataView, at: number): RecordTask {
    const o = this.layout.off;
    return {
      seq: u64(buf, view, at + o.seq),
      ts_ns: bigU64(buf, view, at + o.ts_ns),
      pid: buf.readUInt32LE(at + o.pid),
      tgid: buf.readUInt32LE(at + o.tgid),
      ppid: buf.readUInt32LE(at + o.ppid),
      uid: buf.readUInt32LE(at + o.uid),
      gid: buf.readUInt32LE(at + o.gid),
      comm: cString(buf, at + o.comm, this.layout.commLen),
    };
  }

  /** The event of the record of this type at buf[at]; view is buf's. */
  #decode(buf: Buffer, view: DataView, at: number, type: number): MonitorEvent {
    const l = this.layout;
    const o = l.off;
    if (type === l.recSyscall) {
      const flags = buf.readUInt32LE(at + o.flags);
      const seq = u64(buf, view, at + o.seq);
      const verdictNum = buf.readUInt16LE(at + o.verdict);
      const verdict = l.verdicts[verdictNum];
      if (verdict === undefined) throw new Error(`record ${seq}: unknown verdict ${verdictNum}`);
      const abiNum = buf.readUInt16LE(at + o.abi);
      const abi = l.abis[abiNum];
      if (abi === undefined) throw new Error(`record ${seq}: unknown abi ${abiNum}`);
      const err = buf.readInt32LE(at + o.err);
      const nr = buf.readUInt32LE(at + o.nr);
      const pathLen = buf.readUInt16LE(at + o.path_len);
      const result = (flags & l.fResult) !== 0;
      const ret = result ? bigS64(buf, view, at + o.ret) : null;
      const entry = (flags & l.fEntry) !== 0;
      const callId = u64(buf, view, at + o.call_id);
      return new SyscallRecord(
        this,
        seq,
        bigU64(buf, view, at + o.ts_ns),
        buf.readUInt32LE(at + o.pid),
        buf.readUInt32LE(at + o.tgid),
        buf.readUInt32LE(at + o.ppid),
        buf.readUInt32LE(at + o.uid),
        buf.readUInt32LE(at + o.gid),
        cString(buf, at + o.comm, l.commLen),
        nr === l.nrNone ? NO_SYSCALL : this.syscalls.nameOf(nr),
        nr,
        abi,
        buf.readUInt32LE(at + o.native_nr),
        verdict,
        verdict !== 'allowed' && err !== 0 ? errnoName(err) : null,
        buf.readUInt32LE(at + o.rule) || null,
        (flags & l.fFile) !== 0,
        (flags & l.fPath) !== 0 ? cString(buf, at + o.data, pathLen) : null,
        (flags & l.fPathTruncated) !== 0,
        (flags & l.fPathUnreadable) !== 0,
        (flags & l.fTarget) !== 0 ? cString(buf, at + o.data + pathLen, buf.readUInt16LE(at + o.target_len)) : null,
        ret,
        ret !== null && ret < 0n && ret >= this.#lowestErrnoRet ? errnoName(-Number(ret)) : null,
        result ? bigU64(buf, view, at + o.duration_ns) : null,
        entry || callId !== 0 ? callId : null,
        entry,
        (flags & l.fNoResult) !== 0,
        view,
        at + o.args,
      );
    }
    if (type === l.recExit) {
      return new ExitRecord(
        this.schema.byType.exit,
        this.taskAt(buf, view, at),
        buf.readInt32LE(at + o.exit_code),
        buf.readInt32LE(at + o.signal),
        bigU64(buf, view, at + o.utime_ns),
        bigU64(buf, view, at + o.stime_ns),
      );
    }
    if (type === l.recConfig) {
      const kindNum = buf.readUInt32LE(at + o.kind);
      const kind = l.configKinds[kindNum];
      if (kind === undefined) throw new Error(`record ${u64(buf, view, at + o.seq)}: unknown configuration kind ${kindNum}`);
      return new ConfigRecord(
        this.schema.byType.config,
        this.taskAt(buf, view, at),
        kind,
        buf.readUInt32LE(at + o.id),
        cString(buf, at + o.text, buf.readUInt16LE(at + o.text_len)),
      );
    }
    if (type === l.recLost) {
      const seq = u64(buf, view, at + o.seq);
      return new LostRecord(this.schema.byType.lost, seq, u64(buf, view, at + o.count), u64(buf, view, at + o.config));
    }
    throw new Error(`record at byte ${at}: unknown record type ${type} (module newer than this library?)`);
  }
}
