// Policy files through the CLI against the real module, as root: every
// field of a policy applied and shown back unchanged; each kind of bad file
// refused with one line and exit 2, leaving the running policy as it was
// (as `status --json` and `policy show` report it); a policy replaced while
// a process makes the calls it decides, with no call decided by neither
// policy; a file rule made stale by a rename made again by apply; and rules
// made by hand or owned by an open file kept.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MonitorEvent, SyscallEvent } from '../../src/lib/events.js';
import { Monitor } from '../../src/lib/monitor.js';
import { edited, everyFieldPolicy, policyYaml } from '../fixtures/policy-files.js';
import { cli, cliOk, freshModuleForEachTest } from './helpers.js';

let dir: string;
let files = 0;
function policyFile(text: string, ext = 'yaml'): string {
  const path = join(dir, `policy${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

// No policy, no rules, and a ring large enough for the storm's records.
freshModuleForEachTest({
  load: ['--ring-size', '32M'],
  afterLoad: () => {
    dir = mkdtempSync(join(tmpdir(), 'smon-policy-'));
  },
});

interface StatusRule { id: number; name: string; rule_class: string; action: string; errno: string | null; syscalls: string[]; comm: unknown }
interface StatusJson { mode: string; exits: boolean; rules: StatusRule[] }

/** What `status --json` says of the policy: the mode, exit events and every rule with its settings (not its counters). */
async function configuration(): Promise<unknown> {
  const s = JSON.parse((await cliOk(['status', '--json'])).stdout) as StatusJson;
  return {
    mode: s.mode,
    exits: s.exits,
    rules: s.rules.map((r) => {
      const { matched: _m, logged: _l, blocked: _b, killed: _k, would_act: _w, ...settings } = r as unknown as Record<string, unknown>;
      return settings;
    }),
  };
}

/** Each case starts the CLI twice, some 3 s each in the emulated guest. */
const BAD_FILES_LIMIT_MS = 600_000;

describe('policy files against the real module', () => {
  it('every field of a policy round-trips: apply, show, apply the shown file (unchanged), show the same', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'secret\n');
    // The normal form, as `policy show` prints it: every field of a rule, each away from its default.
    const text = everyFieldPolicy({ exe: process.execPath, cgroup: '/', file: secret });
    const applied = await cliOk(['apply', policyFile(text)]);
    const tag = /^policy (every-field sha256:[0-9a-f]{16})$/m.exec(applied.stdout)?.[1];
    expect(tag, applied.stdout).toBeDefined();
    expect(applied.stdout).toContain('  mode: off -> log\n  exit events: off -> on\n');
    expect(applied.stdout).toMatch(/\napplied: 5 added, 0 changed, 0 removed\n$/);
    const shown = await cliOk(['policy', 'show']);
    expect(shown.stdout).toBe(text);
    const again = await cliOk(['apply', policyFile(shown.stdout)]);
    expect(again.stdout).toBe(`policy ${tag}\nunchanged: the running policy is this one\n`);
    expect((await cliOk(['policy', 'show'])).stdout).toBe(text);
    // JSON the same way.
    const json = await cliOk(['policy', 'show', '--json']);
    expect((await cliOk(['apply', policyFile(json.stdout, 'json')])).stdout).toBe(`policy ${tag}\nunchanged: the running policy is this one\n`);
    const s = JSON.parse((await cliOk(['status', '--json'])).stdout) as StatusJson;
    expect(s).toMatchObject({ mode: 'log', exits: true });
    expect(s.rules.map((r) => [r.name, r.rule_class])).toEqual([
      ['all-selectors', 'policy'], ['entries', 'policy'], ['secret', 'policy'], ['entry-only', 'policy'], ['exception', 'policy'],
    ]);
    // The tag is the module's: its status file shows it.
    expect(readFileSync('/proc/syscallmon/status', 'utf8')).toContain(`\npolicy: ${tag}\n`);
  });

  it('each kind of bad file: one line naming file, line and field, exit 2, and the running policy unchanged', async () => {
    const good = policyYaml({ name: 'lab', mode: 'block', exits: false }, `\
    - name: no-ptrace
      action: block
      syscalls: [ptrace, getppid]
      errno: EACCES
      enforce: true
      comm: {prefix: lab-}
    - name: shadow
      action: log
      file: /etc/shadow
      fileOps: [open]
      uid: {min: 1000, max: 2000}
`);
    await cliOk(['apply', policyFile(good)]);
    const mon = Monitor.open();
    try {
      mon.addRule({ name: 'by-hand', action: 'log', syscalls: ['uname'], comm: 'nobody-here' });
      const before = await configuration();
      const shown = (await cliOk(['policy', 'show'])).stdout;
      const edit = (from: string, to: string): string => edited(good, from, to);
      const cases: [what: string, text: string, message: string][] = [
        ['unknown field', edit('      action: log', '      acton: log'), "16: spec.rules[1].acton: unknown field; did you mean 'action'?"],
        ['misspelt syscall', edit('ptrace, getppid', 'ptrace, getpid2'), "11: spec.rules[0].syscalls[1]: unknown syscall 'getpid2'; did you mean getpid, getgid, getsid?"],
        ['bad action', edit('action: log', 'action: blok'), "16: spec.rules[1].action: 'blok' is not one of allow, log, block, kill; did you mean block?"],
        ['bad errno', edit('errno: EACCES', 'errno: EACESS'), "12: spec.rules[0].errno: unknown errno 'EACESS'; did you mean EACCES? (--help lists the errno names)"],
        ['empty uid range', edit('{min: 1000, max: 2000}', '{min: 2000, max: 1000}'), '19: spec.rules[1].uid: the range 2000-1000 is empty (min is above max)'],
        ['wrong apiVersion', edit('syscallmon/v1', 'syscallmon/v9'), "1: apiVersion: must be 'syscallmon/v1', got 'syscallmon/v9'"],
        ['YAML syntax', edit('comm: {prefix: lab-}', 'comm: {prefix: lab-'), '15: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }'],
        ['duplicate rule name', edit('name: shadow', 'name: no-ptrace'), '15: spec.rules[1].name: a second rule named no-ptrace (the first is at line 9)'],
        ['wrong type', edit('exits: false', 'exits: 0'), '7: spec.exits: must be true or false, got the number 0'],
        ['missing field', edit('  mode: block\n', ''), '5: spec.mode: missing (required)'],
        ['pid sets', edit('      enforce: true', '      enforce: true\n      pids: [1]'), '14: spec.rules[0].pids: a policy names what exists at any time: no pid sets or process trees (add such rules by hand)'],
        ['enforce on a log rule', edit('      fileOps: [open]', '      fileOps: [open]\n      enforce: true'), '19: spec.rules[1].enforce: enforce applies to block and kill rules, not log'],
      ];
      for (const [what, text, message] of cases) {
        const path = policyFile(text);
        const r = await cli(['apply', path]);
        expect({ what, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ what, code: 2, stdout: '', stderr: `syscallmon: ${path}:${message}\n` });
        expect(await configuration(), what).toEqual(before);
      }
      // A file that is right but that the module refuses (its exe names nothing): the kernel's errno, and nothing changes.
      const refused = await cli(['apply', policyFile(edit('      enforce: true', '      enforce: true\n      exe: /no/such/program'))]);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toMatch(/^syscallmon: kernel refused to replace the policy: ENOENT .*\n$/);
      expect(await configuration()).toEqual(before);
      // A name a rule made by hand holds.
      const taken = await cli(['apply', policyFile(edit('name: shadow', 'name: by-hand'))]);
      expect(taken.code).toBe(5);
      expect(taken.stderr).toMatch(/EEXIST/);
      expect(await configuration()).toEqual(before);
      expect((await cliOk(['policy', 'show'])).stdout).toBe(shown);
    } finally {
      mon.close();
    }
  }, BAD_FILES_LIMIT_MS);

  it("a file rule whose file was replaced by a rename is stale, and apply makes it again: then it blocks the file there now", async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'old\n');
    const policy = policyFile(policyYaml({ name: 'secret', mode: 'block', exits: false }, `\
    - name: secret
      action: block
      file: ${secret}
      fileOps: [open]
      enforce: true
`));
    await cliOk(['apply', policy]);
    const rule = async (): Promise<{ stale: boolean }> =>
      (JSON.parse((await cliOk(['status', '--json'])).stdout) as { rules: { name: string; stale: boolean }[] }).rules.find((r) => r.name === 'secret')!;
    const cat = (): number | null => spawnSync('cat', [secret], { stdio: 'ignore' }).status;
    expect(cat()).toBe(1);
    // As passwd replaces /etc/shadow: a new file renamed onto the path.
    writeFileSync(`${secret}.new`, 'new\n');
    renameSync(`${secret}.new`, secret);
    expect(await rule()).toMatchObject({ stale: true });
    expect(cat()).toBe(0);
    const again = await cliOk(['apply', policy]);
    expect(again.stdout).toMatch(/^! rule secret: /m);
    expect(await rule()).toMatchObject({ stale: false });
    expect(cat()).toBe(1);
    expect((await cliOk(['apply', policy])).stdout).toMatch(/unchanged: the running policy is this one/);
  });

  it('a policy replaced while a process makes the calls it blocks: every call blocked by the old policy or the new one', async () => {
    const stormer = join(dir, 'gpp-storm');
    copyFileSync('/usr/bin/perl', stormer);
    chmodSync(stormer, 0o755);
    const stop = join(dir, 'stop');
    const policy = (errno: string): string => policyYaml({ name: 'storm', mode: 'block', exits: false }, `\
    - name: storm-getppid
      action: block
      syscalls: [getppid]
      errno: ${errno}
      enforce: true
      comm: gpp-storm
`);
    await cliOk(['apply', policyFile(policy('EPERM'))]);
    const mon = Monitor.open();
    try {
      const id = mon.rule('storm-getppid').id;
      mon.seek('head');
      // getppid (110) in a loop, counting what each call returned, until the stop file appears.
      const script = 'my %n; my $i = 0; while (1) { my $r = syscall(110); $n{$r == -1 ? $! + 0 : "ok"}++; ' +
        'last if ++$i % 500 == 0 && -e $ARGV[0] } print join(" ", map { "$_=$n{$_}" } sort keys %n), "\\n";';
      const child = spawn(stormer, ['-e', script, stop], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      const blocked = (): number => mon.rule(id).blocked;
      const waitFor = async (n: number): Promise<void> => {
        while (blocked() < n) await new Promise((r) => setTimeout(r, 20));
      };
      await waitFor(2000);
      const r = await cliOk(['apply', policyFile(policy('EACCES'))]);
      expect(r.stdout).toContain('~ rule storm-getppid: errno EPERM -> EACCES\n');
      await waitFor(blocked() + 2000);
      writeFileSync(stop, '');
      expect(await exited).toBe(0);

      // What the process saw: EPERM (1) then EACCES (13), never a call that ran.
      const seen = Object.fromEntries(out.trim().split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
      expect(Object.keys(seen).sort(), out).toEqual(['1', '13']);
      const calls = seen['1']! + seen['13']!;
      // The rule was kept by name: its id and counters go on; it decided every call.
      const rule = mon.rule('storm-getppid');
      expect(rule).toMatchObject({ id, errno: 'EACCES', matched: calls, blocked: calls, would_act: 0 });

      // What the records say: each call blocked by the rule, with one policy's errno; the old policy's all before the new one's.
      const events: MonitorEvent[] = [];
      for (let batch = mon.readAvailable(); batch.length; batch = mon.readAvailable()) events.push(...batch);
      const getppid = events.filter((e): e is SyscallEvent => e.type === 'syscall' && e.tgid === child.pid && e.syscall === 'getppid');
      const lost = events.filter((e) => e.type === 'lost');
      expect(getppid.length).toBeGreaterThan(0);
      expect(getppid.filter((e) => e.verdict !== 'blocked' || e.rule !== id || (e.errno !== 'EPERM' && e.errno !== 'EACCES'))).toEqual([]);
      const runs = getppid.map((e) => e.errno).join(' ').replace(/(EPERM )+/g, 'EPERM… ').replace(/(EACCES ?)+/g, 'EACCES…');
      // Records overwritten before they were read go from the oldest: the old policy's first.
      if (lost.length) expect(runs).toMatch(/^(EPERM… )?EACCES…$/);
      else expect(runs).toBe('EPERM… EACCES…');
    } finally {
      mon.close();
    }
  });

  it('rules made by hand and owned by an open file stay through apply, with their ids; policy show leaves them out', async () => {
    const mon = Monitor.open();
    try {
      const hand = mon.addRule({ name: 'by-hand', action: 'log', syscalls: ['uname'], comm: 'nobody-here' });
      const owned = mon.addRule({ name: 'owned', action: 'log', syscalls: ['getpid'], comm: 'nobody-here' }, { owned: true });
      const first = policyYaml({ mode: 'log', exits: false }, `\
    - name: one
      action: log
      syscalls: [getppid]
      comm: nobody-here
`);
      await cliOk(['apply', policyFile(first)]);
      await cliOk(['apply', policyFile(first.replace('name: one', 'name: two').replace('mode: log', 'mode: block'))]);
      const s = JSON.parse((await cliOk(['status', '--json'])).stdout) as StatusJson;
      expect(s.mode).toBe('block');
      expect(s.rules.map((r) => [r.name, r.rule_class])).toEqual([['two', 'policy'], ['by-hand', 'hand'], ['owned', 'file']]);
      expect(s.rules.filter((r) => r.rule_class !== 'policy').map((r) => r.id)).toEqual([hand, owned]);
      const shown = (await cliOk(['policy', 'show'])).stdout;
      expect(shown).toBe(first.replace('name: one', 'name: two').replace('mode: log', 'mode: block'));
    } finally {
      mon.close();
    }
  });
});
