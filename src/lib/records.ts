// The records of kernel/include/uapi/syscallmon.h as TypeScript reads them:
// variable-length, each starting with struct syscallmon_header whose size
// says where the next one starts. Offsets and constants come from the addon
// (compiled against the header); what is said here is each member's C type,
// which a reader must know to pick readUInt32LE vs readInt32LE. checkLayout()
// proves the addon's structs are still exactly that, so a change to a record
// fails loudly instead of misdecoding.
import type { Binding, RecordStructName } from './binding.js';

/** What the module did with a call: the header's SYSCALLMON_VERDICT_*, by name. */
export type Verdict = 'allowed' | 'blocked' | 'would_block' | 'killed' | 'would_kill';
/** The entry a call came in through: the 64-bit syscall, int $0x80 and friends, or x32. */
export type Abi = 'x86_64' | 'i386' | 'x32';
/** The record types an event can be. */
export type EventType = 'syscall' | 'exit' | 'config' | 'lost';
/** What a configuration record is about: the header's SYSCALLMON_CONFIG_*, by name. */
export type ConfigKind = 'mode' | 'target' | 'pids' | 'rule_add' | 'rule_del' | 'policy' | 'clear' | 'exits' | 'param' | 'closed';

// Every member of each record struct, in header order, with its C type; an
// array's length is the constant that gives it.
const HEADER = { 'h.size': 'u16', 'h.type': 'u16', 'h.flags': 'u32', 'h.seq': 'u64', 'h.ts_ns': 'u64' };
const TASK = {
  'task.pid': 'u32', 'task.tgid': 'u32', 'task.ppid': 'u32', 'task.uid': 'u32', 'task.gid': 'u32',
  'task.reserved': 'u32', 'task.comm': 'char[COMM_LEN]',
};
export const RECORD_MEMBERS: Readonly<Record<RecordStructName, Readonly<Record<string, string>>>> = {
  syscall: {
    ...HEADER, ...TASK,
    nr: 'u32', native_nr: 'u32', abi: 'u16', verdict: 'u16', err: 's32', ret: 's64', duration_ns: 'u64',
    call_id: 'u64', args: 'u64[NR_ARGS]', path_len: 'u16', target_len: 'u16', rule: 'u32', data: 'char[]',
  },
  exit: { ...HEADER, ...TASK, exit_code: 's32', signal: 's32', utime_ns: 'u64', stime_ns: 'u64' },
  config: { ...HEADER, ...TASK, kind: 'u32', id: 'u32', text_len: 'u16', reserved: 'u16[3]', data: 'char[]' },
  lost: { ...HEADER, count: 'u64', config: 'u64' },
};

export type RecordLayout = Pick<Binding, 'constants' | 'records'>;

/** A number the addon must export (a constant of the uapi headers). */
export function need(rec: Record<string, number>, name: string): number {
  const v = rec[name];
  if (v === undefined) throw new Error(`syscallmon addon does not export ${name}`);
  return v;
}

/** 'u64[NR_ARGS]' → 'u64[6]', with the header's constants. */
function ctype(spec: string, c: Record<string, number>): string {
  return spec.replace(/\[([A-Z_]+)\]/, (_m, name: string) => `[${need(c, name)}]`);
}

/**
 * Throws if the addon's record structs differ from RECORD_MEMBERS: a member
 * added, removed, moved or re-typed in the header.
 */
export function checkLayout(layout: RecordLayout): void {
  for (const [rec, members] of Object.entries(RECORD_MEMBERS) as [RecordStructName, Record<string, string>][]) {
    const got = layout.records[rec];
    if (!got) throw new Error(`syscallmon addon does not export struct syscallmon_${rec}`);
    const want = Object.keys(members);
    const have = Object.keys(got.members);
    if (want.join() !== have.join()) {
      throw new Error(
        `struct syscallmon_${rec} changed: the addon has [${have.join(', ')}], src/lib/records.ts knows [${want.join(', ')}]`,
      );
    }
    for (const [name, spec] of Object.entries(members)) {
      const type = got.members[name]?.type;
      if (type !== ctype(spec, layout.constants)) {
        throw new Error(`struct syscallmon_${rec}.${name}: type ${type}, src/lib/records.ts reads it as ${ctype(spec, layout.constants)}`);
      }
    }
  }
  // Members the records share are read at one offset.
  for (const name of Object.keys(HEADER)) {
    const offsets = new Set(Object.values(layout.records).map((r) => r.members[name]?.offset));
    if (offsets.size !== 1) throw new Error(`struct syscallmon_header.${name} is not at one offset in every record`);
  }
  for (const name of Object.keys(TASK)) {
    const offsets = new Set(['syscall', 'exit', 'config'].map((r) => layout.records[r as RecordStructName].members[name]?.offset));
    if (offsets.size !== 1) throw new Error(`struct syscallmon_task.${name} is not at one offset in syscall, exit and config records`);
  }
}

