// The event schema (kernel/include/uapi/syscallmon_schema.h), as the addon
// exports it: every field an event has, its one name in the library's
// events, NDJSON and CSV, how NDJSON writes it, and which record types carry
// it. Events' toJSON() and the CSV columns are built from it; the encoders
// written by hand for speed (src/render/ndjson.ts, native/ndjson.cc) are
// held to it by tests.
import type { Binding, FieldKind, SchemaField } from './binding.js';
import { need, resolveLayout, type EventType } from './records.js';

export type { FieldKind, SchemaField };

const KINDS: readonly FieldKind[] = ['DECIMAL', 'DECIMAL_STRING', 'HEX', 'ISO_TIME', 'STRING', 'BOOL'];

export interface EventSchema {
  /** every field, in the schema's order */
  readonly fields: readonly SchemaField[];
  /** the fields each record type carries, in order */
  readonly byType: Readonly<Record<EventType, readonly SchemaField[]>>;
}

/** Resolved schemas, by the schema and the records they were checked against. */
const resolved = new WeakMap<object, WeakMap<object, EventSchema>>();

/**
 * The addon's schema, checked: known kinds, unique names, members that
 * exist in the record structs they name. Once per addon (or fake).
 */
export function resolveSchema(binding: Pick<Binding, 'constants' | 'records' | 'schema'>): EventSchema {
  const cached = resolved.get(binding.schema)?.get(binding.records);
  if (cached) return cached;
  resolveLayout(binding);
  const c = binding.constants;
  const seen = new Set<string>();
  for (const f of binding.schema) {
    if (!KINDS.includes(f.kind)) throw new Error(`event field ${f.name}: unknown kind ${f.kind}`);
    if (seen.has(f.name)) throw new Error(`event field ${f.name} is in the schema twice`);
    seen.add(f.name);
    if (!binding.records[f.rec]?.members[f.member]) {
      throw new Error(`event field ${f.name}: struct syscallmon_${f.rec} has no member ${f.member}`);
    }
  }
  const of = (type: string): SchemaField[] => binding.schema.filter((f) => (f.records & (1 << need(c, type))) !== 0);
  const schema: EventSchema = {
    fields: binding.schema,
    byType: { syscall: of('RECORD_SYSCALL'), exit: of('RECORD_EXIT'), config: of('RECORD_CONFIG'), lost: of('RECORD_LOST') },
  };
  if (!resolved.has(binding.schema)) resolved.set(binding.schema, new WeakMap());
  resolved.get(binding.schema)?.set(binding.records, schema);
  return schema;
}

/** Every u64 argument as it is shown: lower-case hex with 0x. */
export function hexArg(a: bigint): string {
  return a === 0n ? '0x0' : '0x' + a.toString(16);
}

/**
 * A field's value as JSON.stringify should write it: bigints as numbers
 * (DECIMAL; exact to 2^53, which NDJSON's own encoders exceed) or decimal
 * strings (DECIMAL_STRING), arguments as hex, times as ISO 8601.
 */
export function jsonValue(kind: FieldKind, value: unknown): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'DECIMAL':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'DECIMAL_STRING':
      return String(value);
    case 'HEX':
      return (value as bigint[]).map(hexArg);
    case 'ISO_TIME':
      return (value as Date).toISOString();
    case 'STRING':
    case 'BOOL':
      return value;
  }
}

/** The JSON shape of an event: its type's fields in the schema's order, each as its kind says. */
export function eventJson(fields: readonly SchemaField[], event: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = event as Record<string, unknown>;
  for (const f of fields) out[f.name] = jsonValue(f.kind, values[f.name]);
  return out;
}
