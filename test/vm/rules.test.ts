// Rules and configuration records through the library, against the real
// module, as root: rules added through Monitor decide the calls of processes
// held at a gate (exact counts whatever else runs), with their verdicts,
// counters and the rule's id in each record; a policy replaced in one step;
// a change made by another process (through /proc/syscallmon/control) seen
// as a config record naming it; a file rule's record with the file the
// kernel resolved; the CLI's status listing the rules.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigEvent, MonitorEvent, SyscallEvent } from '../../src/lib/events.js';
import { Monitor } from '../../src/lib/monitor.js';
import { cliOk, freshModuleForEachTest, gated, start } from './helpers.js';

let mon: Monitor;

freshModuleForEachTest({
  afterLoad: () => {
    mon = Monitor.open();
  },
  beforeUnload: () => mon.close(),
});

/** Everything the ring holds after this monitor's cursor, read() by read(). */
function drain(): MonitorEvent[] {
  const out: MonitorEvent[] = [];
  for (let batch = mon.readAvailable(); batch.length; batch = mon.readAvailable()) out.push(...batch);
  return out;
}

const callsOf = (events: MonitorEvent[], tgid: number): SyscallEvent[] =>
  events.filter((e): e is SyscallEvent => e.type === 'syscall' && e.tgid === tgid);

