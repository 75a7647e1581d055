// `apply FILE [--dry-run] [--json]` and `policy show [--json]` over the fake
// binding: exact output, the module's state after each, and a bad file
// refused with one line and exit 2 before the device is even opened.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyYaml } from '../../fixtures/policy-files.js';
import { createFakeWithStatusFile } from '../fake-binding.js';
import { runCli } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-cli-policy-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const POLICY = policyYaml({ name: 'lab', mode: 'block', exits: false }, `\
    - name: no-ptrace
      action: block
      syscalls: [ptrace]
      errno: EACCES
      enforce: true
    - name: shell-opens
      action: log
      syscalls: ["@open"]
      comm: {prefix: ba}
`);

describe('apply and policy show', () => {
  it('apply prints the diff and applies; policy show prints the file back; applied again nothing changes', async () => {
    const fake = createFakeWithStatusFile();
    const path = file('lab.yaml', POLICY);
    const dry = await runCli(['apply', '--dry-run', path], { fake });
    expect(dry.code, dry.stderr).toBe(0);
    expect(fake.rules).toEqual([]);
    const r = await runCli(['apply', path], { fake });
    expect(r.code, r.stderr).toBe(0);
    const tag = fake.policyTag;
    expect(tag).toMatch(/^lab sha256:[0-9a-f]{16}$/);
    const added = [
      '+ rule no-ptrace: {action: block, syscalls: [ptrace], errno: EACCES, enforce: true}',
      '+ rule shell-opens: {action: log, syscalls: [open, creat, openat, openat2], comm: {prefix: ba}}',
    ];
    expect(dry.stdout).toBe([`policy ${tag}`, '  mode: off -> block', ...added, 'dry run, nothing applied: 2 added, 0 changed, 0 removed', ''].join('\n'));
    expect(r.stdout).toBe([`policy ${tag}`, '  mode: off -> block', ...added, 'applied: 2 added, 0 changed, 0 removed', ''].join('\n'));
    expect(fake.rules.map((x) => x.rule.name)).toEqual(['no-ptrace', 'shell-opens']);

    const shown = await runCli(['policy', 'show'], { fake });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(POLICY.replace('syscalls: ["@open"]', 'syscalls: [open, creat, openat, openat2]'));
    const again = await runCli(['apply', file('shown.yaml', shown.stdout)], { fake });
    expect(again.stdout).toBe(`policy ${tag}\nunchanged: the running policy is this one\n`);
    expect((await runCli(['policy', 'show'], { fake })).stdout).toBe(shown.stdout);

    const json = await runCli(['policy', 'show', '--json'], { fake });
    expect(JSON.parse(json.stdout)).toMatchObject({ apiVersion: 'syscallmon/v1', kind: 'Policy', metadata: { name: 'lab' }, spec: { mode: 'block' } });
    const fromJson = await runCli(['apply', '--json', file('shown.json', json.stdout)], { fake });
    expect(JSON.parse(fromJson.stdout)).toMatchObject({ changes: false, applied: false, tag });
  });

  it('a bad file: one line, exit 2, and the device is not touched', async () => {
    const fake = createFakeWithStatusFile();
    const path = file('bad.yaml', POLICY.replace('errno: EACCES', 'errno: EACCESS'));
    const r = await runCli(['apply', path], { fake });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`syscallmon: ${path}:12: spec.rules[0].errno: unknown errno 'EACCESS'; did you mean EACCES? (--help lists the errno names)\n`);
    expect(fake.calls).toEqual([]);
    const missing = await runCli(['apply', join(dir, 'none.yaml')], { fake });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`syscallmon: ${join(dir, 'none.yaml')}: cannot read the policy file: ENOENT (no such file or directory)\n`);
  });

  it('hand-made rules are not the policy\'s: apply keeps them, policy show leaves them out', async () => {
    const fake = createFakeWithStatusFile();
    await runCli(['apply', file('lab2.yaml', POLICY)], { fake });
    const id = fake.rules.length;
    expect(id).toBe(2);
    const hand = fake.addRule(fake.open(fake.devicePath, true), {
      id: 0, rule_class: fake.c('CLASS_HAND'), name: 'mine', syscalls: [fake.syscallEntry('getpid').nr], action: fake.c('RULE_LOG'), err: 0,
      flags: 0, record: fake.c('RECORD_COMPLETE'), file_ops: 0, pids: [], uid: { min: 0, max: 0 }, euid: { min: 0, max: 0 },
      auid: { min: 0, max: 0 }, gid: { min: 0, max: 0 }, comm: '', exe: '', cgroup: '', path: '', file: '',
    });
    const r = await runCli(['apply', file('lab3.yaml', POLICY.replace(/    - name: shell-opens[^]*$/, ''))], { fake });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('- rule shell-opens:');
    expect(fake.rules.map((x) => `${x.id} ${x.rule.name}`)).toEqual(['1 no-ptrace', `${hand} mine`]);
    expect((await runCli(['policy', 'show'], { fake })).stdout).not.toContain('mine');
  });
});
