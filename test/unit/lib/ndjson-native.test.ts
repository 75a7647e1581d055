/*
 * The addon's NDJSON formatter (native/ndjson.cc, follow's NDJSON output)
 * against the JS encoder, byte for byte, over generated records with every
 * type, verdict and errno and the string edge cases (escapes, non-ASCII,
 * invalid UTF-8, fields filling their whole room); and its selection against
 * the library's JS selection, which follow's events output applies. Runs the
 * REAL addon: `npm run build:addon` first.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../../src/lib/binding.js';
import { errnoName } from '../../../src/lib/errnos.js';
import { RecordSelection } from '../../../src/lib/follow.js';
import { encodeBatch, encodeRecord, type RecordInit } from '../../../src/lib/records.js';
import { SyscallTable } from '../../../src/lib/syscalls.js';
import { RawNdjsonEncoder } from '../../../src/render/ndjson.js';

const binding = loadBinding();
const c = binding.constants as Record<string, number>;
const o = binding.offsets;
const RS = c.RECORD_SIZE!;
const table = new SyscallTable(binding.syscalls);
const syscallNames = table.namesByNumber();
const js = new RawNdjsonEncoder(binding, (nr) => table.nameOf(nr), errnoName);
const names: string[] = [];
for (let e = 1; e <= c.MAX_ERRNO!; e++) names[e] = errnoName(e);

function jsBatch(buf: Buffer): Buffer {
  let s = '';
  for (let at = 0; at < buf.length; at += RS) s += js.line(buf, at);
  return Buffer.from(s, 'utf8');
}

/** xorshift32: the same "random" records on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const STRINGS: (string | Uint8Array)[] = [
  '',
  'a',
  '/etc/passwd',
  'we"ird\\name',
  'a\nb\tc\rd\be\ff\u0001\u001f\u007f',
  '/tmp/café/файл/日本語/🙂',
  '\u2028\u2029',
  Uint8Array.from([0xff, 0x41, 0xfe]),
  Uint8Array.from([0xc3]), // truncated 2-byte sequence at the end
  Uint8Array.from([0xe2, 0x82, 0x41]), // truncated 3-byte sequence
  Uint8Array.from([0xf0, 0x9f, 0x99]), // truncated 4-byte at the end
  Uint8Array.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf]), // overlong
  Uint8Array.from([0xed, 0xa0, 0x80, 0x41]), // surrogate
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Uint8Array.from([0xf5, 0x80, 0x80, 0x80]),
  Uint8Array.from([0x80, 0xbf, 0x41, 0xe1, 0x80, 0xe1, 0x80, 0x80]),
  'x'.repeat(300),
];

function randomInit(r: () => number, i: number): RecordInit {
  const pick = <T>(a: readonly T[]): T => a[r() % a.length]!;
  const kind = r() % 10;
  const big = (): bigint => (BigInt(r()) << 32n) | BigInt(r());
  const common = {
    seq: r() % 3 === 0 ? r() * 2 ** 20 + i : i,
    ts_ns: pick([0n, 999n, 1_000_000_000n, 1_700_000_000_123_456_789n + BigInt(i) * 7_777_777n, big()]),
    pid: r(), tgid: r() % 4194304, ppid: r() % 100, uid: pick([0, 1000, 0xffffffff]), gid: r() % 65536,
    comm: pick(STRINGS),
  };
  if (kind === 0) return { type: c.RECORD_LOST, seq: i, lost: pick([1, 2 ** 33, r()]) };
  if (kind === 1) {
    return {
      ...common, type: c.RECORD_EXIT, exit_code: pick([0, 1, 255, -1]), exit_signal: pick([0, 9, 15]),
      utime_ns: big(), stime_ns: r(),
    };
  }
  const verdict = pick([c.VERDICT_ALLOWED!, c.VERDICT_BLOCKED!, c.VERDICT_WOULD_BLOCK!]);
  const flags = pick([0, c.PATH_NONE!, c.PATH_UNREADABLE!, c.PATH_TRUNCATED!, c.PATH_NONE! | c.PATH_TRUNCATED!]);
  return {
    ...common, type: c.RECORD_SYSCALL, nr: pick([0, 2, 59, 257, 262, 499, 0xffffffff, r() % 600]), verdict,
    err: pick([0, 1, 13, 95, 133, 4095, -5, r() % 4096]), path_flags: flags, path: pick(STRINGS),
    args: [big(), 0n, 1n, 2n ** 32n, 2n ** 32n - 1n, pick([big(), 2n ** 64n - 1n])],
  };
}

describe('native ndjsonFormatter', () => {
  const format = binding.ndjsonFormatter(names, syscallNames);

  it('writes the JS encoder\'s bytes for 20 000 generated records', () => {
    const r = rng(0x5eed);
    const inits: RecordInit[] = [];
    for (let i = 0; i < 20000; i++) inits.push(randomInit(r, i));
    const buf = encodeBatch(binding, inits);
    // Whole-room strings with no NUL, which encodeRecord never writes.
    for (let at = 0; at < buf.length; at += 7 * RS) {
      buf.fill(0x7a, at + o.comm!, at + o.comm! + c.COMM_LEN!);
      buf.fill(0xe9, at + o.path!, at + o.path! + c.PATH_LEN!);
    }
    for (let at = 0; at < buf.length; at += RS) {
      const one = buf.subarray(at, at + RS);
      const want = jsBatch(one);
      const got = format(one);
      if (!got.equals(want)) expect(got.toString('latin1')).toBe(want.toString('latin1'));
    }
    expect(format(buf).equals(jsBatch(buf))).toBe(true);
  });

  it('matches when consecutive records repeat the task or the call (the formatter reuses their text)', () => {
    const task = { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'hot' };
    const call = { type: c.RECORD_SYSCALL, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/dev/null' };
    const inits: RecordInit[] = [];
    for (let i = 0; i < 40; i++) {
      const base = { ...call, ...task, seq: i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i) * 999_999n, args: [BigInt(i), 0n, 0n, 0n, 0n, 0n] };
      if (i % 7 === 3) inits.push({ ...base, pid: 8 }); // another thread
      else if (i % 7 === 4) inits.push({ ...base, comm: 'ho"t' }); // renamed
      else if (i % 7 === 5) inits.push({ ...base, path: '/dev/zero' });
      else if (i % 7 === 6) inits.push({ ...base, verdict: c.VERDICT_BLOCKED!, err: 13 });
      else if (i % 11 === 0) inits.push({ type: c.RECORD_LOST, seq: i, lost: 3 });
      else if (i % 13 === 0) inits.push({ ...task, type: c.RECORD_EXIT, seq: i, exit_code: 1 });
      else inits.push(base);
    }
    const buf = encodeBatch(binding, inits);
    expect(format(buf).toString('utf8')).toBe(jsBatch(buf).toString('utf8'));
    // Record by record too: the remembered text survives between calls.
    for (let at = 0; at < buf.length; at += RS) expect(format(buf.subarray(at, at + RS)).toString()).toBe(jsBatch(buf.subarray(at, at + RS)).toString());
  });

  it('writeTo writes the same bytes to an fd and counts events read and shown and lost records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-ndjson-'));
    try {
      const buf = encodeBatch(binding, [
        { type: c.RECORD_SYSCALL, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/a' },
        { type: c.RECORD_LOST, lost: 2 ** 33 },
        { type: c.RECORD_EXIT, exit_code: 3 },
      ]);
      const fd = openSync(join(dir, 'out'), 'w');
      expect(format.writeTo(fd, buf)).toEqual({ read: 2, shown: 2, lost: 2 ** 33, full: false });
      closeSync(fd);
      expect(readFileSync(join(dir, 'out'))).toEqual(jsBatch(buf));
      expect(() => format.writeTo(-1, buf)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches for every verdict and every errno 1..133 and past the named ones', () => {
    const inits: RecordInit[] = [];
    for (const verdict of [c.VERDICT_ALLOWED!, c.VERDICT_BLOCKED!, c.VERDICT_WOULD_BLOCK!]) {
      for (let err = -2; err <= 140; err++) inits.push({ type: c.RECORD_SYSCALL, nr: 257, verdict, err, path: '/x' });
      inits.push({ type: c.RECORD_SYSCALL, nr: 257, verdict, err: c.MAX_ERRNO!, path: '/x' });
    }
    const buf = encodeBatch(binding, inits);
    const got = format(buf).toString('utf8').split('\n');
    const want = jsBatch(buf).toString('utf8').split('\n');
    expect(got).toEqual(want);
    expect(got.some((l) => l.includes('"errno":"EPERM"'))).toBe(true);
  });

  it('selects as the library\'s JS selection does, for every record, and never hides a lost record', () => {
    const r = rng(0x5e1ec7);
    const inits: RecordInit[] = [];
    for (let i = 0; i < 3000; i++) {
      const pick = r() % 10;
      const nr = [0, 1, 257, 59][r() % 4]!;
      const pid = 100 + (r() % 6);
      const tgid = r() % 3 === 0 ? pid : 100 + (r() % 6);
      if (pick === 0) inits.push({ type: c.RECORD_LOST, seq: i, lost: 1 + (r() % 50) });
      else if (pick === 1) inits.push({ type: c.RECORD_EXIT, seq: i, pid, tgid, comm: 'x' });
      else inits.push({ type: c.RECORD_SYSCALL, seq: i, nr, pid, tgid, verdict: c.VERDICT_ALLOWED!, path: '/p' });
    }
    const buf = encodeBatch(binding, inits);
    for (const sel of [{}, { nrs: [257] }, { pids: [101, 104] }, { nrs: [0, 59], pids: [100] }, { nrs: [257], pids: [999] }]) {
      const selection = new RecordSelection(binding, new Set(sel.nrs ?? []), new Set(sel.pids ?? []));
      const kept: Buffer[] = [];
      for (let at = 0; at < buf.length; at += RS) if (selection.selects(buf, at)) kept.push(buf.subarray(at, at + RS));
      const native = binding.ndjsonFormatter(names, syscallNames, sel);
      expect([sel, native(buf).toString('utf8')]).toEqual([sel, jsBatch(Buffer.concat(kept)).toString('utf8')]);
    }
  });

  it('writeLast: of records held, the last n selected events, old gaps left out; the limit holds over every call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-ndjson-'));
    try {
      const rec = (seq: number, nr = 257): RecordInit => ({ type: c.RECORD_SYSCALL, seq, nr, verdict: c.VERDICT_ALLOWED!, path: '/a' });
      const held = encodeBatch(binding, [rec(0), { type: c.RECORD_LOST, lost: 3 }, rec(1), rec(2, 0), rec(3), rec(4)]);
      const live = encodeBatch(binding, [rec(5), rec(6), rec(7)]);
      const f = binding.ndjsonFormatter(names, syscallNames, { nrs: [257], limit: 4 });
      const path = join(dir, 'out');
      const fd = openSync(path, 'w');
      expect(f.writeLast(fd, held, 2)).toEqual({ read: 0, shown: 2, lost: 0, full: false });
      expect(f.writeTo(fd, live)).toEqual({ read: 2, shown: 2, lost: 0, full: true });
      expect(f.writeTo(fd, live)).toEqual({ read: 0, shown: 0, lost: 0, full: true });
      closeSync(fd);
      expect(readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).seq)).toEqual([3, 4, 5, 6]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a selection or errno table of the wrong shape', () => {
    expect(() => binding.ndjsonFormatter(names, syscallNames, { nrs: 'openat' } as never)).toThrow(/selection.nrs must be an array/);
    expect(() => binding.ndjsonFormatter('EPERM' as never, syscallNames)).toThrow(/errnoNames must be an array/);
    expect(() => binding.ndjsonFormatter(names, 'openat' as never)).toThrow(/syscallNames must be an array/);
    expect(() => binding.ndjsonFormatter(['A B'], syscallNames)).toThrow(/errno name 'A B' is not an identifier/);
    expect(() => binding.ndjsonFormatter(names, ['a-b'])).toThrow(/syscall name 'a-b' is not an identifier/);
  });

  it('writes nothing for an empty batch and refuses what is not whole records', () => {
    expect(format(Buffer.alloc(0)).length).toBe(0);
    expect(() => format(Buffer.alloc(RS + 1))).toThrow(/whole number of records/);
    expect(() => (format as (b: unknown) => Buffer)('x')).toThrow(TypeError);
  });

  it('throws the JS encoder\'s errors for unknown record types and verdicts', () => {
    const badType = encodeRecord(binding, { type: 99 });
    expect(() => js.line(badType, 0)).toThrow(/unknown record type 99/);
    expect(() => format(badType)).toThrow(/record at byte 0: unknown record type 99/);
    const badVerdict = encodeBatch(binding, [{ type: c.RECORD_LOST, lost: 1 }, { type: c.RECORD_SYSCALL, verdict: 7 }]);
    expect(() => format(badVerdict)).toThrow(`record at byte ${RS}: unknown verdict 7`);
  });
});
