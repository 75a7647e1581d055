// Monitor over the fake binding: validation and defaults in TS, error
// mapping, and the events iterator's lifecycle.
import { describe, expect, it } from 'vitest';
import type { MonitorEvent, SyscallEvent } from '../../../src/lib/events.js';
import { loadedModuleApiVersion, Monitor, targetSpecOf, type TargetSpec } from '../../../src/lib/monitor.js';
import { settingsOf } from '../../../src/lib/status.js';
import { FakeBinding } from '../fake-binding.js';
import { kindOf, openOnFake } from './monitor-on-fake.js';

const API_VERSION = new FakeBinding().c('API_VERSION');
const MAX_PIDS = new FakeBinding().c('MAX_PIDS');
const RECORD_MAX = new FakeBinding().c('RECORD_MAX');
/** A path that fills its room: its record is more than half the largest, so a RECORD_MAX batch holds one. */
const LONG = 'p'.repeat(new FakeBinding().c('PATH_LEN') - 1);

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Monitor.open', () => {
  it('opens the header device path non-blocking and checks the version', () => {
    const { fake, mon } = openOnFake();
    expect(fake.calls.slice(0, 2).map((c) => [c.method, ...c.args])).toEqual([
      ['open', '/dev/syscallmon', true],
      ['getVersion', mon.fd],
    ]);
    expect(mon.version()).toMatchObject({ apiVersion: fake.c('API_VERSION'), libraryApiVersion: fake.c('API_VERSION'), maxPids: fake.c('MAX_PIDS') });
  });

  it.each([
    ['not loaded', (f: FakeBinding) => { f.loaded = false; }, /^not_loaded: syscallmon module is not loaded \(open \/dev\/syscallmon: ENOENT\); load it with `syscallmon load`/],
    ['not root', (f: FakeBinding) => { f.openError = 'EACCES'; }, /^permission: permission denied: cannot open \/dev\/syscallmon \(EACCES\)/],
    ['wrong version', (f: FakeBinding) => { f.apiVersion = 99; }, new RegExp(`^version: syscallmon module speaks API version 99 .*expects version ${API_VERSION}`)],
    ['an older module', (f: FakeBinding) => { f.apiVersion = API_VERSION - 1; f.recordMax = 416; }, new RegExp(`^version: syscallmon module speaks API version ${API_VERSION - 1} \\(records up to 416 bytes\\), this syscallmon expects version ${API_VERSION} \\(records up to ${RECORD_MAX} bytes\\); rebuild and reload`)],
    ['version ioctl unknown to the module', (f: FakeBinding) => f.failNext('getVersion', 'ENOTTY'), new RegExp(`^version: /dev/syscallmon does not answer syscallmon's version request \\(ENOTTY\\): it is not the syscallmon device, or its module speaks an API version other than ${API_VERSION}; rebuild and reload`)],
    ['version ioctl fails', (f: FakeBinding) => f.failNext('getVersion', 'EFAULT'), /^kernel: kernel refused to get the module version: EFAULT/],
  ])('%s', (_name, init, re) => {
    const fake = new FakeBinding();
    init(fake);
    expect(kindOf(() => Monitor.open({ binding: fake }))).toMatch(re);
    expect(fake.openFds).toEqual([]); // nothing leaked on failure
  });
});

