// The CLI's rules against the real module, as root, through bin/syscallmon:
// `run` (against strace -f, and its rule gone with it when it is
// SIGKILLed), `rule add` with each selector (uid, comm, exe with a #!
// script, cgroup), rules in order with exact counters, kill, audit then
// enforce, @stat, and `protect` through every path and against a path
// swapped mid-call.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RuleInfo } from '../../src/lib/rules.js';
import { cli, cliOk, freshModuleForEachTest, ndjson, ROOT, start } from './helpers.js';

const WORKLOAD = join(ROOT, 'build/test/kmod/workload');
let dir: string;

freshModuleForEachTest({
  afterLoad: () => {
    dir = mkdtempSync(join(tmpdir(), 'smon-run-'));
  },
  // Once the module is gone: a protect rule would refuse the removal of its file.
  afterUnload: () => rmSync(dir, { recursive: true, force: true }),
});

/** Runs a program to its end. */
function sh(file: string, args: string[], opts: { cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: 'utf8', cwd: opts.cwd });
}

async function rules(): Promise<RuleInfo[]> {
  return (JSON.parse((await cliOk(['rule', 'list', '--json'])).stdout) as { rules: RuleInfo[] }).rules;
}

async function ruleNamed(name: string): Promise<RuleInfo> {
  const r = (await rules()).find((x) => x.name === name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
}

const counters = (r: RuleInfo) => ({ matched: r.matched, logged: r.logged, blocked: r.blocked, killed: r.killed, would_act: r.would_act });

/** The syscall records of the ring, as `log --json` prints them. */
async function logged(): Promise<Record<string, unknown>[]> {
  return ndjson((await cliOk(['log', '--json'])).stdout).filter((e) => e['type'] === 'syscall');
}

/** (process by order of appearance, syscall, path): the comparison with strace -f. */
function normalised(rows: readonly { pid: number; syscall: string; path: string }[]): string[] {
  const order = new Map<number, number>();
  for (const r of rows) if (!order.has(r.pid)) order.set(r.pid, order.size);
  return [...new Set(rows.map((r) => `${order.get(r.pid)} ${r.syscall} ${r.path}`))].sort();
}

describe('syscallmon run', () => {
  it('a program whose children fork grandchildren, each opening files: the same (process, syscall, path) set as strace -f', async () => {
    // Sequential, so both number the processes in the same order; dash forks for each command.
    const script =
      'cat /etc/hostname >/dev/null; /bin/sh -c "head -c1 /etc/passwd >/dev/null; /bin/sh -c \\"cat /etc/group >/dev/null\\"; true"; ' +
      'cat /etc/os-release >/dev/null';
    const r = await cli(['run', '--json', '--syscall', 'openat,execve', '--', '/bin/sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    const ours = ndjson(r.stdout).map((e) => ({ pid: e['tgid'] as number, syscall: e['syscall'] as string, path: e['path'] as string }));
    expect(ours[0]).toEqual({ pid: ours[0]!.pid, syscall: 'execve', path: '/bin/sh' });

    const out = join(dir, 'strace.out');
    const s = sh('strace', ['-f', '-qq', '-e', 'trace=openat,execve', '-o', out, '/bin/sh', '-c', script]);
    expect(s.status, s.stderr).toBe(0);
    const theirs = readFileSync(out, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /^(\d+)\s+(openat|execve)\((?:AT_FDCWD, )?"([^"]*)"/.exec(line);
        return m ? [{ pid: Number(m[1]), syscall: m[2]!, path: m[3]! }] : [];
      });
    // the shell, its children and their children
    expect(new Set(theirs.map((t) => t.pid)).size).toBeGreaterThanOrEqual(4);
    expect(normalised(ours)).toEqual(normalised(theirs));
    expect(r.stderr).toMatch(/syscallmon: run: \/bin\/sh -c .* exited with 0; \d+ events from \d+ processes, 0 lost\n$/);
    expect(await rules()).toEqual([]);
  });

  it("--all: every syscall in one rule; CMD's exit status passed on (128+N for a signal); no event of another process", async () => {
    const r = await cli(['run', '--all', '--', '/bin/sh', '-c', 'cat /etc/hostname >/dev/null; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/ cat +openat +ALLOWED +3 .*\/etc\/hostname\n/);
    expect(r.stdout).not.toMatch(/ (node|syscallmon) /);
    const killed = await cli(['run', '--', '/bin/sh', '-c', 'kill -9 $$']);
    expect(killed.code).toBe(137);
    expect(await rules()).toEqual([]);
  });

  it("two runs that block at once: the first to end leaves the other's command blocked; SIGKILLed, a run lets go of the mode too", async () => {
    const go = join(dir, 'go');
    const late = join(dir, 'late');
    const block = ['run', '--json', '--action', 'block', '--syscall', 'mkdir,mkdirat', '--'];
    const long = start([...block, '/bin/sh', '-c', `while [ ! -e ${go} ]; do sleep 0.05; done; exec mkdir ${late}`]);
    while (!(await rules()).some((r) => r.name === `run:${long.child.pid}`)) await new Promise((res) => setTimeout(res, 50));
    const short = await cli([...block, 'mkdir', join(dir, 'early')]);
    expect(short.code, short.stderr).toBe(1);
    expect(short.stderr).not.toContain('the mode was');
    writeFileSync(go, '');
    const r = await long.done;
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(late)).toBe(false);
    expect(ndjson(r.stdout).filter((e) => e['syscall'] === 'mkdir').map((e) => [e['verdict'], e['path']])).toEqual([['blocked', late]]);
    expect(r.stderr).toContain('syscallmon: run: the mode was OFF: BLOCK while CMD ran, OFF again now\n');
    const mode = async () => JSON.parse((await cliOk(['status', '--json'])).stdout) as { mode: string; mode_set: string; mode_holders: number };
    expect(await mode()).toMatchObject({ mode: 'off', mode_set: 'off', mode_holders: 0 });

    const killed = start(['run', '--', 'sleep', '600']);
    let sleeper = 0;
    while (!sleeper) {
      sleeper = Number(sh('pgrep', ['-P', String(killed.child.pid), '-x', 'sleep']).stdout.trim());
      if (!sleeper) await new Promise((res) => setTimeout(res, 50));
    }
    expect(await mode()).toMatchObject({ mode: 'log', mode_set: 'off', mode_holders: 1 });
    const exited = new Promise((res) => killed.child.once('exit', res));
    killed.child.kill('SIGKILL');
    await exited;
    expect(await mode()).toMatchObject({ mode: 'off', mode_holders: 0 });
    process.kill(sleeper, 'SIGKILL');
    await killed.done;
  });

  it('SIGKILLed, run leaves no rule (the module drops what its open file owned); CMD goes on', async () => {
    const run = start(['run', '--', 'sleep', '600']);
    let held: RuleInfo | undefined;
    while (!held) {
      held = (await rules()).find((r) => r.name === `run:${run.child.pid}`);
      if (!held) await new Promise((res) => setTimeout(res, 50));
    }
    expect(held.rule_class).toBe('file');
    expect(held.scope).toBe('tree');
    let sleeper = 0;
    while (!sleeper) {
      sleeper = Number(sh('pgrep', ['-P', String(run.child.pid), '-x', 'sleep']).stdout.trim());
      if (!sleeper) await new Promise((res) => setTimeout(res, 50));
    }
    // CMD holds run's stderr: run's pipes close only when CMD ends, so its exit is what is waited for.
    const exited = new Promise<NodeJS.Signals | null>((res) => run.child.once('exit', (_code, signal) => res(signal)));
    run.child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await rules()).toEqual([]);
    expect(existsSync(`/proc/${sleeper}`)).toBe(true);
    process.kill(sleeper, 'SIGKILL');
    await run.done;
  });
});

describe('rule add, selectors', () => {
  beforeEach(async () => {
    await cliOk(['--block']);
  });

  const blockHostname = (name: string, ...selectors: string[]) =>
    cliOk(['rule', 'add', '--name', name, '--syscall', 'openat', '--path', '/etc/hostname', '--action', 'block', ...selectors]);

  it('uid: only the process whose real uid is 1000 is blocked', async () => {
    await blockHostname('uid1000', '--uid', '1000');
    const as1000 = sh('setpriv', ['--reuid', '1000', '--regid', '1000', '--clear-groups', 'cat', '/etc/hostname']);
    expect(as1000.status).toBe(1);
    expect(as1000.stderr).toMatch(/Operation not permitted/);
    expect(sh('cat', ['/etc/hostname']).status).toBe(0);
    expect(sh('setpriv', ['--reuid', '1001', '--regid', '1001', '--clear-groups', 'cat', '/etc/hostname']).status).toBe(0);
    expect(counters(await ruleNamed('uid1000'))).toEqual({ matched: 1, logged: 1, blocked: 1, killed: 0, would_act: 0 });
  });

  it('comm: only processes of that name; a prefix with NAME*', async () => {
    await blockHostname('head', '--comm', 'head');
    await blockHostname('ta-prefix', '--comm', 'ta*');
    expect(sh('head', ['/etc/hostname']).status).toBe(1);
    expect(sh('tac', ['/etc/hostname']).status).toBe(1);
    expect(sh('cat', ['/etc/hostname']).status).toBe(0);
    expect((await ruleNamed('head')).blocked).toBe(1);
    expect((await ruleNamed('ta-prefix')).blocked).toBe(1);
  });

  it('exe: the program the process runs; for a #! script, its interpreter', async () => {
    const script = join(dir, 'reads-hostname');
    writeFileSync(script, '#!/bin/sh\n: < /etc/hostname\n', { mode: 0o755 });
    await blockHostname('by-script', '--exe', script);
    expect(sh(script, []).status).toBe(0);
    await blockHostname('by-interpreter', '--exe', '/bin/sh');
    const r = sh(script, []);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot open \/etc\/hostname/);
    expect(sh('cat', ['/etc/hostname']).status).toBe(0);
    expect((await ruleNamed('by-script')).matched).toBe(0);
    expect((await ruleNamed('by-interpreter')).blocked).toBe(1);
  });

  it('cgroup: a process moved into a new cgroup v2 group, and one in its child group; no other', async () => {
    if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      expect(sh('mount', ['-t', 'cgroup2', 'none', '/sys/fs/cgroup']).status).toBe(0);
    }
    const group = '/sys/fs/cgroup/smon-run-test';
    mkdirSync(`${group}/inner`, { recursive: true });
    try {
      await blockHostname('in-group', '--cgroup', '/smon-run-test');
      const inGroup = (g: string) => sh('/bin/sh', ['-c', `echo $$ > ${g}/cgroup.procs && exec cat /etc/hostname`]);
      expect(inGroup(group).status).toBe(1);
      expect(inGroup(`${group}/inner`).status).toBe(1);
      expect(sh('cat', ['/etc/hostname']).status).toBe(0);
      expect((await ruleNamed('in-group')).blocked).toBe(2);
    } finally {
      spawnSync('rmdir', [`${group}/inner`, group]);
    }
  });

  it('rules in order: allow for comm dpkg, then block for everyone; exact counters; records name their rule', async () => {
    const file = join(dir, 'status');
    writeFileSync(file, 'x\n');
    const dpkg = join(dir, 'dpkg');
    copyFileSync('/usr/bin/cat', dpkg);
    spawnSync('chmod', ['755', dpkg]);
    await cliOk(['rule', 'add', '--name', 'allow-dpkg', '--syscall', 'openat', '--path', file, '--comm', 'dpkg', '--action', 'allow']);
    await cliOk(['rule', 'add', '--name', 'block-all', '--syscall', 'openat', '--path', file, '--action', 'block']);
    expect(sh(dpkg, [file]).status).toBe(0);
    expect(sh('cat', [file]).status).toBe(1);
    expect(sh('head', [file]).status).toBe(1);
    const allow = await ruleNamed('allow-dpkg');
    const block = await ruleNamed('block-all');
    expect(counters(allow)).toEqual({ matched: 1, logged: 0, blocked: 0, killed: 0, would_act: 0 });
    expect(counters(block)).toEqual({ matched: 2, logged: 2, blocked: 2, killed: 0, would_act: 0 });
    const records = (await logged()).filter((e) => e['path'] === file);
    expect(records.map((e) => [e['comm'], e['verdict'], e['rule']])).toEqual([
      ['cat', 'blocked', block.id],
      ['head', 'blocked', block.id],
    ]);
  });

  it('kill: a multi-threaded process dies of SIGKILL before the call runs (its create leaves no file)', async () => {
    const file = join(dir, 'created');
    await cliOk(['rule', 'add', '--name', 'kill-create', '--syscall', '@open', '--path', file, '--action', 'kill']);
    const r = sh(WORKLOAD, ['threads-create', file]);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
    expect(counters(await ruleNamed('kill-create'))).toEqual({ matched: 1, logged: 1, blocked: 0, killed: 1, would_act: 0 });
    expect((await logged()).filter((e) => e['path'] === file).map((e) => e['verdict'])).toEqual(['killed']);
  });

  it('audit logs would_block and the call runs; the same rule enforced (mode BLOCK) blocks the next call', async () => {
    const made = join(dir, 'made');
    const add = (...extra: string[]) => cliOk(['rule', 'add', '--name', 'no-mkdir', '--syscall', 'mkdir,mkdirat', '--path', made, '--action', 'block', ...extra]);
    expect((await add('--audit')).stdout).toMatch(/no-mkdir: block with EPERM \(audit\); mkdir, mkdirat; path .* \(added\)\n$/);
    expect(sh('mkdir', [made]).status).toBe(0);
    rmSync(made, { recursive: true });
    expect((await add()).stdout).toMatch(/\(replaced\)\n$/);
    const r = sh('mkdir', [made]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(existsSync(made)).toBe(false);
    expect(counters(await ruleNamed('no-mkdir'))).toEqual({ matched: 2, logged: 2, blocked: 1, killed: 0, would_act: 1 });
    expect((await logged()).filter((e) => e['path'] === made).map((e) => e['verdict'])).toEqual(['would_block', 'blocked']);
  });

  it("@stat blocks glibc's stat()", async () => {
    await cliOk(['rule', 'add', '--name', 'no-stat', '--syscall', '@stat', '--path', '/etc/hostname', '--action', 'block']);
    const r = sh('stat', ['/etc/hostname']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(sh('stat', ['/etc/passwd']).status).toBe(0);
    expect((await ruleNamed('no-stat')).blocked).toBeGreaterThanOrEqual(1);
  });
});

describe('syscallmon protect', () => {
  beforeEach(async () => {
    await cliOk(['--block']);
  });

  it('every path to the file meets the block: direct, symlink, hard link, /proc/self/root, relative; a path swapped mid-call never opens it', async () => {
    const secret = join(dir, 'secret');
    const ok = join(dir, 'ok');
    writeFileSync(secret, 'secret\n');
    writeFileSync(ok, 'ok\n');
    symlinkSync(secret, join(dir, 'symlink'));
    linkSync(secret, join(dir, 'hardlink'));
    mkdirSync(join(dir, 'sub'));
    const p = await cliOk(['protect', secret]);
    expect(p.stdout).toContain(`protect:${secret}: block with EPERM; open, exec, unlink, rename, link, truncate of ${secret}; every process (added)`);
    for (const path of [secret, join(dir, 'symlink'), join(dir, 'hardlink'), `/proc/self/root${secret}`]) {
      const r = sh('cat', [path]);
      expect(r.status, path).toBe(1);
      expect(r.stderr).toMatch(/Operation not permitted/);
    }
    expect(sh('cat', ['../secret'], { cwd: join(dir, 'sub') }).status).toBe(1);
    expect(sh('cat', [ok]).stdout).toBe('ok\n');
    expect(sh('rm', ['-f', secret]).status).toBe(1);
    expect(existsSync(secret)).toBe(true);

    const seconds = process.env['SYSCALLMON_TOCTOU_SECONDS'] ?? '3';
    const race = sh(WORKLOAD, ['flip', ok, secret, seconds]);
    expect(race.status, race.stdout + race.stderr).toBe(0);
    expect(race.stdout).toMatch(/^ok [1-9]\d* secret 0 refused [1-9]\d* other \d+\n$/);
  });

  it('--allow lets the named program through; unprotect removes every rule it made', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'secret\n');
    await cliOk(['protect', secret, '--allow', 'exe=/usr/bin/head']);
    expect(sh('head', [secret]).stdout).toBe('secret\n');
    expect(sh('cat', [secret]).status).toBe(1);
    const names = (await rules()).map((r) => [r.name, r.action]);
    expect(names).toEqual([[`protect:${secret}:allow:1`, 'allow'], [`protect:${secret}`, 'block']]);
    await cliOk(['unprotect', secret]);
    expect(await rules()).toEqual([]);
    expect(sh('cat', [secret]).stdout).toBe('secret\n');
  });
});
