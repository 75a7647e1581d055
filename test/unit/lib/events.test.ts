// Decoding raw records: every record type, verdict, flag and variable part,
// built with the shared encoder from the real addon's layout.
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../../src/lib/binding.js';
import {
  cString,
  EventDecoder,
  type ConfigEvent,
  type ExitEvent,
  type LostEvent,
  type SyscallEvent,
} from '../../../src/lib/events.js';
import { checkLayout, encodeBatch, encodeRecord, RECORD_MEMBERS, resolveLayout, u16, type RecordInit } from '../../../src/lib/records.js';

const binding = loadBinding();
const c = (name: string): number => {
  const v = binding.constants[name];
  if (v === undefined) throw new Error(name);
  return v;
};
const decoder = EventDecoder.forBinding(binding);
const nr = (name: string): number => binding.syscalls.find((s) => s.name === name)?.nr ?? -1;
const TS = 1_700_000_000_123_456_789n;
const NR_ARGS = c('NR_ARGS');

function one<T>(init: RecordInit): T {
  const events = decoder.decode(encodeRecord(binding, init));
  expect(events).toHaveLength(1);
  return events[0] as T;
}

const ARGS = [0xffffff9cn, 0x7ffd0000beefn, 0n, 0o644n, 0n, 0xffffffffffffffffn].slice(0, NR_ARGS);

const base: RecordInit = {
  type: c('RECORD_SYSCALL'), nr: nr('openat'), seq: 41, ts_ns: TS, pid: 1234, tgid: 1200, ppid: 1,
  uid: 1000, gid: 100, comm: 'cat', verdict: c('VERDICT_ALLOWED'), path: '/etc/hostname', args: ARGS,
};
const result = { flags: c('SYSCALL_PATH') | c('SYSCALL_RESULT') };

