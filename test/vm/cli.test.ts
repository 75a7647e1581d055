// End-to-end: the real bin/syscallmon against the real syscallmon.ko, as
// root. Each test scopes its targets to a process it
// started held at a gate, so counts are exact whatever else runs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliOk, gated, ndjson, start } from './helpers.js';

const moduleLoaded = (): boolean => readFileSync('/proc/modules', 'utf8').split('\n').some((l) => l.startsWith('syscallmon '));

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

describe('syscallmon CLI against the real module', () => {
  it('1: --log --syscall openat --pid P; P opens a path 50 times; log --json has exactly those 50', async () => {
    await reset();
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const path = join(dir, 'opened');
    writeFileSync(path, 'x\n');
    // dash opens the file for each redirection itself: one openat per iteration, in P.
    const p = gated(`i=0\nwhile [ $i -lt 50 ]; do : < ${path}; i=$((i+1)); done`);
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
      expect(e).toMatchObject({ syscall: 'openat', nr: 257, pid: p.pid, action: 'allowed', errno: null, path_truncated: false });
      expect(e.args).toHaveLength(6);
      expect(typeof e.ts_ns).toBe('string');
      expect(new Date(e.time as string).getTime()).toBe(Number(BigInt(e.ts_ns as string) / 1_000_000n));
    }
    // scoped: nothing from other processes
    expect(events.filter((e) => e.type === 'syscall' && e.tgid !== p.pid)).toEqual([]);
    // read-only opens (flags, the third argument, is O_RDONLY)
    expect(mine.every((e) => (e.args as string[])[2] === '0x0')).toBe(true);
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
    // P exited, so it left the scope; the blocked call is in the log with its errno.
    const blocked = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.action === 'blocked');
    expect(blocked).toEqual([expect.objectContaining({ tgid: p.pid, syscall: 'openat', errno: 'EPERM', path })]);
    const table = await cliOk(['log']);
    expect(table.stdout).toMatch(new RegExp(`openat +BLOCKED EPERM +${path}`));
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
    const dir = mkdtempSync(join(tmpdir(), 'smon-cli-'));
    const path = join(dir, 'many');
    writeFileSync(path, 'x\n');
    // Far more than a pipe holds (64 KiB), so tail's writes meet the closed pipe.
    const p = gated(`i=0\nwhile [ $i -lt 2000 ]; do : < ${path}; i=$((i+1)); done`);
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

  it('4: error paths: unknown syscall 2, corrupted capacity 2, non-root 4, not loaded 3', async () => {
    const unknown = await cli(['--log', '--syscall', 'opnat']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("syscallmon: unknown syscall 'opnat'; did you mean openat?\n");

    for (const bad of ['1000', 'abc']) {
      const r = await cli(['load', '--capacity', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--capacity must be a power of two/);
    }

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
    const loaded = await cliOk(['load', '--capacity', '64']);
    expect(loaded.stdout).toMatch(/capacity 64 records/);
    expect(JSON.parse((await cliOk(['status', '--json'])).stdout).capacity).toBe(64);
  });
});
