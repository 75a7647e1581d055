// The event schema (kernel/include/uapi/syscallmon_schema.h) is the one list
// of event fields: everything that writes events is held to it here — the
// addon's NDJSON formatter, the library's decoder (its events' toJSON) and
// both JS encoders, the CSV columns, and the README's field list — over
// generated records of every type, flag and edge case.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBinding, type SchemaField } from '../../../src/lib/binding.js';
import { errnoName } from '../../../src/lib/errnos.js';
import { EventDecoder, type MonitorEvent } from '../../../src/lib/events.js';
import { encodeBatch, RECORD_MEMBERS, type RecordInit } from '../../../src/lib/records.js';
import { resolveSchema } from '../../../src/lib/schema.js';
import { SyscallTable } from '../../../src/lib/syscalls.js';
import { CsvEncoder, csvColumns } from '../../../src/render/csv.js';
import { NdjsonEncoder, RawNdjsonEncoder } from '../../../src/render/ndjson.js';
import { randomInit, rng } from './records-fixture.js';

const root = resolve(import.meta.dirname, '../../..');
const binding = loadBinding();
const c = binding.constants as Record<string, number>;
const schema = resolveSchema(binding);
const decoder = EventDecoder.forBinding(binding);
const table = new SyscallTable(binding.syscalls);
const names: string[] = [];
for (let e = 1; e <= c.MAX_ERRNO!; e++) names[e] = errnoName(e);

const KIND_OF_VALUE: Record<SchemaField['kind'], (v: unknown) => boolean> = {
  DECIMAL: (v) => typeof v === 'number' && Number.isFinite(v),
  DECIMAL_STRING: (v) => typeof v === 'string' && /^[0-9]+$/.test(v),
  HEX: (v) => Array.isArray(v) && v.length === c.NR_ARGS && v.every((a) => typeof a === 'string' && /^0x[0-9a-f]+$/.test(a)),
  ISO_TIME: (v) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v),
  STRING: (v) => typeof v === 'string',
  BOOL: (v) => typeof v === 'boolean',
};

/** One RFC 4180 row (CRLF-terminated) back into its fields. */
function parseCsvRow(row: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (row[i] === '"') {
      for (i++; ; i++) {
        if (row[i] === '"' && row[i + 1] === '"') cell += row[i++];
        else if (row[i] === '"') break;
        else cell += row[i];
      }
      i++;
    } else {
      while (row[i] !== ',' && row[i] !== '\r') cell += row[i++];
    }
    out.push(cell);
    if (row[i] === '\r') return out;
    i++;
  }
}

const TYPE_NUMBER = { syscall: 'RECORD_SYSCALL', exit: 'RECORD_EXIT', config: 'RECORD_CONFIG', lost: 'RECORD_LOST' } as const;

function generated(n: number): { buf: Buffer; events: MonitorEvent[] } {
  const r = rng(0x5c4e3a);
  const inits: RecordInit[] = [];
  for (let i = 0; i < n; i++) inits.push(randomInit(r, i));
  const buf = encodeBatch(binding, inits);
  return { buf, events: decoder.decode(buf) };
}

