// The daemon against the real module, as root: it loads the module, applies
// a policy and writes what the policy logs to a file; a file moved and
// SIGUSR1 loses nothing; SIGHUP with a broken policy keeps the running one
// and is counted; a change made by another process is a config record
// naming it; a real Prometheus scrapes it every second and agrees with the
// file; /healthz goes 503 after a loss (the daemon stopped through a storm)
// and 200 again; SIGTERM exits 0; the systemd unit's command line runs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliOk, moduleLoaded, ndjson, ROOT, start, type Running } from './helpers.js';

const METRICS = '127.0.0.1:9737';
const dir = mkdtempSync(join(tmpdir(), 'smon-daemon-'));
const work = join(dir, 'work');
mkdirSync(work);

/** Logs every mkdir under the work directory (and only there: counts are exact whatever else runs). */
const POLICY = `apiVersion: syscallmon/v1
kind: Policy
metadata:
  name: daemon-test
spec:
  mode: log
  rules:
    - name: log-mkdir
      action: log
      syscalls: [mkdir, mkdirat]
      path: { prefix: ${work}/ }
    - name: log-storm
      action: log
      syscalls: [openat]
      path: { prefix: ${work}/storm }
`;

let daemon: Running | null = null;

beforeAll(async () => {
  if (moduleLoaded()) await cliOk(['unload']);
  // The VM boots with its loopback down: the metrics and Prometheus listen on it.
  const lo = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  expect(lo.status, lo.stderr).toBe(0);
});

afterEach(async () => {
  if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
    daemon.child.kill('SIGKILL');
    await daemon.done;
  }
  daemon = null;
});

