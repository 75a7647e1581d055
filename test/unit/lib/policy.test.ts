// Policy files through the library over the fake binding: a file read into
// its normal form (however it was spelt), each kind of mistake a PolicyError
// naming file, line and field, the running policy compared with a file,
// applied in one replacement that keeps rules made by hand, and shown back
// as the same document.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/lib/errors.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { RULE_KEYS } from '../../../src/lib/rules.js';
import {
  applyPolicy, canonicalJson, parsePolicy, policyContext, policyDrift, policySchema, policySha256, POLICY_RULE_KEYS,
  readPolicyFile, renderDiff, renderPolicy, runningPolicy, type PolicyDocument,
} from '../../../src/lib/policy/index.js';
import { edited, everyFieldPolicy, policyYaml } from '../../fixtures/policy-files.js';
import { createFakeWithStatusFile, type FakeBinding } from '../fake-binding.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-policy-'));
let files = 0;
function file(text: string, ext = 'yaml'): string {
  const path = join(dir, `p${++files}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const ctx = policyContext();
const parse = (text: string, name = 'policy.yaml'): PolicyDocument => parsePolicy(text, name, ctx);

function open(): { fake: FakeBinding; mon: Monitor } {
  const fake = createFakeWithStatusFile();
  return { fake, mon: Monitor.open({ binding: fake }) };
}

const WEB = policyYaml({ name: 'web', mode: 'block', exits: true }, `\
    - name: no-ptrace
      action: block
      syscalls: [ptrace, "@stat", 2]
      errno: eacces
      enforce: true
      uid: {min: 1000, max: 1000}
      comm: {prefix: php-}
    - name: shadow
      file: /etc/shadow
      action: log
      fileOps: [unlink, open]
      euid: {min: 0, max: 99}
      record: complete
      force: false
`);

const WEB_NORMAL = policyYaml({ name: 'web', mode: 'block', exits: true }, `\
    - name: no-ptrace
      action: block
      syscalls: [open, stat, fstat, lstat, ptrace, newfstatat, statx]
      errno: EACCES
      enforce: true
      uid: 1000
      comm: {prefix: php-}
    - name: shadow
      action: log
      file: /etc/shadow
      fileOps: [open, unlink]
      euid: {min: 0, max: 99}
`);

const EVERY_FIELD = everyFieldPolicy({ exe: '/usr/sbin/sshd', cgroup: '/system.slice', file: '/etc/shadow' });

describe('reading a policy file', () => {
  it('reads a file into its normal form: families and numbers as names, errno names, defaults left out', () => {
    const doc = readPolicyFile(file(WEB), ctx);
    expect(renderPolicy(doc, 'yaml')).toBe(WEB_NORMAL);
    // The same policy spelt otherwise (JSON, other order, names) is the same document and hash.
    const json = readPolicyFile(file(JSON.stringify({
      kind: 'Policy', apiVersion: 'syscallmon/v1', metadata: { name: 'web' },
      spec: { exits: true, mode: 'block', rules: [
        { action: 'block', name: 'no-ptrace', syscalls: ['statx', 'open', '@stat', 'ptrace'], errno: 13, enforce: true, uid: 1000, comm: { prefix: 'php-' } },
        { name: 'shadow', action: 'log', file: '/etc/shadow', fileOps: ['open', 'unlink'], euid: { min: 0, max: 99 } },
      ] },
    }), 'json'), ctx);
    expect(json).toEqual(doc);
    expect(policySha256(json)).toBe(policySha256(doc));
    expect(policySha256(doc)).toMatch(/^[0-9a-f]{64}$/);
    // Anything that means something else hashes otherwise.
    expect(policySha256(parse(WEB.replace('eacces', 'EPERM')))).not.toBe(policySha256(doc));
    expect(policySha256(parse(WEB.replace('name: web', 'name: web2')))).not.toBe(policySha256(doc));
  });

  it('its hash is the sha256 of the canonical JSON: keys sorted, no spaces', () => {
    expect(canonicalJson({ b: [1, { d: 'x', c: null }], a: true })).toBe('{"a":true,"b":[1,{"c":null,"d":"x"}]}');
  });

  it('YAML and JSON as policy show prints them read back as the same document', () => {
    const doc = parse(EVERY_FIELD);
    // Written in its normal form, which the VM's test expects policy show to print back.
    expect(renderPolicy(doc, 'yaml')).toBe(EVERY_FIELD);
    expect(parse(renderPolicy(doc, 'yaml'))).toEqual(doc);
    expect(parse(renderPolicy(doc, 'json'), 'policy.json')).toEqual(doc);
    expect(JSON.parse(renderPolicy(doc, 'json'))).toEqual(doc);
  });

  it('the schema has every field of a rule but pid sets and process trees, and the example uses each', () => {
    const schema = policySchema(ctx.constants) as { properties: { spec: { properties: { rules: { items: { properties: object } } } } } };
    expect(Object.keys(schema.properties.spec.properties.rules.items.properties)).toEqual([...POLICY_RULE_KEYS]);
    expect([...POLICY_RULE_KEYS, 'pids', 'tree'].sort()).toEqual([...RULE_KEYS].sort());
    const used = new Set(parse(EVERY_FIELD).spec.rules.flatMap((r) => Object.keys(r)));
    expect(POLICY_RULE_KEYS.filter((k) => !used.has(k))).toEqual([]);
  });

  const bad = (from: string, to: string): string => edited(WEB, from, to);
  const cases: [string, string, string][] = [
    ['unknown field', bad('      action: block', '      acton: block'), "policy.yaml:10: spec.rules[0].acton: unknown field; did you mean 'action'?"],
    ['misspelt syscall', bad('ptrace, ', 'ptrase, '), "policy.yaml:11: spec.rules[0].syscalls[0]: unknown syscall 'ptrase'; did you mean ptrace?"],
    ['unknown family', bad('"@stat"', '"@sta"'), "policy.yaml:11: spec.rules[0].syscalls[1]: unknown syscall family '@sta'; did you mean @stat?"],
    ['bad action', bad('action: log', 'action: blok'), "policy.yaml:18: spec.rules[1].action: 'blok' is not one of allow, log, block, kill; did you mean block?"],
    ['bad errno', bad('errno: eacces', 'errno: EACESS'), "policy.yaml:12: spec.rules[0].errno: unknown errno 'EACESS'; did you mean EACCES? (--help lists the errno names)"],
    ['errno out of range', bad('errno: eacces', 'errno: 5000'), 'policy.yaml:12: spec.rules[0].errno: errno 5000 out of range (1..4095)'],
    ['empty uid range', bad('{min: 0, max: 99}', '{min: 99, max: 0}'), 'policy.yaml:20: spec.rules[1].euid: the range 99-0 is empty (min is above max)'],
    ['negative uid', bad('uid: {min: 1000, max: 1000}', 'uid: -5'), 'policy.yaml:14: spec.rules[0].uid: must be from 0 to 4294967295, got the number -5'],
    ['half a range', bad('{min: 0, max: 99}', '{min: 0}'), 'policy.yaml:20: spec.rules[1].euid.max: missing (required)'],
    ['uid as text', bad('uid: {min: 1000, max: 1000}', 'uid: root'), "policy.yaml:14: spec.rules[0].uid: must be an id from 0 to 4294967295, or { min, max }, got 'root'"],
    ['wrong apiVersion', bad('syscallmon/v1', 'syscallmon/v2'), "policy.yaml:1: apiVersion: must be 'syscallmon/v1', got 'syscallmon/v2'"],
    ['wrong kind', bad('kind: Policy', 'kind: Policies'), "policy.yaml:2: kind: must be 'Policy', got 'Policies'"],
    ['YAML syntax', bad('comm: {prefix: php-}', 'comm: {prefix: php-'), 'policy.yaml:16: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }'],
    ['duplicate key', bad('      enforce: true\n', '      enforce: true\n      enforce: false\n'), 'policy.yaml:14: YAML syntax: Map keys must be unique'],
    ['two documents', `${WEB}---\n${WEB}`, `policy.yaml:${WEB.split('\n').length}: a policy file holds one YAML document; a second starts here`],
    ['duplicate rule name', bad('name: shadow', 'name: no-ptrace'), 'policy.yaml:16: spec.rules[1].name: a second rule named no-ptrace (the first is at line 9)'],
    ['wrong type', bad('exits: true', 'exits: "yes"'), "policy.yaml:7: spec.exits: must be true or false, got 'yes'"],
    ['unknown field, nothing close', bad('  rules:\n', '  old: 1\n  rules:\n'), 'policy.yaml:8: spec.old: unknown field (fields: mode, exits, rules)'],
    ['rules not a list', WEB.slice(0, WEB.indexOf('  rules:')) + '  rules: none\n', "policy.yaml:8: spec.rules: must be a list, got 'none'"],
    ['missing field', bad('  mode: block\n', ''), 'policy.yaml:5: spec.mode: missing (required)'],
    ['missing action', bad('      action: log\n', ''), 'policy.yaml:16: spec.rules[1].action: missing (required)'],
    ['pid sets', bad('      enforce: true', '      pids: [1]'), 'policy.yaml:13: spec.rules[0].pids: a policy names what exists at any time: no pid sets or process trees (add such rules by hand)'],
    ['enforce on a log rule', bad('action: log', 'action: log\n      enforce: true'), 'policy.yaml:19: spec.rules[1].enforce: enforce applies to block and kill rules, not log'],
    ['a file rule with syscalls', bad('      fileOps: [unlink, open]', '      fileOps: [unlink, open]\n      syscalls: [openat]'),
      'policy.yaml:20: spec.rules[1].syscalls: a file rule decides accesses to its file, not syscalls'],
    ['a comm with a trailing *', bad('comm: {prefix: php-}', 'comm: php-*'), "policy.yaml:15: spec.rules[0].comm: comm 'php-*': a * is not a wildcard here; a prefix is { prefix: 'php-' }"],
    ['relative exe', bad('      enforce: true', '      enforce: true\n      exe: sshd'), "policy.yaml:14: spec.rules[0].exe: exe 'sshd' is not an absolute path"],
    ['bad policy name', bad('name: web', 'name: "my web"'), "policy.yaml:4: metadata.name: a policy name is letters, digits, '.', '_' and '-' (not first), at most 55 characters; got 'my web'"],
    ['not a mapping', '- just\n- a list\n', 'policy.yaml:1: must be a mapping (key: value), got a list'],
    ['empty file', '', 'policy.yaml:1: must be a mapping (key: value), got nothing (null)'],
  ];

  it.each(cases)('%s: one line naming file, line and field', (_, text, message) => {
    let error: unknown;
    try {
      parse(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).kind).toBe('usage');
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('JSON files: the line of the field', () => {
    const text = '{"apiVersion": "syscallmon/v1", "kind": "Policy",\n "spec": {"mode": "log",\n  "rules": [{"name": "x", "action": "log",\n    "syscalls": ["opnat"]}]}}\n';
    expect(() => parse(text, 'p.json')).toThrow("p.json:4: spec.rules[0].syscalls[0]: unknown syscall 'opnat'; did you mean openat?");
  });

  it('a file that cannot be read names it', () => {
    expect(() => readPolicyFile(join(dir, 'none.yaml'), ctx)).toThrow(`${join(dir, 'none.yaml')}: cannot read the policy file: ENOENT (no such file or directory)`);
  });
});

describe('applying a policy', () => {
  it('show -> apply -> show is the same document, every field; the tag names it and its hash', () => {
    const { fake, mon } = open();
    const doc = parse(EVERY_FIELD);
    const diff = applyPolicy(mon, doc);
    expect(diff).toMatchObject({ applied: true, changes: true, name: 'every-field', previous_tag: '' });
    expect(diff.tag).toBe(`every-field sha256:${policySha256(doc).slice(0, 16)}`);
    expect(diff.added.map((r) => r.name)).toEqual(['all-selectors', 'entries', 'secret', 'entry-only', 'exception']);
    expect(fake.policyTag).toBe(diff.tag);
    const shown = runningPolicy(mon);
    expect(shown).toEqual(doc);
    expect(policyDrift(mon, doc)).toBe(false);
    // Applied again: nothing to change, no replacement.
    const before = fake.calls.length;
    const again = applyPolicy(mon, parse(renderPolicy(shown, 'yaml')));
    expect(again).toMatchObject({ changes: false, applied: false, added: [], removed: [], changed: [] });
    expect(fake.calls.slice(before).map((c) => c.method)).not.toContain('replacePolicy');
    expect(runningPolicy(mon)).toEqual(shown);
  });

  it('one replacement with the mode, exits, tag and every rule; rules kept keep their ids; hand rules stay', () => {
    const { fake, mon } = open();
    applyPolicy(mon, parse(WEB));
    const handId = mon.addRule({ name: 'by-hand', action: 'log', syscalls: ['getpid'] });
    const ids = new Map(mon.rules().map((r) => [r.name, r.id]));
    const next = parse(WEB.replace('eacces', 'EPERM').replace('exits: true', 'exits: false').replace('mode: block', 'mode: log')
      .replace('    - name: shadow', '    - name: new-one\n      action: log\n      syscalls: [getppid]\n    - name: gone'));
    const calls = fake.calls.length;
    const diff = applyPolicy(mon, next);
    const replaced = fake.calls.slice(calls).filter((c) => c.method === 'replacePolicy');
    expect(replaced).toHaveLength(1);
    expect(diff).toMatchObject({
      applied: true, mode: { before: 'block', after: 'log' }, exits: { before: true, after: false },
      added: [{ name: 'new-one' }, { name: 'gone' }], removed: [{ name: 'shadow' }],
      changed: [{ name: 'no-ptrace', fields: ['errno'], before: { errno: 'EACCES' }, after: {} }],
      reordered: null,
    });
    const rules = mon.rules();
    expect(rules.map((r) => `${r.rule_class} ${r.name}`)).toEqual(['policy no-ptrace', 'policy new-one', 'policy gone', 'hand by-hand']);
    expect(rules.find((r) => r.name === 'no-ptrace')?.id).toBe(ids.get('no-ptrace'));
    expect(rules.find((r) => r.name === 'by-hand')?.id).toBe(handId);
    expect(mon.status()).toMatchObject({ mode: 'log', exits: false });
  });

  it('--dry-run: the diff, and nothing changes', () => {
    const { fake, mon } = open();
    const calls = fake.calls.length;
    const diff = applyPolicy(mon, parse(WEB), { dryRun: true });
    expect(diff).toMatchObject({ changes: true, applied: false, mode: { before: 'off', after: 'block' } });
    expect(fake.calls.slice(calls).map((c) => c.method)).not.toContain('replacePolicy');
    expect(mon.rules()).toEqual([]);
    expect(fake.policyTag).toBe('');
  });

  it('rules that change places are a change (the first that matches decides)', () => {
    const { mon } = open();
    applyPolicy(mon, parse(WEB));
    const swapped = parse(WEB).spec.rules.reverse();
    const doc = { ...parse(WEB), spec: { ...parse(WEB).spec, rules: swapped } };
    const diff = applyPolicy(mon, doc);
    expect(diff).toMatchObject({ applied: true, added: [], removed: [], changed: [], reordered: { before: ['no-ptrace', 'shadow'], after: ['shadow', 'no-ptrace'] } });
    expect(mon.rules().map((r) => r.name)).toEqual(['shadow', 'no-ptrace']);
  });

  it.each([
    ['EWOULDBLOCK', 'EAGAIN'],
    ['edeadlock', 'EDEADLK'],
    ['ENOTSUP', 'EOPNOTSUPP'],
    ['11', 'EAGAIN'],
    // A code the kernel uses inside has a name that is printed, not taken: it stays a number.
    ['512', 512],
  ])('errno %s reads back as %s: applied once, then unchanged and no drift', (given, name: string | number) => {
    const { fake, mon } = open();
    const doc = parse(WEB.replace('eacces', given));
    expect(doc.spec.rules[0]!.errno).toBe(name);
    expect(applyPolicy(mon, doc).applied).toBe(true);
    expect(policyDrift(mon, doc)).toBe(false);
    const calls = fake.calls.length;
    expect(applyPolicy(mon, doc)).toMatchObject({ changes: false, applied: false, changed: [] });
    expect(fake.calls.slice(calls).map((c) => c.method)).not.toContain('replacePolicy');
  });

  it('drift: a change made otherwise to the mode or the policy rules', () => {
    const { fake, mon } = open();
    const doc = parse(WEB);
    applyPolicy(mon, doc);
    expect(policyDrift(mon, doc)).toBe(false);
    mon.addRule({ name: 'by-hand', action: 'log', syscalls: ['getpid'] });
    expect(policyDrift(mon, doc)).toBe(false);
    mon.setMode('log');
    expect(policyDrift(mon, doc)).toBe(true);
    mon.setMode('block');
    expect(policyDrift(mon, doc)).toBe(false);
    // What a run holds for its command's time is no part of the policy: no drift, and not exported.
    const logDoc = { ...doc, spec: { ...doc.spec, mode: 'log' as const } };
    mon.setMode('log');
    const run = Monitor.open({ binding: fake });
    run.hold({ mode: 'block' });
    expect(mon.status().mode).toBe('block');
    expect(policyDrift(mon, logDoc)).toBe(false);
    expect(runningPolicy(mon).spec.mode).toBe('log');
    run.close();
    mon.setMode('block');
    mon.replacePolicy({ mode: 'block', exits: true, rules: doc.spec.rules.slice(1), tag: 'other' });
    expect(policyDrift(mon, doc)).toBe(true);
    // A tag set otherwise names no policy: shown without a name.
    expect(runningPolicy(mon).metadata).toBeUndefined();
  });

  it('a rule whose file was replaced (stale) is made again, so it holds the file there now; until then, drift', () => {
    const { fake, mon } = open();
    const doc = parse(WEB);
    applyPolicy(mon, doc);
    const id = mon.rules().find((r) => r.name === 'shadow')?.id;
    // passwd renames a new /etc/shadow over the one the rule holds.
    fake.stalePaths.add('/etc/shadow');
    expect(mon.rules().find((r) => r.name === 'shadow')?.stale).toBe(true);
    expect(policyDrift(mon, doc)).toBe(true);
    expect(applyPolicy(mon, doc, { dryRun: true })).toMatchObject({ changes: true, applied: false, stale: ['shadow'], changed: [] });
    const calls = fake.calls.length;
    const diff = applyPolicy(mon, doc);
    expect(diff).toMatchObject({ changes: true, applied: true, stale: ['shadow'], added: [], changed: [], removed: [] });
    expect(fake.calls.slice(calls).filter((c) => c.method === 'replacePolicy')).toHaveLength(1);
    expect(renderDiff(diff)).toBe([
      `policy ${diff.tag}`,
      '! rule shadow: its file was replaced since it was made (stale); made again, it holds the one there now',
      'applied: 0 added, 0 changed, 0 removed, 1 made again',
      '',
    ].join('\n'));
    const shadow = mon.rules().find((r) => r.name === 'shadow');
    expect(shadow).toMatchObject({ id, stale: false });
    expect(policyDrift(mon, doc)).toBe(false);
    expect(applyPolicy(mon, doc)).toMatchObject({ changes: false, applied: false, stale: [] });
  });

  it('a rule the module refuses: an error, and the running policy is unchanged', () => {
    const { fake, mon } = open();
    applyPolicy(mon, parse(WEB));
    const before = runningPolicy(mon);
    fake.existingPaths = new Set(['/etc/shadow']);
    const doc = parse(WEB.replace('      enforce: true', '      enforce: true\n      exe: /no/such/program'));
    expect(() => applyPolicy(mon, doc)).toThrow(/kernel refused to replace the policy: ENOENT/);
    expect(runningPolicy(mon)).toEqual(before);
  });

  it('the diff as lines', () => {
    const { mon } = open();
    applyPolicy(mon, parse(WEB));
    const next = parse(WEB.replace('eacces', 'EPERM').replace('exits: true', 'exits: false').replace('uid: {min: 1000, max: 1000}', 'uid: {min: 1000, max: 2000}')
      .replace('    - name: shadow', '    - name: new-one\n      action: log\n      syscalls: [getppid]\n    - name: gone'));
    const diff = applyPolicy(mon, next, { dryRun: true });
    expect(renderDiff(diff)).toBe([
      `policy ${diff.tag} (running: ${diff.previous_tag})`,
      '  exit events: on -> off',
      '+ rule new-one: {action: log, syscalls: [getppid]}',
      '+ rule gone: {action: log, file: /etc/shadow, fileOps: [open, unlink], euid: {min: 0, max: 99}}',
      '~ rule no-ptrace: errno EACCES -> EPERM; uid 1000 -> {min: 1000, max: 2000}',
      '- rule shadow: {action: log, file: /etc/shadow, fileOps: [open, unlink], euid: {min: 0, max: 99}}',
      'dry run, nothing applied: 2 added, 1 changed, 1 removed',
      '',
    ].join('\n'));
    expect(renderDiff(applyPolicy(mon, parse(WEB)))).toBe(`policy ${diff.previous_tag}\nunchanged: the running policy is this one\n`);
  });
});
