// The fake must behave like the ABI says, or tests built on it prove nothing.
import { describe, expect, it } from 'vitest';
import { EventDecoder, type MonitorEvent, type SyscallEvent } from '../../../src/lib/events.js';
import { encodeRecord } from '../../../src/lib/records.js';
import { FakeBinding } from '../fake-binding.js';

/** A fake with its device open (fd), openat's number, and the library's decoder. */
interface Setup {
  fake: FakeBinding;
  fd: number;
  nr: number;
  decode: (b: Buffer) => MonitorEvent[];
}

function setup(): Setup {
  const fake = new FakeBinding();
  const fd = fake.open(fake.devicePath, true);
  const decoder = EventDecoder.forBinding(fake);
  return { fake, fd, nr: fake.syscallEntry('openat').nr, decode: (b) => decoder.decode(b) };
}

const all = (fake: FakeBinding, nr: number, more: { record?: number; flags?: number } = {}) => ({
  nr,
  action: fake.c('ACTION_LOG'),
  err: 0,
  flags: fake.c('TARGET_ALL_PIDS') | (more.flags ?? 0),
  record: more.record ?? fake.c('RECORD_COMPLETE'),
  pids: [],
});

/** The calls among events: every change of the configuration is a record too. */
const calls = (events: MonitorEvent[]): MonitorEvent[] => events.filter((e) => e.type !== 'config');

/** The size of an openat record with a path of n bytes, as the module writes it. */
function openatSize(fake: FakeBinding, pathBytes: number): number {
  return encodeRecord(fake, { type: fake.c('RECORD_SYSCALL'), path: 'x'.repeat(pathBytes) }).length;
}

/** s, after LOG mode and a target logging every openat: the config records seq 0 and 1. */
function logEveryOpenat(s: Setup): Setup {
  s.fake.setMode(s.fd, s.fake.c('MODE_LOG'));
  s.fake.addTarget(s.fd, all(s.fake, s.nr));
  return s;
}

/** Every openat logged into a ring that holds four openat records (`size` bytes each) with paths of pathBytes. */
function smallRing(pathBytes: number): Setup & { size: number } {
  const s = setup();
  const size = openatSize(s.fake, pathBytes);
  s.fake.ringSize = 4 * size;
  return { ...logEveryOpenat(s), size };
}

