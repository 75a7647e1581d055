// Layout of struct syscallmon_event as seen from TypeScript. Offsets, sizes
// and constants come from the addon (compiled against the uapi header); the
// only thing said here is each field's C type, which a reader must know to
// pick getUint32 vs getInt32. checkLayout() proves those types still match
// the header, so a change to the struct fails loudly instead of misdecoding.
import type { Binding } from './binding.js';

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
  event_flags: 'u32',
  comm: 'char[]',
  args: 'u64[]',
  utime_ns: 'u64',
  stime_ns: 'u64',
  lost: 'u64',
  reserved1: 'u64',
  path: 'char[]',
} as const satisfies Record<string, FieldKind>;

export type RecordField = keyof typeof RECORD_FIELDS;

export type RecordLayout = Pick<Binding, 'constants' | 'offsets' | 'sizes'>;

const SCALAR_SIZE: Partial<Record<FieldKind, number>> = { u16: 2, u32: 4, s32: 4, u64: 8 };

function constant(layout: RecordLayout, name: string): number {
  const v = layout.constants[name];
  if (v === undefined) throw new Error(`syscallmon addon exports no constant ${name}`);
  return v;
}

/**
 * Throws if the addon's struct differs from what RECORD_FIELDS says:
 * a field added, removed, resized or re-typed in the header.
 */
export function checkLayout(layout: RecordLayout): void {
  const expectedSize = (kind: FieldKind, field: string): number => {
    if (kind === 'u64[]') return 8 * constant(layout, 'NR_ARGS');
    if (kind === 'char[]') return constant(layout, field === 'comm' ? 'COMM_LEN' : 'PATH_LEN');
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
    if (offset < 0 || offset + size > constant(layout, 'RECORD_SIZE')) {
      throw new Error(`struct syscallmon_event.${field}: offset ${offset} outside the record`);
    }
  }
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
  const size = constant(layout, 'RECORD_SIZE');
  const buf = out ?? Buffer.alloc(size);
  buf.fill(0, at, at + size);
  for (const [field, value] of Object.entries(init) as [RecordField, RecordInit[RecordField]][]) {
    if (value === undefined) continue;
    const kind: FieldKind = RECORD_FIELDS[field];
    const off = at + (layout.offsets[field] ?? 0);
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
      case 'u64[]': {
        const n = constant(layout, 'NR_ARGS');
        (value as (bigint | number)[]).slice(0, n).forEach((a, i) => {
          buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), off + 8 * i);
        });
        break;
      }
      case 'char[]': {
        const room = (layout.sizes[field] ?? 1) - 1; // keep the NUL
        const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value as Uint8Array);
        bytes.copy(buf, off, 0, Math.min(room, bytes.length));
        break;
      }
    }
  }
  return buf;
}

/** Concatenates records into one read()-style batch. */
export function encodeBatch(layout: RecordLayout, inits: RecordInit[]): Buffer {
  const size = constant(layout, 'RECORD_SIZE');
  const buf = Buffer.alloc(size * inits.length);
  inits.forEach((init, i) => encodeRecord(layout, init, buf, i * size));
  return buf;
}
