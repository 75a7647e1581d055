// Rules through the library over the fake binding: what a Rule encodes to
// (struct syscallmon_rule, field for field), every mistake refused with a
// UsageError before any ioctl, the kernel's errnos for a rule turned into
// errors that say what they mean, rules listed with their counters, and how
// the fake decides calls by them (as kernel/policy.c does).
import { describe, expect, it } from 'vitest';
import type { RawRule } from '../../../src/lib/binding.js';
import type { ConfigEvent, MonitorEvent, SyscallEvent } from '../../../src/lib/events.js';
import { Monitor } from '../../../src/lib/monitor.js';
import type { Rule } from '../../../src/lib/rules.js';
import { FakeBinding } from '../fake-binding.js';
import { kindOf, openOnFake } from './monitor-on-fake.js';

const fake0 = new FakeBinding();
const c = (name: string): number => fake0.c(name);
const nr = (name: string): number => fake0.syscallEntry(name).nr;

/** The raw rule the last ADD_RULE was given. */
function lastRaw(fake: FakeBinding): RawRule {
  const call = fake.calls.filter((x) => x.method === 'addRule').at(-1);
  if (!call) throw new Error('no ADD_RULE');
  return call.args[1] as RawRule;
}

const calls = (events: MonitorEvent[]): SyscallEvent[] => events.filter((e): e is SyscallEvent => e.type === 'syscall');
const changes = (events: MonitorEvent[]): ConfigEvent[] => events.filter((e): e is ConfigEvent => e.type === 'config');

