// rule add/delete/list, protect and unprotect: argv to the rules the module
// holds (the fake binding) and what is printed; bad input is one line and
// exit 2 before anything reaches the module.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { absolutePath, parseIdSelector, parseTextSelector } from '../../../src/cli/rule-flags.js';
import { createFakeBinding, type FakeBinding } from '../fake-binding.js';
import { runCli } from './harness.js';

function fakeIn(mode: 'OFF' | 'LOG' | 'BLOCK' = 'BLOCK'): FakeBinding {
  const fake = createFakeBinding();
  fake.mode = fake.c(`MODE_${mode}`);
  return fake;
}

describe('rule flags', () => {
  it.each([
    ['1000', 1000],
    ['1000-1999', { min: 1000, max: 1999 }],
    ['0', 0],
    ['7-7', 7],
  ])('--uid %s', (text, want) => expect(parseIdSelector(text)).toEqual(want));

  it.each(['x', '-1', '5-', '9-3', '4294967296', '1.5'])('--uid %s is refused', (text) => {
    expect(() => parseIdSelector(text)).toThrow(/id|range/);
  });

  it.each([
    ['sshd', 'sshd'],
    ['kworker*', { prefix: 'kworker' }],
    ['/etc/*', { prefix: '/etc/' }],
  ])('--comm/--path %s', (text, want) => expect(parseTextSelector(text)).toEqual(want));

  it.each(['*', 'a*b', '*x'])('%s is refused', (text) => expect(() => parseTextSelector(text)).toThrow(/\*/));
});

describe('a path made absolute (protect FILE, --exe)', () => {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'smon-abs-')));
  mkdirSync(join(top, 'real/sub'), { recursive: true });
  mkdirSync(join(top, 'dir'));
  symlinkSync('../real/sub', join(top, 'dir/link'));
  writeFileSync(join(top, 'real/secret'), 'the one the kernel opens');
  writeFileSync(join(top, 'dir/secret'), 'another file');

  it.each([
    ['secret', '/home/u', '/home/u/secret'],
    ['./a//b/', '/home/u', '/home/u/a/b'],
    ['../../etc/shadow', '/home/u', '/etc/shadow'],
    ['../../../x', '/home/u', '/x'],
    ['/../etc', '/home/u', '/etc'],
    // Past a directory: one file, one spelling.
    [`${top}/dir/../dir/secret`, '/', `${top}/dir/secret`],
    ['dir/./../real/secret', top, `${top}/real/secret`],
    // Past a symlink or what is not there, .. is the kernel's to follow.
    [`${top}/dir/link/../secret`, '/', `${top}/dir/link/../secret`],
    ['link/../secret', `${top}/dir`, `${top}/dir/link/../secret`],
    [`${top}/none/../secret`, '/', `${top}/none/../secret`],
  ])('%s from %s is %s', (path, cwd, want) => expect(absolutePath(path, cwd)).toBe(want));

  it('names the file the kernel finds, past a symlink followed by ..', () => {
    const given = `${top}/dir/link/../secret`;
    // The file open(2) reaches: what the kernel resolves a rule's path to.
    expect(readFileSync(given, 'utf8')).toBe('the one the kernel opens');
    expect(readFileSync(absolutePath(given), 'utf8')).toBe('the one the kernel opens');
    expect(readFileSync(absolutePath('link/../secret', join(top, 'dir')), 'utf8')).toBe('the one the kernel opens');
  });

  it('an empty path is refused, not taken as the working directory', () => {
    expect(() => absolutePath('', '/home/u')).toThrow('an empty path');
  });
});

