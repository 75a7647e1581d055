// Decoding raw records: every record type, verdict and path flag, built with
// the shared encoder from the real addon's offsets.
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../../src/lib/binding.js';
import { cString, EventDecoder, type ExitEvent, type LostEvent, type SyscallEvent } from '../../../src/lib/events.js';
import { checkLayout, encodeBatch, encodeRecord, RECORD_FIELDS, resolveLayout, type RecordInit } from '../../../src/lib/records.js';

const binding = loadBinding();
const c = (name: string): number => {
  const v = binding.constants[name];
  if (v === undefined) throw new Error(name);
  return v;
};
const decoder = EventDecoder.forBinding(binding);
const nr = (name: string): number => binding.syscalls.find((s) => s.name === name)?.nr ?? -1;
const TS = 1_700_000_000_123_456_789n;

function one<T>(init: RecordInit): T {
  const events = decoder.decode(encodeRecord(binding, init));
  expect(events).toHaveLength(1);
  return events[0] as T;
}

const base: RecordInit = {
  type: c('RECORD_SYSCALL'), nr: nr('openat'), seq: 41, ts_ns: TS, pid: 1234, tgid: 1200, ppid: 1,
  uid: 1000, gid: 100, comm: 'cat', verdict: c('VERDICT_ALLOWED'), path: '/etc/hostname',
  args: [0xffffff9cn, 0x7ffd0000beefn, 0n, 0o644n, 0n, 0xffffffffffffffffn],
};

describe('EventDecoder', () => {
  it('decodes a syscall record with every field', () => {
    const e = one<SyscallEvent>(base);
    expect(e).toMatchObject({
      type: 'syscall', seq: 41, ts_ns: TS, pid: 1234, tgid: 1200, ppid: 1, uid: 1000, gid: 100, comm: 'cat',
      syscall: 'openat', nr: 257, action: 'allowed', errno: null, err: 0, path: '/etc/hostname',
      path_truncated: false, path_unreadable: false,
    });
    expect(e.args).toEqual([0xffffff9cn, 0x7ffd0000beefn, 0n, 0o644n, 0n, 0xffffffffffffffffn]);
    expect(e.time.toISOString()).toBe('2023-11-14T22:13:20.123Z');
  });

  it.each([
    ['VERDICT_ALLOWED', 0, 'allowed', null],
    ['VERDICT_BLOCKED', 1, 'blocked', 'EPERM'],
    ['VERDICT_BLOCKED', 13, 'blocked', 'EACCES'],
    ['VERDICT_WOULD_BLOCK', 2, 'would_block', 'ENOENT'],
  ] as const)('maps %s err=%d to action %s errno %s', (verdict, err, action, errno) => {
    const e = one<SyscallEvent>({ ...base, verdict: c(verdict), err });
    expect(e.action).toBe(action);
    expect(e.errno).toBe(errno);
    expect(e.err).toBe(err);
  });

  it('gives an errno name Node lacks as its number', () => {
    expect(one<SyscallEvent>({ ...base, verdict: c('VERDICT_BLOCKED'), err: 4000 }).errno).toBe('4000');
  });

  it('honours every path flag', () => {
    const none = one<SyscallEvent>({ ...base, nr: nr('getpid'), path: undefined, path_flags: c('PATH_NONE') });
    expect(none).toMatchObject({ syscall: 'getpid', path: null, path_truncated: false, path_unreadable: false });
    const bad = one<SyscallEvent>({ ...base, path: undefined, path_flags: c('PATH_UNREADABLE') });
    expect(bad).toMatchObject({ path: null, path_unreadable: true, path_truncated: false });
    const long = 'x'.repeat(c('PATH_LEN') + 10);
    const cut = one<SyscallEvent>({ ...base, path: long, path_flags: c('PATH_TRUNCATED') });
    expect(cut.path_truncated).toBe(true);
    expect(cut.path).toBe('x'.repeat(c('PATH_LEN') - 1));
    const empty = one<SyscallEvent>({ ...base, path: '' });
    expect(empty.path).toBe('');
  });

  it('marks calls made through the 32-bit ABI', () => {
    expect(one<SyscallEvent>(base).abi).toBe('x86_64');
    const i386 = one<SyscallEvent>({ ...base, abi: c('ABI_I386'), native_nr: 102 });
    expect([i386.abi, i386.native_nr]).toEqual(['i386', 102]);
  });

  it('decodes UTF-8 and fills comm to its full length', () => {
    const e = one<SyscallEvent>({ ...base, comm: 'fifteen-chars!!', path: '/tmp/é-日本' });
    expect(e.comm).toBe('fifteen-chars!!');
    expect(e.path).toBe('/tmp/é-日本');
  });

  it('names syscalls the table lacks by number', () => {
    expect(one<SyscallEvent>({ ...base, nr: 511, path_flags: c('PATH_NONE') }).syscall).toBe('syscall_511');
  });

  it('decodes exit records', () => {
    const e = one<ExitEvent>({
      type: c('RECORD_EXIT'), nr: c('NR_NONE'), seq: 7, ts_ns: TS, pid: 50, tgid: 50, ppid: 2, uid: 0, gid: 0,
      comm: 'sh', exit_code: 3, exit_signal: 9, utime_ns: 1_000_000n, stime_ns: 2_000_000n,
    });
    expect(e).toMatchObject({
      type: 'exit', seq: 7, ts_ns: TS, pid: 50, tgid: 50, ppid: 2, comm: 'sh', exit_code: 3, signal: 9,
      utime_ns: 1_000_000n, stime_ns: 2_000_000n,
    });
    expect(e.time.getTime()).toBe(Number(TS / 1_000_000n));
  });

  it('decodes lost records with 64-bit seq and count', () => {
    const e = one<LostEvent>({ type: c('RECORD_LOST'), nr: c('NR_NONE'), seq: 2 ** 40 + 5, lost: 2 ** 33 });
    expect(e).toEqual(expect.objectContaining({ type: 'lost', seq: 2 ** 40 + 5, count: 2 ** 33 }));
  });

  it('decodes a batch in order and rejects partial or unknown records', () => {
    const batch = encodeBatch(binding, [
      { ...base, seq: 1 },
      { type: c('RECORD_LOST'), nr: c('NR_NONE'), seq: 2, lost: 3 },
      { ...base, seq: 5, verdict: c('VERDICT_BLOCKED'), err: 1 },
    ]);
    expect(decoder.decode(batch).map((e) => [e.type, e.seq])).toEqual([['syscall', 1], ['lost', 2], ['syscall', 5]]);
    expect(decoder.decode(Buffer.alloc(0))).toEqual([]);
    expect(() => decoder.decode(batch.subarray(0, 100))).toThrow(/whole number/);
    expect(() => decoder.decode(encodeRecord(binding, { type: 99 }))).toThrow(/unknown record type 99/);
    expect(() => decoder.decode(encodeRecord(binding, { ...base, verdict: 7 }))).toThrow(/unknown verdict 7/);
  });

  it('serialises to the NDJSON shape', () => {
    const e = one<SyscallEvent>({ ...base, verdict: c('VERDICT_BLOCKED'), err: 1 });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      type: 'syscall', seq: 41, ts_ns: TS.toString(), time: '2023-11-14T22:13:20.123Z', pid: 1234, tgid: 1200,
      ppid: 1, uid: 1000, gid: 100, comm: 'cat', syscall: 'openat', nr: 257, action: 'blocked', errno: 'EPERM',
      path: '/etc/hostname', path_truncated: false,
      args: ['0xffffff9c', '0x7ffd0000beef', '0x0', '0x1a4', '0x0', '0xffffffffffffffff'],
    });
    const lost = one<LostEvent>({ type: c('RECORD_LOST'), nr: c('NR_NONE'), seq: 2, lost: 3 });
    expect(JSON.stringify(lost)).toBe('{"type":"lost","count":3}');
    // Spreading shows event fields only, no lazy state.
    expect(Object.keys({ ...e }).some((k) => k.startsWith('_') || k.startsWith('#'))).toBe(false);
  });
});