describe('loadedModuleApiVersion', () => {
  it('is the module\'s version, null without a module, and a version error when the module does not know the request', () => {
    const fake = new FakeBinding();
    fake.apiVersion = 99;
    expect(loadedModuleApiVersion(fake)).toBe(99);
    fake.failNext('getVersion', 'ENOTTY');
    expect(kindOf(() => loadedModuleApiVersion(fake))).toMatch(/^version: \/dev\/syscallmon does not answer syscallmon's version request \(ENOTTY\)/);
    expect(fake.openFds).toEqual([]);
    fake.loaded = false;
    expect(loadedModuleApiVersion(fake)).toBeNull();
  });
});

describe('Monitor control', () => {
  it('sets modes by name', () => {
    const { fake, mon } = openOnFake();
    mon.setMode('block');
    expect(fake.mode).toBe(fake.c('MODE_BLOCK'));
    mon.setMode('off');
    expect(mon.status().mode).toBe('off');
    expect(kindOf(() => mon.setMode('loud' as 'log'))).toBe("usage: unknown mode 'loud' (expected one of off, log, block)");
  });

  it('applies defaults: all pids, EPERM for block', () => {
    const { fake, mon } = openOnFake();
    mon.addTarget({ syscall: 'openat', action: 'block' });
    mon.addTarget({ syscall: 'write', action: 'log', pids: [30, 10, 30] });
    const raw = fake.calls.filter((c) => c.method === 'addTarget').map((c) => c.args[1]);
    expect(raw).toEqual([
      { nr: 257, action: fake.c('ACTION_BLOCK'), err: 1, flags: fake.c('TARGET_ALL_PIDS'), record: fake.c('RECORD_COMPLETE'), pids: [] },
      { nr: 1, action: fake.c('ACTION_LOG'), err: 0, flags: 0, record: fake.c('RECORD_COMPLETE'), pids: [30, 10] },
    ]);
    expect(mon.status().targets).toEqual([
      expect.objectContaining({ syscall: 'write', nr: 1, action: 'log', pids: [10, 30], force: false, armed: false, record: 'complete', failed_only: false }),
      expect.objectContaining({ syscall: 'openat', nr: 257, action: 'block', errno: 'EPERM', pids: 'all' }),
    ]);
  });

  it('passes the record mode and failures-only', () => {
    const { fake, mon } = openOnFake();
    mon.addTarget({ syscall: 'read', action: 'log', record: 'entry' });
    mon.addTarget({ syscall: 'write', action: 'log', record: 'both' });
    mon.addTarget({ syscall: 'openat', action: 'log', failedOnly: true });
    const raw = fake.calls.filter((c) => c.method === 'addTarget').map((c) => c.args[1]);
    expect(raw).toMatchObject([
      { nr: 0, record: fake.c('RECORD_ENTRY'), flags: fake.c('TARGET_ALL_PIDS') },
      { nr: 1, record: fake.c('RECORD_BOTH') },
      { nr: 257, record: fake.c('RECORD_COMPLETE'), flags: fake.c('TARGET_ALL_PIDS') | fake.c('TARGET_FAILED_ONLY') },
    ]);
    expect(mon.status().targets.map((t) => [t.syscall, t.record, t.failed_only])).toEqual([
      ['read', 'entry', false], ['write', 'both', false], ['openat', 'complete', true],
    ]);
  });

  it('passes errno, force and exclusive', () => {
    const { fake, mon } = openOnFake();
    mon.addTarget({ syscall: 'unlinkat', action: 'block', errno: 'eacces', pids: [1], force: true, exclusive: true });
    expect(fake.calls.at(-1)?.args[1]).toEqual({
      nr: 263, action: fake.c('ACTION_BLOCK'), err: 13, flags: fake.c('TARGET_FORCE') | fake.c('TARGET_EXCLUSIVE'),
      record: fake.c('RECORD_COMPLETE'), pids: [1],
    });
    expect(mon.status().targets[0]).toMatchObject({ errno: 'EACCES', force: true, pids: [1] });
  });

  const bad: [string, TargetSpec, RegExp][] = [
    ['unknown syscall', { syscall: 'opnat', action: 'log' }, /^usage: unknown syscall 'opnat'; did you mean openat/],
    ['unknown action', { syscall: 'openat', action: 'deny' as 'log' }, /^usage: unknown action 'deny'/],
    ['errno on log', { syscall: 'openat', action: 'log', errno: 'EPERM' }, /^usage: an errno only applies to block targets/],
    ['unknown errno', { syscall: 'openat', action: 'block', errno: 'EPREM' }, /^usage: unknown errno 'EPREM'; did you mean EPERM/],
    ['pid 0', { syscall: 'openat', action: 'log', pids: [0] }, /^usage: invalid pid 0 \(expected an integer in 1..4194304\)/],
    ['pid too big', { syscall: 'openat', action: 'log', pids: [4194305] }, /^usage: invalid pid 4194305/],
    ['pid not integer', { syscall: 'openat', action: 'log', pids: [1.5] }, /^usage: invalid pid 1.5/],
    ['empty pids', { syscall: 'openat', action: 'log', pids: [] }, /^usage: an empty pid list would match nothing/],
    ['too many pids', { syscall: 'openat', action: 'log', pids: Array.from({ length: MAX_PIDS + 1 }, (_, i) => i + 2) }, new RegExp(`^usage: too many pids: ${MAX_PIDS + 1} \\(a target holds at most ${MAX_PIDS}\\)`)],
    ['blocking init', { syscall: 'openat', action: 'block', pids: [1] }, /^usage: blocking pid 1 \(init\) needs force/],
    ['unknown record mode', { syscall: 'read', action: 'log', record: 'exit' as 'entry' }, /^usage: unknown record mode 'exit' \(expected one of complete, entry, both\)/],
    ['failures only at entry', { syscall: 'read', action: 'log', record: 'entry', failedOnly: true }, /^usage: failures only needs complete records/],
    ['failures only with both', { syscall: 'read', action: 'log', record: 'both', failedOnly: true }, /^usage: failures only needs complete records/],
  ];
  it.each(bad)('rejects %s before any syscall', (_name, spec, re) => {
    const { fake, mon } = openOnFake();
    expect(kindOf(() => mon.addTarget(spec))).toMatch(re);
    expect(fake.calls.filter((c) => c.method === 'addTarget')).toEqual([]);
  });

  it.each([
    ['EBUSY', 'kernel: kernel refused to target openat: EBUSY (device or resource busy): openat is already targeted'],
    ['ESRCH', 'kernel: kernel refused to target openat: ESRCH (no such process): no such process among 5'],
    ['EPERM', 'permission: permission denied: cannot target openat (EPERM); syscallmon needs root (CAP_SYS_ADMIN)'],
  ])('maps kernel %s on ADD_TARGET', (code, msg) => {
    const { fake, mon } = openOnFake();
    fake.failNext('addTarget', code);
    expect(kindOf(() => mon.addTarget({ syscall: 'openat', action: 'log', pids: [5] }))).toBe(msg);
  });

  it('really gets EBUSY from the fake for an exclusive duplicate', () => {
    const { mon } = openOnFake();
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.addTarget({ syscall: 'openat', action: 'log' }); // twice is harmless
    expect(kindOf(() => mon.addTarget({ syscall: 'openat', action: 'log', exclusive: true }))).toMatch(/^kernel: .*EBUSY.*already targeted/);
  });

  it('removes targets and changes pid sets', () => {
    const { fake, mon } = openOnFake();
    mon.addTarget({ syscall: 'openat', action: 'log', pids: [10] });
    mon.addPids('openat', [11, 12, 11]);
    mon.removePids(257, [10]);
    expect(mon.status().targets[0]?.pids).toEqual([11, 12]);
    expect(fake.calls.filter((c) => c.method === 'addPids')[0]?.args).toEqual([mon.fd, 257, [11, 12]]);
    mon.removeTarget('openat');
    expect(mon.status().targets).toEqual([]);
    expect(kindOf(() => mon.removeTarget('openat'))).toBe(
      'kernel: kernel refused to untarget openat: EINVAL (invalid argument): openat is not targeted',
    );
    expect(kindOf(() => mon.addPids('openat', []))).toBe('usage: no pids given');
    expect(kindOf(() => mon.addPids('openat', [5]))).toMatch(/^kernel: .*EINVAL.*openat is not targeted/);
  });

  it('clears, seeks and toggles exit events', () => {
    const { fake, mon } = openOnFake();
    mon.clear({ log: true, counters: true });
    expect(fake.calls.at(-1)?.args[1]).toBe(fake.c('CLEAR_LOG') | fake.c('CLEAR_COUNTERS'));
    expect(kindOf(() => mon.clear({}))).toMatch(/^usage: nothing to clear/);
    mon.seek('head');
    expect(fake.calls.at(-1)?.args[1]).toBe(fake.c('SEEK_HEAD'));
    expect(kindOf(() => mon.seek('middle' as 'head'))).toMatch(/^usage: cannot seek/);
    mon.setExits(true);
    expect(mon.status().exits).toBe(true);
  });

  it('reports status with counters and names', () => {
    const { fake, mon } = openOnFake((f) => {
      f.returnSlots = 100;
      f.callsInFlight = 3n;
    });
    mon.setMode('block');
    mon.addTarget({ syscall: 'openat', action: 'block', pids: [42] });
    mon.addTarget({ syscall: 'read', action: 'log', pids: [42] });
    fake.syscall({ syscall: 'openat', pid: 42, path: '/x' });
    fake.syscall({ syscall: 'openat', pid: 43, path: '/y' });
    fake.syscall({ syscall: 'read', pid: 42, noSlot: true });
    const held = fake.getStatus(mon.fd);
    const s = mon.status();
    // readers: the others; this monitor's own open file is not one of them. Each change is a record too.
    expect(s).toMatchObject({
      mode: 'block', probes_armed: 2, readers: 0, events: 5, config_records: 3, head_seq: 5, held_records: 5,
      held_bytes: Number(held.head - held.tail), ring_size: fake.c('RING_SIZE_DEFAULT'), return_slots: 100, calls_in_flight: 3,
      no_result: 1, exits: false, rules: [], file_hooks: 0, file_hooks_missed: 0, tree_missed: 0,
    });
    expect(s.held_bytes).toBeGreaterThan(0);
    expect(s.targets).toEqual([
      {
        syscall: 'read', nr: 0, action: 'log', errno: null, pids: [42], force: false, record: 'complete', failed_only: false,
        armed: true, hits: 1, logged: 1, blocked: 0, missed: 0, no_result: 1, failed_skipped: 0,
      },
      {
        syscall: 'openat', nr: 257, action: 'block', errno: 'EPERM', pids: [42], force: false, record: 'complete', failed_only: false,
        armed: true, hits: 2, logged: 1, blocked: 1, missed: 0, no_result: 0, failed_skipped: 0,
      },
    ]);
    const other = Monitor.open({ binding: fake });
    expect(mon.status().readers).toBe(1);
    other.close();
    expect(mon.target('openat')).toEqual(s.targets[1]);
    expect(mon.target('write')).toBeUndefined();
  });

  it('fails cleanly once closed; close is idempotent', () => {
    const { fake, mon } = openOnFake();
    mon.close();
    mon.close();
    expect(fake.openFds).toEqual([]);
    expect(mon.closed).toBe(true);
    expect(kindOf(() => mon.status())).toBe('usage: monitor is closed');
  });

  it.each<[string, TargetSpec]>([
    ['a log target of a few pids, recorded at both ends', { syscall: 'openat', action: 'log', pids: [8, 7], record: 'both' }],
    ['an intercepted syscall: the explicit empty scope', { syscall: 'read', action: 'log', pids: 'none' }],
    ['a forced block target with a kernel-internal errno', { syscall: 'write', action: 'block', errno: 512, pids: [1], force: true }],
    ['a failures-only block target of every process', { syscall: 'unlink', action: 'block', errno: 'EROFS', failedOnly: true }],
  ])('targetSpecOf(settings) sets %s again as it was', (_name, spec) => {
    const { mon } = openOnFake();
    mon.addTarget(spec);
    const was = settingsOf(mon.target(spec.syscall)!);
    mon.addTarget({ syscall: spec.syscall, action: 'log' });
    mon.addTarget(targetSpecOf(was));
    expect(settingsOf(mon.target(spec.syscall)!)).toEqual(was);
  });
});

describe('Monitor reading', () => {
  it('reads what is available without waiting', () => {
    const { fake, mon } = openOnFake();
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    expect(mon.readAvailable().map((e) => e.type)).toEqual(['config', 'config']);
    expect(mon.readAvailable()).toEqual([]);
    for (let i = 0; i < 3; i++) fake.syscall({ syscall: 'openat', pid: 9, comm: 'cat', path: `${i}${LONG}` });
    // Two records of 416 bytes fit in 872, not three.
    const got = mon.readAvailable(RECORD_MAX + 200) as SyscallEvent[];
    expect(got.map((e) => e.path?.slice(0, 1))).toEqual(['0', '1']);
    expect(mon.decoder.decode(mon.readRaw())).toHaveLength(1);
    expect(kindOf(() => mon.readRaw(RECORD_MAX - 1))).toBe(`usage: invalid batch size ${RECORD_MAX - 1} bytes (at least ${RECORD_MAX}, the largest record)`);
  });

  async function collect(it: AsyncIterable<MonitorEvent[]>, sink: MonitorEvent[]): Promise<void> {
    for await (const batch of it) sink.push(...batch);
  }

  it('streams batches and ends cleanly on close()', async () => {
    const { fake, mon } = openOnFake();
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    const got: MonitorEvent[] = [];
    mon.seek('head');
    const done = collect(mon.events({ maxBytes: RECORD_MAX }), got);
    await tick();
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 9, path: `/f${i}` });
    await tick();
    await tick();
    expect(got.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    mon.close();
    await done;
    expect(fake.activeStreams).toBe(0);
    expect(fake.openFds).toEqual([]);
  });

  it('ends cleanly on abort, and right away when already aborted', async () => {
    const { fake, mon } = openOnFake();
    const ac = new AbortController();
    const got: MonitorEvent[] = [];
    const done = collect(mon.events({ signal: ac.signal }), got);
    await tick();
    expect(fake.activeStreams).toBe(1);
    ac.abort();
    await done;
    expect(fake.activeStreams).toBe(0);
    expect(mon.closed).toBe(false);
    await collect(mon.events({ signal: ac.signal }), got);
    expect(fake.calls.filter((c) => c.method === 'startStream')).toHaveLength(1);
  });

  it('stops reading when the consumer breaks out', async () => {
    const { fake, mon } = openOnFake();
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.seek('head');
    fake.syscall({ syscall: 'openat', pid: 9 });
    for await (const batch of mon.events()) {
      expect(batch).toHaveLength(1);
      break;
    }
    expect(fake.activeStreams).toBe(0);
    // A new iteration may start once the old one is gone.
    const ac = new AbortController();
    const again = collect(mon.events({ signal: ac.signal }), []);
    await tick();
    expect(fake.activeStreams).toBe(1);
    ac.abort();
    await again;
  });

  it('refuses a second concurrent iteration', async () => {
    const { mon } = openOnFake();
    const ac = new AbortController();
    const first = collect(mon.events({ signal: ac.signal }), []);
    await tick();
    await expect(collect(mon.events(), [])).rejects.toThrow(/already streaming/);
    ac.abort();
    await first;
  });

  it('throws a typed error when the read fails, after delivering what came before', async () => {
    const { fake, mon } = openOnFake();
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.seek('head');
    const got: MonitorEvent[] = [];
    const done = collect(mon.events(), got);
    fake.syscall({ syscall: 'openat', pid: 9 });
    await tick();
    await tick();
    fake.failStream(mon.fd, 'EIO');
    await expect(done).rejects.toMatchObject({ kind: 'kernel', code: 'EIO', message: expect.stringMatching(/read events: EIO/) });
    expect(got).toHaveLength(1);
    expect(fake.activeStreams).toBe(0);
  });

  it('pauses at the high-water mark and resumes without losing records', async () => {
    const { fake, mon } = openOnFake();
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.seek('head');
    const it = mon.rawBatches({ maxBytes: RECORD_MAX, highWater: 2 })[Symbol.asyncIterator]();
    const first = it.next(); // starts the stream
    for (let i = 0; i < 6; i++) fake.syscall({ syscall: 'openat', pid: 9, path: LONG });
    await tick();
    await first;
    // Reading paused at 2 queued batches: the rest waits in the ring.
    expect(fake.activeStreams).toBe(0);
    const seqOf = (b: Buffer | void): number[] => mon.decoder.decode(b as Buffer).map((e) => e.seq);
    const seqs: number[] = seqOf((await first).value);
    for (let i = 0; i < 5; i++) seqs.push(...seqOf((await it.next()).value));
    expect(seqs).toEqual([2, 3, 4, 5, 6, 7]);
    await it.return?.();
    expect(fake.activeStreams).toBe(0);
    expect(mon.status().overwritten).toBe(0);
  });

  it('passes lost records through when the ring overtook the reader', async () => {
    const { fake, mon } = openOnFake((f) => { f.ringSize = 4 * RECORD_MAX; });
    mon.setMode('log');
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.seek('head'); // after the two config records
    // Records of 416 bytes: a ring of 2688 bytes holds 6 of them.
    for (let i = 0; i < 10; i++) fake.syscall({ syscall: 'openat', pid: 9, path: LONG });
    const events = mon.readAvailable();
    expect(events[0]).toEqual(expect.objectContaining({ type: 'lost', seq: 2, count: 4, config: 0 }));
    expect(events.slice(1).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10, 11]);
  });
});

