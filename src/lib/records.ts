// Layout of struct syscallmon_event as seen from TypeScript. Offsets, sizes
// and constants come from the addon (compiled against the uapi header); the
// only thing said here is each field's C type, which a reader must know to
// pick getUint32 vs getInt32. checkLayout() proves those types still match
// the header, so a change to the struct fails loudly instead of misdecoding.
import type { Binding } from './binding.js';

/** What the module did with a call: the header's SYSCALLMON_VERDICT_*, by name. */
export type Verdict = 'allowed' | 'blocked' | 'would_block';
/** The entry a call came in through: the 64-bit syscall, int $0x80 and friends, or x32. */
export type Abi = 'x86_64' | 'i386' | 'x32';

export type FieldKind = 'u16' | 'u32' | 's32' | 'u64' | 'u64[]' | 'char[]';

/** Every member of struct syscallmon_event, in header order, with its C type. */
export const RECORD_FIELDS = {
  type: 'u16',
  path_flags: 'u16',
  nr: 'u32',
  seq: 'u64',
  ts_ns: 'u64',
  pid: 'u32',
  tgid: 'u32',
  ppid: 'u32',
  uid: 'u32',
  gid: 'u32',
  verdict: 'u32',
  err: 's32',
  exit_code: 's32',
  exit_signal: 's32',
  abi: 'u32',
  comm: 'char[]',
  args: 'u64[]',
  utime_ns: 'u64',
  stime_ns: 'u64',
  lost: 'u64',
  native_nr: 'u32',
  reserved1: 'u32',
  path: 'char[]',
} as const satisfies Record<string, FieldKind>;

export type RecordField = keyof typeof RECORD_FIELDS;

export type RecordLayout = Pick<Binding, 'constants' | 'offsets' | 'sizes'>;

const SCALAR_SIZE: Partial<Record<FieldKind, number>> = { u16: 2, u32: 4, s32: 4, u64: 8 };

/** A number the addon must export (a constant or an offset from the uapi header). */
export function need(rec: Record<string, number>, name: string): number {
  const v = rec[name];
  if (v === undefined) throw new Error(`syscallmon addon does not export ${name}`);
  return v;
}

/**
 * Throws if the addon's struct differs from what RECORD_FIELDS says:
 * a field added, removed, resized or re-typed in the header.
 */
export function checkLayout(layout: RecordLayout): void {
  const expectedSize = (kind: FieldKind, field: string): number => {
    if (kind === 'u64[]') return 8 * need(layout.constants, 'NR_ARGS');
    if (kind === 'char[]') return need(layout.constants, field === 'comm' ? 'COMM_LEN' : 'PATH_LEN');
    return SCALAR_SIZE[kind] ?? 0;
  };
  const known = Object.keys(RECORD_FIELDS);
  const exported = Object.keys(layout.offsets);
  const extra = exported.filter((f) => !known.includes(f));
  const missing = known.filter((f) => !exported.includes(f));
  if (extra.length || missing.length) {
    throw new Error(
      `struct syscallmon_event changed: fields not known to src/lib/records.ts: [${extra.join(', ')}], ` +
        `missing from the addon: [${missing.join(', ')}]`,
    );
  }
  for (const [field, kind] of Object.entries(RECORD_FIELDS) as [RecordField, FieldKind][]) {
    const size = layout.sizes[field];
    const offset = layout.offsets[field] ?? -1;
    if (size !== expectedSize(kind, field)) {
      throw new Error(`struct syscallmon_event.${field}: size ${size} does not fit type ${kind}`);
    }
    if (offset < 0 || offset + size > need(layout.constants, 'RECORD_SIZE')) {
      throw new Error(`struct syscallmon_event.${field}: offset ${offset} outside the record`);
    }
  }
}

/**
 * The layout as the decoders read it, resolved once from the addon: every
 * offset and constant a plain number (they are read per event), verdict
 * numbers mapped to their names.
 */
export interface ResolvedLayout {
  readonly recordSize: number;
  readonly nrArgs: number;
  readonly commLen: number;
  readonly pathLen: number;
  /** byte offset of each field in a record */
  readonly off: Readonly<Record<RecordField, number>>;
  /** record types */
  readonly recSyscall: number;
  readonly recExit: number;
  readonly recLost: number;
  /** path_flags bits */
  readonly pathNone: number;
  readonly pathUnreadable: number;
  readonly pathTruncated: number;
  /** abi number -> name */
  readonly abis: readonly Abi[];
  /** verdict number -> name (none for a number the header does not define) */
  readonly verdicts: readonly Verdict[];
}