describe('rules against the real module', () => {
  it('block, audit, allow and kill rules decide a process\'s calls in order, with their verdicts and counters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-rules-'));
    // dash runs mkdir and rmdir as programs: each mkdir(2) and rmdir(2) is made by a child of P, in P's tree.
    const p = gated(`mkdir ${dir}/allowed; mkdir ${dir}/blocked; rmdir ${dir}/nothing 2>/dev/null; echo done`);
    const allow = mon.addRule({ name: 'allow-allowed', action: 'allow', syscalls: ['mkdir'], tree: [p.pid], path: `${dir}/allowed` });
    const block = mon.addRule({ name: 'no-mkdir', action: 'block', syscalls: ['mkdir', 'mkdirat'], tree: [p.pid], errno: 'EROFS', enforce: true });
    const audit = mon.addRule({ name: 'audit-rmdir', action: 'block', syscalls: ['rmdir'], tree: [p.pid] });
    mon.setMode('block');
    mon.seek('head');
    p.release();
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/mkdir: cannot create directory .*\/blocked.: Read-only file system/);
    expect(spawnSync('test', ['-d', `${dir}/allowed`]).status).toBe(0);
    const events = drain().filter((e): e is SyscallEvent => e.type === 'syscall' && e.rule !== null);
    expect(events.map((e) => [e.syscall, e.path, e.verdict, e.rule, e.ret === null ? null : Number(e.ret), e.errno])).toEqual([
      ['mkdir', `${dir}/blocked`, 'blocked', block, -30, 'EROFS'],
      ['rmdir', `${dir}/nothing`, 'would_block', audit, -2, 'ENOENT'],
    ]);
    const rules = mon.rules();
    expect(rules.map((x) => [x.id, x.name, x.matched, x.logged, x.blocked, x.would_act])).toEqual([
      [allow, 'allow-allowed', 1, 0, 0, 0],
      [block, 'no-mkdir', 1, 1, 1, 0],
      [audit, 'audit-rmdir', 1, 1, 0, 1],
    ]);
    // The tree held P and the children it forked; they have exited.
    expect(rules[0]).toMatchObject({ scope: 'tree', rule_class: 'hand', enforce: false });
    expect(mon.rulePids(block)).toEqual([]);
  });

  it('a kill rule: the call does not run and the process is killed; its record says killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-kill-'));
    const p = gated(`exec mkdir ${dir}/never`);
    const kill = mon.addRule({ name: 'kill-mkdir', action: 'kill', syscalls: ['mkdir'], pids: [p.pid], enforce: true });
    mon.setMode('block');
    mon.seek('head');
    expect(mon.rulePids('kill-mkdir')).toEqual([p.pid]);
    p.release();
    const r = await p.done;
    expect(r.signal).toBe('SIGKILL');
    expect(spawnSync('test', ['-e', `${dir}/never`]).status).not.toBe(0);
    expect(callsOf(drain(), p.pid).map((e) => [e.syscall, e.verdict, e.rule])).toEqual([['mkdir', 'killed', kill]]);
    expect(mon.rule(kill)).toMatchObject({ matched: 1, killed: 1, logged: 1 });
  });

  it('a policy replaced in one step: mode and rules; a rule kept by name keeps its id and counters', async () => {
    mon.addRule({ name: 'by-hand', action: 'log', syscalls: ['uname'] });
    mon.replacePolicy({ mode: 'log', tag: 'test:1', rules: [
      { name: 'log-getppid', action: 'log', syscalls: ['getppid'], comm: 'gpp-test' },
      { name: 'kill-audit', action: 'kill', syscalls: ['getppid'], comm: 'other' },
    ] });
    const first = mon.rules();
    expect(first.map((r) => [r.name, r.rule_class])).toEqual([['log-getppid', 'policy'], ['kill-audit', 'policy'], ['by-hand', 'hand']]);
    mon.replacePolicy({ mode: 'block', exits: true, tag: 'test:2', rules: [{ name: 'log-getppid', action: 'log', syscalls: ['getppid'], comm: 'gpp-test' }] });
    const second = mon.rules();
    expect(second.map((r) => [r.id, r.name])).toEqual([[first[0]!.id, 'log-getppid'], [first[2]!.id, 'by-hand']]);
    expect(mon.status()).toMatchObject({ mode: 'block', exits: true });
    const policies = drain().filter((e): e is ConfigEvent => e.type === 'config' && e.kind === 'policy');
    expect(policies.map((e) => [e.text, e.tgid])).toEqual([
      ['2 rules, mode LOG, exits off, test:1', process.pid],
      ['1 rules, mode BLOCK, exits on, test:2', process.pid],
    ]);
    // A policy names no processes; the module refuses a name another class holds, and nothing changes.
    expect(() => mon.replacePolicy({ mode: 'off', rules: [{ name: 'by-hand', action: 'log', syscalls: ['uname'] }] })).toThrow(
      expect.objectContaining({ kind: 'kernel', code: 'EEXIST' }),
    );
    expect(mon.status().mode).toBe('block');
  });

  it('a change made by another process is a config record naming it; a rule owned by an open file goes when it closes', async () => {
    mon.seek('head');
    const shell = spawnSync('/bin/sh', ['-c', 'echo "mode log" > /proc/syscallmon/control; echo $$'], { encoding: 'utf8' });
    expect(shell.status).toBe(0);
    const pid = Number(shell.stdout.trim());
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    const other = Monitor.open();
    other.addRule({ name: 'owned', action: 'log', syscalls: ['getppid'] }, { owned: true });
    expect(mon.rules().map((r) => [r.name, r.rule_class])).toEqual([['owned', 'file']]);
    other.close();
    expect(mon.rules()).toEqual([]);
    const changes = drain().filter((e): e is ConfigEvent => e.type === 'config');
    expect(changes.map((e) => [e.kind, e.text.replace(/#\d+/, '#N'), e.tgid, e.comm, e.uid])).toEqual([
      ['mode', 'OFF -> LOG', pid, 'sh', 0],
      ['rule_add', '#N owned log getppid', process.pid, comm, 0],
      ['closed', `opened by pid ${process.pid}; 1 rules dropped`, process.pid, comm, 0],
    ]);
    expect(mon.status().config_records).toBeGreaterThanOrEqual(3);
  });

  it('a file rule decides opens of its file whatever path reaches it; the record has the file the kernel resolved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-file-'));
    mkdirSync(join(dir, 'sub'));
    const secret = join(dir, 'sub', 'secret');
    writeFileSync(secret, 'secret\n');
    symlinkSync(secret, join(dir, 'link'));
    const p = gated(`cd ${dir}; cat link; cat ./sub/../sub/secret; cat ${dir}/sub/secret; echo end`);
    const id = mon.addRule({ name: 'protect-secret', action: 'block', fileOps: ['open'], file: secret, enforce: true, errno: 'EACCES', tree: [p.pid] });
    mon.setMode('block');
    mon.seek('head');
    p.release();
    const r = await p.done;
    expect(r.stdout).toBe('end\n');
    expect(r.stderr.match(/Permission denied/g)).toHaveLength(3);
    const events = drain().filter((e): e is SyscallEvent => e.type === 'syscall' && e.rule === id);
    expect(events.map((e) => [e.syscall, e.file, e.path, e.verdict, e.errno])).toEqual([
      ['openat', true, secret, 'blocked', 'EACCES'],
      ['openat', true, secret, 'blocked', 'EACCES'],
      ['openat', true, secret, 'blocked', 'EACCES'],
    ]);
    expect(mon.rule(id)).toMatchObject({ file: secret, file_ops: ['open'], stale: false, matched: 3, blocked: 3 });
    expect(mon.status().file_hooks).toBeGreaterThan(0);
    // Replaced by a rename onto its name, the file the rule holds is no longer what its path names: stale.
    writeFileSync(join(dir, 'new'), 'new\n');
    spawnSync('mv', [join(dir, 'new'), secret]);
    expect(mon.rule(id).stale).toBe(true);
  });

  it('status lists the rules in order with their counters, marks a stale file rule, and --json has them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-status-'));
    const file = join(dir, 'f');
    writeFileSync(file, 'x\n');
    mon.addRule({ name: 'watch-f', action: 'log', fileOps: ['open', 'unlink'], file });
    mon.replacePolicy({ mode: 'log', rules: [{ name: 'pol-uname', action: 'log', syscalls: ['uname'], comm: 'nobody-here' }] });
    spawnSync('cat', [file]);
    spawnSync('rm', [file]);
    const human = await cliOk(['status']);
    expect(human.stdout).toMatch(/^rules      2 \(1 policy, 1 hand\); \d+ file hooks, 0 missed$/m);
    expect(human.stdout).toMatch(/^ID +RULE +CLASS +ACTION +COVERS +SELECTORS +MATCHED +LOGGED +BLOCKED +KILLED +WOULD ACT$/m);
    expect(human.stdout).toMatch(/^ +2 +pol-uname +policy +log +uname +comm nobody-here +0 +0 +0 +0 +0$/m);
    expect(human.stdout).toMatch(new RegExp(`^ +1 +watch-f +hand +log +open, unlink of ${file} \\(stale\\) +every process +2 +2 +0 +0 +0$`, 'm'));
    const json = JSON.parse((await cliOk(['status', '--json'])).stdout) as { rules: { name: string; stale: boolean; matched: number }[]; config_records: number };
    expect(json.rules.map((r) => [r.name, r.stale, r.matched])).toEqual([['pol-uname', false, 0], ['watch-f', true, 2]]);
    expect(json.config_records).toBeGreaterThan(0);
  });

  it('tail shows a change another process makes, and a file rule\'s record as [file]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smon-tail-'));
    const file = join(dir, 'f');
    writeFileSync(file, 'x\n');
    mon.addRule({ name: 'watch', action: 'log', fileOps: ['open'], file });
    mon.setMode('log');
    const tail = start(['tail', '--count', '2']);
    await tail.waitFor('stderr', /Ctrl-C to stop/);
    spawnSync('/bin/sh', ['-c', `echo "mode block" > /proc/syscallmon/control; cat ${file}`]);
    const r = await tail.done;
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6}  CONFIG  mode  LOG -> BLOCK  by \d+ \(sh\) uid 0$/);
    expect(lines[1]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} +\\d+ +cat +openat +ALLOWED .*\\[file\\] ${file}$`));
  });
});
