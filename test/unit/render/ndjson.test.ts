import { describe, expect, it } from 'vitest';
import { resolveSchema } from '../../../src/lib/schema.js';
import { NdjsonEncoder, jsonLine } from '../../../src/render/ndjson.js';
import { blockedRecord, configRecord, events, exitRecord, fake, fileRuleRecord, lostRecord, syscallRecord, TS } from './events-fixture.js';

const schema = resolveSchema(fake);
const SYSCALL_FIELDS = schema.byType.syscall.map((f) => f.name);
const EXIT_FIELDS = schema.byType.exit.map((f) => f.name);
const CONFIG_FIELDS = schema.byType.config.map((f) => f.name);

describe('NDJSON', () => {
  it('a syscall event: the schema\'s fields in its order, ts_ns as a decimal string, args as hex strings', () => {
    const [e] = events([syscallRecord()]);
    const line = new NdjsonEncoder().line(e!);
    expect(line.endsWith('}\n')).toBe(true);
    const obj = JSON.parse(line);
    expect(Object.keys(obj)).toEqual(SYSCALL_FIELDS);
    expect(obj).toEqual({
      type: 'syscall',
      seq: 41,
      ts_ns: TS.toString(),
      time: '2026-02-11T10:20:30.123Z',
      pid: 1235,
      tgid: 1234,
      ppid: 1,
      uid: 1000,
      gid: 1000,
      comm: 'cat',
      syscall: 'openat',
      nr: 257,
      abi: 'x86_64',
      native_nr: 257,
      verdict: 'allowed',
      block_errno: null,
      rule: null,
      file: false,
      path: '/etc/hostname',
      path_truncated: false,
      path_unreadable: false,
      target: null,
      args: ['0xffffff9c', '0x7ffd1234', '0x0', '0x0', '0x0', '0xffffffffffffffff'].slice(0, fake.c('NR_ARGS')),
      ret: 3,
      errno: null,
      duration_ns: '12345',
      call_id: null,
      entry: false,
      no_result: false,
    });
  });

  it('blocked and would_block carry the block\'s errno, a failure its own; a syscall without a path has path null', () => {
    const [b, w, n, f] = events([
      blockedRecord({ err: 13, ret: -13 }),
      syscallRecord({ verdict: 2, err: 1 }),
      syscallRecord({ nr: 1, path: undefined, target: '/tmp/out' }),
      syscallRecord({ ret: -2 }),
    ]);
    const enc = new NdjsonEncoder();
    expect(JSON.parse(enc.line(b!))).toMatchObject({ verdict: 'blocked', block_errno: 'EACCES', ret: -13, errno: 'EACCES' });
    expect(JSON.parse(enc.line(w!))).toMatchObject({ verdict: 'would_block', block_errno: 'EPERM', ret: 3, errno: null });
    expect(JSON.parse(enc.line(n!))).toMatchObject({ syscall: 'write', path: null, path_truncated: false, target: '/tmp/out' });
    expect(JSON.parse(enc.line(f!))).toMatchObject({ ret: -2, errno: 'ENOENT' });
  });

  it('a record written at entry has no result: ret, errno and duration_ns are null', () => {
    const [e] = events([syscallRecord({ ret: undefined, duration_ns: undefined })]);
    expect(JSON.parse(new NdjsonEncoder().line(e!))).toMatchObject({ ret: null, errno: null, duration_ns: null });
  });

  it('writes a 64-bit ret with every digit', () => {
    const [e] = events([syscallRecord({ ret: 2n ** 62n + 1n })]);
    expect(new NdjsonEncoder().line(e!)).toContain('"ret":4611686018427387905,');
  });

  it('an exit event and a lost marker', () => {
    const [x, l] = events([exitRecord(), lostRecord(17)]);
    const enc = new NdjsonEncoder();
    const exit = JSON.parse(enc.line(x!));
    expect(Object.keys(exit)).toEqual(EXIT_FIELDS);
    expect(exit).toMatchObject({ type: 'exit', exit_code: 7, signal: 0, utime_ns: '300000000', stime_ns: '5000000' });
    expect(enc.line(l!)).toBe('{"type":"lost","seq":10,"count":17,"config":0}\n');
    const [l2] = events([lostRecord(17, 10, 2)]);
    expect(enc.line(l2!)).toBe('{"type":"lost","seq":10,"count":17,"config":2}\n');
  });

  it('a config event: who changed what, kind by name', () => {
    const [e] = events([configRecord({ kind: fake.c('CONFIG_TARGET'), id: 257, text: 'openat: none -> block errno 1 pids 1' })]);
    const obj = JSON.parse(new NdjsonEncoder().line(e!));
    expect(Object.keys(obj)).toEqual(CONFIG_FIELDS);
    expect(obj).toEqual({
      type: 'config', seq: 43, ts_ns: (TS + 2000n).toString(), time: '2026-02-11T10:20:30.123Z', pid: 4242, tgid: 4242, ppid: 1,
      uid: 0, gid: 0, comm: 'syscallmon', kind: 'target', id: 257, text: 'openat: none -> block errno 1 pids 1',
    });
  });

  it('a file rule\'s record: file true, the file as its path, the rule that decided', () => {
    const [e] = events([fileRuleRecord(), fileRuleRecord({ nr: fake.c('NR_NONE'), native_nr: fake.c('NR_NONE') })]);
    expect(JSON.parse(new NdjsonEncoder().line(e!))).toMatchObject({ syscall: 'openat', rule: 7, file: true, path: '/etc/shadow', verdict: 'blocked' });
  });

  it('is exactly the library event toJSON(), so every JSON path agrees', () => {
    const all = events([
      syscallRecord(),
      blockedRecord({ comm: 'we"ird\\name', path: 'a\nb\u001b[31m' }),
      syscallRecord({ path: 'x'.repeat(300) }),
      syscallRecord({ ts_ns: 999n }),
      exitRecord({ signal: 15 }),
      configRecord(),
      configRecord({ kind: fake.c('CONFIG_CLOSED'), text: 'opened by pid 9; 2 rules dropped', comm: 'a"b\n' }),
      fileRuleRecord(),
      fileRuleRecord({ nr: fake.c('NR_NONE'), native_nr: fake.c('NR_NONE') }),
      lostRecord(3, 10, 1),
    ]);
    const enc = new NdjsonEncoder();
    for (const e of all) expect(JSON.parse(enc.line(e))).toEqual(JSON.parse(JSON.stringify(e)));
  });

  it('escapes kernel strings as JSON, keeping the exact characters', () => {
    const [e] = events([syscallRecord({ comm: 'a"b\\c', path: '/tmp/x\ny\u0001' })]);
    const obj = JSON.parse(new NdjsonEncoder().line(e!));
    expect(obj.comm).toBe('a"b\\c');
    expect(obj.path).toBe('/tmp/x\ny\u0001');
  });

  it('a batch is one string of lines, optionally filtered', () => {
    const all = events([syscallRecord({ pid: 1 }), syscallRecord({ pid: 2 }), syscallRecord({ pid: 3 })]);
    const text = new NdjsonEncoder().batch(all, (e) => e.type !== 'syscall' || e.pid !== 2);
    expect(text.split('\n')).toHaveLength(3);
    expect(text.split('\n').slice(0, 2).map((l) => JSON.parse(l).pid)).toEqual([1, 3]);
  });

  it('the time prefix cache follows the second', () => {
    const enc = new NdjsonEncoder();
    const [a, b] = events([syscallRecord({ ts_ns: 1_000_000_000_999_000_000n }), syscallRecord({ ts_ns: 1_000_000_001_000_000_000n })]);
    expect(JSON.parse(enc.line(a!)).time).toBe('2001-09-09T01:46:40.999Z');
    expect(JSON.parse(enc.line(b!)).time).toBe('2001-09-09T01:46:41.000Z');
  });

  it('jsonLine writes bigints as decimal strings', () => {
    expect(jsonLine({ a: 2n ** 64n, b: [1] })).toBe('{"a":"18446744073709551616","b":[1]}\n');
  });
});

