// End-to-end, the CLI's complete calls read like strace: --format strace
// against strace itself, --failed, --slower-than and --summary on calls
// whose outcome is known, and paths without holes (a program's literals on
// pages not yet present, touch's utimensat of no path). The real
// bin/syscallmon against the real syscallmon.ko, as root.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blockedInRead, cli, cliOk, gated, moduleLoaded, ndjson, ROOT, start } from './helpers.js';

// A ring that holds every process's calls for the second a test arms them all.
beforeEach(async () => {
  if (moduleLoaded()) await cliOk(['unload']);
  await cliOk(['load', '--ring-size', '16M']);
});

beforeAll(() => {
  expect(moduleLoaded()).toBe(false);
});

afterAll(async () => {
  await cli(['--off']);
  await cliOk(['unload']);
});

/** Runs a program to its end; its stdout and stderr are pipes, its stdin /dev/null. */
function run(argv: string[]): { pid: number; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.resume();
  const done = new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
  return { pid: child.pid!, done };
}

/**
 * What the comparison with strace looks at in a line: the syscall, the path
 * it names, openat's flags (and mode), the result.  The rest differs
 * between runs (addresses) or between the tools (strace prints buffers, we
 * print fds' targets).
 */
function essence(line: string): string {
  const call = /^(\w+)\((.*)$/.exec(line);
  const result = / += (-?\d+)(?: (E[A-Z0-9]+) \([^)]*\))?(?: \(INJECTED\))?(?: <\d+\.\d{6}>)?$/.exec(line);
  if (!call || !result) throw new Error(`not a call line: ${line}`);
  const [, name, rest] = call as unknown as [string, string, string];
  let what = '';
  if (name === 'openat') {
    const m = /^AT_FDCWD, ("(?:[^"\\]|\\.)*"), ([^)]*)\)/.exec(rest);
    if (!m) throw new Error(`openat without a path: ${line}`);
    what = ` ${m[1]} ${m[2]}`;
  } else if (name === 'unlink') {
    what = ` ${/^("(?:[^"\\]|\\.)*")\)/.exec(rest)?.[1]}`;
  }
  return `${name}${what} = ${result[1]}${result[2] ? ` ${result[2]}` : ''}`;
}

describe('--format strace against strace', () => {
  it('a scripted program: every line matches strace -e trace=openat,read,write,close,unlink on name, path, flags and result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-strace-'));
    const x = join(dir, 'x');
    // dash alone until the exec: opens, a byte-by-byte read, a write, an open that fails, its message, then
    // unlink loaded by the dynamic linker (its opens, reads and closes) and unlinking the file.
    const script = `read -r l < /etc/hostname; echo "$l" > ${x}; true < /nonexistent; exec unlink ${x}`;
    const traced = join(dir, 'strace.out');
    const calls = 'openat,read,write,close,unlink';
    const st = run(['strace', '-f', '-o', traced, '-e', `trace=${calls}`, '/bin/sh', '-c', script]);
    expect((await st.done).code).toBe(0);
    const expected = readFileSync(traced, 'utf8')
      .split('\n')
      .map((l) => l.replace(/^\d+ +/, ''))
      .filter((l) => /^\w+\(/.test(l))
      .map(essence);
    expect(expected.length).toBeGreaterThan(15);
    expect(expected).toContain('openat "/nonexistent" O_RDONLY = -1 ENOENT');
    expect(expected).toContain(`unlink "${x}" = 0`);

    // The same, seen by syscallmon; execve too, to leave out what the child did before it became sh.
    await cliOk(['--log', '--syscall', `${calls},execve`]);
    const p = run(['/bin/sh', '-c', script]);
    expect((await p.done).code).toBe(0);
    await cliOk(['--off']);
    const log = await cliOk(['log', '--format', 'strace']);
    const prefix = `[pid ${String(p.pid).padStart(5)}] `;
    const mine = log.stdout.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
    const exec = mine.findIndex((l) => l.startsWith('execve('));
    expect(exec, log.stdout).toBeGreaterThanOrEqual(0);
    expect(log.stdout).not.toMatch(/events? lost/);
    const seen = mine.slice(exec + 1).filter((l) => !l.startsWith('execve('));
    expect(seen.map(essence)).toEqual(expected);
    // and read as strace -T -y reads: durations, and fds with what they are
    expect(seen.find((l) => l.startsWith('unlink('))).toMatch(new RegExp(`^unlink\\("${escape(x)}"\\) += 0 <\\d+\\.\\d{6}>$`));
    expect(seen.find((l) => l.startsWith('openat(AT_FDCWD, "/etc/hostname"'))).toMatch(/^openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) += 3 <\d+\.\d{6}>$/);
    expect(seen.filter((l) => l.startsWith('read(0</etc/hostname>, 0x'))).not.toHaveLength(0);
  });
});

/**
 * A shell scoped by pid: a gate, an open that fails, a line on stderr, then
 * a read that waits for the test (at least 300 ms), then an open that works.
 */
