// End-to-end: the real bin/syscallmon against the real syscallmon.ko, as
// root. Each test scopes its targets to a process it
// started held at a gate, so counts are exact whatever else runs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { blockedInRead, cli, cliOk, gated, moduleLoaded, ndjson, start, type Gated } from './helpers.js';

beforeAll(async () => {
  if (moduleLoaded()) await cliOk(['unload']);
  await cliOk(['load']);
  expect(existsSync('/dev/syscallmon')).toBe(true);
});

afterAll(async () => {
  await cli(['--off']);
  await cliOk(['unload']);
  expect(moduleLoaded()).toBe(false);
});

/** Fresh state for a test: no targets, empty ring, zero counters (two CLI runs; node starts slowly under TCG). */
async function reset(): Promise<void> {
  await cliOk(['unload']);
  await cliOk(['load']);
}

/**
 * A file, and a gated shell P that opens it `times` times. dash opens the
 * file for each redirection itself: one openat per time, in P.
 */
function gatedOpener(times: number): { path: string; p: Gated } {
  const path = join(mkdtempSync(join(tmpdir(), 'smon-cli-')), 'opened');
  writeFileSync(path, 'x\n');
  return { path, p: gated(`i=0\nwhile [ $i -lt ${times} ]; do : < ${path}; i=$((i+1)); done`) };
}

