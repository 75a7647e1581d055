import { describe, expect, it } from 'vitest';
import { resolveSchema } from '../../../src/lib/schema.js';
import { CsvEncoder, csvColumns, csvField, csvRow } from '../../../src/render/csv.js';
import { blockedRecord, events, exitRecord, fake, lostRecord, syscallRecord, TS } from './events-fixture.js';

const schema = resolveSchema(fake);
const CSV_COLUMNS = csvColumns(schema);

/** A minimal RFC 4180 reader, to prove what we write reads back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('CSV (RFC 4180)', () => {
  it.each(['cat', ''])('field %j: written as it is', (field) => {
    expect(csvField(field)).toBe(field);
  });

  it.each([
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['a\nb', '"a\nb"'],
    ['a\rb', '"a\rb"'],
  ])('field %j holds a comma, quote, LF or CR: quoted, its quotes doubled: %j', (field, written) => {
    expect(csvField(field)).toBe(written);
  });

  it('rows end in CRLF', () => {
    expect(csvRow(['a', 'b,c'])).toBe('a,"b,c"\r\n');
  });

  it('header has the NDJSON field names, and rows read back to the same values', () => {
    const enc = new CsvEncoder(schema, { sanitize: false });
    const all = events([
      syscallRecord({ comm: 'a,"b"', path: '/tmp/new\nline,comma' }),
      blockedRecord(),
      exitRecord(),
      lostRecord(5, 3),
    ]);
    const text = enc.header() + enc.rows(all);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    const rec = (i: number): Record<string, string> => Object.fromEntries(CSV_COLUMNS.map((c, j) => [c, rows[i]![j]!]));
    expect(rec(1)).toMatchObject({
      type: 'syscall', seq: '41', ts_ns: TS.toString(), time: '2026-02-11T10:20:30.123Z', comm: 'a,"b"',
      syscall: 'openat', nr: '257', abi: 'x86_64', verdict: 'allowed', block_errno: '', path: '/tmp/new\nline,comma',
      path_truncated: 'false', target: '', args: '0xffffff9c 0x7ffd1234 0x0 0x0 0x0 0xffffffffffffffff',
      ret: '3', errno: '', duration_ns: '12345', call_id: '', entry: 'false', exit_code: '', count: '',
    });
    expect(rec(2)).toMatchObject({ verdict: 'blocked', block_errno: 'EPERM', ret: '-1', errno: 'EPERM' });
    expect(rec(3)).toMatchObject({ type: 'exit', syscall: '', exit_code: '7', signal: '0', utime_ns: '300000000' });
    expect(rec(4)).toMatchObject({ type: 'lost', seq: '3', count: '5', pid: '' });
  });

  it('keeps exact bytes for files and pipes, escapes control characters for a terminal', () => {
    const [e] = events([syscallRecord({ comm: 'x\u001b[2J' })]);
    expect(new CsvEncoder(schema, { sanitize: false }).row(e!)).toContain('x\u001b[2J');
    expect(new CsvEncoder(schema, { sanitize: true }).row(e!)).toContain('x\\x1b[2J');
  });
});