async function outcomes() {
  const dir = mkdtempSync(join(tmpdir(), 'smon-outcome-'));
  const there = join(dir, 'there');
  writeFileSync(there, 'x\n');
  const sh = spawn('/bin/sh', ['-c', `read -r g; true < ${join(dir, 'missing')}; echo ready >&2; read -r l; true < ${there}`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const pid = sh.pid!;
  const ready = new Promise((r) => sh.stderr.once('data', r));
  const done = new Promise((r) => sh.once('close', r));
  await blockedInRead(pid);
  return {
    pid,
    missing: join(dir, 'missing'),
    there,
    async play(): Promise<void> {
      sh.stdin.write('g\n');
      await ready;
      await blockedInRead(pid);
      await new Promise((r) => setTimeout(r, 300));
      sh.stdin.end('l\n');
      await done;
    },
  };
}

describe('--failed, --slower-than, --summary', () => {
  it('show only the calls that meet them, and do show the failing and the slow ones; the summary counts the events', async () => {
    const sh = await outcomes();
    await cliOk(['--log', '--syscall', 'openat,read,write', '--pid', String(sh.pid)]);
    // tail --failed, live: the first failure, and nothing before it
    const tail = start(['tail', '--format', 'strace', '--failed', '--count', '1']);
    await tail.waitFor('stderr', /Ctrl-C to stop/);
    await sh.play();
    const tailed = await tail.done;
    expect(tailed.code).toBe(0);
    const failedLine = `openat(AT_FDCWD, "${sh.missing}", O_RDONLY) = -1 ENOENT (No such file or directory)`;
    expect(tailed.stdout).toMatch(new RegExp(`^${escape(failedLine)} <\\d+\\.\\d{6}>\\n$`));

    const all = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.type === 'syscall');
    expect(all.every((e) => e.tgid === sh.pid)).toBe(true);
    const failed = ndjson((await cliOk(['log', '--json', '--failed'])).stdout);
    expect(failed).toEqual(all.filter((e) => e.errno !== null));
    expect(failed).toEqual([expect.objectContaining({ syscall: 'openat', path: sh.missing, ret: -2, errno: 'ENOENT' })]);
    expect((await cliOk(['log', '--format', 'strace', '--failed'])).stdout).toMatch(new RegExp(`^${escape(failedLine)} <\\d+\\.\\d{6}>\\n$`));

    const slow = ndjson((await cliOk(['log', '--json', '--slower-than', '250ms'])).stdout);
    expect(slow).toEqual(all.filter((e) => BigInt(e.duration_ns as string) > 250_000_000n));
    // the read that waited for the test: one byte, 300 ms or more
    expect(slow).toEqual([expect.objectContaining({ syscall: 'read', ret: 1 })]);
    expect(BigInt(slow[0]!.duration_ns as string)).toBeGreaterThanOrEqual(300_000_000n);
    expect(ndjson((await cliOk(['log', '--json', '--slower-than', '250ms', '--failed'])).stdout)).toEqual([]);

    const summary = JSON.parse((await cliOk(['log', '--summary', '--json'])).stdout) as {
      rows: { syscall: string; calls: number; errors: number; total_ns: string; max_ns: string }[];
      total: { calls: number; errors: number };
    };
    expect(summary.rows.map((r) => r.syscall).sort()).toEqual([...new Set(all.map((e) => e.syscall as string))].sort());
    for (const row of summary.rows) {
      const mine = all.filter((e) => e.syscall === row.syscall);
      expect(row.calls, row.syscall).toBe(mine.length);
      expect(row.errors, row.syscall).toBe(mine.filter((e) => e.errno !== null).length);
      expect(BigInt(row.total_ns), row.syscall).toBe(mine.reduce((t, e) => t + BigInt(e.duration_ns as string), 0n));
    }
    expect(summary.total).toMatchObject({ calls: all.length, errors: 1 });
    const table = (await cliOk(['log', '--summary'])).stdout;
    expect(table).toMatch(new RegExp(`^ *\\d+\\.\\d\\d +\\d+\\.\\d{6} +\\d+ +\\d+\\.\\d{6} +${summary.rows.find((r) => r.syscall === 'openat')!.calls} +1 openat$`, 'm'));
    expect(table).toMatch(new RegExp(`^100\\.00 .* ${all.length} +1 total$`, 'm'));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('paths without holes', () => {
  it('a program opening 300 string literals, each on a page not present: 300 paths, none unreadable', async () => {
    const p = gated(`exec ${join(ROOT, 'build/test/kmod/open_literals')}`);
    await blockedInRead(p.pid);
    await cliOk(['--log', '--syscall', 'openat', '--pid', String(p.pid)]);
    p.release();
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('300\n');
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.type === 'syscall' && e.tgid === p.pid);
    expect(events.filter((e) => e.path_unreadable)).toEqual([]);
    const literals = events.map((e) => e.path as string).filter((path) => path?.startsWith('/nonexistent/literal-'));
    expect(literals).toEqual(Array.from({ length: 300 }, (_, i) => `/nonexistent/literal-${String(i).padStart(3, '0')}`));
  });

  it("touch: utimensat of no path shows none (not unreadable), and the fd's file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-touch-'));
    const file = join(dir, 'f');
    const p = gated(`exec touch ${file}`);
    await blockedInRead(p.pid);
    await cliOk(['--log', '--syscall', 'utimensat', '--pid', String(p.pid)]);
    p.release();
    expect((await p.done).code).toBe(0);
    const events = ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e.type === 'syscall');
    expect(events).toEqual([
      expect.objectContaining({ syscall: 'utimensat', tgid: p.pid, path: null, path_unreadable: false, target: file, ret: 0, errno: null }),
    ]);
    expect((await cliOk(['log'])).stdout).not.toContain('unreadable');
    expect((await cliOk(['log', '--format', 'strace'])).stdout).toMatch(
      new RegExp(`^utimensat\\(0<${escape(file)}>, NULL, NULL, 0\\) += 0 <\\d+\\.\\d{6}>$`, 'm'),
    );
  });
});
