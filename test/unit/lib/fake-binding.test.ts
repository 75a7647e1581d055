// The fake must behave like the ABI says, or tests built on it prove nothing.
import { describe, expect, it } from 'vitest';
import { FakeBinding } from '../fake-binding.js';

function setup(): { fake: FakeBinding; fd: number; nr: number } {
  const fake = new FakeBinding();
  const fd = fake.open(fake.devicePath, true);
  return { fake, fd, nr: fake.syscallEntry('openat').nr };
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

  it('logs only armed, in-scope calls, and blocks only in BLOCK mode', () => {
    const { fake, fd, nr } = setup();
    fake.addTarget(fd, { nr, action: fake.c('ACTION_BLOCK'), err: 0, flags: 0, pids: [42] });
    expect(fake.syscall({ syscall: 'openat', pid: 42 }).seen).toBe(false); // mode OFF
    fake.setMode(fd, fake.c('MODE_LOG'));
    expect(fake.syscall({ syscall: 'openat', pid: 43 }).seen).toBe(false); // out of scope
    expect(fake.syscall({ syscall: 'openat', pid: 42 })).toEqual({
      seen: true, verdict: fake.c('VERDICT_WOULD_BLOCK'), errno: null,
    });
    fake.setMode(fd, fake.c('MODE_BLOCK'));
    expect(fake.syscall({ syscall: 'openat', pid: 42 })).toEqual({
      seen: true, verdict: fake.c('VERDICT_BLOCKED'), errno: fake.c('DEFAULT_ERRNO'),
    });
    const [t] = fake.getTargets(fd);
    // hits counts the out-of-scope call too, as the module does
    expect(t).toMatchObject({ nr, hits: 3n, logged: 2n, blocked: 1n, armed: true, pids: [42] });
    expect(fake.read(fd, 10).length).toBe(2 * fake.c('RECORD_SIZE'));
  });

  it('reports an overtaken reader with one lost record and exact counts', () => {
    const { fake, fd, nr } = setup();
    fake.capacity = 4;
    fake.setMode(fd, fake.c('MODE_LOG'));
    fake.addTarget(fd, { nr, action: fake.c('ACTION_LOG'), err: 0, flags: fake.c('TARGET_ALL_PIDS'), pids: [] });
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 7, path: `/f${i}` });
    const buf = fake.read(fd, 100);
    const size = fake.c('RECORD_SIZE');
    expect(buf.length).toBe(5 * size);
    expect(buf.readUInt16LE(fake.offsets.type)).toBe(fake.c('RECORD_LOST'));
    expect(buf.readBigUInt64LE(fake.offsets.lost)).toBe(6n);
    expect(buf.readBigUInt64LE(size + (fake.offsets.seq ?? -1))).toBe(6n);
    expect(fake.getStatus(fd)).toMatchObject({ reader_lost: 6n, overwritten: 6n, events: 10n, head_seq: 10n, tail_seq: 6n });
  });

  it('counts what a clear dropped as cleared, never as a reader\'s lost records', () => {
    const { fake, fd, nr } = setup();
    const size = fake.c('RECORD_SIZE');
    fake.capacity = 4;
    fake.setMode(fd, fake.c('MODE_LOG'));
    fake.addTarget(fd, { nr, action: fake.c('ACTION_LOG'), err: 0, flags: fake.c('TARGET_ALL_PIDS'), pids: [] });
    const reader = fake.open(fake.devicePath, true);
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 7 }); // seq 0-9: 0-5 overwritten
    fake.clear(fd, fake.c('CLEAR_LOG')); // 6-9 cleared
    for (let i = 0; i < 6; i++) fake.syscall({ syscall: 'openat', pid: 7 }); // seq 10-15: 10, 11 overwritten
    const buf = fake.read(reader, 100);
    expect(buf.length).toBe(5 * size);
    expect(buf.readUInt16LE(fake.offsets.type)).toBe(fake.c('RECORD_LOST'));
    expect(buf.readBigUInt64LE(fake.offsets.lost)).toBe(8n);
    expect(buf.readBigUInt64LE(fake.offsets.seq ?? -1)).toBe(0n);
    expect(buf.readBigUInt64LE(size + (fake.offsets.seq ?? -1))).toBe(12n);
    expect(fake.getStatus(reader)).toMatchObject({ reader_lost: 8n, overwritten: 8n, cleared: 4n, tail_seq: 12n });
    // Read up to the head, then cleared: nothing was lost.
    fake.clear(fd, fake.c('CLEAR_LOG'));
    fake.syscall({ syscall: 'openat', pid: 7 });
    const after = fake.read(reader, 100);
    expect(after.length).toBe(size);
    expect(after.readUInt16LE(fake.offsets.type)).toBe(fake.c('RECORD_SYSCALL'));
  });

  it('mirrors the documented target errors', () => {
    const { fake, fd, nr } = setup();
    const t = { nr, action: fake.c('ACTION_LOG'), err: 0, flags: 0, pids: [1] };
    fake.addTarget(fd, t);
    fake.addTarget(fd, t); // same again: harmless
    expect(() => fake.addTarget(fd, { ...t, flags: fake.c('TARGET_EXCLUSIVE') })).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => fake.addPids(fd, nr, Array.from({ length: fake.c('MAX_PIDS') + 1 }, (_, i) => i + 2))).toThrow(expect.objectContaining({ code: 'E2BIG' }));
    fake.livePids = new Set([1]);
    expect(() => fake.addPids(fd, nr, [99])).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => fake.delTarget(fd, nr + 1)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'ioctl:DEL_TARGET' }));
    fake.failNext('setMode', 'EPERM');
    expect(() => fake.setMode(fd, 1)).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'ioctl:SET_MODE' }));
  });

  it('streams batches asynchronously and stops on close', async () => {
    const { fake, fd, nr } = setup();
    fake.setMode(fd, fake.c('MODE_LOG'));
    fake.addTarget(fd, { nr, action: fake.c('ACTION_LOG'), err: 0, flags: fake.c('TARGET_ALL_PIDS'), pids: [] });
    const got: number[] = [];
    const h = fake.startStream(fd, 2, (err, b) => {
      expect(err).toBeNull();
      got.push((b?.length ?? 0) / fake.c('RECORD_SIZE'));
    });
    for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 7 });
    expect(got).toEqual([]); // never synchronously
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([2, 2, 1]);
    fake.close(fd);
    expect(fake.activeStreams).toBe(0);
    h.stop();
  });
});