/**
 * The layout as the decoders read it, resolved once from the addon: every
 * offset and constant a plain number (they are read per record), verdict
 * and abi numbers mapped to their names.
 */
export interface ResolvedLayout {
  readonly recordMax: number;
  readonly align: number;
  readonly nrArgs: number;
  readonly commLen: number;
  readonly pathLen: number;
  readonly targetLen: number;
  readonly configTextLen: number;
  readonly maxErrno: number;
  /** sizeof() of each record type's fixed part */
  readonly syscallSize: number;
  readonly exitSize: number;
  readonly configSize: number;
  readonly lostSize: number;
  readonly headerSize: number;
  /** the part of a header every record has whole: a PAD filling the ring's last 8 or 16 bytes holds nothing more */
  readonly headerStart: number;
  /** byte offset of each member in its record (h.* and task.* by their own names) */
  readonly off: {
    readonly size: number; readonly type: number; readonly flags: number; readonly seq: number; readonly ts_ns: number;
    readonly pid: number; readonly tgid: number; readonly ppid: number; readonly uid: number; readonly gid: number;
    readonly comm: number; readonly nr: number; readonly native_nr: number; readonly abi: number;
    readonly verdict: number; readonly err: number; readonly ret: number; readonly duration_ns: number;
    readonly call_id: number; readonly args: number; readonly path_len: number; readonly target_len: number;
    readonly rule: number; readonly data: number; readonly exit_code: number; readonly signal: number; readonly utime_ns: number;
    readonly stime_ns: number; readonly count: number;
    /** a config record's kind, id, text_len and text (its data) */
    readonly kind: number; readonly id: number; readonly text_len: number; readonly text: number;
    /** a lost record's count of configuration records */
    readonly config: number;
  };
  /** record types */
  readonly recSyscall: number;
  readonly recExit: number;
  readonly recLost: number;
  readonly recConfig: number;
  readonly recPad: number;
  /** syscall record flags */
  readonly fPath: number;
  readonly fPathUnreadable: number;
  readonly fPathTruncated: number;
  readonly fTarget: number;
  readonly fResult: number;
  readonly fEntry: number;
  readonly fNoResult: number;
  readonly fFile: number;
  /** the nr of a file access made in no syscall */
  readonly nrNone: number;
  /** abi number -> name */
  readonly abis: readonly Abi[];
  /** verdict number -> name (none for a number the header does not define) */
  readonly verdicts: readonly Verdict[];
  /** config kind number -> name (likewise) */
  readonly configKinds: readonly ConfigKind[];
}

const VERDICT_CONSTANTS: Readonly<Record<Verdict, string>> = {
  allowed: 'VERDICT_ALLOWED',
  blocked: 'VERDICT_BLOCKED',
  would_block: 'VERDICT_WOULD_BLOCK',
  killed: 'VERDICT_KILLED',
  would_kill: 'VERDICT_WOULD_KILL',
};

const CONFIG_KIND_CONSTANTS: Readonly<Record<ConfigKind, string>> = {
  mode: 'CONFIG_MODE',
  target: 'CONFIG_TARGET',
  pids: 'CONFIG_PIDS',
  rule_add: 'CONFIG_RULE_ADD',
  rule_del: 'CONFIG_RULE_DEL',
  policy: 'CONFIG_POLICY',
  clear: 'CONFIG_CLEAR',
  exits: 'CONFIG_EXITS',
  param: 'CONFIG_PARAM',
  closed: 'CONFIG_CLOSED',
};

const ABI_CONSTANTS: Readonly<Record<Abi, string>> = {
  x86_64: 'ABI_X64',
  i386: 'ABI_I386',
  x32: 'ABI_X32',
};

/** An enum's names indexed by the header's numbers for them. */
function byConstant<N extends string>(c: Record<string, number>, names: Readonly<Record<N, string>>, what: string): N[] {
  const out: N[] = [];
  for (const [name, constantName] of Object.entries(names) as [N, string][]) out[need(c, constantName)] = name;
  if (out.filter(Boolean).length !== Object.keys(names).length) throw new Error(`${what} constants collide`);
  return out;
}

/** Resolved layouts, by the constants and the records they were resolved from. */
const resolved = new WeakMap<object, WeakMap<object, ResolvedLayout>>();

