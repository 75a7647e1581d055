/*
 * The addon's NDJSON formatter (native/ndjson.cc, follow's NDJSON output)
 * against the JS encoder, byte for byte, over generated records with every
 * type, verdict, abi, flag and errno, 64-bit results and the string edge
 * cases (escapes, non-ASCII, invalid UTF-8, fields filling their whole
 * room); and its selection against
 * the library's JS selection, which follow's events output applies. Runs the
 * REAL addon: `npm run build:addon` first.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonCandidates, loadBinding } from '../../../src/lib/binding.js';
import { errnoName } from '../../../src/lib/errnos.js';
import { RecordSelection } from '../../../src/lib/follow.js';
import { encodeBatch, encodeRecord, recordSize, resolveLayout, type RecordInit } from '../../../src/lib/records.js';
import { SyscallTable } from '../../../src/lib/syscalls.js';
import { RawNdjsonEncoder } from '../../../src/render/ndjson.js';
import { randomInit, rng } from './records-fixture.js';

const binding = loadBinding();
const c = binding.constants as Record<string, number>;
const table = new SyscallTable(binding.syscalls);
const syscallNames = table.namesByNumber();
const js = new RawNdjsonEncoder(binding, (nr) => table.nameOf(nr), errnoName);
const layout = resolveLayout(binding);
const names: string[] = [];
for (let e = 1; e <= c.MAX_ERRNO!; e++) names[e] = errnoName(e);

const jsBatch = (buf: Buffer): Buffer => Buffer.from(js.lines(buf), 'utf8');

/** Byte offsets of buf's records. */
function offsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < buf.length; at += recordSize(layout, buf, at)) out.push(at);
  return out;
}