describe('encoding a rule', () => {
  it('sets every field of struct syscallmon_rule from a rule with every selector', () => {
    const { fake, mon } = openOnFake();
    const id = mon.addRule({
      name: 'no-shadow', action: 'block', syscalls: ['openat', '@stat', 2, 'openat'], errno: 'EACCES', enforce: true,
      force: true, record: 'complete', failedOnly: true, pids: [10, 11, 10], uid: 1000, euid: { min: 1000, max: 1999 },
      auid: 0, gid: { min: 5, max: 5 }, comm: { prefix: 'ss' }, exe: '/usr/sbin/sshd', cgroup: '/system.slice',
      path: { prefix: '/etc/' },
    });
    expect(id).toBe(1);
    const raw = lastRaw(fake);
    const flags = ['RULE_ENFORCE', 'RULE_FORCE', 'RULE_FAILED_ONLY', 'RULE_COMM_PREFIX', 'RULE_PATH_PREFIX', 'SEL_PIDS', 'SEL_UID',
      'SEL_EUID', 'SEL_AUID', 'SEL_GID', 'SEL_COMM', 'SEL_EXE', 'SEL_CGROUP', 'SEL_PATH'].reduce((a, f) => a | c(f), 0);
    expect(raw).toEqual({
      id: 0, rule_class: c('CLASS_HAND'), name: 'no-shadow',
      // The family's members in its order, each syscall once.
      syscalls: [nr('openat'), nr('stat'), nr('lstat'), nr('fstat'), nr('newfstatat'), nr('statx'), nr('open')],
      action: c('RULE_BLOCK'), err: 13, flags, record: c('RECORD_COMPLETE'), file_ops: 0, pids: [10, 11],
      uid: { min: 1000, max: 1000 }, euid: { min: 1000, max: 1999 }, auid: { min: 0, max: 0 }, gid: { min: 5, max: 5 },
      comm: 'ss', exe: '/usr/sbin/sshd', cgroup: '/system.slice', path: '/etc/', file: '',
    });
  });

  it('a file rule: its ops and its file, no syscalls; defaults: audit, EPERM, complete, every process', () => {
    const { fake, mon } = openOnFake();
    mon.addRule({ name: 'shadow', action: 'kill', fileOps: ['open', 'rename', 'truncate'], file: '/etc/shadow' });
    expect(lastRaw(fake)).toMatchObject({
      syscalls: [], action: c('RULE_KILL'), err: 0, flags: c('SEL_FILE'), record: c('RECORD_COMPLETE'),
      file_ops: c('FILE_OPEN') | c('FILE_RENAME') | c('FILE_TRUNCATE'), file: '/etc/shadow', pids: [],
    });
    mon.addRule({ name: 'tree', action: 'log', syscalls: ['execve'], tree: [7], record: 'entry' }, { owned: true });
    expect(lastRaw(fake)).toMatchObject({ rule_class: c('CLASS_FILE'), flags: c('SEL_TREE'), pids: [7], record: c('RECORD_ENTRY') });
    mon.addRule({ name: 'exact', action: 'allow', syscalls: ['openat'], comm: 'cat', path: '/etc/passwd' });
    expect(lastRaw(fake)).toMatchObject({ action: c('RULE_ALLOW'), flags: c('SEL_COMM') | c('SEL_PATH'), comm: 'cat', path: '/etc/passwd' });
  });

  const long = (n: number): string => 'x'.repeat(n);
  const bad: [string, Rule, RegExp][] = [
    ['no name', { name: '', action: 'log', syscalls: ['read'] }, /^usage: a rule needs a name, got the string ""/],
    ['a name with a space', { name: 'a b', action: 'log', syscalls: ['read'] }, /^usage: invalid rule name 'a b': letters, digits and \. _ - : @ \+ \/ only, not all digits$/],
    ['a name of digits', { name: '12', action: 'log', syscalls: ['read'] }, /^usage: invalid rule name '12'/],
    ['a long name', { name: long(64), action: 'log', syscalls: ['read'] }, /^usage: rule name 'x+' is 64 characters, at most 63$/],
    ['an unknown field', { name: 'r', action: 'log', syscalls: ['read'], failed_only: true } as unknown as Rule, /^usage: rule r: unknown field 'failed_only'; did you mean 'failedOnly'\?$/],
    ['a field nothing is close to', { name: 'r', action: 'log', syscalls: ['read'], zzzzzz: 1 } as unknown as Rule, /^usage: rule r: unknown field 'zzzzzz'$/],
    ['an unknown action', { name: 'r', action: 'deny' as 'block', syscalls: ['read'] }, /^usage: rule r: unknown action the string "deny" \(expected one of allow, log, block, kill\)$/],
    ['nothing covered', { name: 'r', action: 'log' }, /^usage: rule r: it covers nothing: give syscalls, or file ops with a file$/],
    ['an empty syscall list', { name: 'r', action: 'log', syscalls: [] }, /^usage: rule r: it covers nothing/],
    ['syscalls and a file', { name: 'r', action: 'log', syscalls: ['read'], fileOps: ['open'], file: '/x' }, /^usage: rule r: a file rule decides accesses to its file, not syscalls$/],
    ['file ops without a file', { name: 'r', action: 'log', fileOps: ['open'] }, /^usage: rule r: file ops need a file$/],
    ['a file without ops', { name: 'r', action: 'log', file: '/etc/shadow' }, /^usage: rule r: a file rule needs its file ops \(open, exec, unlink, rename, link, truncate\)$/],
    ['an unknown file op', { name: 'r', action: 'log', fileOps: ['opne' as 'open'], file: '/x' }, /^usage: rule r: unknown file op the string "opne"; did you mean open\?$/],
    ['a relative file', { name: 'r', action: 'log', fileOps: ['open'], file: 'etc/shadow' }, /^usage: rule r: file 'etc\/shadow' is not an absolute path$/],
    ['a file rule with a path', { name: 'r', action: 'log', fileOps: ['open'], file: '/x', path: '/x' }, /^usage: rule r: a file rule can't have a path selector/],
    ['a file rule failures only', { name: 'r', action: 'log', fileOps: ['open'], file: '/x', failedOnly: true }, /^usage: rule r: a file rule is decided inside the call, before its result: no failures only$/],
    ['an unknown syscall', { name: 'r', action: 'log', syscalls: ['opnat'] }, /^usage: rule r: unknown syscall 'opnat'; did you mean openat/],
    ['an unknown family', { name: 'r', action: 'log', syscalls: ['@sta'] }, /^usage: rule r: unknown syscall family '@sta'; did you mean @stat\?$/],
    ['a syscall of another type', { name: 'r', action: 'log', syscalls: [true as unknown as string] }, /^usage: rule r: a syscall is a name or a number, got boolean true$/],
    ['blocking exit_group', { name: 'r', action: 'block', syscalls: ['exit_group', 'read'] }, /^usage: rule r: exit_group can't be blocked or killed$/],
    ['an errno on a log rule', { name: 'r', action: 'log', syscalls: ['read'], errno: 'EPERM' }, /^usage: rule r: an errno only applies to block rules$/],
    ['an errno on a kill rule', { name: 'r', action: 'kill', syscalls: ['read'], errno: 'EPERM' }, /^usage: rule r: an errno only applies to block rules$/],
    ['an unknown errno', { name: 'r', action: 'block', syscalls: ['read'], errno: 'EPREM' }, /^usage: unknown errno 'EPREM'; did you mean EPERM/],
    ['enforce on a log rule', { name: 'r', action: 'log', syscalls: ['read'], enforce: true }, /^usage: rule r: enforce applies to block and kill rules, not log$/],
    ['force on an allow rule', { name: 'r', action: 'allow', syscalls: ['read'], force: true }, /^usage: rule r: force applies to block and kill rules, not allow$/],
    ['enforce not a boolean', { name: 'r', action: 'block', syscalls: ['read'], enforce: 'yes' as unknown as boolean }, /^usage: rule r: enforce must be true or false$/],
    ['a record mode on allow', { name: 'r', action: 'allow', syscalls: ['read'], record: 'entry' }, /^usage: rule r: an allow rule records nothing/],
    ['an unknown record mode', { name: 'r', action: 'log', syscalls: ['read'], record: 'exit' as 'entry' }, /^usage: rule r: unknown record mode the string "exit" \(expected one of complete, entry, both\)$/],
    ['failures only at entry', { name: 'r', action: 'log', syscalls: ['read'], record: 'entry', failedOnly: true }, /^usage: rule r: failures only needs complete records/],
    ['pids and a tree', { name: 'r', action: 'log', syscalls: ['read'], pids: [5], tree: [6] }, /^usage: rule r: pids or a tree, not both$/],
    ['an empty pid list', { name: 'r', action: 'log', syscalls: ['read'], pids: [] }, /^usage: rule r: an empty pid list would match nothing$/],
    ['an empty tree', { name: 'r', action: 'log', syscalls: ['read'], tree: [] }, /^usage: rule r: an empty tree would match nothing$/],
    ['pid 0', { name: 'r', action: 'log', syscalls: ['read'], pids: [0] }, /^usage: rule r: pids: invalid pid 0 \(expected an integer in 1\.\.4194304\)$/],
    ['too many pids', { name: 'r', action: 'log', syscalls: ['read'], pids: Array.from({ length: 1025 }, (_, i) => i + 2) }, /^usage: rule r: pids: too many pids: 1025 \(at most 1024\)$/],
    ['blocking init', { name: 'r', action: 'block', syscalls: ['read'], pids: [1] }, /^usage: rule r: blocking pid 1 \(init\) needs force$/],
    ['killing init', { name: 'r', action: 'kill', syscalls: ['read'], tree: [1] }, /^usage: rule r: killing pid 1 \(init\) needs force$/],
    ['a negative uid', { name: 'r', action: 'log', syscalls: ['read'], uid: -1 }, /^usage: rule r: uid must be an id from 0 to 4294967295, got number -1$/],
    ['a uid of text', { name: 'r', action: 'log', syscalls: ['read'], gid: '0' as unknown as number }, /^usage: rule r: gid must be an id or \{ min, max \}, got the string "0"$/],
    ['an empty range', { name: 'r', action: 'log', syscalls: ['read'], euid: { min: 10, max: 5 } }, /^usage: rule r: euid range 10-5 is empty$/],
    ['a range with another key', { name: 'r', action: 'log', syscalls: ['read'], auid: { min: 1, max: 2, step: 1 } as never }, /^usage: rule r: auid takes \{ min, max \}, not 'step'$/],
    ['a range without max', { name: 'r', action: 'log', syscalls: ['read'], uid: { min: 1 } as never }, /^usage: rule r: uid\.max must be an id from 0 to 4294967295, got undefined undefined$/],
    ['a long comm', { name: 'r', action: 'log', syscalls: ['read'], comm: long(16) }, /^usage: rule r: comm is 16 bytes, at most 15$/],
    ['an empty comm prefix', { name: 'r', action: 'log', syscalls: ['read'], comm: { prefix: '' } }, /^usage: rule r: comm prefix is empty/],
    ['a comm with a newline', { name: 'r', action: 'log', syscalls: ['read'], comm: 'a\nb' }, /^usage: rule r: comm holds a control character$/],
    ['a relative exe', { name: 'r', action: 'log', syscalls: ['read'], exe: 'sshd' }, /^usage: rule r: exe 'sshd' is not an absolute path$/],
    ['a relative cgroup', { name: 'r', action: 'log', syscalls: ['read'], cgroup: 'system.slice' }, /^usage: rule r: cgroup 'system.slice' is not an absolute path$/],
    ['a long exe', { name: 'r', action: 'log', syscalls: ['read'], exe: '/' + long(255) }, /^usage: rule r: exe is 256 bytes, at most 255$/],
    ['a path with calls that take none', { name: 'r', action: 'log', syscalls: ['read', 'write'], path: '/x' }, /^usage: rule r: a path selector needs a syscall with a path argument; none of its syscalls has one$/],
    ['a comm ending in *', { name: 'r', action: 'log', syscalls: ['read'], comm: 'kworker*' }, /^usage: rule r: comm 'kworker\*': a \* is not a wildcard here; a prefix is \{ prefix: 'kworker' \}$/],
    ['a path ending in *', { name: 'r', action: 'log', syscalls: ['openat'], path: '/etc/*' }, /^usage: rule r: path '\/etc\/\*': a \* is not a wildcard here; a prefix is \{ prefix: '\/etc\/' \}$/],
    ['a path with a * inside', { name: 'r', action: 'log', syscalls: ['openat'], path: '/etc/*.conf' }, /^usage: rule r: path '\/etc\/\*\.conf': a \* is not a wildcard here; a rule matches the whole text, or a \{ prefix \}$/],
    ['a prefix ending in *', { name: 'r', action: 'log', syscalls: ['openat'], path: { prefix: '/etc/*' } }, /^usage: rule r: path prefix '\/etc\/\*': a \* is not a wildcard here; a prefix is \{ prefix: '\/etc\/' \}$/],
    ['a path prefix of another shape', { name: 'r', action: 'log', syscalls: ['openat'], path: { starts: '/x' } as never }, /^usage: rule r: path takes a string or \{ prefix \}, not 'starts'$/],
  ];
  it.each(bad)('refuses %s before any ioctl', (_what, rule, re) => {
    const { fake, mon } = openOnFake();
    expect(kindOf(() => mon.addRule(rule))).toMatch(re);
    expect(fake.calls.filter((x) => x.method === 'addRule')).toEqual([]);
  });

  it('refuses a rule that is not an object', () => {
    const { mon } = openOnFake();
    expect(kindOf(() => mon.addRule(null as unknown as Rule))).toBe('usage: a rule must be an object, got null');
    expect(kindOf(() => mon.addRule(['r'] as unknown as Rule))).toBe('usage: a rule must be an object, got a list');
  });
});

describe('the kernel\'s answers to a rule', () => {
  it.each([
    ['another class has the name', (f: FakeBinding, m: Monitor) => { m.addRule({ name: 'r', action: 'log', syscalls: ['read'] }, { owned: true }); void f; }, { name: 'r', action: 'log', syscalls: ['read'] } as Rule,
      'kernel: kernel refused to add rule r: EEXIST (file exists): the name r is taken by a rule of another class, or by another open file\'s'],
    ['an exe that names nothing', (f: FakeBinding) => { f.existingPaths = new Set(); }, { name: 'r', action: 'log', syscalls: ['read'], exe: '/nope' } as Rule,
      'kernel: kernel refused to add rule r: ENOENT (no such file or directory): exe /nope: no such file or cgroup, or this kernel lacks one of its syscalls or file hooks'],
    ['a pid that names no process', (f: FakeBinding) => { f.livePids = new Set([1]); }, { name: 'r', action: 'log', syscalls: ['read'], pids: [99] } as Rule,
      'kernel: kernel refused to add rule r: ESRCH (no such process): no such process among 99'],
    ['too many rules', (f: FakeBinding) => f.failNext('addRule', 'ENOSPC'), { name: 'r', action: 'log', syscalls: ['read'] } as Rule,
      `kernel: kernel refused to add rule r: ENOSPC (no space left on device): the module holds at most ${c('MAX_RULES')} rules`],
    ['not root', (f: FakeBinding) => f.failNext('addRule', 'EPERM'), { name: 'r', action: 'log', syscalls: ['read'] } as Rule,
      'permission: permission denied: cannot add rule r (EPERM); syscallmon needs root (CAP_SYS_ADMIN)'],
  ])('%s', (_what, setup, rule, message) => {
    const { fake, mon } = openOnFake();
    setup(fake, mon);
    expect(kindOf(() => mon.addRule(rule))).toBe(message);
  });
});

describe('listing, deleting, replacing', () => {
  it('lists rules in evaluation order (policy, hand, owned) with the header\'s names and their counters', () => {
    const { fake, mon } = openOnFake();
    mon.addRule({ name: 'owned', action: 'log', syscalls: ['getpid'] }, { owned: true });
    mon.addRule({ name: 'by-hand', action: 'block', syscalls: ['mkdir'], uid: { min: 4242, max: 4300 }, errno: 'EROFS', enforce: true });
    mon.replacePolicy({ mode: 'log', rules: [{ name: 'pol', action: 'kill', fileOps: ['exec'], file: '/bin/nc' }] });
    fake.stalePaths.add('/bin/nc');
    const rules = mon.rules();
    expect(rules.map((r) => [r.id, r.name, r.rule_class])).toEqual([[3, 'pol', 'policy'], [2, 'by-hand', 'hand'], [1, 'owned', 'file']]);
    expect(rules[0]).toMatchObject({
      action: 'kill', errno: null, enforce: false, force: false, syscalls: [], file_ops: ['exec'], file: '/bin/nc', stale: true,
      scope: null, processes: 0, uid: null, comm: null, exe: null, cgroup: null, path: null,
    });
    expect(rules[0]!.file_ino).toBeGreaterThan(0);
    expect(rules[1]).toMatchObject({
      action: 'block', errno: 'EROFS', enforce: true, syscalls: ['mkdir'], uid: { min: 4242, max: 4300 }, stale: false, file: null,
      matched: 0, logged: 0, blocked: 0, killed: 0, would_act: 0,
    });
    expect(rules[2]).toMatchObject({ action: 'log', errno: null, record: 'complete', failed_only: false, syscalls: ['getpid'] });
    expect(mon.status().rules).toEqual(rules);
    expect(mon.rule('by-hand')).toEqual(rules[1]);
    expect(mon.rule(1)).toEqual(rules[2]);
  });

  it('deletes by id or by name; a name or id that is not there is said so', () => {
    const { fake, mon } = openOnFake();
    const a = mon.addRule({ name: 'alpha', action: 'log', syscalls: ['read'] });
    mon.addRule({ name: 'beta', action: 'log', syscalls: ['read'] });
    mon.deleteRule(a);
    mon.deleteRule('beta');
    expect(mon.rules()).toEqual([]);
    expect(fake.calls.filter((x) => x.method === 'deleteRules').map((x) => x.args[1])).toEqual([[1], [2]]);
    mon.addRule({ name: 'gamma', action: 'log', syscalls: ['read'] });
    expect(kindOf(() => mon.deleteRule('gamm'))).toBe("usage: no rule named 'gamm'; did you mean gamma?");
    expect(kindOf(() => mon.deleteRule(7))).toBe('kernel: kernel refused to delete rule #7: ENOENT (no such file or directory): there is no rule #7');
    expect(kindOf(() => mon.deleteRule(0))).toBe('usage: invalid rule id 0 (a positive integer)');
    expect(kindOf(() => mon.rule(9))).toBe('usage: no rule #9 (rules: #3 gamma)');
  });

  it('deletes several in one step, or none when one is not there', () => {
    const { fake, mon } = openOnFake();
    const ids = ['a', 'b', 'c'].map((name) => mon.addRule({ name, action: 'log', syscalls: ['read'] }));
    expect(kindOf(() => mon.deleteRules([ids[0]!, 9, ids[2]!]))).toBe(
      'kernel: kernel refused to delete rules #1, #9, #3: ENOENT (no such file or directory): one of rules #1, #9, #3 is not there (any more); none was deleted',
    );
    expect(mon.rules().map((r) => r.name)).toEqual(['a', 'b', 'c']);
    mon.deleteRules([ids[2]!, ids[0]!]);
    expect(mon.rules().map((r) => r.name)).toEqual(['b']);
    expect(fake.calls.filter((x) => x.method === 'deleteRules').map((x) => x.args[1])).toEqual([[1, 9, 3], [3, 1]]);
  });

  it('lists the processes of a pid set or a process tree, which grows as it forks', () => {
    const { fake, mon } = openOnFake();
    const id = mon.addRule({ name: 'job', action: 'log', syscalls: ['openat'], tree: [50, 40] });
    expect(mon.rulePids(id)).toEqual([40, 50]);
    fake.fork(50, 51);
    fake.fork(51, 52);
    fake.fork(60, 61); // not in the tree
    expect(mon.rulePids('job')).toEqual([40, 50, 51, 52]);
    fake.exit({ pid: 51 });
    expect(mon.rulePids('job')).toEqual([40, 50, 52]);
    expect(mon.rule('job')).toMatchObject({ scope: 'tree', processes: 3 });
    mon.addRule({ name: 'plain', action: 'log', syscalls: ['openat'] });
    expect(kindOf(() => mon.rulePids('plain'))).toBe(
      'kernel: kernel refused to list the processes of rule #2: EINVAL (invalid argument): rule #2 does not exist, or has no pids or process tree',
    );
  });

  it('replaces the policy in one step: mode, exits, tag; a rule kept by name keeps its id and counters', () => {
    const { fake, mon } = openOnFake();
    mon.addRule({ name: 'hand', action: 'log', syscalls: ['read'] });
    mon.replacePolicy({ mode: 'block', exits: true, tag: 'sha256:abcd', rules: [
      { name: 'p1', action: 'block', syscalls: ['mkdir'], enforce: true },
      { name: 'p2', action: 'log', syscalls: ['rmdir'] },
    ] });
    expect(fake.calls.filter((x) => x.method === 'replacePolicy').at(-1)?.args[1]).toMatchObject({
      mode: c('MODE_BLOCK'), exits: c('EXITS_ON'), tag: 'sha256:abcd',
      rules: [expect.objectContaining({ name: 'p1', rule_class: c('CLASS_POLICY') }), expect.objectContaining({ name: 'p2' })],
    });
    expect(mon.status()).toMatchObject({ mode: 'block', exits: true });
    fake.syscall({ syscall: 'mkdir', pid: 300, path: '/tmp/d' });
    mon.replacePolicy({ mode: 'log', rules: [{ name: 'p3', action: 'log', syscalls: ['read'] }, { name: 'p1', action: 'block', syscalls: ['mkdir'] }] });
    expect(mon.rules().map((r) => [r.id, r.name, r.rule_class, r.matched, r.blocked])).toEqual([
      [4, 'p3', 'policy', 0, 0], [2, 'p1', 'policy', 1, 1], [1, 'hand', 'hand', 0, 0],
    ]);
    expect(mon.status()).toMatchObject({ mode: 'log', exits: false });
    const texts = changes(mon.readAvailable()).filter((e) => e.kind === 'policy').map((e) => e.text);
    expect(texts).toEqual(['2 rules, mode BLOCK, exits on, sha256:abcd', '2 rules, mode LOG, exits off']);
  });

  it.each([
    ['an unknown mode', { mode: 'audit', rules: [] }, "usage: policy: unknown mode 'audit' (expected one of off, log, block)"],
    ['exits not a boolean', { mode: 'log', exits: 1, rules: [] }, 'usage: policy: exits must be true or false'],
    ['a long tag', { mode: 'log', tag: 'x'.repeat(80), rules: [] }, "usage: a policy's tag is 80 bytes, at most 79"],
    ['a tag with a newline', { mode: 'log', tag: 'a\nb', rules: [] }, "usage: a policy's tag holds a control character"],
    ['rules not a list', { mode: 'log' }, 'usage: policy: rules must be a list'],
    ['two rules of one name', { mode: 'log', rules: [{ name: 'a', action: 'log', syscalls: ['read'] }, { name: 'a', action: 'log', syscalls: ['write'] }] }, 'usage: policy: two rules named a'],
    ['a rule with pids', { mode: 'log', rules: [{ name: 'a', action: 'log', syscalls: ['read'], pids: [5] }] }, 'usage: rule a: a policy names what exists at any time: no pids or process trees'],
    ['a bad rule', { mode: 'log', rules: [{ name: 'a', action: 'log', syscalls: ['raed'] }] }, "usage: rule a: unknown syscall 'raed'; did you mean read?"],
    ['too many rules', { mode: 'log', rules: Array.from({ length: 4097 }, (_, i) => ({ name: `r${i}`, action: 'log', syscalls: ['read'] })) }, 'usage: policy: 4097 rules, at most 4096'],
  ])('refuses a policy with %s before any ioctl', (_what, policy, message) => {
    const { fake, mon } = openOnFake();
    expect(kindOf(() => mon.replacePolicy(policy as never))).toBe(message);
    expect(fake.calls.filter((x) => x.method === 'replacePolicy')).toEqual([]);
  });

  it('a policy whose name another class holds: refused whole, nothing changes', () => {
    const { fake, mon } = openOnFake();
    mon.addRule({ name: 'taken', action: 'log', syscalls: ['read'] });
    expect(kindOf(() => mon.replacePolicy({ mode: 'block', rules: [{ name: 'new', action: 'log', syscalls: ['read'] }, { name: 'taken', action: 'log', syscalls: ['write'] }] }))).toBe(
      'kernel: kernel refused to replace the policy: EEXIST (file exists): one of its names is taken by a rule added by hand or owned by an open file',
    );
    expect(mon.rules().map((r) => r.name)).toEqual(['taken']);
    expect(fake.mode).toBe(c('MODE_OFF'));
  });
});

describe('deciding calls by rules (the fake, as kernel/policy.c)', () => {
  function armed(): { fake: FakeBinding; mon: Monitor } {
    const o = openOnFake();
    o.mon.setMode('block');
    return o;
  }

  it('the first rule that matches decides; allow is an exception that records nothing; a target comes last', () => {
    const { fake, mon } = armed();
    const allow = mon.addRule({ name: 'sshd-ok', action: 'allow', syscalls: ['openat'], comm: 'sshd' });
    const block = mon.addRule({ name: 'no-open', action: 'block', syscalls: ['openat'], uid: { min: 1000, max: 60000 }, enforce: true, errno: 'EACCES' });
    mon.addTarget({ syscall: 'openat', action: 'log' });
    mon.seek('head');
    expect(fake.syscall({ syscall: 'openat', pid: 10, comm: 'sshd', uid: 1000, path: '/a' })).toMatchObject({ seen: true, records: 0 });
    expect(fake.syscall({ syscall: 'openat', pid: 11, comm: 'cat', uid: 1000, path: '/b' })).toMatchObject({ errno: 13, records: 1 });
    expect(fake.syscall({ syscall: 'openat', pid: 12, comm: 'cat', uid: 0, path: '/c', ret: 3 })).toMatchObject({ errno: null, records: 1 });
    const got = calls(mon.readAvailable());
    expect(got.map((e) => [e.path, e.verdict, e.rule, e.ret, e.errno])).toEqual([
      ['/b', 'blocked', block, -13n, 'EACCES'],
      ['/c', 'allowed', null, 3n, null],
    ]);
    expect(mon.rules().map((r) => [r.id, r.matched, r.logged, r.blocked])).toEqual([[allow, 1, 0, 0], [block, 1, 1, 1]]);
    // The target counted every call as a hit, and logged the one no rule decided.
    expect(mon.target('openat')).toMatchObject({ hits: 3, logged: 1 });
    expect(allow).toBeLessThan(block);
  });

  it('block and kill act only when enforced in BLOCK mode; audit and LOG mode record what they would do', () => {
    const { fake, mon } = armed();
    const audit = mon.addRule({ name: 'audit', action: 'block', syscalls: ['mkdir'] });
    const kill = mon.addRule({ name: 'kill', action: 'kill', syscalls: ['rmdir'], enforce: true });
    mon.seek('head');
    fake.syscall({ syscall: 'mkdir', pid: 20, path: '/m', ret: 0 });
    fake.syscall({ syscall: 'rmdir', pid: 20, path: '/r' });
    mon.setMode('log');
    fake.syscall({ syscall: 'rmdir', pid: 20, path: '/r2', ret: 0 });
    fake.syscall({ syscall: 'rmdir', pid: 1, path: '/r3', ret: 0 });
    expect(calls(mon.readAvailable()).map((e) => [e.path, e.verdict, e.rule, e.block_errno, e.ret])).toEqual([
      ['/m', 'would_block', audit, 'EPERM', 0n],
      ['/r', 'killed', kill, 'EPERM', -1n],
      ['/r2', 'would_kill', kill, 'EPERM', 0n],
      ['/r3', 'would_kill', kill, 'EPERM', 0n],
    ]);
    expect(mon.rules().map((r) => [r.name, r.matched, r.logged, r.blocked, r.killed, r.would_act])).toEqual([
      ['audit', 1, 1, 0, 0, 1], ['kill', 3, 3, 0, 1, 2],
    ]);
  });

  it('pid 1 and device holders: exempt unless forced; a holder is never recorded', () => {
    const { fake, mon } = armed();
    mon.addRule({ name: 'b', action: 'block', syscalls: ['mkdir'], enforce: true });
    mon.addRule({ name: 'f', action: 'block', syscalls: ['rmdir'], enforce: true, force: true });
    mon.seek('head');
    fake.holders.add(77);
    expect(fake.syscall({ syscall: 'mkdir', pid: 1, path: '/x', ret: 0 })).toMatchObject({ verdict: c('VERDICT_WOULD_BLOCK'), errno: null });
    expect(fake.syscall({ syscall: 'mkdir', pid: 77, path: '/x' })).toMatchObject({ seen: false, records: 0 });
    expect(fake.syscall({ syscall: 'rmdir', pid: 1, path: '/x' })).toMatchObject({ verdict: c('VERDICT_BLOCKED'), errno: 1 });
    expect(fake.syscall({ syscall: 'rmdir', pid: 77, path: '/x' })).toMatchObject({ seen: true, errno: 1, records: 0 });
    expect(calls(mon.readAvailable()).map((e) => [e.tgid, e.verdict])).toEqual([[1, 'would_block'], [1, 'blocked']]);
  });

  it('selectors: every one must match (euid, auid, gid, comm prefix, exe, cgroup and below, path prefix)', () => {
    const { fake, mon } = armed();
    mon.addRule({
      name: 'all', action: 'log', syscalls: ['openat'], euid: 0, auid: { min: 1000, max: 1999 }, gid: 5, comm: { prefix: 'py' },
      exe: '/usr/bin/python3', cgroup: '/user.slice', path: { prefix: '/home/' },
    });
    mon.seek('head');
    const call = { syscall: 'openat', pid: 30, uid: 1000, euid: 0, auid: 1500, gid: 5, comm: 'python3', exe: '/usr/bin/python3', cgroup: '/user.slice/u-1000', path: '/home/a/x', ret: 3 };
    expect(fake.syscall(call).records).toBe(1);
    for (const miss of [{ euid: 1 }, { auid: 2000 }, { gid: 6 }, { comm: 'perl' }, { exe: '/usr/bin/perl' }, { cgroup: '/user.slicex' }, { path: '/etc/x' }]) {
      expect([miss, fake.syscall({ ...call, ...miss }).seen]).toEqual([miss, false]);
    }
  });

  it('a file rule decides accesses to its file, whatever syscall; the record says file and names the file', () => {
    const { fake, mon } = armed();
    const id = mon.addRule({ name: 'shadow', action: 'block', fileOps: ['open', 'unlink'], file: '/etc/shadow', enforce: true });
    mon.seek('head');
    expect(fake.fileAccess({ op: 'open', file: '/etc/shadow', pid: 40, syscall: 'openat' })).toMatchObject({ errno: 1, records: 1 });
    expect(fake.fileAccess({ op: 'exec', file: '/etc/shadow', pid: 40, syscall: 'execve' }).seen).toBe(false);
    expect(fake.fileAccess({ op: 'open', file: '/etc/passwd', pid: 40, syscall: 'openat' }).seen).toBe(false);
    expect(fake.fileAccess({ op: 'unlink', file: '/etc/shadow', pid: 41 })).toMatchObject({ errno: 1 });
    expect(calls(mon.readAvailable()).map((e) => [e.syscall, e.file, e.path, e.rule, e.verdict])).toEqual([
      ['openat', true, '/etc/shadow', id, 'blocked'],
      ['none', true, '/etc/shadow', id, 'blocked'],
    ]);
    expect(mon.status().file_hooks).toBe(3);
  });

  it('rules owned by an open file go when it closes, and the close says how many', () => {
    const { fake, mon } = openOnFake();
    const runner = Monitor.open({ binding: fake });
    runner.addRule({ name: 'mine', action: 'log', syscalls: ['read'] }, { owned: true });
    mon.addRule({ name: 'kept', action: 'log', syscalls: ['read'] });
    expect(mon.rules().map((r) => r.name)).toEqual(['kept', 'mine']);
    runner.close();
    expect(mon.rules().map((r) => r.name)).toEqual(['kept']);
    const closes = changes(mon.readAvailable()).filter((e) => e.kind === 'closed').map((e) => e.text);
    expect(closes).toEqual([`opened by pid ${fake.caller.tgid}; 1 rules dropped`]);
  });

  it('every change of rules is a config record: added, replaced where it stands, deleted', () => {
    const { fake, mon } = openOnFake();
    fake.caller = { pid: 555, tgid: 555, ppid: 1, uid: 0, gid: 0, comm: 'admin' };
    const id = mon.addRule({ name: 'r', action: 'block', syscalls: ['mkdir', 'rmdir'], uid: 4242, comm: { prefix: 'x' } });
    mon.addRule({ name: 'r', action: 'block', syscalls: ['mkdir'], enforce: true });
    mon.deleteRule('r');
    expect(changes(mon.readAvailable()).map((e) => [e.kind, e.id, e.text, e.pid, e.comm])).toEqual([
      ['rule_add', id, `#${id} r block audit mkdir,rmdir uid=4242 comm=x*`, 555, 'admin'],
      ['rule_add', id, `#${id} r block enforce mkdir (replaced)`, 555, 'admin'],
      ['rule_del', id, `#${id} r`, 555, 'admin'],
    ]);
  });
});