describe('FakeBinding', () => {
  it('fails open like a missing module or a non-root user', () => {
    const fake = new FakeBinding();
    fake.loaded = false;
    expect(() => fake.open(fake.devicePath, true)).toThrow(expect.objectContaining({ code: 'ENOENT', errno: 2 }));
    fake.loaded = true;
    fake.openError = 'EACCES';
    expect(() => fake.open(fake.devicePath, true)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'open' }));
  });

  it('logs only armed, in-scope calls, and blocks only in BLOCK mode, with the result -errno', () => {
    const { fake, fd, nr, decode } = setup();
    fake.addTarget(fd, { nr, action: fake.c('ACTION_BLOCK'), err: 0, flags: 0, record: 0, pids: [42] });
    expect(fake.syscall({ syscall: 'openat', pid: 42 }).seen).toBe(false); // mode OFF
    fake.setMode(fd, fake.c('MODE_LOG'));
    expect(fake.syscall({ syscall: 'openat', pid: 43 }).seen).toBe(false); // out of scope
    expect(fake.syscall({ syscall: 'openat', pid: 42, ret: 3 })).toEqual({
      seen: true, verdict: fake.c('VERDICT_WOULD_BLOCK'), errno: null, records: 1,
    });
    fake.setMode(fd, fake.c('MODE_BLOCK'));
    expect(fake.syscall({ syscall: 'openat', pid: 42, ret: 3 })).toEqual({
      seen: true, verdict: fake.c('VERDICT_BLOCKED'), errno: fake.c('DEFAULT_ERRNO'), records: 1,
    });
    const [t] = fake.getTargets(fd);
    // hits counts the out-of-scope call too, as the module does
    expect(t).toMatchObject({ nr, hits: 3n, logged: 2n, blocked: 1n, armed: true, pids: [42] });
    expect(calls(decode(fake.read(fd, 1 << 16)))).toMatchObject([
      { verdict: 'would_block', block_errno: 'EPERM', ret: 3n, errno: null },
      { verdict: 'blocked', block_errno: 'EPERM', ret: -1n, errno: 'EPERM', duration_ns: 0n },
    ]);
  });

  it('records as the target says: complete, entry, both (linked), failures only', () => {
    const { fake, fd, nr, decode } = setup();
    fake.setMode(fd, fake.c('MODE_LOG'));
    fake.addTarget(fd, all(fake, nr, { flags: fake.c('TARGET_FAILED_ONLY') }));
    fake.syscall({ syscall: 'openat', pid: 7, path: '/ok', ret: 3 });
    fake.syscall({ syscall: 'openat', pid: 7, path: '/missing', ret: -2 });
    fake.addTarget(fd, all(fake, nr, { record: fake.c('RECORD_ENTRY') }));
    fake.syscall({ syscall: 'openat', pid: 7, path: '/entry', ret: 3 });
    fake.addTarget(fd, all(fake, nr, { record: fake.c('RECORD_BOTH') }));
    fake.syscall({ syscall: 'openat', pid: 7, path: '/both', ret: 4, duration_ns: 5n });
    fake.addTarget(fd, all(fake, nr));
    fake.syscall({ syscall: 'openat', pid: 7, path: '/noslot', noSlot: true });
    const events = calls(decode(fake.read(fd, 1 << 16))) as SyscallEvent[];
    const both = events[2]!.seq;
    expect(events.map((e) => [e.path, e.ret, e.errno, e.call_id, e.entry, e.no_result])).toEqual([
      ['/missing', -2n, 'ENOENT', null, false, false],
      ['/entry', null, null, null, false, false],
      ['/both', null, null, both, true, false],
      ['/both', 4n, null, both, false, false],
      ['/noslot', null, null, null, false, true],
    ]);
    expect(events[3]!.seq).toBe(both + 1);
    expect(fake.getTargets(fd)[0]).toMatchObject({ failed_skipped: 1n, no_result: 1n });
    expect(() => fake.addTarget(fd, all(fake, nr, { record: fake.c('RECORD_ENTRY'), flags: fake.c('TARGET_FAILED_ONLY') })))
      .toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('reports an overtaken reader with one lost record and exact counts', () => {
    const { fake, fd, size, decode } = smallRing(3);
    fake.seek(fd, fake.c('SEEK_HEAD')); // after the two config records
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 7, path: `/f${i}` });
    const buf = fake.read(fd, 1 << 16);
    const events = decode(buf);
    expect(events.map((e) => [e.type, e.seq])).toEqual([['lost', 2], ['syscall', 8], ['syscall', 9], ['syscall', 10], ['syscall', 11]]);
    expect(events[0]).toMatchObject({ type: 'lost', count: 6, config: 0 });
    expect(buf.length).toBe(fake.records.lost.size + 4 * size);
    const configBytes = Number(fake.getStatus(fd).head) - 10 * size;
    expect(fake.getStatus(fd)).toMatchObject({
      reader_lost: 6n, overwritten: 8n, events: 12n, config_records: 2n, head_seq: 12n, tail_seq: 8n,
      tail: BigInt(configBytes + 6 * size),
    });
  });

  it('tells an overtaken reader how many of the records it lost were config records', () => {
    const { fake, fd, nr, decode } = setup();
    fake.ringSize = 4 * openatSize(fake, 3);
    const reader = fake.open(fake.devicePath, true);
    fake.setMode(fd, fake.c('MODE_LOG')); // seq 0
    fake.addTarget(fd, all(fake, nr)); // seq 1
    fake.syscall({ syscall: 'openat', pid: 7, path: '/f0' }); // seq 2
    fake.setExits(fd, true); // seq 3
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 7, path: `/f${i}` });
    const events = decode(fake.read(reader, 1 << 16));
    expect(events[0]).toMatchObject({ type: 'lost', seq: 0, count: 10, config: 3 });
    expect(events.slice(1).every((e) => e.type === 'syscall')).toBe(true);
  });

  it('counts what a clear dropped as cleared, never as a reader\'s lost records', () => {
    const { fake, fd, decode } = smallRing(0);
    fake.clear(fd, fake.c('CLEAR_LOG')); // seq 0-1 (mode, target) cleared; its record is seq 2
    const reader = fake.open(fake.devicePath, true);
    fake.seek(reader, fake.c('SEEK_HEAD'));
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 7, path: '' }); // seq 3-12: 3-8 overwritten
    fake.clear(fd, fake.c('CLEAR_LOG')); // 9-12 cleared; its record is seq 13
    for (let i = 0; i < 6; i++) fake.syscall({ syscall: 'openat', pid: 7, path: '' }); // seq 14-19: 13-15 overwritten
    const events = decode(fake.read(reader, 1 << 16));
    expect(events.map((e) => [e.type, e.seq])).toEqual([['lost', 3], ['syscall', 16], ['syscall', 17], ['syscall', 18], ['syscall', 19]]);
    // 3-8 and 13-15, the clear's record among them.
    expect(events[0]).toMatchObject({ count: 9, config: 1 });
    expect(fake.getStatus(reader)).toMatchObject({ reader_lost: 9n, cleared: 6n, tail_seq: 16n });
    // Read up to the head, then cleared: nothing was lost.
    fake.clear(fd, fake.c('CLEAR_LOG'));
    fake.syscall({ syscall: 'openat', pid: 7, path: '' });
    expect(decode(fake.read(reader, 1 << 16)).map((e) => e.type)).toEqual(['config', 'syscall']);
  });

  it('reads whole records up to the byte budget, which must hold the largest record', () => {
    const { fake, fd, decode } = logEveryOpenat(setup());
    const big = 'p'.repeat(fake.c('PATH_LEN') - 1);
    fake.seek(fd, fake.c('SEEK_HEAD'));
    for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 7, path: big });
    const max = fake.c('RECORD_MAX');
    expect(() => fake.read(fd, max - 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(2 * openatSize(fake, big.length)).toBeGreaterThan(max);
    expect(decode(fake.read(fd, max))).toHaveLength(1);
    expect(decode(fake.read(fd, 1 << 16))).toHaveLength(4);
  });

  it('mirrors the documented target errors', () => {
    const { fake, fd, nr } = setup();
    const t = { nr, action: fake.c('ACTION_LOG'), err: 0, flags: 0, record: 0, pids: [1] };
    fake.addTarget(fd, t);
    fake.addTarget(fd, t); // same again: harmless
    expect(() => fake.addTarget(fd, { ...t, flags: fake.c('TARGET_EXCLUSIVE') })).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => fake.addTarget(fd, { ...t, record: fake.c('RECORD_BOTH') + 1 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => fake.addPids(fd, nr, Array.from({ length: fake.c('MAX_PIDS') + 1 }, (_, i) => i + 2))).toThrow(expect.objectContaining({ code: 'E2BIG' }));
    fake.livePids = new Set([1]);
    expect(() => fake.addPids(fd, nr, [99])).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => fake.delTarget(fd, nr + 1)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'ioctl:DEL_TARGET' }));
    fake.failNext('setMode', 'EPERM');
    expect(() => fake.setMode(fd, 1)).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'ioctl:SET_MODE' }));
  });

  it('streams batches of at most maxBytes asynchronously and stops on close', async () => {
    const { fake, fd, decode } = logEveryOpenat(setup());
    fake.seek(fd, fake.c('SEEK_HEAD'));
    const path = 'q'.repeat(fake.c('PATH_LEN') - 1);
    const got: number[] = [];
    const max = 3 * openatSize(fake, path.length) - 8;
    expect(max).toBeGreaterThanOrEqual(fake.c('RECORD_MAX'));
    const h = fake.startStream(fd, max, (err, b) => {
      expect(err).toBeNull();
      got.push(decode(b as Buffer).length);
    });
    for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 7, path });
    expect(got).toEqual([]); // never synchronously
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([2, 2, 1]);
    fake.close(fd);
    expect(fake.activeStreams).toBe(0);
    h.stop();
  });
});
