// `syscallmon daemon`'s refusals: each a one-line error, exit 2, before the
// module is loaded or anything in it changes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, runCli } from '../cli/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-daemon-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'good.yaml');
writeFileSync(good, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: log\n  rules: []\n');
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: lgo\n  rules: []\n');

describe('syscallmon daemon: refusals', () => {
  it.each([
    [['--policy', bad], new RegExp(`^syscallmon: ${bad}:4: spec\\.mode: `)],
    [['--policy', join(dir, 'none.yaml')], /^syscallmon: .*none\.yaml.*(ENOENT|no such file)/i],
    [['--policy', good, '--metrics', '9737'], /^syscallmon: invalid metrics address "9737"/],
    [['--policy', good, '--on-stop', 'maybe'], /^syscallmon: option '--on-stop <what>' argument 'maybe' is invalid/],
    [['--policy', good, '--ring-size', '3M'], /^syscallmon: the ring size must be a power of two/],
    [['--policy', good, '--output', join(dir, 'no-dir', 'events.ndjson')], /^syscallmon: cannot open the output file .*no-dir\/events\.ndjson: ENOENT$/m],
    [[], /^syscallmon: required option '--policy <file>' not specified/],
  ])('daemon %j', async (args, message) => {
    const fake = createFakeBinding();
    const kmod = new FakeKmod();
    const r = await runCli(['daemon', ...args], { fake, kmod });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(kmod.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});

describe('syscallmon daemon: a start that fails leaves the output as it was', () => {
  const noModule = (): FakeKmod => Object.assign(new FakeKmod(), { built: false, loaded: false });

  it('a file it created is removed again', async () => {
    const output = join(dir, 'new.ndjson');
    const r = await runCli(['daemon', '--policy', good, '--output', output], { fake: createFakeBinding(), kmod: noModule() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^syscallmon: .*syscallmon\.ko is not built; build it with `npm run build:kmod`\n$/);
    expect(existsSync(output)).toBe(false);
  });

  it('a file that was there is kept, with what it held', async () => {
    const output = join(dir, 'old.ndjson');
    writeFileSync(output, '{"type":"exit"}\n');
    const r = await runCli(['daemon', '--policy', good, '--output', output], { fake: createFakeBinding(), kmod: noModule() });
    expect(r.code).toBe(1);
    expect(readFileSync(output, 'utf8')).toBe('{"type":"exit"}\n');
  });
});
