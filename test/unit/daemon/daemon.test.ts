// The daemon over the fake binding: what it writes, what it counts and
// serves, and what each signal does. The policy file here is a JSON Policy
// handed to Monitor.replacePolicy: the daemon is under test, not the
// policy files (test/unit/lib/policy.test.ts).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Daemon, type OnStop, type PolicyOps } from '../../../src/daemon/daemon.js';
import { LOSS_WINDOW_MS } from '../../../src/daemon/health.js';
import { parseListenAddress } from '../../../src/daemon/http.js';
import { NdjsonOutput } from '../../../src/daemon/output.js';
import { libraryPolicy } from '../../../src/daemon/policy.js';
import { UsageError } from '../../../src/lib/errors.js';
import { Monitor } from '../../../src/lib/monitor.js';
import type { Policy } from '../../../src/lib/rules.js';
import { createFakeWithStatusFile, FakeBinding } from '../fake-binding.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-daemon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (name: string): string => join(dir, `${files++}-${name}`);

/** A JSON Policy as the policy file; a file that does not parse throws one line. */
const jsonPolicy: PolicyOps<Policy> = {
  read(path) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Policy;
    } catch (e) {
      throw new UsageError(`${path}: ${(e as Error).message.split('\n')[0]}`);
    }
  },
  sha256: (doc) => createHash('sha256').update(JSON.stringify(doc)).digest('hex'),
  apply(mon, doc) {
    mon.replacePolicy(doc);
    return `${doc.rules.length} rules`;
  },
  drift: (mon, doc) =>
    JSON.stringify(mon.rules().filter((r) => r.rule_class === 'policy').map((r) => r.name)) !==
    JSON.stringify(doc.rules.map((r) => r.name)),
};

const POLICY: Policy = {
  mode: 'block',
  rules: [
    { name: 'log-opens', action: 'log', syscalls: ['openat'] },
    { name: 'no-unlink', action: 'block', syscalls: ['unlinkat'], errno: 'EACCES', enforce: true },
  ],
};

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

interface Running {
  fake: FakeBinding;
  mon: Monitor;
  daemon: Daemon<Policy>;
  signals: EventEmitter;
  notes: string[];
  policyPath: string;
  outPath: string;
  clock: { now: number };
  lines(path?: string): Record<string, unknown>[];
  get(path: string): Promise<{ status: number; body: string }>;
}

async function startDaemon(
  opts: { onStop?: OnStop; metrics?: boolean; policy?: Policy; init?: (f: FakeBinding) => void; outPath?: string } = {},
): Promise<Running> {
  const fake = new FakeBinding();
  opts.init?.(fake);
  const mon = Monitor.open({ binding: fake });
  const policyPath = fresh('policy.json');
  writeFileSync(policyPath, JSON.stringify(opts.policy ?? POLICY));
  const outPath = opts.outPath ?? fresh('events.ndjson');
  const signals = new EventEmitter();
  const notes: string[] = [];
  const clock = { now: 1_000_000 };
  const daemon = await Daemon.start({
    monitor: mon,
    policyPath,
    policy: jsonPolicy,
    output: NdjsonOutput.file(outPath),
    onStop: opts.onStop ?? 'keep',
    metrics: opts.metrics === false ? undefined : { host: '127.0.0.1', port: 0 },
    build: { version: '9.9.9', kernel: '6.1.0-test' },
    signals,
    note: (line) => notes.push(line),
    now: () => clock.now,
  });
  const lines = (path = outPath): Record<string, unknown>[] =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const get = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const port = daemon.metricsAddress?.port;
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject).end();
    });
  return { fake, mon, daemon, signals, notes, policyPath, outPath, clock, lines, get };
}