/** Checks the layout (checkLayout) and resolves it; once per addon (or fake). */
export function resolveLayout(layout: RecordLayout): ResolvedLayout {
  const cached = resolved.get(layout.constants)?.get(layout.records);
  if (cached) return cached;
  checkLayout(layout);
  const c = layout.constants;
  const s = layout.records.syscall.members;
  const e = layout.records.exit.members;
  const cf = layout.records.config.members;
  const at = (m: Record<string, { offset: number } | undefined>, name: string): number => {
    const member = m[name];
    if (!member) throw new Error(`syscallmon addon does not export member ${name}`);
    return member.offset;
  };
  const r: ResolvedLayout = {
    recordMax: need(c, 'RECORD_MAX'),
    align: need(c, 'RECORD_ALIGN'),
    nrArgs: need(c, 'NR_ARGS'),
    commLen: need(c, 'COMM_LEN'),
    pathLen: need(c, 'PATH_LEN'),
    targetLen: need(c, 'TARGET_LEN'),
    configTextLen: need(c, 'CONFIG_TEXT_LEN'),
    maxErrno: need(c, 'MAX_ERRNO'),
    syscallSize: layout.records.syscall.size,
    exitSize: layout.records.exit.size,
    configSize: layout.records.config.size,
    lostSize: layout.records.lost.size,
    headerSize: at(s, 'task.pid'),
    headerStart: at(s, 'h.seq'),
    off: {
      size: at(s, 'h.size'), type: at(s, 'h.type'), flags: at(s, 'h.flags'), seq: at(s, 'h.seq'), ts_ns: at(s, 'h.ts_ns'),
      pid: at(s, 'task.pid'), tgid: at(s, 'task.tgid'), ppid: at(s, 'task.ppid'), uid: at(s, 'task.uid'),
      gid: at(s, 'task.gid'), comm: at(s, 'task.comm'), nr: at(s, 'nr'), native_nr: at(s, 'native_nr'),
      abi: at(s, 'abi'), verdict: at(s, 'verdict'), err: at(s, 'err'), ret: at(s, 'ret'),
      duration_ns: at(s, 'duration_ns'), call_id: at(s, 'call_id'), args: at(s, 'args'),
      path_len: at(s, 'path_len'), target_len: at(s, 'target_len'), rule: at(s, 'rule'), data: at(s, 'data'),
      exit_code: at(e, 'exit_code'), signal: at(e, 'signal'), utime_ns: at(e, 'utime_ns'), stime_ns: at(e, 'stime_ns'),
      count: at(layout.records.lost.members, 'count'),
      kind: at(cf, 'kind'), id: at(cf, 'id'), text_len: at(cf, 'text_len'), text: at(cf, 'data'),
      config: at(layout.records.lost.members, 'config'),
    },
    recSyscall: need(c, 'RECORD_SYSCALL'),
    recExit: need(c, 'RECORD_EXIT'),
    recLost: need(c, 'RECORD_LOST'),
    recConfig: need(c, 'RECORD_CONFIG'),
    recPad: need(c, 'RECORD_PAD'),
    fPath: need(c, 'SYSCALL_PATH'),
    fPathUnreadable: need(c, 'SYSCALL_PATH_UNREADABLE'),
    fPathTruncated: need(c, 'SYSCALL_PATH_TRUNCATED'),
    fTarget: need(c, 'SYSCALL_TARGET'),
    fResult: need(c, 'SYSCALL_RESULT'),
    fEntry: need(c, 'SYSCALL_ENTRY'),
    fNoResult: need(c, 'SYSCALL_NO_RESULT'),
    fFile: need(c, 'SYSCALL_FILE'),
    nrNone: need(c, 'NR_NONE'),
    abis: byConstant(c, ABI_CONSTANTS, 'abi'),
    verdicts: byConstant(c, VERDICT_CONSTANTS, 'verdict'),
    configKinds: byConstant(c, CONFIG_KIND_CONSTANTS, 'config kind'),
  };
  if (!resolved.has(layout.constants)) resolved.set(layout.constants, new WeakMap());
  resolved.get(layout.constants)?.set(layout.records, r);
  return r;
}

/**
 * buf.readUInt16LE(off), the same number or the same error, for the reads a
 * decoder makes of every record: Buffer's method stays a call there, two byte
 * loads the compiler inlines.
 */
export function u16(buf: Buffer, off: number): number {
  if (typeof off === 'number') {
    const lo = buf[off];
    const hi = buf[off + 1];
    if (lo !== undefined && hi !== undefined) return lo | (hi << 8);
  }
  return buf.readUInt16LE(off);
}