afterAll(async () => {
  if (moduleLoaded()) await cliOk(['unload']);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns a value that is not undefined, up to ms. */
async function until<T>(what: string, ms: number, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * One request on a connection of its own: a connection kept alive across
 * the daemon's SIGSTOP is closed by its server as the next request is sent
 * on it (ECONNRESET), a race of the test's, not the daemon's.
 */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

function startDaemon(policy: string, output: string, extra: string[] = []): Promise<Running> {
  const d = start(['daemon', '--policy', policy, '--output', output, '--metrics', METRICS, ...extra]);
  daemon = d;
  return d.waitFor('stderr', /writing events to /).then(() => d);
}

async function stopDaemon(d: Running): Promise<string> {
  d.child.kill('SIGTERM');
  const r = await d.done;
  expect(r.code, r.stderr).toBe(0);
  return r.stderr;
}

/** mkdir(2) of each name in the work directory, by dash's child mkdir processes. */
function mkdirs(prefix: string, n: number): void {
  const names = Array.from({ length: n }, (_, i) => `${work}/${prefix}${i}`).join(' ');
  const r = spawnSync('/bin/sh', ['-c', `for d in ${names}; do mkdir "$d"; done`]);
  expect(r.status, String(r.stderr)).toBe(0);
}

/** The file's whole lines (the daemon may be writing the next). */
const lines = (path: string): Record<string, unknown>[] => {
  const text = readFileSync(path, 'utf8');
  return ndjson(text.slice(0, text.lastIndexOf('\n') + 1));
};
const made = (ls: Record<string, unknown>[], prefix: string): Record<string, unknown>[] =>
  ls.filter((l) => l.type === 'syscall' && String(l.path).startsWith(`${work}/${prefix}`));

describe('syscallmon daemon', () => {
  it('loads the module, applies the policy and writes its events; SIGHUP with a broken policy keeps it; SIGUSR1 after a move loses nothing; SIGTERM exits 0', async () => {
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
    const out = join(dir, 'events.ndjson');
    const d = await startDaemon(policy, out, ['--ring-size', '256K']);
    expect(d.stderr()).toMatch(/daemon: loaded .*syscallmon\.ko/);
    expect(readFileSync('/sys/module/syscallmon/parameters/ring_size', 'utf8').trim()).toBe(String(256 * 1024));

    mkdirs('a', 10);
    const first = await until('10 mkdir lines', 30_000, () => (made(lines(out), 'a').length === 10 ? lines(out) : undefined));
    expect(first[0]).toMatchObject({ type: 'config', kind: 'policy' });
    for (const l of made(first, 'a')) expect(l).toMatchObject({ verdict: 'allowed', comm: 'mkdir', errno: null, ret: 0 });
    expect(new Set(made(first, 'a').map((l) => l.syscall))).toEqual(new Set([made(first, 'a')[0]!.syscall]));

    // A broken file: the running policy stays, the failure is reported and counted.
    writeFileSync(policy, POLICY.replace('action: log\n      syscalls: [mkdir', 'action: lgo\n      syscalls: [mkdir'));
    d.child.kill('SIGHUP');
    await d.waitFor('stderr', /policy reload failed, the running policy stays \(sha256 [0-9a-f]{64}\): .*policy\.yaml:\d+: .*action/);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout) as { mode: string; rules: { name: string }[] };
    expect(status.mode).toBe('log');
    expect(status.rules.map((r) => r.name)).toEqual(['log-mkdir', 'log-storm']);
    const metrics = (await get(`http://${METRICS}/metrics`)).body;
    expect(metrics).toMatch(/^syscallmon_policy_reload_failures_total 1$/m);
    expect(metrics).toMatch(/^syscallmon_policy_drift 0$/m);

    // mv, more events, SIGUSR1, more events: every one in one file or the other, once.
    mkdirs('b', 5);
    await until('5 b lines', 30_000, () => (made(lines(out), 'b').length === 5 ? true : undefined));
    const moved = `${out}.1`;
    renameSync(out, moved);
    mkdirs('c', 5);
    d.child.kill('SIGUSR1');
    await d.waitFor('stderr', /daemon: reopened /);
    mkdirs('d', 5);
    await until('5 d lines', 30_000, () => {
      try {
        return made(lines(out), 'd').length === 5 ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const stderr = await stopDaemon(d);
    expect(stderr).toMatch(/daemon stopped \(SIGTERM\): \d+ records written, 0 lost; 0 policy reloads, 1 failed/);
    const both = [...lines(moved), ...lines(out)];
    expect(both.filter((l) => l.type === 'lost')).toEqual([]);
    for (const prefix of ['a', 'b', 'c', 'd']) expect(made(both, prefix)).toHaveLength(prefix === 'a' ? 10 : 5);
    // The records the daemon read: one seq after the other, none twice, none missing.
    const seqs = both.map((l) => l.seq as number);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(made(lines(out), 'd')).toHaveLength(5);
    // --on-stop keep (the default): the policy still runs.
    const after = JSON.parse((await cliOk(['status', '--json'])).stdout) as { mode: string; rules: { name: string }[] };
    expect(after.mode).toBe('log');
    expect(after.rules.map((r) => r.name)).toEqual(['log-mkdir', 'log-storm']);
  });

  it('a change made by another process is a config record with its pid, uid and comm', async () => {
    const policy = join(dir, 'policy2.yaml');
    writeFileSync(policy, POLICY);
    const out = join(dir, 'events2.ndjson');
    const d = await startDaemon(policy, out, ['--on-stop', 'off']);
    const sh = spawn('/bin/sh', ['-c', 'read -r _; echo "mode block" > /proc/syscallmon/control'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const pid = sh.pid;
    sh.stdin.end('\n');
    await new Promise((r) => sh.once('close', r));
    const change = await until('the config record', 30_000, () =>
      lines(out).find((l) => l.type === 'config' && l.kind === 'mode' && l.pid === pid),
    );
    expect(change).toMatchObject({ tgid: pid, uid: 0, comm: 'sh', text: 'LOG -> BLOCK' });
    await stopDaemon(d);
    // --on-stop off: the mode went OFF, and that change is the file's last line.
    expect(lines(out).at(-1)).toMatchObject({ type: 'config', kind: 'mode', text: 'BLOCK -> OFF' });
    expect((JSON.parse((await cliOk(['status', '--json'])).stdout) as { mode: string }).mode).toBe('off');
  });

  it('Prometheus scraping every second agrees with the file; promtool finds nothing to say; /healthz 503 after a loss, 200 again', async () => {
    const policy = join(dir, 'policy3.yaml');
    writeFileSync(policy, POLICY);
    const out = join(dir, 'events3.ndjson');
    const d = await startDaemon(policy, out);
    const prom = startPrometheus();
    try {
      mkdirs('p', 12);
      await until('12 p lines', 30_000, () => (made(lines(out), 'p').length === 12 ? true : undefined));
      const syscall = String(made(lines(out), 'p')[0]!.syscall);
      const inFile = (): number => lines(out).filter((l) => l.type === 'syscall' && l.syscall === syscall).length;
      const query = `http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent(`sum(syscallmon_events_total{syscall="${syscall}"})`)}`;
      await until(`Prometheus to report ${syscall} as the file counts it`, 60_000, async () => {
        let res: { status: number; body: string };
        try {
          res = await get(query);
        } catch {
          return undefined; // not listening yet
        }
        if (res.status !== 200) return undefined; // 503 until its storage is ready
        const r = JSON.parse(res.body) as { data?: { result?: { value: [number, string] }[] } };
        const value = r.data?.result?.[0]?.value[1];
        return value !== undefined && Number(value) === inFile() ? true : undefined;
      });

      const scrape = await get(`http://${METRICS}/metrics`);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: scrape.body, encoding: 'utf8' });
      expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });

      expect(await get(`http://${METRICS}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
      // Stopped through a storm of more than the ring holds: the records it had not read are overwritten.
      d.child.kill('SIGSTOP');
      const storm = spawnSync(
        process.execPath,
        ['-e', `const fs = require('fs'); for (let i = 0; i < 30000; i++) fs.closeSync(fs.openSync('${work}/storm', 'w'));`],
        { encoding: 'utf8' },
      );
      expect(storm.status, storm.stderr).toBe(0);
      d.child.kill('SIGCONT');
      const sick = await until('/healthz 503', 30_000, async () => {
        const h = await get(`http://${METRICS}/healthz`);
        return h.status === 503 ? h : undefined;
      });
      expect(sick.body).toMatch(/^lost \d+ records .*s ago: the ring overwrote them before the daemon read them\n$/);
      const lost = lines(out).filter((l) => l.type === 'lost');
      expect(lost.length).toBeGreaterThan(0);
      const sickAt = Date.now();
      await until('/healthz 200 again', 30_000, async () => ((await get(`http://${METRICS}/healthz`)).status === 200 ? true : undefined));
      // The window is 10 s from the loss, which was seen shortly before the first 503.
      expect(Date.now() - sickAt).toBeGreaterThan(5_000);
      const text = (await get(`http://${METRICS}/metrics`)).body;
      const lostTotal = Number(/^syscallmon_events_lost_total\{reason="overwritten"\} (\d+)$/m.exec(text)?.[1]);
      expect(lostTotal).toBe(lost.reduce((n, l) => n + (l.count as number) - (l.config as number), 0));
    } finally {
      prom.kill('SIGTERM');
      await new Promise((r) => prom.once('close', r));
    }
    await stopDaemon(d);
  });

  it("the systemd unit's ExecStart runs the daemon", async () => {
    const unit = readFileSync(join(ROOT, 'packaging/syscallmon.service'), 'utf8');
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    expect(exec).toBeDefined();
    // Where packaging/install.sh puts things, here (the guest's root is read-only): the checkout, a policy, a log directory.
    const etc = join(dir, 'etc');
    const log = join(dir, 'log');
    mkdirSync(etc);
    mkdirSync(log);
    writeFileSync(join(etc, 'policy.yaml'), POLICY);
    const argv = exec!
      .replaceAll('/usr/local/lib/syscallmon', ROOT)
      .replaceAll('/etc/syscallmon', etc)
      .replaceAll('/var/log/syscallmon', log)
      .split(/\s+/);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    try {
      await until('the daemon to write events', 60_000, () => (/writing events to /.test(stderr) ? true : undefined));
      mkdirs('u', 3);
      await until('3 u lines', 30_000, () => (made(lines(join(log, 'events.ndjson')), 'u').length === 3 ? true : undefined));
      expect((await get(`http://${METRICS}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const r = await cli(['unload']);
    expect(r.code, r.stderr).toBe(0);
  });
});

/** Debian's Prometheus, scraping the daemon every second, its data in the test's directory. */
function startPrometheus(): ChildProcess {
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: syscallmon\n    static_configs:\n      - targets: ['${METRICS}']\n`,
  );
  const data = join(dir, 'prometheus-data');
  mkdirSync(data, { recursive: true });
  const prom = spawn(
    'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${data}`, '--web.listen-address=127.0.0.1:9090'],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  return prom;
}