const VERDICT_CONSTANTS: Readonly<Record<Verdict, string>> = {
  allowed: 'VERDICT_ALLOWED',
  blocked: 'VERDICT_BLOCKED',
  would_block: 'VERDICT_WOULD_BLOCK',
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

/** Checks the layout (checkLayout) and resolves it. */
export function resolveLayout(layout: RecordLayout): ResolvedLayout {
  checkLayout(layout);
  const c = layout.constants;
  const verdicts = byConstant(c, VERDICT_CONSTANTS, 'verdict');
  return {
    recordSize: need(c, 'RECORD_SIZE'),
    nrArgs: need(c, 'NR_ARGS'),
    commLen: need(c, 'COMM_LEN'),
    pathLen: need(c, 'PATH_LEN'),
    // Fields added in one order: every layout's offsets share one object shape.
    off: Object.fromEntries(Object.keys(RECORD_FIELDS).map((f) => [f, need(layout.offsets, f)])) as Record<
      RecordField,
      number
    >,
    recSyscall: need(c, 'RECORD_SYSCALL'),
    recExit: need(c, 'RECORD_EXIT'),
    recLost: need(c, 'RECORD_LOST'),
    pathNone: need(c, 'PATH_NONE'),
    pathUnreadable: need(c, 'PATH_UNREADABLE'),
    pathTruncated: need(c, 'PATH_TRUNCATED'),
    abis: byConstant(c, ABI_CONSTANTS, 'abi'),
    verdicts,
  };
}

/** Values for one raw record; names and numbers are the header's. Absent fields are zero. */
export type RecordInit = {
  [F in RecordField]?: (typeof RECORD_FIELDS)[F] extends 'char[]'
    ? string | Uint8Array
    : (typeof RECORD_FIELDS)[F] extends 'u64[]'
      ? (bigint | number)[]
      : (typeof RECORD_FIELDS)[F] extends 'u64'
        ? bigint | number
        : number;
};

/**
 * Writes one record as the kernel would (little-endian, zero-filled,
 * NUL-terminated strings cut to fit). Used by tests, benchmarks and the fake
 * binding, so they all build records from the addon's real offsets.
 */
export function encodeRecord(layout: RecordLayout, init: RecordInit, out?: Buffer, at = 0): Buffer {
  const r = resolveLayout(layout);
  return writeRecord(r, init, out ?? Buffer.alloc(r.recordSize), at);
}

/** Concatenates records into one read()-style batch. */
export function encodeBatch(layout: RecordLayout, inits: RecordInit[]): Buffer {
  const r = resolveLayout(layout);
  const buf = Buffer.alloc(r.recordSize * inits.length);
  inits.forEach((init, i) => writeRecord(r, init, buf, i * r.recordSize));
  return buf;
}

function writeRecord(r: ResolvedLayout, init: RecordInit, buf: Buffer, at: number): Buffer {
  buf.fill(0, at, at + r.recordSize);
  for (const [field, value] of Object.entries(init) as [RecordField, RecordInit[RecordField]][]) {
    if (value === undefined) continue;
    const kind: FieldKind = RECORD_FIELDS[field];
    const off = at + r.off[field];
    switch (kind) {
      case 'u16':
        buf.writeUInt16LE(value as number, off);
        break;
      case 'u32':
        buf.writeUInt32LE((value as number) >>> 0, off);
        break;
      case 's32':
        buf.writeInt32LE(value as number, off);
        break;
      case 'u64':
        buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value as bigint | number)), off);
        break;
      case 'u64[]':
        (value as (bigint | number)[]).slice(0, r.nrArgs).forEach((a, i) => {
          buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), off + 8 * i);
        });
        break;
      case 'char[]': {
        const room = (field === 'comm' ? r.commLen : r.pathLen) - 1; // keep the NUL
        const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value as Uint8Array);
        bytes.copy(buf, off, 0, Math.min(room, bytes.length));
        break;
      }
    }
  }
  return buf;
}