/** The size of a record type's fixed part (a PAD's: what it always has); 0 for a type this library does not know. */
export function fixedSize(l: ResolvedLayout, type: number): number {
  if (type === l.recSyscall) return l.syscallSize;
  if (type === l.recExit) return l.exitSize;
  if (type === l.recLost) return l.lostSize;
  if (type === l.recConfig) return l.configSize;
  if (type === l.recPad) return l.headerStart;
  return 0;
}

/**
 * The size of the whole record at buf[at, end), checked against its type's
 * layout. Throws for a record cut short by end, a bad size, or a type this
 * library does not know (a newer module): read() and the streams only ever
 * hand out whole records a module wrote.
 */
export function recordSize(l: ResolvedLayout, buf: Buffer, at: number, end = buf.length): number {
  if (end - at < l.headerStart) throw new Error(`record at byte ${at}: the batch ends inside its header`);
  const size = u16(buf, at + l.off.size);
  const type = u16(buf, at + l.off.type);
  const fixed = fixedSize(l, type);
  if (fixed === 0) throw new Error(`record at byte ${at}: unknown record type ${type} (module newer than this library?)`);
  let bad = size < fixed || size % l.align !== 0 || size > l.recordMax;
  if (!bad && type === l.recSyscall && at + fixed <= end) {
    bad = fixed + u16(buf, at + l.off.path_len) + u16(buf, at + l.off.target_len) > size;
  } else if (!bad && type === l.recConfig && at + fixed <= end) {
    const textLen = u16(buf, at + l.off.text_len);
    bad = textLen === 0 || fixed + textLen > size;
  }
  if (bad) throw new Error(`record at byte ${at}: malformed (type ${type}, size ${size})`);
  if (at + size > end) throw new Error(`record at byte ${at}: the batch ends inside it`);
  return size;
}

/** Values for one raw record; names are the header's members (h.* and task.* by their own names). */
export interface RecordInit {
  /** RECORD_SYSCALL, RECORD_EXIT, RECORD_CONFIG, RECORD_LOST or RECORD_PAD */
  type: number;
  /** default: the fixed part and the strings, aligned, as the module sizes a record */
  size?: number;
  /** default (syscall records): PATH with a path, PATH_TRUNCATED when it is cut, TARGET with a target, RESULT with a ret */
  flags?: number;
  seq?: bigint | number;
  ts_ns?: bigint | number;
  pid?: number;
  tgid?: number;
  ppid?: number;
  uid?: number;
  gid?: number;
  comm?: string | Uint8Array;
  nr?: number;
  native_nr?: number;
  abi?: number;
  verdict?: number;
  err?: number;
  ret?: bigint | number;
  duration_ns?: bigint | number;
  call_id?: bigint | number;
  rule?: number;
  args?: (bigint | number)[];
  /** the path argument: written with its NUL, cut to PATH_LEN - 1 bytes */
  path?: string | Uint8Array;
  /** the fd's target: written after the path with its NUL, cut to TARGET_LEN - 1 bytes */
  target?: string | Uint8Array;
  exit_code?: number;
  signal?: number;
  utime_ns?: bigint | number;
  stime_ns?: bigint | number;
  /** a config record's kind (CONFIG_*), id and text (written with its NUL, cut to CONFIG_TEXT_LEN - 1 bytes) */
  kind?: number;
  id?: number;
  text?: string | Uint8Array;
  count?: bigint | number;
  /** a lost record's configuration records */
  config?: bigint | number;
}

const bytesOf = (v: string | Uint8Array): Buffer => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v));
const u64 = (v: bigint | number | undefined): bigint => BigInt.asUintN(64, BigInt(v ?? 0));

/**
 * One record as the module writes it (little-endian, zero-filled,
 * NUL-terminated strings cut to fit, padded to RECORD_ALIGN); a size given
 * smaller than that (a malformed record, for tests) keeps every byte. Used by
 * tests, benchmarks and the fake binding, so they all build records from
 * the addon's real offsets.
 */
