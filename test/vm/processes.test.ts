// End-to-end for the commands about processes: ps, exit events,
// intercept/monitor/release, and the FSM, through the real bin/syscallmon
// against the real module, as root in the VM. Processes under test are
// started held at a gate and targets are scoped to them, so what is counted
// is exactly what they did. Few CLI runs: node starts slowly under TCG.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedInRead, cli, cliOk, gated, moduleLoaded, ndjson, start, type CliResult } from './helpers.js';

beforeAll(async () => {
  if (moduleLoaded()) await cliOk(['unload']);
  await cliOk(['load']);
});

afterAll(async () => {
  await cli(['--off', '--exits', 'off']);
  await cliOk(['unload']);
  expect(moduleLoaded()).toBe(false);
});

/** /proc/<pid>/status as key → value. */
function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** A child that outlives its exit status: for a pid that surely doesn't exist any more. */
async function deadPid(): Promise<number> {
  const c = spawn('/bin/true');
  await new Promise((r) => c.once('close', r));
  if (c.pid === undefined) throw new Error('could not start /bin/true');
  expect(existsSync(`/proc/${c.pid}`)).toBe(false);
  return c.pid;
}

function expectCode(r: CliResult, code: number, stderr: RegExp): void {
  if (r.code !== code || !stderr.test(r.stderr)) {
    throw new Error(`expected exit ${code} and stderr ${stderr}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

describe('processes: the task lister, exit events, per-pid interception and the FSM, against the real module', () => {
  it('1: ps --json shows a live child with its ppid, threads and uid; --detail its thread ids; --stats adds up', async () => {
    // Four threads, as nobody, started by this test process; it says when its threads run.
    const script = 'import threading,time,sys\n' +
      'for _ in range(3): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n' +
      'print("ready", flush=True)\ntime.sleep(600)\n';
    const child = spawn('python3', ['-c', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      });
      const pid = child.pid!;
      const [list, detail, stats] = await Promise.all([
        cliOk(['ps', '--json']),
        cliOk(['ps', '--detail', '--json', '--sort', 'threads']),
        cliOk(['ps', '--stats', '--json']),
      ]);
      const status = procStatus(pid);
      const rows = ndjson(list.stdout);
      expect(rows.map((r) => r.pid)).toEqual([...rows.map((r) => r.pid as number)].sort((a, b) => a - b));
      const row = rows.find((r) => r.pid === pid);
      expect(row).toMatchObject({ pid, ppid: process.pid, comm: 'python3', threads: 4, uid: 65534, gid: 65534 });
      expect(String(row?.ppid)).toBe(status['PPid']);
      expect(String(row?.threads)).toBe(status['Threads']);
      expect(status['Uid']?.split(/\s+/)[0]).toBe('65534');
      const rssKb = Number(status['VmRSS']?.replace(/ kB$/, ''));
      expect(Math.abs((row?.rss_kb as number) - rssKb)).toBeLessThanOrEqual(Math.max(256, rssKb * 0.1));
      expect(rows.find((r) => r.pid === process.pid)).toMatchObject({ comm: expect.stringMatching(/node|vitest/) });

      const d = ndjson(detail.stdout);
      const mine = d.find((r) => r.pid === pid);
      const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
      expect([...(mine?.tids as number[])].sort((a, b) => a - b)).toEqual(tids);
      expect(mine).toMatchObject({ ppid: process.pid, threads: 4, uid: 65534, state: 'S', state_name: 'sleeping' });
      expect(typeof mine?.start_time_ns).toBe('string');
      // --sort threads: biggest first
      const counts = d.map((r) => r.threads as number);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));

      const s = ndjson(stats.stdout);
      expect(s).toHaveLength(1);
      const total = s[0]?.total_tasks as number;
      const states = s[0]?.states as Record<string, number>;
      expect(Object.values(states).reduce((a, b) => a + b, 0)).toBe(total);
      expect(total).toBeGreaterThan(0);
      expect(s[0]?.total_threads as number).toBeGreaterThanOrEqual(total);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('2: --exits on + tail --json: exit(7) gives exit_code 7 with its pid; SIGTERM gives signal 15', async () => {
    const on = await cliOk(['--exits', 'on']);
    expect(on.stdout).toMatch(/^exit events ON \(was OFF\)/);
    const tail = start(['tail', '--json']);
    await tail.waitFor('stderr', /^syscallmon: following \/dev\/syscallmon; Ctrl-C to stop$/m);
    const seven = spawn('/bin/sh', ['-c', 'exit 7']);
    const sevenDone = new Promise((r) => seven.once('close', r));
    const killed = spawn('/bin/sleep', ['600']);
    await sevenDone;
    killed.kill('SIGTERM');
    await new Promise((r) => killed.once('close', r));
    await tail.waitFor('stdout', new RegExp(`"type":"exit"[^\\n]*"pid":${killed.pid},`));
    await tail.waitFor('stdout', new RegExp(`"type":"exit"[^\\n]*"pid":${seven.pid},`));
    tail.child.kill('SIGINT');
    const r = await tail.done;
    expect(r.code).toBe(0);
    const exits = ndjson(r.stdout).filter((e) => e.type === 'exit');
    expect(exits.filter((e) => e.pid === seven.pid)).toEqual([
      expect.objectContaining({ pid: seven.pid, tgid: seven.pid, ppid: process.pid, comm: 'sh', exit_code: 7, signal: 0 }),
    ]);
    expect(exits.filter((e) => e.pid === killed.pid)).toEqual([
      expect.objectContaining({ pid: killed.pid, comm: 'sleep', exit_code: 0, signal: 15 }),
    ]);
    for (const e of exits) {
      expect(e.utime_ns).toMatch(/^\d+$/);
      expect(e.stime_ns).toMatch(/^\d+$/);
    }
    expect((await cliOk(['--exits', 'off'])).stdout).toBe('exit events OFF (was ON)\n');
  });

  it('3: intercept / monitor start|stop / release: EINVAL, EBUSY, ESRCH, and a monitored gated child is logged', async () => {
    expectCode(await cli(['release', 'openat']), 5, /^syscallmon: cannot release openat: EINVAL \(openat is not intercepted\)\n$/);
    const first = await cliOk(['intercept', 'openat']);
    expect(first.stdout).toContain('openat (257): intercepted; its probe is armed and no pid is monitored yet');
    expect(first.stdout).toContain('mode LOG (was OFF): probes are armed only while the mode is not OFF');
    expectCode(await cli(['intercept', 'openat']), 5, /^syscallmon: cannot intercept openat: EBUSY \(already intercepted/);
    const gone = await deadPid();
    expectCode(
      await cli(['monitor', 'start', '--syscall', 'openat', '--pid', String(gone)]),
      5,
      new RegExp(`^syscallmon: cannot start monitoring pid ${gone} for openat: ESRCH \\(no such process ${gone}\\)\\n$`),
    );
    expectCode(await cli(['monitor', 'start', '--syscall', 'unlink', '--pid', String(process.pid)]), 5, /EINVAL \(unlink is not intercepted/);

    const dir = mkdtempSync(join(tmpdir(), 'smon-i4-'));
    const path = join(dir, 'watched');
    writeFileSync(path, 'x\n');
    // three opens by P itself (dash opens for each redirection)
    const p = gated(`: < ${path}; : < ${path}; : < ${path}`);
    const started = await cliOk(['monitor', 'start', '--syscall', 'openat', '--pid', String(p.pid), '--json']);
    expect(JSON.parse(started.stdout)).toEqual({ action: 'start', syscall: 'openat', nr: 257, pid: p.pid, changed: true, pids: [p.pid] });
    p.release();
    expect((await p.done).code).toBe(0);
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.type === 'syscall');
    // the intercept matched nothing before P, and nothing but P
    expect(events.filter((e) => e.tgid !== p.pid)).toEqual([]);
    expect(events.filter((e) => e.path === path)).toHaveLength(3);
    // P exited, so it left the scope by itself; stopping it now changes nothing
    const stop = await cliOk(['monitor', 'stop', '--syscall', 'openat', '--pid', String(p.pid)]);
    expect(stop.stdout).toBe(`openat (257): pid ${p.pid} was not monitored; nothing to stop (no pid monitored now)\n`);
    const released = await cliOk(['release', 'openat']);
    expect(released.stdout).toBe('openat (257): released; its probe is disarmed (was: log, no pid)\n');
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status.targets).toEqual([]);
    expect(status.probes_armed).toBe(0);
    await cliOk(['--off']);
  });

  it('4: FSM open → read → write on one gated process: exactly those three transitions and one cycle, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-i4-'));
    const file = join(dir, 'fsm.json');
    writeFileSync(file, '{\n  "states": ["open", "read", "write"]\n}\n');
    // builtins only, so every call is P's own: open + read of /etc/hostname, open + write of the output
    const p = gated(`read l < /etc/hostname; echo test > ${join(dir, 'x')}`);
    // P must be parked in the gate's read before anything is armed: its start-up opens and reads must not count.
    await blockedInRead(p.pid);
    const fsm = start(['fsm', file, '--pid', String(p.pid), '--json']);
    await fsm.waitFor('stderr', /^syscallmon: fsm: watching pid \d+, waiting for state 1\/3 open; Ctrl-C to stop$/m);
    expect(fsm.stderr()).toContain('syscallmon: fsm: open → read → write (loops back); open = open, openat, openat2, creat');
    p.release();
    expect((await p.done).code).toBe(0);
    expect(readFileSync(join(dir, 'x'), 'utf8')).toBe('test\n');
    await fsm.waitFor('stdout', /"type":"cycle"/);
    fsm.child.kill('SIGTERM');
    const r = await fsm.done;
    expect(r.code).toBe(0);
    const out = ndjson(r.stdout);
    expect(out.map((o) => (o.type === 'transition' ? `${o.from}→${o.to}` : o.type))).toEqual([
      'open→read', 'read→write', 'write→open', 'cycle', 'summary',
    ]);
    expect(out[0]).toMatchObject({ syscall: 'openat', path: '/etc/hostname', tgid: p.pid, cycle: 1 });
    expect(out[1]).toMatchObject({ syscall: 'read', tgid: p.pid, cycle: 1 });
    expect(out[2]).toMatchObject({ syscall: 'write', tgid: p.pid, cycle: 1 });
    expect(out[3]).toMatchObject({ type: 'cycle', cycle: 1 });
    expect(BigInt(out[3]?.duration_ns as string)).toBe(BigInt(out[2]?.ts_ns as string) - BigInt(out[0]?.ts_ns as string));
    expect(out[4]).toMatchObject({ type: 'summary', reason: 'SIGTERM', cycles: 1, transitions: 3, state: 'open', lost: 0 });
    expect(r.stderr).toMatch(/^syscallmon: fsm stopped \(SIGTERM\) after [\d.]+ s: 1 cycle completed, 3 transitions, /m);
    expect(r.stderr).toMatch(/^syscallmon: time per cycle: mean /m);
    // it took back what it armed, and the mode it turned on
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status.targets).toEqual([]);
    expect(status.mode).toBe('off');
  });
});