describe('native ndjsonFormatter', () => {
  const format = binding.ndjsonFormatter(names, syscallNames);

  it('writes the JS encoder\'s bytes for 20 000 generated records', () => {
    const r = rng(0x5eed);
    const inits: RecordInit[] = [];
    for (let i = 0; i < 20000; i++) inits.push(randomInit(r, i));
    const buf = encodeBatch(binding, inits);
    // Whole-room comm with no NUL, which encodeRecord never writes.
    const at = offsets(buf);
    for (let i = 0; i < at.length; i += 7) {
      const rec = at[i]!;
      if (buf.readUInt16LE(rec + layout.off.type) === c.RECORD_LOST || buf.readUInt16LE(rec + layout.off.type) === c.RECORD_PAD) continue;
      buf.fill(0x7a, rec + layout.off.comm, rec + layout.off.comm + c.COMM_LEN!);
    }
    for (let i = 0; i < at.length; i++) {
      const one = buf.subarray(at[i]!, at[i + 1] ?? buf.length);
      const want = jsBatch(one);
      const got = format(one);
      if (!got.equals(want)) expect(got.toString('latin1')).toBe(want.toString('latin1'));
    }
    expect(format(buf).equals(jsBatch(buf))).toBe(true);
  });

  it('matches when consecutive records repeat the task or the call (the formatter reuses their text)', () => {
    const task = { pid: 7, tgid: 7, ppid: 1, uid: 0, gid: 0, comm: 'hot' };
    const call = { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/dev/null', flags: c.SYSCALL_PATH! | c.SYSCALL_RESULT! };
    const inits: RecordInit[] = [];
    for (let i = 0; i < 60; i++) {
      const base = { ...call, ...task, seq: i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i) * 999_999n, args: [BigInt(i)], ret: i, duration_ns: BigInt(i) };
      if (i % 9 === 3) inits.push({ ...base, pid: 8 }); // another thread
      else if (i % 9 === 4) inits.push({ ...base, comm: 'ho"t' }); // renamed
      else if (i % 9 === 5) inits.push({ ...base, path: '/dev/zero' });
      else if (i % 9 === 6) inits.push({ ...base, verdict: c.VERDICT_BLOCKED!, err: 13 });
      else if (i % 9 === 7) inits.push({ ...base, target: '/dev/null', flags: base.flags | c.SYSCALL_TARGET! });
      else if (i % 9 === 8) inits.push({ ...base, path: '/dev/nul', target: 'l', flags: base.flags | c.SYSCALL_TARGET! });
      else if (i % 11 === 0) inits.push({ type: c.RECORD_LOST!, seq: i, count: 3 });
      else if (i % 13 === 0) inits.push({ ...task, type: c.RECORD_EXIT!, seq: i, exit_code: 1 });
      else inits.push(base);
    }
    const buf = encodeBatch(binding, inits);
    expect(format(buf).toString('utf8')).toBe(jsBatch(buf).toString('utf8'));
    // Record by record too: the remembered text survives between calls.
    const at = offsets(buf);
    for (let i = 0; i < at.length; i++) {
      const one = buf.subarray(at[i]!, at[i + 1] ?? buf.length);
      expect(format(one).toString()).toBe(jsBatch(one).toString());
    }
  });

  it('matches when consecutive results repeat or change, between records with no result, entry halves, result halves and calls without a result (the formatter reuses the result\'s text)', () => {
    const call = { type: c.RECORD_SYSCALL!, nr: 0, verdict: c.VERDICT_ALLOWED!, comm: 'hot', args: [3n, 0x402004n, 4096n] };
    const rets = [3, 3, -2, -2, 3, 0, -13, -13, 4096, -4095, 3];
    const inits: RecordInit[] = [];
    for (let i = 0; i < 66; i++) {
      const base = { ...call, seq: i, ts_ns: 1_700_000_000_000_000_000n + BigInt(i) * 777n, ret: rets[i % rets.length]!, duration_ns: BigInt(i * 37), flags: c.SYSCALL_RESULT! };
      if (i % 6 === 1) inits.push({ ...base, flags: 0 }); // written at entry
      else if (i % 6 === 2) inits.push({ ...base, flags: c.SYSCALL_ENTRY!, call_id: BigInt(i) }); // a `both` call's entry half
      else if (i % 6 === 3) inits.push({ ...base, call_id: BigInt(i - 1) }); // and its result half
      else if (i % 6 === 4) inits.push({ ...base, flags: c.SYSCALL_NO_RESULT! });
      else inits.push(base);
    }
    const buf = encodeBatch(binding, inits);
    const want = jsBatch(buf).toString('utf8');
    expect(binding.ndjsonFormatter(names, syscallNames)(buf).toString('utf8')).toBe(want);
    expect(want).toContain('"ret":-2,"errno":"ENOENT","duration_ns":"');
    expect(want).toContain('"call_id":null,"entry":false,"no_result":true}');
    expect(want).toContain('"call_id":2,"entry":true,"no_result":false}');
    // Record by record, through one formatter: the kept result survives between calls.
    const one = binding.ndjsonFormatter(names, syscallNames);
    const at = offsets(buf);
    for (let i = 0; i < at.length; i++) {
      const rec = buf.subarray(at[i]!, at[i + 1] ?? buf.length);
      expect(one(rec).toString()).toBe(jsBatch(rec).toString());
    }
  });

  it('matches when consecutive records count seq up through new digits, stay in a second or cross one, carry through the nanoseconds\' digits, and repeat or change arguments', () => {
    const call = { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/dev/null', flags: c.SYSCALL_PATH! | c.SYSCALL_RESULT!, comm: 'hot' };
    const inits: RecordInit[] = [];
    const runs: [bigint, bigint][] = [
      [0n, 0n], // seq 0, before the first second
      [7n, 999_999_990n], // 7..: counts past 9 and 10; ts crosses into second 1
      [95n, 1_000_000_000n - 3n],
      [997n, 1_700_000_000_999_999_998n],
      [999_998n, 1_700_000_001_000_000_000n],
      [999_999_999_999_998n, 9_999_999_999_000_000_000n], // a 20-digit ts
      // nanoseconds whose digits each pair boundary carries or not
      [2_000n, 1_700_000_000_099_999_994n],
      [3_000n, 1_700_000_000_123_456_789n],
      [4_000n, 1_700_000_000_909_090_907n],
    ];
    for (const [seq0, ts0] of runs) {
      for (let i = 0n; i < 5n; i++) {
        const args = i % 2n === 0n ? [0xffffff9cn, 0x402004n] : [0xffffff9cn, 0x402004n + i];
        inits.push({ ...call, seq: seq0 + i, ts_ns: ts0 + i * 3n, args, ret: 3, duration_ns: i });
      }
    }
    inits.push({ ...call, seq: 5, ts_ns: 5n }); // seq and ts back down
    inits.push({ ...call, seq: 6, ts_ns: 1_000_000_005n, args: [1n, 2n, 3n, 4n, 5n, 6n] });
    const buf = encodeBatch(binding, inits);
    const fresh = binding.ndjsonFormatter(names, syscallNames);
    const want = jsBatch(buf).toString('utf8');
    expect(fresh(buf).toString('utf8')).toBe(want);
    expect(want).toContain('"seq":11,"ts_ns":"1000000002"');
    expect(want).toContain('"seq":1000000000000000,');
  });

  it('writeTo writes the same bytes to an fd and counts events read and shown and lost records, not padding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-ndjson-'));
    try {
      const buf = encodeBatch(binding, [
        { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/a' },
        { type: c.RECORD_PAD!, size: 40 },
        { type: c.RECORD_LOST!, count: 2 ** 33 },
        { type: c.RECORD_EXIT!, exit_code: 3 },
      ]);
      const fd = openSync(join(dir, 'out'), 'w');
      expect(format.writeTo(fd, buf)).toEqual({ read: 2, shown: 2, lost: 2 ** 33, full: false });
      closeSync(fd);
      expect(readFileSync(join(dir, 'out'))).toEqual(jsBatch(buf));
      expect(readFileSync(join(dir, 'out'), 'utf8').split('\n')).toHaveLength(4);
      expect(() => format.writeTo(-1, buf)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writeTo counts every record into a tally: calls by syscall and verdict (a file access in no syscall in its own row), exits, configs, losses by kind, calls without result', () => {
    const t = format.tallyLayout;
    const tally = new Float64Array(t.slots);
    const buf = encodeBatch(binding, [
      { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_ALLOWED!, path: '/a' },
      { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_BLOCKED!, path: '/a' },
      { type: c.RECORD_SYSCALL!, nr: 257, verdict: c.VERDICT_ALLOWED!, flags: c.SYSCALL_NO_RESULT! },
      { type: c.RECORD_SYSCALL!, nr: c.NR_NONE!, verdict: c.VERDICT_BLOCKED!, flags: c.SYSCALL_FILE! },
      { type: c.RECORD_PAD!, size: 40 },
      { type: c.RECORD_LOST!, count: 7, config: 2 },
      { type: c.RECORD_EXIT!, exit_code: 3 },
      { type: c.RECORD_CONFIG!, kind: c.CONFIG_MODE! },
    ]);
    const fd = openSync('/dev/null', 'w');
    try {
      format.writeTo(fd, buf, tally);
      format.writeTo(fd, buf, tally);
      const counted = new Map<string, number>();
      tally.forEach((n, i) => {
        if (n !== 0) counted.set(String(i), n);
      });
      const call = (row: number, verdict: number): string => String((row << t.verdictBits) | verdict);
      expect(Object.fromEntries(counted)).toEqual({
        [call(257, c.VERDICT_ALLOWED!)]: 4,
        [call(257, c.VERDICT_BLOCKED!)]: 2,
        [call(t.rows, c.VERDICT_BLOCKED!)]: 2,
        [String(t.noResult)]: 2,
        [String(t.lostOverwritten)]: 10,
        [String(t.lostConfig)]: 4,
        [String(t.exits)]: 2,
        [String(t.configs)]: 2,
      });
      expect(() => format.writeTo(fd, buf, new Float64Array(3))).toThrow(/tally must be a Float64Array of formatter.tallyLayout.slots numbers/);
      const beyond = encodeBatch(binding, [{ type: c.RECORD_SYSCALL!, nr: t.rows, verdict: c.VERDICT_ALLOWED! }]);
      expect(() => format.writeTo(fd, beyond, tally)).toThrow(`record at byte 0: syscall ${t.rows}, verdict ${c.VERDICT_ALLOWED}: beyond what the tally counts`);
    } finally {
      closeSync(fd);
    }
  });

  it('matches for every verdict, every errno 1..140 (as the block\'s and as the result\'s) and past the named ones', () => {
    const inits: RecordInit[] = [];
    for (const verdict of [c.VERDICT_ALLOWED!, c.VERDICT_BLOCKED!, c.VERDICT_WOULD_BLOCK!]) {
      for (let err = -2; err <= 140; err++) {
        inits.push({ type: c.RECORD_SYSCALL!, nr: 257, verdict, err, path: '/x', flags: c.SYSCALL_RESULT!, ret: -err });
      }
      inits.push({ type: c.RECORD_SYSCALL!, nr: 257, verdict, err: c.MAX_ERRNO!, path: '/x', flags: c.SYSCALL_RESULT!, ret: -c.MAX_ERRNO! });
    }
    const buf = encodeBatch(binding, inits);
    const got = format(buf).toString('utf8').split('\n');
    const want = jsBatch(buf).toString('utf8').split('\n');
    expect(got).toEqual(want);
    expect(got.some((l) => l.includes('"block_errno":"EPERM"') && l.includes('"errno":"EPERM"'))).toBe(true);
  });

  it('selects as the library\'s JS selection does, for every record, and never hides a lost record', () => {
    const r = rng(0x5e1ec7);
    const inits: RecordInit[] = [];
    for (let i = 0; i < 3000; i++) {
      const pick = r() % 10;
      const nr = [0, 1, 257, 59][r() % 4]!;
      const pid = 100 + (r() % 6);
      const tgid = r() % 3 === 0 ? pid : 100 + (r() % 6);
      if (pick === 0) inits.push({ type: c.RECORD_LOST!, seq: i, count: 1 + (r() % 50) });
      else if (pick === 1) inits.push({ type: c.RECORD_EXIT!, seq: i, pid, tgid, comm: 'x' });
      else if (pick === 2) inits.push({ type: c.RECORD_PAD!, size: 24 });
      else inits.push({ type: c.RECORD_SYSCALL!, seq: i, nr, pid, tgid, verdict: c.VERDICT_ALLOWED!, path: '/p'.repeat(r() % 9) });
    }
    const buf = encodeBatch(binding, inits);
    const at = offsets(buf);
    for (const sel of [{}, { nrs: [257] }, { pids: [101, 104] }, { nrs: [0, 59], pids: [100] }, { nrs: [257], pids: [999] }]) {
      const selection = new RecordSelection(binding, new Set(sel.nrs ?? []), new Set(sel.pids ?? []));
      const kept: Buffer[] = [];
      for (let i = 0; i < at.length; i++) {
        if (!selection.isPad(buf, at[i]!) && selection.selects(buf, at[i]!)) kept.push(buf.subarray(at[i]!, at[i + 1] ?? buf.length));
      }
      const native = binding.ndjsonFormatter(names, syscallNames, sel);
      expect([sel, native(buf).toString('utf8')]).toEqual([sel, jsBatch(Buffer.concat(kept)).toString('utf8')]);
    }
  });

  it('writeLast: of records held, the last n selected events, old gaps left out; the limit holds over every call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-ndjson-'));
    try {
      const rec = (seq: number, nr = 257): RecordInit => ({ type: c.RECORD_SYSCALL!, seq, nr, verdict: c.VERDICT_ALLOWED!, path: '/a' });
      const held = encodeBatch(binding, [rec(0), { type: c.RECORD_LOST!, count: 3 }, rec(1), rec(2, 0), { type: c.RECORD_PAD!, size: 24 }, rec(3), rec(4)]);
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

  it('writeTo and writeLast write the lines of the records before one they refuse, then throw its error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-ndjson-'));
    try {
      const rec = (seq: number, verdict = c.VERDICT_ALLOWED!): RecordInit => ({ type: c.RECORD_SYSCALL!, seq, nr: 257, verdict, path: '/a' });
      const good = encodeBatch(binding, [rec(0), { type: c.RECORD_LOST!, seq: 1, count: 2 }, rec(3)]);
      const batch = Buffer.concat([good, encodeBatch(binding, [rec(4, 9), rec(5)])]);
      const path = join(dir, 'out');
      let fd = openSync(path, 'w');
      expect(() => binding.ndjsonFormatter(names, syscallNames).writeTo(fd, batch)).toThrow(`record at byte ${good.length}: unknown verdict 9`);
      closeSync(fd);
      expect(readFileSync(path)).toEqual(jsBatch(good));
      fd = openSync(path, 'w');
      expect(() => binding.ndjsonFormatter(names, syscallNames).writeLast(fd, batch, 5)).toThrow(/unknown verdict 9/);
      closeSync(fd);
      expect(readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).seq)).toEqual([0, 3]);
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

  it('reads a name table as long as it was when given, whatever a getter adds to it meanwhile', () => {
    // In a child: writing past the table it sized crashed the process.
    const addon = addonCandidates().find((path) => existsSync(path))!;
    const script = `
      const addon = require(${JSON.stringify(addon)});
      const names = ['EPERM'];
      Object.defineProperty(names, 0, { get() { for (let i = 0; i < 1000; i++) names.push('EX'); return 'EPERM'; } });
      addon.ndjsonFormatter(names, []);
      process.stdout.write(String(names.length));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect({ status: r.status, signal: r.signal, out: r.stdout }).toEqual({ status: 0, signal: null, out: '1001' });
  });

  it('writes nothing for an empty batch and refuses what is not whole records', () => {
    const one = encodeRecord(binding, { type: c.RECORD_SYSCALL!, path: '/a' });
    expect(format(Buffer.alloc(0)).length).toBe(0);
    expect(() => format(one.subarray(0, one.length - 8))).toThrow(/batch ends inside a record/);
    expect(() => format(Buffer.concat([one, Buffer.alloc(4)]))).toThrow(/batch ends inside a record/);
    expect(() => (format as (b: unknown) => Buffer)('x')).toThrow(TypeError);
  });

  it('throws the JS encoder\'s errors for unknown record types, verdicts and abis, and malformed records', () => {
    const badType = encodeRecord(binding, { type: 99 });
    expect(() => js.line(badType, 0)).toThrow(/unknown record type 99/);
    expect(() => format(badType)).toThrow(/record at byte 0: unknown record type 99/);
    const lost = encodeRecord(binding, { type: c.RECORD_LOST!, count: 1 });
    const badVerdict = Buffer.concat([lost, encodeRecord(binding, { type: c.RECORD_SYSCALL!, verdict: 7 })]);
    expect(() => js.line(badVerdict, lost.length)).toThrow(/unknown verdict 7/);
    expect(() => format(badVerdict)).toThrow(`record at byte ${lost.length}: unknown verdict 7`);
    expect(() => format(encodeRecord(binding, { type: c.RECORD_SYSCALL!, abi: 5 }))).toThrow('record at byte 0: unknown abi 5');
    expect(() => format(encodeRecord(binding, { type: c.RECORD_SYSCALL!, size: 16 }))).toThrow(/record at byte 0: malformed/);
  });
});