describe('the event schema', () => {
  it('names each field once, with a known kind, and its record types', () => {
    expect(schema.fields.map((f) => f.name)).toEqual([...new Set(schema.fields.map((f) => f.name))]);
    expect(schema.byType.syscall.map((f) => f.name)).toContain('ret');
    expect(schema.byType.exit.map((f) => f.name)).toContain('signal');
    expect(schema.byType.lost.map((f) => f.name)).toEqual(['type', 'seq', 'count', 'config']);
    expect(schema.byType.config.map((f) => f.name)).toEqual([
      'type', 'seq', 'ts_ns', 'time', 'pid', 'tgid', 'ppid', 'uid', 'gid', 'comm', 'kind', 'id', 'text',
    ]);
    expect(schema.byType.syscall.map((f) => f.name)).toContain('file');
    // One name per field: the verdict is "verdict", an exit's signal "signal", a lost record's count "count".
    for (const gone of ['action', 'exit_signal', 'lost', 'path_flags']) expect(schema.fields.map((f) => f.name)).not.toContain(gone);
  });

  it('reads every member of every record, but the framing', () => {
    const framing = new Set(['h.size', 'task.reserved', 'path_len', 'target_len', 'text_len', 'reserved']);
    for (const rec of ['syscall', 'exit', 'config', 'lost'] as const) {
      const read = new Set(schema.fields.filter((f) => f.records & (1 << c[TYPE_NUMBER[rec]]!)).map((f) => f.member));
      // Only syscall records have flags; a lost record's time is when a reader was told, no event's.
      if (rec !== 'syscall') read.add('h.flags');
      if (rec === 'lost') read.add('h.ts_ns');
      const unread = Object.keys(RECORD_MEMBERS[rec]).filter((m) => !framing.has(m) && !read.has(m));
      expect([rec, unread]).toEqual([rec, []]);
    }
  });

  it('is what every encoder writes: the native formatter, both JS encoders and toJSON, field for field', () => {
    const { buf, events } = generated(5000);
    const native = binding.ndjsonFormatter(names, table.namesByNumber())(buf).toString('utf8').trimEnd().split('\n');
    const raw = new RawNdjsonEncoder(binding, (nr) => table.nameOf(nr), errnoName).lines(buf).trimEnd().split('\n');
    const decoded = new NdjsonEncoder().batch(events).trimEnd().split('\n');
    expect(native).toHaveLength(events.length);
    expect(raw).toEqual(native);
    expect(decoded).toEqual(native);
    const seen = new Set<string>();
    native.forEach((line, i) => {
      const e = events[i]!;
      const fields = schema.byType[e.type];
      const obj = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(obj)).toEqual(fields.map((f) => f.name));
      for (const f of fields) {
        const v = obj[f.name];
        const ok = v === null ? f.nullable : KIND_OF_VALUE[f.kind](v);
        if (!ok) expect([f.name, f.kind, f.nullable, v]).toBe('a value of its kind');
        if (v === null) seen.add(`${f.name}:null`);
      }
      // toJSON (the schema's own) is the line, as JSON.parse reads numbers.
      expect(JSON.parse(JSON.stringify(e))).toEqual(obj);
    });
    // The generator reached every nullable field's null, every record type and configuration kind, a file rule's record.
    for (const f of schema.fields.filter((x) => x.nullable)) expect(seen).toContain(`${f.name}:null`);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['syscall', 'exit', 'config', 'lost']));
    expect(new Set(events.flatMap((e) => (e.type === 'config' ? [e.kind] : []))).size).toBe(10);
    expect(events.some((e) => e.type === 'syscall' && e.file && e.syscall === 'none')).toBe(true);
  });

  it('gives CSV its columns and values', () => {
    expect(csvColumns(schema)).toEqual(schema.fields.map((f) => f.name));
    const csv = new CsvEncoder(schema, { sanitize: false });
    expect(csv.header()).toBe(schema.fields.map((f) => f.name).join(',') + '\r\n');
    const { events } = generated(1000);
    const text = (v: unknown): string => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v));
    for (const e of events) {
      const cells = parseCsvRow(csv.row(e));
      const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
      // Exact digits: CSV, like NDJSON, writes a 64-bit ret whole.
      if (e.type === 'syscall' && e.ret !== null) json['ret'] = e.ret.toString();
      expect(cells).toEqual(schema.fields.map((f) => text(json[f.name])));
    }
  });

  it('is the README\'s field list, in order, with each field\'s kind and record types', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const start = readme.indexOf('### NDJSON and CSV');
    const section = readme.slice(start, readme.indexOf('\n#', start + 1));
    const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]!.trim(), m[3]!.trim()]);
    const KIND_WORDS: Record<SchemaField['kind'], string> = {
      DECIMAL: 'number', DECIMAL_STRING: 'decimal string', HEX: 'hex strings', ISO_TIME: 'ISO time',
      STRING: 'string', BOOL: 'bool',
    };
    const typesOf = (f: SchemaField): string =>
      (['syscall', 'exit', 'config', 'lost'] as const).filter((t) => f.records & (1 << c[TYPE_NUMBER[t]]!)).join(', ');
    expect(rows).toEqual(schema.fields.map((f) => [f.name, KIND_WORDS[f.kind] + (f.nullable ? ' or null' : ''), typesOf(f)]));
  });
});