describe('Monitor.subscribe', () => {
  function armed() {
    const o = openOnFake();
    o.mon.setMode('log');
    o.mon.addTarget({ syscall: 'openat', action: 'log' });
    o.mon.seek('head');
    return o;
  }

  it('hands decoded batches to the handler; stop() ends it and resolves done', async () => {
    const { fake, mon } = armed();
    const paths: (string | null)[] = [];
    const sub = mon.subscribe((events) => {
      for (const e of events) if (e.type === 'syscall') paths.push(e.path);
    }, { maxBytes: RECORD_MAX });
    for (let i = 0; i < 5; i++) fake.syscall({ syscall: 'openat', pid: 9, path: `/s${i}` });
    await tick();
    await tick();
    expect(paths).toEqual(['/s0', '/s1', '/s2', '/s3', '/s4']);
    sub.stop();
    await sub.done;
    expect(fake.activeStreams).toBe(0);
    expect(() => mon.subscribe(() => {})).not.toThrow(); // the monitor is free again
    mon.close();
  });

  it('a handler promise pauses reading until it settles; the records wait in the ring', async () => {
    const { fake, mon } = armed();
    let release!: () => void;
    const seen: number[] = [];
    const sub = mon.subscribe((events) => {
      seen.push(events.length);
      if (seen.length === 1) return new Promise<void>((r) => (release = r));
    }, { maxBytes: RECORD_MAX });
    for (let i = 0; i < 3; i++) fake.syscall({ syscall: 'openat', pid: 9, path: LONG });
    await tick();
    expect(seen).toEqual([1]);
    expect(fake.activeStreams).toBe(0); // paused
    release();
    await tick();
    await tick();
    expect(seen).toEqual([1, 1, 1]);
    mon.close();
    await sub.done;
  });

  it('done rejects with what the handler threw, and with read errors as SyscallmonErrors', async () => {
    const { fake, mon } = armed();
    const boom = new Error('boom');
    const sub = mon.subscribe(() => {
      throw boom;
    });
    fake.syscall({ syscall: 'openat', pid: 9 });
    await expect(sub.done).rejects.toBe(boom);
    expect(fake.activeStreams).toBe(0);
    const sub2 = mon.subscribe(() => {});
    await tick();
    fake.failStream(mon.fd, 'EIO');
    await expect(sub2.done).rejects.toMatchObject({ kind: 'kernel', code: 'EIO' });
    mon.close();
  });

  it('one stream at a time; an aborted signal never starts one; bad windows are usage errors', async () => {
    const { fake, mon } = armed();
    const sub = mon.subscribe(() => {});
    expect(kindOf(() => mon.subscribe(() => {}))).toMatch(/^usage: this monitor is already streaming/);
    sub.stop();
    const ac = new AbortController();
    ac.abort();
    await mon.subscribe(() => {}, { signal: ac.signal }).done;
    expect(fake.activeStreams).toBe(0);
    expect(kindOf(() => mon.subscribe(() => {}, { coalesceMs: 1001 }))).toMatch(/^usage: invalid coalescing window/);
    expect(kindOf(() => mon.subscribeRaw(() => {}, { coalesceMs: 1.5 }))).toMatch(/^usage: invalid coalescing window/);
    mon.subscribe(() => {}, { coalesceMs: 7 }).stop();
    expect(fake.calls.filter((c) => c.method === 'startStream').at(-1)?.args[3]).toBe(7);
    mon.close();
  });
});
