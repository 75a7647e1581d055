// The addon's streams against the real module, as root in the VM: mapped
// readers of the ring (mmap + SYSCALLMON_IOC_FETCH, woken by poll). They see
// what read() sees, record for record; a ring overwritten under them gives
// one lost record with the exact count; they coalesce, hand over views,
// write NDJSON, hand the file's cursor what they delivered and any loss
// after it, and shut down cleanly. The calls they watch are chdir("/") from
// shell loops (dash runs cd itself, one chdir each): nothing else in the
// guest makes them.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addonCandidates, loadBinding, type StreamHandle } from '../../src/lib/binding.js';
import { errnoName } from '../../src/lib/errnos.js';
import { EventDecoder, type MonitorEvent } from '../../src/lib/events.js';
import { recordSize, resolveLayout } from '../../src/lib/records.js';
import { SyscallTable } from '../../src/lib/syscalls.js';
import { cliOk, moduleLoaded } from './helpers.js';

const binding = loadBinding();
const c = binding.constants as Record<string, number>;
const decoder = EventDecoder.forBinding(binding);
const layout = resolveLayout(binding);
const CHDIR = binding.syscalls.find((s) => s.name === 'chdir')!.nr;
const MAX = c.RECORD_MAX!;

async function reload(...params: string[]): Promise<void> {
  if (moduleLoaded()) await cliOk(['unload']);
  await cliOk(['load', ...params]);
}

beforeAll(() => reload());
afterAll(async () => {
  await cliOk(['unload']);
  expect(moduleLoaded()).toBe(false);
});

/** Opened fds, closed after each test (streams first, as the addon's close does). */
let fds: number[] = [];
function open(): number {
  const fd = binding.open(binding.devicePath, true);
  fds.push(fd);
  return fd;
}
function closeAll(): void {
  for (const fd of fds) binding.close(fd);
  fds = [];
}
afterEach(closeAll);

/** chdir logged for every process, mode LOG, through a control fd. */
function armChdir(): number {
  const ctl = open();
  binding.addTarget(ctl, { nr: CHDIR, action: c.ACTION_LOG!, err: 0, flags: c.TARGET_ALL_PIDS!, record: c.RECORD_COMPLETE!, pids: [] });
  binding.setMode(ctl, c.MODE_LOG!);
  return ctl;
}

/** n chdir calls in a shell, run to its end while this thread waits (no stream runs meanwhile). */
function chdirs(n: number): void {
  const r = spawnSync('/bin/sh', ['-c', `i=0; while [ $i -lt ${n} ]; do cd /; i=$((i+1)); done`]);
  expect(r.status).toBe(0);
}

/** The records of a batch, padding left out, each as its own bytes. */
function records(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, size = 0; at < buf.length; at += size) {
    size = recordSize(layout, buf, at);
    if (buf.readUInt16LE(at + layout.off.type) !== c.RECORD_PAD) out.push(buf.subarray(at, at + size));
  }
  return out;
}