describe('syscallmon CLI against the real module', () => {
  it('1: --log --syscall openat --pid P; P opens a path 50 times; log --json has exactly those 50', async () => {
    await reset();
    const { path, p } = gatedOpener(50);
    const set = await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid)]);
    expect(set.stdout).toContain(`openat (257): log, pid ${p.pid} (added)`);
    // twice is harmless
    expect((await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid)])).stdout).toContain('(unchanged)');
    p.release();
    expect((await p.done).code).toBe(0);
    const events = ndjson((await cliOk(['log', '--json'])).stdout);
    const mine = events.filter((e) => e.type === 'syscall' && e.tgid === p.pid && e.path === path);
    expect(mine).toHaveLength(50);
    for (const e of mine) {
      expect(e).toMatchObject({
        syscall: 'openat', nr: 257, pid: p.pid, abi: 'x86_64', native_nr: 257, verdict: 'allowed', block_errno: null,
        path_truncated: false, path_unreadable: false, target: null, errno: null, call_id: null, entry: false, no_result: false,
      });
      // a complete call: the fd it returned, and how long it took
      expect(e.ret).toBeGreaterThanOrEqual(3);
      expect(e.duration_ns).toMatch(/^\d+$/);
      expect(e.args).toHaveLength(6);
      expect(typeof e.ts_ns).toBe('string');
      expect(new Date(e.time as string).getTime()).toBe(Number(BigInt(e.ts_ns as string) / 1_000_000n));
    }
    // scoped: nothing from other processes
    expect(events.filter((e) => e.type === 'syscall' && e.tgid !== p.pid)).toEqual([]);
    // read-only opens (flags, the third argument, is O_RDONLY)
    expect(mine.every((e) => (e.args as string[])[2] === '0x0')).toBe(true);
  });

  it('a NULL path argument is no path: touch\'s utimensat(fd, NULL, …) shows its fd\'s file, not <unreadable>', async () => {
    await reset();
    const file = join(mkdtempSync(join(tmpdir(), 'smon-cli-')), 'touched');
    const p = gated(`exec touch ${file}`);
    await cliOk(['--log', '--syscall', 'utimensat', '--pid', String(p.pid)]);
    p.release();
    expect((await p.done).code).toBe(0);
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.type === 'syscall' && e.tgid === p.pid);
    // touch's futimens() on the file it opened: utimensat(fd, NULL, NULL, 0)
    // the file it names is its fd's, not a path argument's
    expect(events).toEqual([
      expect.objectContaining({ syscall: 'utimensat', path: null, path_unreadable: false, target: file, ret: 0 }),
    ]);
    expect((events[0]!.args as string[])[1]).toBe('0x0');
    const rows = (await cliOk(['log'])).stdout.split('\n').filter((l) => / utimensat /.test(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(` utimensat +ALLOWED +0 +\\d+\\.\\d{6}  ${file}$`));
  });

  it('2: --block --syscall openat --pid P: open(O_CREAT) fails with EPERM, no file, status counts 1 blocked', async () => {
    await reset();
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const path = join(dir, 'must-not-exist');
    const p = gated(`: > ${path}`);
    await cliOk(['--block', '--syscall', 'openat', '--pid', String(p.pid)]);
    p.release();
    const r = await p.done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(existsSync(path)).toBe(false);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status.mode).toBe('block');
    expect(status.targets).toEqual([
      expect.objectContaining({ syscall: 'openat', action: 'block', errno: 'EPERM', pids: [], blocked: 1 }),
    ]);
    // P exited, so it left the scope; the blocked call is in the log with its errno, once, as its result.
    const blocked = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.verdict === 'blocked');
    expect(blocked).toEqual([
      expect.objectContaining({ tgid: p.pid, syscall: 'openat', block_errno: 'EPERM', ret: -1, errno: 'EPERM', duration_ns: '0', path }),
    ]);
    const table = await cliOk(['log']);
    expect(table.stdout).toMatch(new RegExp(`openat +BLOCKED EPERM +-EPERM +0\\.000000 +${path}`));
  });

  it('3: tail --json, after its ready line, receives an open that happens afterwards; Ctrl-C ends it cleanly', async () => {
    await reset();
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const path = join(dir, 'tailed');
    const p = gated(`exec /bin/cat ${path}`);
    await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid)]);
    const tail = start(['tail', '--json']);
    await tail.waitFor('stderr', /^syscallmon: following \/dev\/syscallmon; Ctrl-C to stop$/m);
    p.release();
    await p.done;
    await tail.waitFor('stdout', new RegExp(JSON.stringify(path).replace(/[/.]/g, '\\$&')));
    tail.child.kill('SIGINT');
    const r = await tail.done;
    expect(r.code).toBe(0);
    const events = ndjson(r.stdout);
    expect(events).toContainEqual(expect.objectContaining({ type: 'syscall', tgid: p.pid, comm: 'cat', syscall: 'openat', path }));
    expect(r.stderr).toMatch(/^syscallmon: tail stopped \(SIGINT\): \d+ shown, \d+ read, 0 lost in [\d.]+ s$/m);
  });

  it('tail --json whose reader goes away (| head -1) stops cleanly with exit 0', async () => {
    await reset();
    // Far more than a pipe holds (64 KiB), so tail's writes meet the closed pipe.
    const { p } = gatedOpener(2000);
    await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid)]);
    const tail = start(['tail', '--json']);
    await tail.waitFor('stderr', /following/);
    tail.child.stdout?.once('data', () => tail.child.stdout?.destroy());
    p.release();
    await p.done;
    const r = await tail.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^syscallmon: tail stopped \(EPIPE\)/m);
    expect(r.stderr).not.toMatch(/Error|at /);
  });

  it('tail filters only what is shown and arms nothing', async () => {
    await reset();
    const before = (await cliOk(['status', '--json'])).stdout;
    const tail = start(['tail', '--syscall', 'openat', '--pid', '1', '--count', '1']);
    await tail.waitFor('stderr', /following/);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status.targets).toEqual(JSON.parse(before).targets);
    expect(status.probes_armed).toBe(0);
    expect(status.readers).toBeGreaterThanOrEqual(1);
    tail.child.kill('SIGTERM');
    expect((await tail.done).code).toBe(0);
  });

  it('4: error paths: unknown syscall 2, bad ring size 2, failures only at entry 2, non-root 4, not loaded 3', async () => {
    const unknown = await cli(['--log', '--syscall', 'opnat']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("syscallmon: unknown syscall 'opnat'; did you mean openat?\n");

    for (const bad of ['1000', 'abc', '16K']) {
      const r = await cli(['load', '--ring-size', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the ring size must be a power of two from 64 KiB to 1 GiB/);
    }
    const entryFailures = await cli(['--log', '--syscall', 'read', '--record', 'entry', '--failed-only']);
    expect(entryFailures.code).toBe(2);
    expect(entryFailures.stderr).toMatch(/--failed-only needs complete records/);

    const nobody = await cli(['status'], { uid: 65534, gid: 65534 });
    expect(nobody.code).toBe(4);
    expect(nobody.stderr).toMatch(/^syscallmon: permission denied.*(EPERM|EACCES)/);
    const nobodyLoad = await cli(['unload'], { uid: 65534, gid: 65534 });
    expect(nobodyLoad.code).toBe(4);

    await cliOk(['--off']);
    await cliOk(['unload']);
    try {
      const r = await cli(['status']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/not loaded.*syscallmon load/);
      const l = await cli(['--log', '--syscall', 'openat']);
      expect(l.code).toBe(3);
    } finally {
      await cliOk(['load']);
    }
  });

  it('load/unload are harmless twice; unload refuses while a reader holds the device', async () => {
    expect((await cliOk(['load'])).stdout).toMatch(/already loaded/);
    const tail = start(['tail']);
    await tail.waitFor('stderr', /following/);
    const busy = await cli(['unload']);
    expect(busy.code).toBe(5);
    expect(busy.stderr).toMatch(/in use/);
    tail.child.kill('SIGINT');
    await tail.done;
    await cliOk(['unload']);
    expect((await cliOk(['unload'])).stdout).toMatch(/not loaded; nothing to do/);
    const loaded = await cliOk(['load', '--ring-size', '64K', '--return-slots', '100']);
    expect(loaded.stdout).toMatch(/\(ring 64 KiB, 100 return slots, clear-on-read off\)/);
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status).toMatchObject({ ring_size: 65536, return_slots: 100, calls_in_flight: 0, held_records: 0, held_bytes: 0 });
    expect((await cliOk(['status'])).stdout).toMatch(/^ring +0 records held in 0 B of 64 KiB; .*\ncalls +0 of 100 return slots in use; 0 recorded without result$/m);
  });

  it('complete calls: each event has what the call returned, its errno, how long it took, and its fd\'s target', async () => {
    await reset();
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const there = join(dir, 'there');
    const out = join(dir, 'out');
    writeFileSync(there, 'ab\n');
    // dash itself: an open that works, one that fails (for a regular builtin, which goes on), a read
    // byte by byte from the file, a write to another.
    const p = gated(`read l < ${there}; true < ${join(dir, 'missing')}; echo hello > ${out}`);
    await blockedInRead(p.pid); // its start-up is over
    await cliOk(['--log', '--syscall', 'openat,read,write', '--pid', String(p.pid)]);
    p.release();
    expect((await p.done).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('hello\n');
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.tgid === p.pid);
    const opened = events.filter((e) => e.syscall === 'openat');
    expect(opened.map((e) => [e.path, e.errno])).toEqual([[there, null], [join(dir, 'missing'), 'ENOENT'], [out, null]]);
    expect(opened[1]).toMatchObject({ ret: -2, errno: 'ENOENT', verdict: 'allowed', block_errno: null });
    // read(0) after the redirection: its target is the file, one byte per call, then 0 at the end
    const reads = events.filter((e) => e.syscall === 'read' && e.target === there);
    expect(reads.map((e) => e.ret)).toEqual([1, 1, 1]);
    const written = events.filter((e) => e.syscall === 'write' && e.target === out);
    expect(written).toEqual([expect.objectContaining({ ret: 6, errno: null, path: null })]);
    for (const e of events) expect(BigInt(e.duration_ns as string)).toBeGreaterThan(0n);
    const table = await cliOk(['log']);
    expect(table.stdout).toMatch(/^TIME +PID +TGID +UID +COMM +SYSCALL +VERDICT +RET +DURATION +PATH$/m);
    expect(table.stdout).toMatch(new RegExp(`openat +ALLOWED +-ENOENT +\\d+\\.\\d{6} +${join(dir, 'missing')}$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`write +ALLOWED +6 +\\d+\\.\\d{6} +${out}$`, 'm'));
  });

  it('a read that waits: recorded when it returns, with its whole duration; --record entry records it at once', async () => {
    await reset();
    const reader = spawn('/bin/sh', ['-c', 'read -r a; echo ready >&2; read -r b'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const pid = reader.pid!;
    const ready = new Promise((r) => reader.stderr.once('data', r));
    await blockedInRead(pid);
    await cliOk(['--log', '--syscall', 'read', '--pid', String(pid)]);
    reader.stdin.write('a\n');
    await ready;
    await blockedInRead(pid); // now in `read -r b`, entered after the target was armed
    const entered = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    const entries = await cliOk(['--log', '--syscall', 'read', '--pid', String(pid), '--record', 'entry']);
    expect(entries.stdout).toContain(`read (0): log, pid ${pid}, recorded at entry (updated)`);
    reader.stdin.end('b\n');
    await new Promise((r) => reader.once('close', r));
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.tgid === pid && e.syscall === 'read');
    // The wait: one complete read of one byte, 300 ms or more, whose entry came before the wait.
    const waited = events.filter((e) => e.ret !== null && BigInt(e.duration_ns as string) >= 300_000_000n);
    // stdin is what node gave it: a socket pair
    expect(waited).toEqual([expect.objectContaining({ ret: 1, target: expect.stringMatching(/^(pipe|socket):\[\d+\]$/), entry: false })]);
    expect(Number(BigInt(waited[0]!.ts_ns as string) / 1_000_000n)).toBeLessThanOrEqual(entered);
    // After --record entry: the reads that came next were recorded at entry, without a result.
    const last = events.at(-1)!;
    expect(last).toMatchObject({ ret: null, errno: null, duration_ns: null });
    const status = JSON.parse((await cliOk(['status', '--json'])).stdout);
    expect(status.targets).toEqual([expect.objectContaining({ syscall: 'read', record: 'entry', failed_only: false })]);
  });

  it('--failed-only keeps successful calls out of the ring, and counts them', async () => {
    await reset();
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const there = join(dir, 'there');
    writeFileSync(there, 'x\n');
    const p = gated(`true < ${there}; true < ${join(dir, 'nope')}; true < ${there}; true < ${there}`);
    await blockedInRead(p.pid); // its start-up is over
    const set = await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid), '--failed-only']);
    expect(set.stdout).toContain(`openat (257): log, pid ${p.pid}, failures only (added)`);
    p.release();
    await p.done;
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.tgid === p.pid);
    expect(events).toEqual([expect.objectContaining({ syscall: 'openat', path: join(dir, 'nope'), ret: -2, errno: 'ENOENT' })]);
    const target = JSON.parse((await cliOk(['status', '--json'])).stdout).targets[0];
    // logged counts the calls the target took at entry; failed_skipped, those of them not recorded
    expect(target).toMatchObject({ syscall: 'openat', record: 'complete', failed_only: true, logged: 4, failed_skipped: 3 });
  });
});