describe('syscallmon rule', () => {
  it('add: every selector and the action reach the module; list and status show it; delete removes it', async () => {
    const fake = fakeIn();
    const add = await runCli(
      ['rule', 'add', '--name', 'no-stat', '--syscall', '@stat', '--uid', '1000-1999', '--euid', '0', '--auid', '1000', '--gid', '100',
        '--comm', 'ba*', '--exe', '/usr/bin/bash', '--cgroup', '/user.slice', '--action', 'block', '--errno', 'EACCES'],
      { fake },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe(
      '#1 no-stat: block with EACCES; stat, lstat, fstat, newfstatat, … (+1); uid 1000-1999, euid 0, auid 1000, gid 100, comm ba*, exe /usr/bin/bash, cgroup /user.slice (added)\n',
    );
    expect(fake.rules).toHaveLength(1);
    const r = fake.rules[0]!.rule;
    expect(r.name).toBe('no-stat');
    expect(r.syscalls.map((nr) => fake.syscallEntry(nr).name).sort()).toEqual(['fstat', 'lstat', 'newfstatat', 'stat', 'statx']);
    expect(r.uid).toEqual({ min: 1000, max: 1999 });
    expect(r.euid).toEqual({ min: 0, max: 0 });
    expect(r.comm).toBe('ba');
    expect(r.flags & fake.c('RULE_COMM_PREFIX')).not.toBe(0);
    expect(r.flags & fake.c('RULE_ENFORCE')).not.toBe(0);
    expect(r.err).toBe(13);
    expect(fake.rules[0]!.rule_class).toBe(fake.c('CLASS_HAND'));

    const list = await runCli(['rule', 'list', '--json'], { fake });
    expect(JSON.parse(list.stdout).rules.map((x: { name: string }) => x.name)).toEqual(['no-stat']);

    const again = await runCli(['rule', 'add', '--name', 'no-stat', '--syscall', '@stat', '--uid', '1000-1999', '--action', 'block', '--audit'], { fake });
    expect(again.stdout).toBe('#1 no-stat: block with EPERM (audit); stat, lstat, fstat, newfstatat, … (+1); uid 1000-1999 (replaced)\n');

    const del = await runCli(['rule', 'delete', 'no-stat'], { fake });
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/^#1 no-stat: .* \(deleted\)\n$/);
    expect(fake.rules).toEqual([]);
  });

  it('delete by id, several at once; a name that is not there deletes nothing', async () => {
    const fake = fakeIn();
    for (const name of ['a', 'b', 'c']) await runCli(['rule', 'add', '--name', name, '--syscall', 'openat'], { fake });
    const bad = await runCli(['rule', 'delete', 'a', 'nope'], { fake });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("syscallmon: no rule named 'nope'\n");
    expect(fake.rules.map((r) => r.rule.name)).toEqual(['a', 'b', 'c']);
    const ok = await runCli(['rule', 'delete', '2', 'c'], { fake });
    expect(ok.code).toBe(0);
    expect(fake.rules.map((r) => r.rule.name)).toEqual(['a']);
  });

  it.each([
    [['a', 'a']],
    [['a', '1']],
    [['1', 'b', 'a', '2']],
  ])('delete %j: a rule named twice, by name or id, is deleted once', async (refs) => {
    const fake = fakeIn();
    for (const name of ['a', 'b', 'c']) await runCli(['rule', 'add', '--name', name, '--syscall', 'openat'], { fake });
    const r = await runCli(['rule', 'delete', ...refs], { fake });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const byId: Record<string, string> = { 1: 'a', 2: 'b' };
    const deleted = [...new Set(refs.map((ref) => byId[ref] ?? ref))];
    expect(r.stdout.trimEnd().split('\n').map((l) => l.replace(/^#\d+ (\S+):.*\(deleted\)$/, '$1'))).toEqual(deleted);
    expect(fake.rules.map((x) => x.rule.name)).toEqual(['a', 'b', 'c'].filter((n) => !deleted.includes(n)));
  });

  it.each([
    ['OFF', 'log', 'mode OFF: no rule acts until syscallmon --log (or --block)'],
    ['LOG', 'block', 'mode LOG: x only records would_block; syscallmon --block to enforce'],
    ['LOG', 'kill', 'mode LOG: x only records would_kill; syscallmon --block to enforce'],
  ] as const)('mode %s, --action %s: says why it does not act yet, and leaves the mode', async (mode, action, note) => {
    const fake = fakeIn(mode);
    const r = await runCli(['rule', 'add', '--name', 'x', '--syscall', 'ptrace', '--action', action], { fake });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(note);
    expect(fake.mode).toBe(fake.c(`MODE_${mode}`));
  });

  it.each([
    [['rule', 'add', '--syscall', 'openat'], 'rule add needs --name NAME'],
    [['rule', 'add', 'x', '--syscall', 'openat'], "rule add takes its name as --name, not 'x'"],
    [['rule', 'add', '--name', 'x'], 'rule x: it covers nothing: give syscalls, or file ops with a file'],
    [['rule', 'add', '--name', 'x', '--syscall', '@nope'], 'rule x: unknown syscall family'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--audit'], '--audit applies to --action block or kill, not log'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--errno', 'EACCES', '--action', 'kill'], '--errno goes with --action block, not kill'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--action', 'nuke'], "option '--action <action>' argument 'nuke' is invalid"],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--uid', 'bob'], "option '--uid <id>' argument 'bob' is invalid"],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--comm', 'a*b'], 'only a trailing * is understood'],
    [['rule', 'add', '--name', 'x', '--syscall', 'getpid', '--path', '/etc'], 'a path selector needs a syscall with a path argument'],
    [['rule', 'add', '--name', 'x', '--syscall', 'exit_group', '--action', 'block'], "exit_group can't be blocked or killed"],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--pid', '1', '--action', 'block'], 'blocking pid 1 (init) needs force'],
    [['rule', 'add', '--name', '12', '--syscall', 'openat'], "invalid rule name '12'"],
    [['rule', 'list', '--uid', '3'], '--uid goes with rule add, not rule list'],
    [['rule', 'delete'], 'rule delete needs the rules to delete, by name or id'],
    [['rule', 'nope'], "command-argument value 'nope' is invalid for argument 'verb'. Allowed choices are add, delete, list."],
  ])('%j: usage error, nothing reaches the module', async (argv, message) => {
    const fake = fakeIn();
    const r = await runCli(argv, { fake });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(fake.rules).toEqual([]);
  });

  it.each([
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--uid', '0', '--uid', '1000'], '--uid'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--euid', '0', '--euid', '0'], '--euid'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--auid', '1', '--auid', '2'], '--auid'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--gid', '1', '--gid', '2'], '--gid'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--comm', 'sshd', '--comm', 'bash'], '--comm'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--exe', '/bin/a', '--exe', '/bin/b'], '--exe'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--cgroup', '/a', '--cgroup', '/b'], '--cgroup'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--path', '/a', '--path', '/b'], '--path'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--action', 'block', '--action', 'log'], '--action'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--action', 'block', '--errno', 'EPERM', '--errno', 'EACCES'], '--errno'],
    [['rule', 'add', '--name', 'x', '--syscall', 'openat', '--record', 'entry', '--record', 'both'], '--record'],
    [['rule', 'add', '--name', 'x', '--name', 'y', '--syscall', 'openat'], '--name'],
    [['run', '--name', 'x', '--name', 'y', '--', 'true'], '--name'],
    [['run', '--comm', 'a', '--comm', 'b', '--', 'true'], '--comm'],
    [['protect', '/tmp/s', '--name', 'x', '--name', 'y'], '--name'],
    [['protect', '/tmp/s', '--errno', 'EPERM', '--errno', 'EACCES'], '--errno'],
    [['unprotect', '--name', 'x', '--name', 'y'], '--name'],
  ])('%j: a flag that takes one value, given twice, is refused, not overridden', async (argv, flag) => {
    const fake = fakeIn();
    const r = await runCli(argv, { fake });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${flag} is given twice: it takes one value`);
    expect(fake.rules).toEqual([]);
  });

  it('a bad rule is a usage error even when the module is not loaded', async () => {
    const fake = createFakeBinding();
    fake.loaded = false;
    const r = await runCli(['rule', 'add', '--name', 'x', '--syscall', 'opnat'], { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown syscall 'opnat'; did you mean openat/);
  });

  it("the kernel's refusal: exit 5 with what it means", async () => {
    const fake = fakeIn();
    fake.existingPaths = new Set();
    const r = await runCli(['rule', 'add', '--name', 'x', '--syscall', 'openat', '--exe', '/no/such'], { fake });
    expect(r.code).toBe(5);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/exe \/no\/such: no such file/);
  });
});

describe('syscallmon protect', () => {
  it('one allow rule per --allow, then the block rule, on the file by its absolute path; unprotect removes them all', async () => {
    const fake = fakeIn();
    const r = await runCli(
      ['protect', '/tmp/secret', '--allow', 'exe=/usr/sbin/sshd', '--allow', 'uid=0,comm=dpkg*', '--ops', 'open,unlink'],
      { fake },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '#1 protect:/tmp/secret:allow:1: allow; open, unlink of /tmp/secret; exe /usr/sbin/sshd (added)\n' +
        '#2 protect:/tmp/secret:allow:2: allow; open, unlink of /tmp/secret; uid 0, comm dpkg* (added)\n' +
        '#3 protect:/tmp/secret: block with EPERM; open, unlink of /tmp/secret; every process (added)\n',
    );
    expect(fake.rules.map((x) => [x.rule.name, x.rule_class, x.rule.file])).toEqual([
      ['protect:/tmp/secret:allow:1', fake.c('CLASS_HAND'), '/tmp/secret'],
      ['protect:/tmp/secret:allow:2', fake.c('CLASS_HAND'), '/tmp/secret'],
      ['protect:/tmp/secret', fake.c('CLASS_HAND'), '/tmp/secret'],
    ]);
    // the verdicts, as the module decides them
    const open = (comm: string, uid: number, exe?: string) =>
      fake.fileAccess({ op: 'open', file: '/tmp/secret', pid: 300, comm, uid, exe, syscall: 'openat' }).errno;
    expect(open('cat', 1000)).toBe(1);
    expect(open('sshd', 1000, '/usr/sbin/sshd')).toBeNull();
    expect(open('dpkg-deb', 0)).toBeNull();
    expect(open('dpkg', 1000)).toBe(1);

    const twice = await runCli(['protect', '/tmp/secret'], { fake });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(
      'syscallmon: /tmp/secret is already protected (protect:/tmp/secret:allow:1, protect:/tmp/secret:allow:2, protect:/tmp/secret); syscallmon unprotect it first\n',
    );

    const un = await runCli(['unprotect', '/tmp/secret'], { fake });
    expect(un.code).toBe(0);
    expect(un.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(fake.rules).toEqual([]);
  });

  it('a relative FILE is taken from the working directory; --audit; --name', async () => {
    const fake = fakeIn();
    const r = await runCli(['protect', 'secret.txt', '--audit', '--name', 'mine'], { fake });
    expect(r.code).toBe(0);
    expect(fake.rules[0]!.rule.file).toBe(`${process.cwd()}/secret.txt`);
    expect(fake.rules[0]!.rule.flags & fake.c('RULE_ENFORCE')).toBe(0);
    expect(r.stdout).toContain('#1 mine: block with EPERM (audit);');
    expect((await runCli(['unprotect', '--name', 'mine'], { fake })).code).toBe(0);
    expect(fake.rules).toEqual([]);
  });

  it('--name of a rule protect did not make: protect does not take it over, unprotect does not delete it', async () => {
    const fake = fakeIn();
    expect((await runCli(['rule', 'add', '--name', 'mine', '--syscall', 'openat'], { fake })).code).toBe(0);
    const un = await runCli(['unprotect', '--name', 'mine'], { fake });
    expect(un.code).toBe(2);
    expect(un.stderr).toBe('syscallmon: no rule mine: nothing protected under that name (see syscallmon rule list)\n');
    const pr = await runCli(['protect', '/tmp/secret', '--name', 'mine'], { fake });
    expect(pr.code).toBe(2);
    expect(pr.stderr).toBe("syscallmon: the name mine is taken by rule #1, which protect did not make; give another --name\n");
    expect(fake.rules.map((x) => [x.rule.name, x.rule.file])).toEqual([['mine', '']]);
  });

  it('a refused rule takes back the ones added before it', async () => {
    const fake = fakeIn();
    fake.existingPaths = new Set(['/tmp/secret']);
    const r = await runCli(['protect', '/tmp/secret', '--allow', 'exe=/no/such'], { fake });
    expect(r.code).toBe(5);
    expect(fake.rules).toEqual([]);
    const two = await runCli(['protect', '/tmp/secret', '/tmp/missing'], { fake });
    expect(two.code).toBe(5);
    expect(fake.rules).toEqual([]);
  });

  it.each([
    [['protect', '/tmp/s', '--ops', 'open,read'], "--ops: unknown access 'read'"],
    [['protect', '/tmp/s', '--allow', 'user=bob'], 'expected SELECTOR=VALUE with SELECTOR one of uid, euid, auid, gid, comm, exe, cgroup'],
    [['protect', '/tmp/s', '--allow', 'uid=x'], "argument 'uid=x' is invalid"],
    [['protect', '/tmp/a', '/tmp/b', '--name', 'n'], '--name names one protected file; give one FILE'],
    [['protect', '/tmp/with space'], 'give --name NAME'],
    [['unprotect'], 'unprotect takes the protected FILEs, or --name NAME'],
    [['unprotect', '/tmp/not-protected'], 'no rule protect:/tmp/not-protected'],
  ])('%j: usage error', async (argv, message) => {
    const fake = fakeIn();
    const r = await runCli(argv, { fake });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(fake.rules).toEqual([]);
  });
});

describe('syscallmon syscalls', () => {
  it('lists the families', async () => {
    const r = await runCli(['syscalls', '@stat']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/@stat\s+stat, lstat, fstat, newfstatat, statx/);
  });

  it.each([['@ren?me', ['rename']], ['@*n*', ['open', 'unlink', 'rename', 'mount', 'net-connect']], ['@st?t', ['stat']]])(
    '%s: the families by the glob that syscall names take (* and ?)',
    async (pattern, names) => {
      const r = await runCli(['syscalls', pattern, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).family)).toEqual(names);
    },
  );
});

describe('the controller with a family', () => {
  it('--block --syscall @stat targets each member this kernel has', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--block', '--syscall', '@stat'], { fake });
    expect(r.code, r.stderr).toBe(0);
    const names = [...fake.targets.keys()].map((nr) => fake.syscallEntry(nr).name).sort();
    expect(names).toEqual(['fstat', 'lstat', 'newfstatat', 'stat', 'statx']);
  });

  it('an unknown family: usage error with the closest', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['--block', '--syscall', '@sta'], { fake });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("syscallmon: unknown syscall family '@sta'; did you mean @stat? (see syscallmon syscalls @)\n");
    expect(fake.calls).toEqual([]);
  });
});