/** Everything read() has for fd now. */
function readAll(fd: number): Buffer[] {
  const out: Buffer[] = [];
  for (let b = binding.read(fd, 1 << 20); b.length; b = binding.read(fd, 1 << 20)) out.push(...records(b));
  return out;
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await tick(10);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** A stream on its own fd that keeps copies of its batches. */
function collect(maxBytes = 1 << 17, coalesceMs = 0): { fd: number; batches: Buffer[]; errors: Error[]; h: StreamHandle } {
  const fd = open();
  const batches: Buffer[] = [];
  const errors: Error[] = [];
  const h = binding.startStream(fd, maxBytes, (err, buf) => {
    if (err) errors.push(err);
    else batches.push(Buffer.from(buf!));
  }, coalesceMs);
  return { fd, batches, errors, h };
}

const events = (batches: Buffer[]): MonitorEvent[] => batches.flatMap((b) => decoder.decode(b));

describe('mapped streams against the real module', () => {
  it('see the records read() sees, byte for byte and in order', async () => {
    armChdir();
    const byRead = open();
    binding.seek(byRead, c.SEEK_HEAD!);
    const s = collect();
    binding.seek(s.fd, c.SEEK_HEAD!);
    chdirs(500);
    await until(() => events(s.batches).length >= 500, '500 records on the stream');
    const mapped = s.batches.flatMap(records);
    const read = readAll(byRead);
    expect(read).toHaveLength(500);
    expect(mapped).toHaveLength(500);
    mapped.forEach((r, i) => expect(r.equals(read[i]!)).toBe(true));
    const decoded = events(s.batches);
    expect(decoded.every((e) => e.type === 'syscall' && e.syscall === 'chdir' && e.path === '/' && e.ret === 0n)).toBe(true);
    expect(decoded.map((e) => e.seq)).toEqual(decoded.map((_, i) => decoded[0]!.seq + i));
    expect(s.errors).toEqual([]);
  });

  it('a ring overwritten under a stream gives one lost record with the exact count, then what is held', async () => {
    await reload('--ring-size', '64K');
    try {
      const ctl = armChdir();
      const s = collect();
      await tick(50); // the stream is waiting
      chdirs(3000); // this thread waits: the stream reads nothing meanwhile
      const status = binding.getStatus(ctl);
      const held = Number(status.head_seq - status.tail_seq);
      expect(Number(status.overwritten)).toBeGreaterThan(0);
      await until(() => events(s.batches).filter((e) => e.type === 'syscall').length >= held, 'what the ring holds');
      const all = events(s.batches);
      // Arming wrote the target's and the mode's config records, which the waiting stream took first.
      const arming = all.filter((e) => e.type === 'config');
      expect(arming.map((e) => e.seq)).toEqual([0, 1]);
      const got = all.slice(arming.length);
      expect(got[0]).toMatchObject({ type: 'lost', seq: 2, count: Number(status.overwritten) - 2 });
      expect(got.filter((e) => e.type === 'lost')).toHaveLength(1);
      expect(got.slice(1).map((e) => e.seq)).toEqual(Array.from({ length: held }, (_, i) => Number(status.tail_seq) + i));
      expect(Number(status.overwritten) + held).toBe(3000 + arming.length);
    } finally {
      closeAll();
      await reload(); // the default ring for the tests after this one
    }
  });

  it('stopped after the ring overtook it, leaves that loss to the file\'s next reader', async () => {
    await reload('--ring-size', '64K');
    try {
      const ctl = armChdir();
      const s = collect();
      binding.seek(s.fd, c.SEEK_HEAD!);
      chdirs(10);
      await until(() => events(s.batches).length >= 10, 'ten records');
      const next = events(s.batches).at(-1)!.seq + 1;
      chdirs(3000); // this thread waits: the stream reads nothing meanwhile
      s.h.stop();
      const status = binding.getStatus(ctl);
      expect(Number(status.tail_seq)).toBeGreaterThan(next);
      const after = readAll(s.fd).map((r) => decoder.decode(r)[0]!);
      expect(after[0]).toMatchObject({ type: 'lost', seq: next, count: Number(status.tail_seq) - next });
      expect(after.slice(1).map((e) => e.seq)).toEqual(
        Array.from({ length: Number(status.head_seq - status.tail_seq) }, (_, i) => Number(status.tail_seq) + i));
    } finally {
      closeAll();
      await reload(); // the default ring for the tests after this one
    }
  });

  it('hands the file\'s cursor what it delivered when it stops; records read() took go first', async () => {
    armChdir();
    const fd = open();
    binding.seek(fd, c.SEEK_HEAD!);
    chdirs(40);
    // read() with room for one record of the largest size takes 16 KiB from the ring and hands out 4.
    const first = records(binding.read(fd, MAX));
    expect(first.length).toBeGreaterThan(0);
    const seen: Buffer[] = [];
    const h = binding.startStream(fd, 1 << 17, (err, buf) => {
      expect(err).toBeNull();
      seen.push(Buffer.from(buf!));
    });
    await until(() => events(seen).length + first.length >= 40, 'the rest');
    h.stop();
    const all = [...first.map((r) => decoder.decode(r)[0]!), ...events(seen)];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => all[0]!.seq + i));
    expect(all).toHaveLength(40);
    // Stopped: the cursor is past everything delivered.
    expect(binding.read(fd, 1 << 20).length).toBe(0);
    chdirs(3);
    expect(decoder.decode(binding.read(fd, 1 << 20))).toHaveLength(3);
  });

  it('coalesce: the first record at once, those of the window as one batch; a full batch is followed at once', async () => {
    armChdir();
    const s = collect(1 << 17, 2000);
    binding.seek(s.fd, c.SEEK_HEAD!);
    chdirs(1);
    await until(() => s.batches.length === 1, 'the first batch'); // an idle stream wakes at once
    chdirs(5);
    chdirs(5);
    await tick(200);
    expect(s.batches).toHaveLength(1);
    await until(() => s.batches.length === 2, 'the coalesced batch');
    expect(s.batches.map((b) => decoder.decode(b).length)).toEqual([1, 10]);
    s.h.stop();

    const small = collect(MAX, 5000);
    binding.seek(small.fd, c.SEEK_HEAD!);
    chdirs(40);
    const started = performance.now();
    await until(() => events(small.batches).length === 40, 'forty records');
    // Records of 168 bytes: 4 to a batch of RECORD_MAX, 10 batches, none waiting out the 5 s window.
    expect(small.batches.length).toBeGreaterThanOrEqual(10);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('under a flood a coalescing stream waits for a quarter of the ring; the flood over, it wakes for any record again', async () => {
    const ctl = armChdir();
    const quarter = Number(binding.getStatus(ctl).ring_size) / 4;
    const s = collect(1 << 17, 50);
    binding.seek(s.fd, c.SEEK_HEAD!);
    expect(s.h.wakeup()).toBe(1);
    // This thread keeps its event loop while the shell floods: the stream reads meanwhile.
    const n = 20000;
    const seen = new Set<number>();
    const sampler = setInterval(() => seen.add(s.h.wakeup()), 5);
    const sh = spawn('/bin/sh', ['-c', `i=0; while [ $i -lt ${n} ]; do cd /; i=$((i+1)); done`]);
    const status = await new Promise<number | null>((resolve) => sh.on('exit', resolve));
    expect(status).toBe(0);
    await until(() => events(s.batches).length >= n, 'the flood');
    clearInterval(sampler);
    expect([...seen]).toContain(quarter);
    const flood = events(s.batches);
    expect(flood.filter((e) => e.type === 'lost')).toEqual([]);
    expect(flood).toHaveLength(n);
    expect(flood.map((e) => e.seq)).toEqual(flood.map((_, i) => flood[0]!.seq + i));
    // A window with less than 16 KiB ends the flood; a lone record is then taken as before.
    await until(() => s.h.wakeup() === 1, 'the end of the flood');
    chdirs(1);
    await until(() => events(s.batches).length === n + 1, 'the record after the flood');
    expect(s.errors).toEqual([]);
  });

  it('transient batches are views of one buffer, which the next batch overwrites', async () => {
    armChdir();
    const fd = open();
    binding.seek(fd, c.SEEK_HEAD!);
    const kept: Buffer[] = [];
    const firsts: number[] = [];
    let records = 0;
    binding.startStream(fd, MAX, (_err, buf) => {
      const got = decoder.decode(buf!);
      firsts.push(got[0]!.seq);
      records += got.length;
      kept.push(buf!);
    }, 0, true);
    chdirs(12);
    await until(() => records === 12, 'twelve records');
    // Right while the callback ran; afterwards every view shows the last batch.
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(new Set(firsts).size).toBe(firsts.length);
    expect(firsts.length).toBeGreaterThanOrEqual(3);
    expect(kept.map((b) => Number(b.readBigUInt64LE(layout.off.seq)))).toEqual(kept.map(() => firsts.at(-1)));
  });

  it('an NDJSON stream writes the formatter\'s lines for what read() would give, and counts them', async () => {
    armChdir();
    const names: string[] = [];
    for (let e = 1; e <= c.MAX_ERRNO!; e++) names[e] = errnoName(e);
    const byRead = open();
    binding.seek(byRead, c.SEEK_HEAD!);
    const fd = open();
    binding.seek(fd, c.SEEK_HEAD!);
    const outPath = join(mkdtempSync(join(tmpdir(), 'smon-addon-')), 'out');
    const out = openSync(outPath, 'w');
    let read = 0;
    const syscallNames = new SyscallTable(binding.syscalls).namesByNumber();
    binding.startNdjsonStream(fd, 1 << 17, binding.ndjsonFormatter(names, syscallNames), out, (err, n = 0) => {
      expect(err).toBeNull();
      read += n;
    });
    chdirs(200);
    await until(() => read >= 200, '200 events');
    closeSync(out);
    const want = binding.ndjsonFormatter(names, syscallNames)(Buffer.concat(readAll(byRead)));
    expect(readFileSync(outPath)).toEqual(want);
    expect(want.toString().trimEnd().split('\n')).toHaveLength(200);
  });

  it('closing the fd through the addon stops its streams first', async () => {
    armChdir();
    const fd = binding.open(binding.devicePath, true);
    let batches = 0;
    const h = binding.startStream(fd, 1 << 17, () => batches++);
    binding.seek(fd, c.SEEK_HEAD!);
    chdirs(1);
    await until(() => batches === 1, 'a batch');
    binding.close(fd);
    h.stop(); // after close: still harmless
    chdirs(1);
    await tick(100);
    expect(batches).toBe(1);
  });

  describe('shutdown with an active stream', () => {
    const addonPath = addonCandidates().find((p) => {
      try {
        return readFileSync(p).length > 0;
      } catch {
        return false;
      }
    }) as string;
    const script = `
      const b = require(${JSON.stringify(addonPath)});
      const fd = b.open(b.devicePath, true);
      b.startStream(fd, ${1 << 16}, () => {});
      setTimeout(() => process.exit(7), 50);`;

    it('process.exit exits cleanly', () => {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(7);
    });

    it('a worker terminates cleanly', async () => {
      const w = new Worker(script.replace('process.exit(7)', "require('worker_threads').parentPort.postMessage(fd)"), { eval: true });
      const fd = await new Promise<number>((r) => w.once('message', r));
      expect(await w.terminate()).toBe(1);
      // The worker's fd is the process's: the stream is gone, the fd is this test's to close.
      binding.close(fd);
    });
  });
});