describe('cString', () => {
  it('stops at NUL or at the field end', () => {
    const b = Buffer.from('abc\0def');
    expect(cString(b, 0, 7)).toBe('abc');
    expect(cString(b, 4, 3)).toBe('def');
    expect(cString(b, 3, 4)).toBe('');
  });
});

describe('checkLayout', () => {
  it('accepts the addon and rejects a changed struct', () => {
    expect(() => checkLayout(binding)).not.toThrow();
    expect(() => checkLayout({ ...binding, offsets: { ...binding.offsets, extra: 400 } })).toThrow(/extra/);
    expect(() => checkLayout({ ...binding, sizes: { ...binding.sizes, pid: 8 } })).toThrow(/pid: size 8/);
    const { seq: _seq, ...noSeq } = binding.offsets;
    expect(() => checkLayout({ ...binding, offsets: noSeq })).toThrow(/missing from the addon: \[seq\]/);
  });
});

describe('resolveLayout', () => {
  it('gives every field offset and the constants the decoders read', () => {
    const r = resolveLayout(binding);
    expect(r.off).toEqual(Object.fromEntries(Object.keys(RECORD_FIELDS).map((f) => [f, binding.offsets[f]])));
    expect([r.recordSize, r.commLen, r.pathLen, r.nrArgs]).toEqual(
      ['RECORD_SIZE', 'COMM_LEN', 'PATH_LEN', 'NR_ARGS'].map(c),
    );
    expect(r.verdicts[c('VERDICT_ALLOWED')]).toBe('allowed');
    expect(r.verdicts[c('VERDICT_BLOCKED')]).toBe('blocked');
    expect(r.verdicts[c('VERDICT_WOULD_BLOCK')]).toBe('would_block');
  });

  it('checks the layout first and refuses verdict numbers that collide', () => {
    expect(() => resolveLayout({ ...binding, sizes: { ...binding.sizes, pid: 8 } })).toThrow(/pid: size 8/);
    const collide = { ...binding.constants, VERDICT_BLOCKED: c('VERDICT_ALLOWED') };
    expect(() => resolveLayout({ ...binding, constants: collide })).toThrow(/verdict constants collide/);
  });
});