describe('EventDecoder', () => {
  it('decodes a complete syscall record with every field', () => {
    const e = one<SyscallEvent>({ ...base, ...result, ret: 3, duration_ns: 12_345n, target: 'ignored without its flag' });
    expect(e).toMatchObject({
      type: 'syscall', seq: 41, ts_ns: TS, pid: 1234, tgid: 1200, ppid: 1, uid: 1000, gid: 100, comm: 'cat',
      syscall: 'openat', nr: 257, abi: 'x86_64', native_nr: 257, verdict: 'allowed', block_errno: null,
      path: '/etc/hostname', path_truncated: false, path_unreadable: false, target: null,
      ret: 3n, errno: null, duration_ns: 12_345n, call_id: null, entry: false, no_result: false,
    });
    expect(e.args).toEqual(ARGS);
    expect(e.args).toHaveLength(NR_ARGS);
    expect(e.time.toISOString()).toBe('2023-11-14T22:13:20.123Z');
  });

  it('has no result, errno or duration in a record written at entry', () => {
    const e = one<SyscallEvent>({ ...base, flags: c('SYSCALL_PATH'), ret: 3, duration_ns: 5n });
    expect(e).toMatchObject({ ret: null, errno: null, duration_ns: null });
    expect(one<SyscallEvent>({ ...base, ret: 3 }).ret).toBe(3n);
    expect(one<SyscallEvent>({ ...base, flags: c('SYSCALL_NO_RESULT') })).toMatchObject({ no_result: true, path: null, ret: null });
  });

  it.each([
    [-2n, 'ENOENT'],
    [-13n, 'EACCES'],
    [-4095n, '4095'],
    [-4096n, null],
    [0n, null],
    [2n ** 62n, null],
  ] as const)('names the errno of ret %s: %s', (ret, errno) => {
    const e = one<SyscallEvent>({ ...base, ...result, ret });
    expect([e.ret, e.errno]).toEqual([ret, errno]);
  });

  it.each([
    ['VERDICT_ALLOWED', 0, 'allowed', null],
    ['VERDICT_BLOCKED', 1, 'blocked', 'EPERM'],
    ['VERDICT_BLOCKED', 13, 'blocked', 'EACCES'],
    ['VERDICT_WOULD_BLOCK', 2, 'would_block', 'ENOENT'],
  ] as const)('maps %s err=%d to verdict %s, block_errno %s', (verdict, err, name, errno) => {
    const e = one<SyscallEvent>({ ...base, verdict: c(verdict), err });
    expect(e.verdict).toBe(name);
    expect(e.block_errno).toBe(errno);
  });

  it('gives a blocked call its result, -errno', () => {
    const e = one<SyscallEvent>({ ...base, ...result, verdict: c('VERDICT_BLOCKED'), err: 13, ret: -13 });
    expect(e).toMatchObject({ verdict: 'blocked', block_errno: 'EACCES', ret: -13n, errno: 'EACCES' });
  });

  it('names the kill verdicts, and the rule that decided', () => {
    const killed = one<SyscallEvent>({ ...base, ...result, verdict: c('VERDICT_KILLED'), rule: 3, ret: 0 });
    expect(killed).toMatchObject({ verdict: 'killed', block_errno: null, rule: 3 });
    expect(one<SyscallEvent>({ ...base, verdict: c('VERDICT_WOULD_KILL') })).toMatchObject({ verdict: 'would_kill', rule: null });
  });

  it('gives an errno name Node lacks as its number', () => {
    expect(one<SyscallEvent>({ ...base, verdict: c('VERDICT_BLOCKED'), err: 4000 }).block_errno).toBe('4000');
  });

  it('honours every path flag, and reads the fd target after the path', () => {
    const none = one<SyscallEvent>({ ...base, nr: nr('getpid'), path: undefined });
    expect(none).toMatchObject({ syscall: 'getpid', path: null, path_truncated: false, path_unreadable: false });
    const bad = one<SyscallEvent>({ ...base, path: undefined, flags: c('SYSCALL_PATH_UNREADABLE') });
    expect(bad).toMatchObject({ path: null, path_unreadable: true, path_truncated: false });
    const long = 'x'.repeat(c('PATH_LEN') + 10);
    const cut = one<SyscallEvent>({ ...base, path: long });
    expect(cut.path_truncated).toBe(true);
    expect(cut.path).toBe('x'.repeat(c('PATH_LEN') - 1));
    expect(one<SyscallEvent>({ ...base, path: '' }).path).toBe('');
    const both = one<SyscallEvent>({ ...base, path: 'rel/name', target: '/home/dir' });
    expect([both.path, both.target]).toEqual(['rel/name', '/home/dir']);
    const fd = one<SyscallEvent>({ ...base, nr: nr('read'), path: undefined, target: 'pipe:[1234]' });
    expect([fd.path, fd.target]).toEqual([null, 'pipe:[1234]']);
  });

  it('links the two halves of a call recorded at entry and at return', () => {
    const [entry, done] = decoder.decode(encodeBatch(binding, [
      { ...base, seq: 0, flags: c('SYSCALL_PATH') | c('SYSCALL_ENTRY'), call_id: 0 },
      { ...base, seq: 1, ...result, ret: 3, call_id: 0 },
    ])) as SyscallEvent[];
    expect(entry).toMatchObject({ entry: true, call_id: 0, ret: null });
    expect(done).toMatchObject({ entry: false, call_id: null, ret: 3n });
    const later = one<SyscallEvent>({ ...base, ...result, call_id: 7 });
    expect(later.call_id).toBe(7);
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

  it('decodes the comm and fd target of each record when many processes and fds take turns', () => {
    // More names than the decoder keeps, names of one length differing in one byte, invalid UTF-8, long targets.
    const comms: (string | Uint8Array)[] = ['a', 'ab', 'ba', 'kworker/0:1', 'kworker/1:1', 'node', 'worker', '', 'é日本',
      Uint8Array.from([0xff, 0x41]), Uint8Array.from([0xc3]), ...Array.from({ length: 40 }, (_, i) => `proc-${i}`)];
    const targets = ['pipe:[1]', 'pipe:[2]', 'socket:[12]', '/var/log/' + 'x'.repeat(100), '/tmp/é', '', 't'.repeat(63), 't'.repeat(64), 't'.repeat(65)];
    const inits: RecordInit[] = [];
    for (let i = 0; i < 600; i++) {
      const comm = comms[(i * 7) % comms.length]!;
      const target = targets[(i * 5) % targets.length]!;
      inits.push(i % 5 === 4
        ? { type: c('RECORD_EXIT'), seq: i, comm }
        : { ...base, seq: i, nr: nr('write'), path: undefined, comm, target });
    }
    const text = (v: string | Uint8Array): string => Buffer.from(v).toString();
    const events = decoder.decode(encodeBatch(binding, inits)) as (SyscallEvent | ExitEvent)[];
    expect(events.map((e) => e.comm)).toEqual(inits.map((init) => text(init.comm!)));
    expect(events.filter((e) => e.type === 'syscall').map((e) => e.target)).toEqual(
      inits.filter((init) => init.type === c('RECORD_SYSCALL')).map((init) => text(init.target!)),
    );
  });

  it('keeps the bytes of a path and an fd target beside their text, out of the event\'s fields', () => {
    const path = Uint8Array.from([...Buffer.from('/tmp/a'), 0xff, ...Buffer.from('b')]);
    const target = Uint8Array.from([...Buffer.from('/srv/'), 0xc3]);
    const e = one<SyscallEvent>({ ...base, ...result, flags: result.flags | c('SYSCALL_TARGET'), path, target, ret: 3 });
    expect([e.path, e.target]).toEqual(['/tmp/a\ufffdb', '/srv/\ufffd']);
    expect([e.path_bytes, e.target_bytes]).toEqual([path, target]);
    // Taken from the batch before args let it go: a batch read over afterwards changes nothing.
    const batch = encodeRecord(binding, { ...base, ...result, flags: result.flags | c('SYSCALL_TARGET'), path, target, ret: 3 });
    const [later] = decoder.decode(batch) as SyscallEvent[];
    expect(later!.args).toEqual(ARGS);
    batch.fill(0x41);
    expect([later!.path_bytes, later!.target_bytes]).toEqual([path, target]);
    const plain = one<SyscallEvent>({ ...base, path: '/tmp/é' });
    expect([plain.path_bytes, plain.target_bytes]).toEqual([Uint8Array.from(Buffer.from('/tmp/é')), null]);
    // Not event fields: NDJSON, CSV and a spread show the text alone.
    expect(Object.keys({ ...e })).not.toContain('path_bytes');
    expect(Object.keys({ ...e })).not.toContain('target_bytes');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ path: '/tmp/a\ufffdb', target: '/srv/\ufffd' });
    expect(Object.keys(JSON.parse(JSON.stringify(e)))).toEqual(
      binding.schema.filter((f) => f.records & (1 << c('RECORD_SYSCALL'))).map((f) => f.name),
    );
  });

  it('names syscalls the table lacks by number', () => {
    expect(one<SyscallEvent>({ ...base, nr: 511, path: undefined }).syscall).toBe('syscall_511');
  });

  it('decodes exit records', () => {
    const e = one<ExitEvent>({
      type: c('RECORD_EXIT'), seq: 7, ts_ns: TS, pid: 50, tgid: 50, ppid: 2, uid: 0, gid: 0,
      comm: 'sh', exit_code: 3, signal: 9, utime_ns: 1_000_000n, stime_ns: 2_000_000n,
    });
    expect(e).toMatchObject({
      type: 'exit', seq: 7, ts_ns: TS, pid: 50, tgid: 50, ppid: 2, comm: 'sh', exit_code: 3, signal: 9,
      utime_ns: 1_000_000n, stime_ns: 2_000_000n,
    });
    expect(e.time.getTime()).toBe(Number(TS / 1_000_000n));
  });

  it('decodes lost records with 64-bit seq and count', () => {
    const e = one<LostEvent>({ type: c('RECORD_LOST'), seq: 2 ** 40 + 5, count: 2 ** 33 });
    expect(e).toEqual(expect.objectContaining({ type: 'lost', seq: 2 ** 40 + 5, count: 2 ** 33 }));
  });

  it('walks a batch by each record\'s size, skips padding, and rejects cut, malformed or unknown records', () => {
    const batch = encodeBatch(binding, [
      { ...base, seq: 1 },
      { type: c('RECORD_LOST'), seq: 2, count: 3 },
      { type: c('RECORD_PAD'), size: 64 },
      { ...base, seq: 5, path: 'y'.repeat(200), verdict: c('VERDICT_BLOCKED'), err: 1 },
      { type: c('RECORD_EXIT'), seq: 6 },
    ]);
    expect(decoder.decode(batch).map((e) => [e.type, e.seq])).toEqual([['syscall', 1], ['lost', 2], ['syscall', 5], ['exit', 6]]);
    expect(decoder.decode(Buffer.alloc(0))).toEqual([]);
    // The ring's end may leave 8 or 16 bytes: a PAD of only size, type and flags.
    const small = encodeBatch(binding, [{ type: c('RECORD_PAD'), size: 16 }, { ...base, seq: 9 }, { type: c('RECORD_PAD'), size: 8 }]);
    expect(small.length).toBe(24 + encodeRecord(binding, { ...base, seq: 9 }).length);
    expect(decoder.decode(small).map((e) => e.seq)).toEqual([9]);
    expect(() => decoder.decode(batch.subarray(0, batch.length - 8))).toThrow(/ends inside/);
    expect(() => decoder.decode(batch.subarray(0, 6))).toThrow(/ends inside its header/);
    expect(() => decoder.decode(encodeRecord(binding, { type: c('RECORD_PAD'), size: 4 }))).toThrow(/malformed/);
    expect(() => decoder.decode(encodeRecord(binding, { type: 99 }))).toThrow(/unknown record type 99/);
    expect(() => decoder.decode(encodeRecord(binding, { ...base, size: 12 }))).toThrow(/malformed/);
    expect(() => decoder.decode(encodeRecord(binding, { type: c('RECORD_PAD'), size: c('RECORD_MAX') + 8 }))).toThrow(/malformed/);
    const lying = encodeRecord(binding, { ...base, path: 'abc' });
    lying.writeUInt16LE(400, resolveLayout(binding).off.path_len);
    expect(() => decoder.decode(lying)).toThrow(/malformed/);
    expect(() => decoder.decode(encodeRecord(binding, { ...base, verdict: 7 }))).toThrow(/unknown verdict 7/);
    expect(() => decoder.decode(encodeRecord(binding, { ...base, abi: 9 }))).toThrow(/unknown abi 9/);
  });

  it('cuts a batch before its first record of a seq or later, padding skipped', () => {
    const records: RecordInit[] = [
      { ...base, seq: 1 },
      { type: c('RECORD_LOST'), seq: 2, count: 3 },
      { type: c('RECORD_PAD'), size: 8 },
      { ...base, seq: 5 },
      { type: c('RECORD_EXIT'), seq: 6 },
    ];
    const batch = encodeBatch(binding, records);
    const seqs = (buf: Buffer): number[] => decoder.decode(buf).map((e) => e.seq);
    expect(seqs(decoder.recordsBefore(batch, 5))).toEqual([1, 2]);
    expect(decoder.recordsBefore(batch, 5)).toEqual(encodeBatch(binding, records.slice(0, 3)));
    expect(seqs(decoder.recordsBefore(batch, 3))).toEqual([1, 2]);
    expect(decoder.recordsBefore(batch, 1).length).toBe(0);
    expect(decoder.recordsBefore(batch, 7)).toBe(batch);
    expect(decoder.recordsBefore(Buffer.alloc(0), 1).length).toBe(0);
  });

  it.each([
    ['CONFIG_MODE', 'mode'], ['CONFIG_TARGET', 'target'], ['CONFIG_PIDS', 'pids'], ['CONFIG_RULE_ADD', 'rule_add'],
    ['CONFIG_RULE_DEL', 'rule_del'], ['CONFIG_POLICY', 'policy'], ['CONFIG_CLEAR', 'clear'], ['CONFIG_EXITS', 'exits'],
    ['CONFIG_PARAM', 'param'], ['CONFIG_CLOSED', 'closed'],
  ])('decodes a config record of kind %s as %s, with who made it', (constant, kind) => {
    const e = one<ConfigEvent>({
      type: c('RECORD_CONFIG'), seq: 9, ts_ns: TS, pid: 77, tgid: 70, ppid: 1, uid: 0, gid: 5, comm: 'admin',
      kind: c(constant), id: 257, text: 'openat: none -> log all',
    });
    expect({ ...e }).toEqual({
      type: 'config', seq: 9, ts_ns: TS, pid: 77, tgid: 70, ppid: 1, uid: 0, gid: 5, comm: 'admin', kind, id: 257,
      text: 'openat: none -> log all',
    });
    expect(e.time.toISOString()).toBe('2023-11-14T22:13:20.123Z');
  });

  it('refuses a config record no module writes: an unknown kind, a text longer than its record, none at all', () => {
    const config = { type: c('RECORD_CONFIG'), kind: c('CONFIG_MODE'), text: 'OFF -> LOG' };
    expect(() => decoder.decode(encodeRecord(binding, { ...config, kind: 99 }))).toThrow(/unknown configuration kind 99/);
    const lying = encodeRecord(binding, config);
    lying.writeUInt16LE(200, resolveLayout(binding).off.text_len);
    expect(() => decoder.decode(lying)).toThrow(/malformed/);
    lying.writeUInt16LE(0, resolveLayout(binding).off.text_len);
    expect(() => decoder.decode(lying)).toThrow(/malformed/);
    // The text fills its room: cut at CONFIG_TEXT_LEN - 1 bytes, as the module cuts it.
    const long = one<ConfigEvent>({ ...config, text: 'x'.repeat(400) });
    expect(long.text).toHaveLength(c('CONFIG_TEXT_LEN') - 1);
  });

  it('marks a file rule\'s record, and names an access made in no syscall "none"', () => {
    const flags = c('SYSCALL_FILE') | c('SYSCALL_PATH');
    expect(one<SyscallEvent>({ ...base, flags, path: '/etc/shadow', rule: 4 })).toMatchObject({
      file: true, path: '/etc/shadow', rule: 4, syscall: 'openat',
    });
    expect(one<SyscallEvent>({ ...base, flags, nr: c('NR_NONE'), native_nr: c('NR_NONE') })).toMatchObject({
      file: true, syscall: 'none', nr: c('NR_NONE'),
    });
    expect(one<SyscallEvent>({ ...base, ...result, ret: 3 }).file).toBe(false);
  });

  it('decodes lost records with the configuration records among them', () => {
    expect(one<LostEvent>({ type: c('RECORD_LOST'), seq: 5, count: 10, config: 3 })).toMatchObject({ seq: 5, count: 10, config: 3 });
  });

  it('serialises to the NDJSON shape: the schema\'s fields in its order', () => {
    const e = one<SyscallEvent>({ ...base, ...result, verdict: c('VERDICT_BLOCKED'), err: 1, ret: -1 });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      type: 'syscall', seq: 41, ts_ns: TS.toString(), time: '2023-11-14T22:13:20.123Z', pid: 1234, tgid: 1200,
      ppid: 1, uid: 1000, gid: 100, comm: 'cat', syscall: 'openat', nr: 257, abi: 'x86_64', native_nr: 257,
      verdict: 'blocked', block_errno: 'EPERM', rule: null, file: false, path: '/etc/hostname', path_truncated: false, path_unreadable: false,
      target: null, args: ['0xffffff9c', '0x7ffd0000beef', '0x0', '0x1a4', '0x0', '0xffffffffffffffff'].slice(0, NR_ARGS),
      ret: -1, errno: 'EPERM', duration_ns: '0', call_id: null, entry: false, no_result: false,
    });
    expect(Object.keys((e as unknown as { toJSON(): object }).toJSON())).toEqual(
      binding.schema.filter((f) => f.records & (1 << c('RECORD_SYSCALL'))).map((f) => f.name),
    );
    const lost = one<LostEvent>({ type: c('RECORD_LOST'), seq: 2, count: 3, config: 1 });
    expect(JSON.stringify(lost)).toBe('{"type":"lost","seq":2,"count":3,"config":1}');
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

describe('u16', () => {
  it('reads what readUInt16LE reads, and fails as it fails', () => {
    const b = Buffer.from([0x34, 0x12, 0xff, 0xfe]);
    expect([0, 1, 2].map((off) => u16(b, off))).toEqual([0, 1, 2].map((off) => b.readUInt16LE(off)));
    for (const off of [3, 4, -1, 0.5, NaN, '1' as unknown as number]) {
      expect(() => u16(b, off)).toThrow(captured(() => b.readUInt16LE(off)));
    }
  });
});

function captured(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('checkLayout', () => {
  const withMembers = (rec: 'syscall' | 'exit' | 'lost', members: Record<string, { offset: number; type: string }>) => ({
    ...binding,
    records: { ...binding.records, [rec]: { ...binding.records[rec], members } },
  });

  it('accepts the addon and rejects a changed struct', () => {
    expect(() => checkLayout(binding)).not.toThrow();
    const m = binding.records.syscall.members;
    expect(() => checkLayout(withMembers('syscall', { ...m, extra: { offset: 200, type: 'u32' } }))).toThrow(/extra/);
    expect(() => checkLayout(withMembers('syscall', { ...m, 'task.pid': { offset: 24, type: 'u64' } }))).toThrow(/task\.pid: type u64/);
    const { ret: _ret, ...noRet } = m;
    expect(() => checkLayout(withMembers('syscall', noRet))).toThrow(/struct syscallmon_syscall changed/);
    const l = binding.records.lost.members;
    expect(() => checkLayout(withMembers('lost', { ...l, 'h.seq': { offset: 16, type: 'u64' } }))).toThrow(/h\.seq is not at one offset/);
  });

  it('knows every member with the header\'s lengths', () => {
    for (const rec of ['syscall', 'exit', 'lost'] as const) {
      expect(Object.keys(binding.records[rec].members)).toEqual(Object.keys(RECORD_MEMBERS[rec]));
    }
    expect(binding.records.syscall.members.args?.type).toBe(`u64[${NR_ARGS}]`);
    expect(binding.records.syscall.members['task.comm']?.type).toBe(`char[${c('COMM_LEN')}]`);
    expect(binding.records.syscall.members.data?.type).toBe('char[]');
  });
});

describe('resolveLayout', () => {
  it('gives the offsets and constants the decoders read', () => {
    const r = resolveLayout(binding);
    const m = binding.records.syscall.members;
    expect([r.off.seq, r.off.pid, r.off.ret, r.off.data]).toEqual([m['h.seq'], m['task.pid'], m.ret, m.data].map((x) => x?.offset));
    expect(r.off.count).toBe(binding.records.lost.members.count?.offset);
    expect([r.recordMax, r.commLen, r.pathLen, r.targetLen, r.nrArgs]).toEqual(
      ['RECORD_MAX', 'COMM_LEN', 'PATH_LEN', 'TARGET_LEN', 'NR_ARGS'].map(c),
    );
    expect(r.syscallSize + c('PATH_LEN') + c('TARGET_LEN')).toBe(c('RECORD_MAX'));
    expect(r.verdicts[c('VERDICT_ALLOWED')]).toBe('allowed');
    expect(r.verdicts[c('VERDICT_BLOCKED')]).toBe('blocked');
    expect(r.verdicts[c('VERDICT_WOULD_BLOCK')]).toBe('would_block');
  });

  it('checks the layout first and refuses verdict numbers that collide', () => {
    const m = binding.records.syscall.members;
    const changed = { ...binding, records: { ...binding.records, syscall: { ...binding.records.syscall, members: { ...m, nr: { offset: 64, type: 's32' } } } } };
    expect(() => resolveLayout(changed)).toThrow(/nr: type s32/);
    const collide = { ...binding.constants, VERDICT_BLOCKED: c('VERDICT_ALLOWED') };
    expect(() => resolveLayout({ ...binding, constants: collide })).toThrow(/verdict constants collide/);
  });
});