describe('RawNdjsonEncoder (tail --json, straight from records)', () => {
  it('writes exactly the line NdjsonEncoder writes for the decoded event', async () => {
    const { encodeBatch } = await import('../../../src/lib/records.js');
    const { EventDecoder } = await import('../../../src/lib/events.js');
    const { errnoName } = await import('../../../src/lib/errnos.js');
    const { SyscallTable } = await import('../../../src/lib/syscalls.js');
    const { RawNdjsonEncoder } = await import('../../../src/render/ndjson.js');
    const inits = [
      syscallRecord(),
      syscallRecord({ seq: 2 ** 40 + 3, args: [2n ** 32n, 2n ** 32n - 1n, 0xdeadbeefcafen, 1n, 0n, 2n ** 63n] }),
      blockedRecord({ err: 13, comm: 'we"ird\\name', path: 'a\nb\u001b[31m\u007f' }),
      syscallRecord({ verdict: 2, err: 1, path: '/tmp/café/файл' }),
      syscallRecord({ path: 'x'.repeat(300) }),
      syscallRecord({ nr: 1, path: undefined, target: 'pipe:[5]' }),
      syscallRecord({ nr: 499, path: undefined }), // a number the table lacks
      syscallRecord({ ts_ns: 999n, comm: '', ret: -(2n ** 63n) }),
      syscallRecord({ ret: undefined, flags: fake.c('SYSCALL_NO_RESULT') }),
      syscallRecord({ flags: fake.c('SYSCALL_ENTRY'), call_id: 2 ** 40 }),
      exitRecord({ signal: 15, exit_code: -1 }),
      lostRecord(2 ** 33),
    ];
    const buf = encodeBatch(fake, inits);
    const table = new SyscallTable(fake.syscalls);
    const decoded = new EventDecoder(fake, table).decode(buf);
    const raw = new RawNdjsonEncoder(fake, (nr) => table.nameOf(nr), errnoName);
    const enc = new NdjsonEncoder();
    let at = 0;
    decoded.forEach((e) => {
      expect(raw.line(buf, at)).toBe(enc.line(e));
      at += raw.size(buf, at);
    });
    expect(at).toBe(buf.length);
  });
});