/** The value of one sample of the exposition text, or undefined when it has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

async function stop(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<Awaited<Daemon<Policy>['done']>> {
  r.signals.emit(signal);
  return r.daemon.done;
}

describe('daemon: the output', () => {
  it('writes the policy change first, then every record as NDJSON, lost lines with their counts', async () => {
    const r = await startDaemon({ metrics: false, init: (f) => (f.ringSize = f.c('RING_SIZE_MIN')) });
    r.fake.syscall({ syscall: 'openat', pid: 10, path: '/etc/hostname' });
    r.fake.syscall({ syscall: 'unlinkat', pid: 11, path: '/tmp/x' });
    await settle();
    // More than the ring holds, before the daemon gets to read: a loss.
    for (let i = 0; i < 1000; i++) r.fake.syscall({ syscall: 'openat', pid: 12, path: `/f${i}` });
    await settle();
    const summary = await stop(r);
    const lines = r.lines();
    expect(lines[0]).toMatchObject({ type: 'config', kind: 'policy' });
    expect(lines[1]).toMatchObject({ type: 'syscall', syscall: 'openat', pid: 10, verdict: 'allowed', path: '/etc/hostname' });
    expect(lines[2]).toMatchObject({ type: 'syscall', syscall: 'unlinkat', pid: 11, verdict: 'blocked', block_errno: 'EACCES' });
    const lost = lines.filter((l) => l.type === 'lost');
    expect(lost.length).toBeGreaterThan(0);
    const lostCount = lost.reduce((n, l) => n + (l.count as number), 0);
    const opens = lines.filter((l) => l.type === 'syscall' && l.pid === 12).length;
    expect(opens + lostCount).toBe(1000);
    expect(summary).toMatchObject({ reason: 'SIGTERM', lost: lostCount, reloads: 0, reloadFailures: 0 });
    expect(summary.records).toBe(lines.length - lost.length);
  });

  it('SIGUSR1 after the file was moved: the next lines go to a new file at the path, none lost', async () => {
    const r = await startDaemon({ metrics: false });
    for (let i = 0; i < 5; i++) r.fake.syscall({ syscall: 'openat', pid: 20, path: `/a${i}` });
    await settle();
    const moved = `${r.outPath}.1`;
    renameSync(r.outPath, moved);
    for (let i = 0; i < 3; i++) r.fake.syscall({ syscall: 'openat', pid: 20, path: `/b${i}` });
    await settle();
    r.signals.emit('SIGUSR1');
    for (let i = 0; i < 4; i++) r.fake.syscall({ syscall: 'openat', pid: 20, path: `/c${i}` });
    await settle();
    await stop(r);
    const paths = (p: string): unknown[] => r.lines(p).filter((l) => l.pid === 20).map((l) => l.path);
    // Before the signal the moved file still took the lines; after it, the new file.
    expect(paths(moved)).toEqual(['/a0', '/a1', '/a2', '/a3', '/a4', '/b0', '/b1', '/b2']);
    expect(paths(r.outPath)).toEqual(['/c0', '/c1', '/c2', '/c3']);
    expect(r.notes).toContain(`syscallmon: daemon: reopened ${r.outPath}`);
  });

  it('a path that cannot be opened again keeps the old file the output', async () => {
    const r = await startDaemon({ metrics: false });
    const moved = `${r.outPath}.1`;
    renameSync(r.outPath, moved);
    rmSync(dir + '-missing', { force: true });
    const output = r.daemon as unknown as { o: { output: NdjsonOutput } };
    Object.defineProperty(output.o.output, 'path', { value: join(dir, 'no-such-dir', 'events.ndjson') });
    r.signals.emit('SIGUSR1');
    r.fake.syscall({ syscall: 'openat', pid: 21, path: '/still' });
    await settle();
    await stop(r);
    expect(r.lines(moved).filter((l) => l.pid === 21).map((l) => l.path)).toEqual(['/still']);
    expect(r.notes.some((n) => /cannot reopen .*no-such-dir.*still writing to the file it had open: ENOENT/.test(n))).toBe(true);
  });
});

describe('daemon: signals', () => {
  it('SIGHUP applies the file again; a broken file keeps the running policy and is counted', async () => {
    const r = await startDaemon();
    const first = r.daemon.policySha256;
    const changed: Policy = { ...POLICY, rules: [...POLICY.rules, { name: 'log-reads', action: 'log', syscalls: ['read'] }] };
    writeFileSync(r.policyPath, JSON.stringify(changed));
    r.signals.emit('SIGHUP');
    expect(r.mon.rules().map((x) => x.name)).toEqual(['log-opens', 'no-unlink', 'log-reads']);
    expect(r.daemon.policySha256).not.toBe(first);
    const second = r.daemon.policySha256;

    writeFileSync(r.policyPath, '{"mode": "block", "rules": [');
    r.signals.emit('SIGHUP');
    // A file that parses but that the module refuses (two rules, one name) changes nothing either.
    writeFileSync(r.policyPath, JSON.stringify({ mode: 'log', rules: [POLICY.rules[0], POLICY.rules[0]] }));
    r.signals.emit('SIGHUP');
    expect(r.mon.rules().map((x) => x.name)).toEqual(['log-opens', 'no-unlink', 'log-reads']);
    expect(r.mon.status().mode).toBe('block');
    expect(r.daemon.policySha256).toBe(second);
    expect(r.daemon.reloadFailures).toBe(2);
    const failures = r.notes.filter((n) => n.includes('policy reload failed, the running policy stays'));
    expect(failures).toHaveLength(2);
    expect(failures[1]).toMatch(/two rules named log-opens/);
    const text = (await r.get('/metrics')).body;
    expect(sample(text, 'syscallmon_policy_reload_failures_total')).toBe(2);
    expect(sample(text, 'syscallmon_policy_info', { sha256: second })).toBe(1);
    expect(sample(text, 'syscallmon_policy_info', { sha256: first })).toBeUndefined();
    expect(await stop(r)).toMatchObject({ reloads: 1, reloadFailures: 2 });
  });

  it.each([
    ['keep', 'block'],
    ['off', 'off'],
  ] as const)('SIGTERM with --on-stop %s: the mode is %s afterwards, the device closed, handlers gone', async (onStop, mode) => {
    const r = await startDaemon({ onStop });
    r.fake.syscall({ syscall: 'openat', pid: 30, path: '/x' });
    const summary = await stop(r);
    expect(summary.reason).toBe('SIGTERM');
    // What the ring held at the signal was written before the device closed.
    expect(r.lines().some((l) => l.pid === 30)).toBe(true);
    expect(r.mon.closed).toBe(true);
    expect(r.fake.openFds).toEqual([]);
    const after = Monitor.open({ binding: r.fake });
    expect(after.status().mode).toBe(mode);
    expect(after.rules().map((x) => x.name)).toEqual(['log-opens', 'no-unlink']);
    after.close();
    for (const s of ['SIGHUP', 'SIGUSR1', 'SIGTERM', 'SIGINT']) expect(r.signals.listenerCount(s)).toBe(0);
    const last = r.lines().at(-1);
    if (onStop === 'off') expect(last).toMatchObject({ type: 'config', kind: 'mode', text: 'BLOCK -> OFF' });
    else expect(last).toMatchObject({ type: 'syscall', pid: 30 });
  });

  it('a stream that fails ends the daemon with the error', async () => {
    const r = await startDaemon({ metrics: false });
    r.fake.failStream(r.mon.fd, 'EIO');
    await expect(r.daemon.done).rejects.toThrow(/EIO/);
    expect(r.mon.closed).toBe(true);
  });

  it('--on-stop off: a daemon that ends on a failure turns the mode off too', async () => {
    const r = await startDaemon({ metrics: false, onStop: 'off' });
    r.fake.failStream(r.mon.fd, 'EIO');
    await expect(r.daemon.done).rejects.toThrow(/EIO/);
    const after = Monitor.open({ binding: r.fake });
    expect(after.status().mode_set).toBe('off');
    after.close();
  });

  it('--on-stop off: an output that fails (a full disk) ends the daemon with its error, and the mode is off', async () => {
    const r = await startDaemon({ metrics: false, onStop: 'off', outPath: '/dev/full' });
    r.fake.syscall({ syscall: 'unlinkat', pid: 5, path: '/x' });
    await expect(r.daemon.done).rejects.toThrow(/ENOSPC/);
    const after = Monitor.open({ binding: r.fake });
    expect(after.status().mode_set).toBe('off');
    after.close();
  });

  it('--on-stop off that fails after a failure: the daemon\'s error is reported, and the mode is said to stay', async () => {
    const r = await startDaemon({ metrics: false, onStop: 'off' });
    r.fake.failNext('setMode', 'ENODEV');
    r.fake.failStream(r.mon.fd, 'EIO');
    await expect(r.daemon.done).rejects.toThrow(/EIO/);
    expect(r.notes.filter((n) => n.startsWith('syscallmon: daemon: cannot turn the mode off: '))).toEqual([
      expect.stringMatching(/ENODEV/),
    ]);
    expect(r.mon.closed).toBe(true);
  });

  it('--on-stop off that fails on SIGTERM: that is the error, and what the ring held is still written', async () => {
    const r = await startDaemon({ metrics: false, onStop: 'off' });
    r.fake.syscall({ syscall: 'openat', pid: 32, path: '/x' });
    r.fake.failNext('setMode', 'ENODEV');
    await expect(stop(r)).rejects.toThrow(/ENODEV/);
    expect(r.lines().some((l) => l.pid === 32)).toBe(true);
    expect(r.mon.closed).toBe(true);
  });

  it('stop: what the ring holds is written up to its head at the stop, though processes keep writing records', async () => {
    const r = await startDaemon({ metrics: false });
    r.fake.syscall({ syscall: 'openat', pid: 31, path: '/before' });
    let reads = 0;
    const read = r.fake.read.bind(r.fake);
    r.fake.read = (fd: number, max: number): Buffer => {
      // Other CPUs keep calling openat while the daemon reads what is left (capped, so that the test ends).
      if (++reads < 1000) for (let i = 0; i < 200; i++) r.fake.syscall({ syscall: 'openat', pid: 99, path: '/busy' });
      return read(fd, max);
    };
    await stop(r);
    expect(reads).toBeLessThan(5);
    const lines = r.lines();
    expect(lines.filter((l) => l.pid === 31).map((l) => l.path)).toEqual(['/before']);
    expect(lines.some((l) => l.pid === 99)).toBe(false);
  });
});

describe("daemon: the library's policy files", () => {
  it('SIGHUP makes a stale file rule again; until then the policy drifts', async () => {
    const fake = createFakeWithStatusFile();
    const mon = Monitor.open({ binding: fake });
    const policyPath = fresh('policy.yaml');
    writeFileSync(policyPath, `apiVersion: syscallmon/v1
kind: Policy
spec:
  mode: block
  rules:
    - {name: shadow-opens, action: log, file: /etc/shadow, fileOps: [open]}
`);
    const signals = new EventEmitter();
    const notes: string[] = [];
    const daemon = await Daemon.start({
      monitor: mon, policyPath, policy: libraryPolicy(fake), output: NdjsonOutput.file(fresh('events.ndjson')), onStop: 'keep',
      metrics: { host: '127.0.0.1', port: 0 }, build: { version: '9.9.9', kernel: '6.1.0-test' }, signals, note: (line) => notes.push(line),
    });
    const drift = async (): Promise<number | undefined> => {
      const text = await new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port: daemon.metricsAddress?.port, path: '/metrics' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        }).on('error', reject).end();
      });
      return sample(text, 'syscallmon_policy_drift');
    };
    expect(await drift()).toBe(0);
    // passwd renames a new /etc/shadow over the one the rule holds.
    fake.stalePaths.add('/etc/shadow');
    expect(await drift()).toBe(1);
    signals.emit('SIGHUP');
    expect(mon.rules().find((r) => r.name === 'shadow-opens')?.stale).toBe(false);
    expect(notes).toContain('syscallmon: daemon:   ! rule shadow-opens: its file was replaced since it was made (stale); made again, it holds the one there now');
    expect(await drift()).toBe(0);
    signals.emit('SIGTERM');
    expect(await daemon.done).toMatchObject({ reloads: 1, reloadFailures: 0 });
  });
});

describe('daemon: /metrics', () => {
  it('names and labels; the daemon counts what it read, across a clear of the module counters', async () => {
    const r = await startDaemon({ init: (f) => (f.ringSize = f.c('RING_SIZE_MIN')) });
    r.mon.addTarget({ syscall: 'read', action: 'log' });
    for (let i = 0; i < 3; i++) r.fake.syscall({ syscall: 'openat', pid: 40, path: '/o' });
    r.fake.syscall({ syscall: 'unlinkat', pid: 40, path: '/u' });
    r.fake.syscall({ syscall: 'read', pid: 40, noSlot: true });
    r.fake.exit({ pid: 40 });
    await settle();
    (r.fake.targets.get(r.fake.syscallEntry('read').nr) as { missed: bigint }).missed = 7n;
    let text = (await r.get('/metrics')).body;
    expect(sample(text, 'syscallmon_events_total', { syscall: 'openat', verdict: 'allowed' })).toBe(3);
    expect(sample(text, 'syscallmon_events_total', { syscall: 'unlinkat', verdict: 'blocked' })).toBe(1);
    expect(sample(text, 'syscallmon_events_total', { syscall: 'read', verdict: 'allowed' })).toBe(1);
    expect(sample(text, 'syscallmon_events_lost_total', { reason: 'no_result' })).toBe(1);
    expect(sample(text, 'syscallmon_events_lost_total', { reason: 'overwritten' })).toBe(0);
    expect(sample(text, 'syscallmon_events_lost_total', { reason: 'config' })).toBe(0);
    expect(sample(text, 'syscallmon_kprobe_missed_total', { syscall: 'read' })).toBe(7);
    expect(sample(text, 'syscallmon_rule_matches_total', { rule: 'log-opens' })).toBe(3);
    expect(sample(text, 'syscallmon_rule_matches_total', { rule: 'no-unlink' })).toBe(1);
    expect(sample(text, 'syscallmon_policy_drift')).toBe(0);
    expect(sample(text, 'syscallmon_build_info', { version: '9.9.9', kernel: '6.1.0-test' })).toBe(1);
    expect(sample(text, 'syscallmon_ring_bytes_used')).toBe(r.mon.status().held_bytes);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // Gauges named *_total would fail promtool's lint.
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);

    r.mon.clear({ counters: true, log: true });
    r.fake.syscall({ syscall: 'openat', pid: 40, path: '/o' });
    (r.fake.targets.get(r.fake.syscallEntry('read').nr) as { missed: bigint }).missed = 2n;
    r.mon.deleteRule('log-opens');
    await settle();
    text = (await r.get('/metrics')).body;
    expect(sample(text, 'syscallmon_events_total', { syscall: 'openat', verdict: 'allowed' })).toBe(4);
    expect(sample(text, 'syscallmon_kprobe_missed_total', { syscall: 'read' })).toBe(9);
    expect(sample(text, 'syscallmon_rule_matches_total', { rule: 'no-unlink' })).toBe(1);
    expect(sample(text, 'syscallmon_policy_drift')).toBe(1);
    await stop(r);
  });

  it('a file access made in no syscall is labelled syscall="none", as its NDJSON line names it', async () => {
    const r = await startDaemon({
      policy: { mode: 'block', rules: [{ name: 'shadow', action: 'log', file: '/etc/shadow', fileOps: ['open'] }] },
    });
    r.fake.fileAccess({ pid: 43, op: 'open', file: '/etc/shadow' });
    await settle();
    const text = (await r.get('/metrics')).body;
    await stop(r);
    expect(r.lines().find((l) => l.pid === 43)).toMatchObject({ syscall: 'none' });
    expect(text.match(/^syscallmon_events_total\{.*$/gm)).toEqual(['syscallmon_events_total{syscall="none",verdict="allowed"} 1']);
  });

  it('events_lost_total: overwritten counts every record the lost lines count, config those of them that were configuration records', async () => {
    const r = await startDaemon({ init: (f) => (f.ringSize = f.c('RING_SIZE_MIN')) });
    // Configuration records and calls, more than the ring holds, before the daemon reads.
    for (let i = 0; i < 3000; i++) {
      r.mon.setExits(i % 2 === 0);
      r.fake.syscall({ syscall: 'openat', pid: 42, path: `/f${i}` });
    }
    await settle();
    const text = (await r.get('/metrics')).body;
    const summary = await stop(r);
    const lost = r.lines().filter((l) => l.type === 'lost');
    const count = lost.reduce((n, l) => n + (l.count as number), 0);
    const config = lost.reduce((n, l) => n + (l.config as number), 0);
    expect(config).toBeGreaterThan(0);
    expect(count).toBeGreaterThan(config);
    expect(sample(text, 'syscallmon_events_lost_total', { reason: 'overwritten' })).toBe(count);
    expect(sample(text, 'syscallmon_events_lost_total', { reason: 'config' })).toBe(config);
    expect(summary.lost).toBe(count);
  });

  it("a rule's series lasts as long as the rule: one that comes back starts again", async () => {
    const r = await startDaemon();
    r.fake.syscall({ syscall: 'openat', pid: 41, path: '/o' });
    r.fake.syscall({ syscall: 'openat', pid: 41, path: '/o' });
    // What `syscallmon run` does: a rule owned by its open file, gone when it closes.
    for (const pid of [1001, 1002, 1003]) {
      const run = Monitor.open({ binding: r.fake });
      run.addRule({ name: `run:${pid}`, action: 'log', syscalls: ['read'], tree: [pid] }, { owned: true });
      r.fake.syscall({ syscall: 'read', pid });
      await settle();
      expect(sample((await r.get('/metrics')).body, 'syscallmon_rule_matches_total', { rule: `run:${pid}` })).toBe(1);
      run.close();
    }
    let text = (await r.get('/metrics')).body;
    expect(text.match(/^syscallmon_rule_matches_total\{.*$/gm)).toEqual([
      'syscallmon_rule_matches_total{rule="log-opens"} 2',
      'syscallmon_rule_matches_total{rule="no-unlink"} 0',
    ]);

    r.mon.deleteRule('log-opens');
    text = (await r.get('/metrics')).body;
    expect(sample(text, 'syscallmon_rule_matches_total', { rule: 'log-opens' })).toBeUndefined();
    r.mon.addRule({ name: 'log-opens', action: 'log', syscalls: ['openat'] });
    r.fake.syscall({ syscall: 'openat', pid: 41, path: '/o' });
    text = (await r.get('/metrics')).body;
    expect(sample(text, 'syscallmon_rule_matches_total', { rule: 'log-opens' })).toBe(1);
    await stop(r);
  });
});

describe('daemon: /healthz', () => {
  it('200 while nothing is lost; 503 naming the loss; 200 again once the window has passed; 503 once closed', async () => {
    const r = await startDaemon({ init: (f) => (f.ringSize = f.c('RING_SIZE_MIN')) });
    expect(await r.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    for (let i = 0; i < 1000; i++) r.fake.syscall({ syscall: 'openat', pid: 50, path: `/f${i}` });
    await settle();
    const lost = r.daemon.tally.lastLoss?.count ?? 0;
    expect(lost).toBeGreaterThan(0);
    r.clock.now += 2500;
    expect(await r.get('/healthz')).toEqual({
      status: 503,
      body: `lost ${lost} records 2.5 s ago: the ring overwrote them before the daemon read them\n`,
    });
    r.clock.now += LOSS_WINDOW_MS - 2500;
    expect((await r.get('/healthz')).status).toBe(200);
    expect((await r.get('/nope')).status).toBe(404);
    r.mon.close();
    expect(r.daemon.health()).toEqual({ ok: false, reason: 'the device is not open' });
    await r.daemon.done;
  });
});

describe('daemon: metrics address', () => {
  it.each([
    ['127.0.0.1:9737', { host: '127.0.0.1', port: 9737 }],
    [':9737', { host: '', port: 9737 }],
    ['[::1]:9737', { host: '::1', port: 9737 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('%s', (text, want) => expect(parseListenAddress(text)).toEqual(want));

  it.each(['9737', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:9737', 'a b:1'])('%s is refused', (text) => {
    expect(() => parseListenAddress(text)).toThrow(/^invalid metrics address .* \(HOST:PORT, \[IPV6\]:PORT or :PORT/);
  });
});