export function encodeRecord(layout: RecordLayout, init: RecordInit): Buffer {
  const l = resolveLayout(layout);
  const o = l.off;
  let fixed: number;
  if (init.type === l.recSyscall) fixed = l.syscallSize;
  else if (init.type === l.recExit) fixed = l.exitSize;
  else if (init.type === l.recLost) fixed = l.lostSize;
  else if (init.type === l.recConfig) fixed = l.configSize;
  else if (init.type === l.recPad) fixed = l.headerStart;
  else fixed = l.headerSize;
  const syscall = init.type === l.recSyscall;
  const fullPath = syscall && init.path !== undefined ? bytesOf(init.path) : null;
  const fullTarget = syscall && init.target !== undefined ? bytesOf(init.target) : null;
  const path = fullPath?.subarray(0, l.pathLen - 1) ?? null;
  const target = fullTarget?.subarray(0, l.targetLen - 1) ?? null;
  const pathLen = path ? path.length + 1 : 0;
  const targetLen = target ? target.length + 1 : 0;
  const text = init.type === l.recConfig ? bytesOf(init.text ?? '').subarray(0, l.configTextLen - 1) : null;
  const textLen = text ? text.length + 1 : 0;
  const used = fixed + pathLen + targetLen + textLen;
  const size = init.size ?? Math.ceil(used / l.align) * l.align;
  const buf = Buffer.alloc(Math.max(size, used));
  let flags = init.flags;
  if (flags === undefined) {
    flags = 0;
    if (path) flags |= l.fPath;
    if (fullPath && path && fullPath.length > path.length) flags |= l.fPathTruncated;
    if (target) flags |= l.fTarget;
    if (syscall && init.ret !== undefined) flags |= l.fResult;
  }
  buf.writeUInt16LE(size, o.size);
  buf.writeUInt16LE(init.type, o.type);
  buf.writeUInt32LE(flags >>> 0, o.flags);
  if (init.type === l.recPad) return buf;
  buf.writeBigUInt64LE(u64(init.seq), o.seq);
  buf.writeBigUInt64LE(u64(init.ts_ns), o.ts_ns);
  if (init.type === l.recLost) {
    buf.writeBigUInt64LE(u64(init.count), o.count);
    buf.writeBigUInt64LE(u64(init.config), o.config);
    return buf;
  }
  if (init.type !== l.recSyscall && init.type !== l.recExit && init.type !== l.recConfig) return buf;
  buf.writeUInt32LE((init.pid ?? 0) >>> 0, o.pid);
  buf.writeUInt32LE((init.tgid ?? 0) >>> 0, o.tgid);
  buf.writeUInt32LE((init.ppid ?? 0) >>> 0, o.ppid);
  buf.writeUInt32LE((init.uid ?? 0) >>> 0, o.uid);
  buf.writeUInt32LE((init.gid ?? 0) >>> 0, o.gid);
  if (init.comm !== undefined) bytesOf(init.comm).copy(buf, o.comm, 0, l.commLen - 1);
  if (init.type === l.recConfig) {
    buf.writeUInt32LE((init.kind ?? 0) >>> 0, o.kind);
    buf.writeUInt32LE((init.id ?? 0) >>> 0, o.id);
    buf.writeUInt16LE(textLen, o.text_len);
    text?.copy(buf, o.text);
    return buf;
  }
  if (init.type === l.recExit) {
    buf.writeInt32LE(init.exit_code ?? 0, o.exit_code);
    buf.writeInt32LE(init.signal ?? 0, o.signal);
    buf.writeBigUInt64LE(u64(init.utime_ns), o.utime_ns);
    buf.writeBigUInt64LE(u64(init.stime_ns), o.stime_ns);
    return buf;
  }
  buf.writeUInt32LE((init.nr ?? 0) >>> 0, o.nr);
  buf.writeUInt32LE((init.native_nr ?? init.nr ?? 0) >>> 0, o.native_nr);
  buf.writeUInt16LE(init.abi ?? 0, o.abi);
  buf.writeUInt16LE(init.verdict ?? 0, o.verdict);
  buf.writeInt32LE(init.err ?? 0, o.err);
  buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(init.ret ?? 0)), o.ret);
  buf.writeBigUInt64LE(u64(init.duration_ns), o.duration_ns);
  buf.writeBigUInt64LE(u64(init.call_id), o.call_id);
  buf.writeUInt32LE((init.rule ?? 0) >>> 0, o.rule);
  (init.args ?? []).slice(0, l.nrArgs).forEach((a, i) => buf.writeBigUInt64LE(u64(a), o.args + 8 * i));
  buf.writeUInt16LE(pathLen, o.path_len);
  buf.writeUInt16LE(targetLen, o.target_len);
  path?.copy(buf, o.data);
  target?.copy(buf, o.data + pathLen);
  return buf;
}

/** Records one after the other: a read()-style batch. */
export function encodeBatch(layout: RecordLayout, inits: RecordInit[]): Buffer {
  return Buffer.concat(inits.map((init) => encodeRecord(layout, init)));
}
