// The built bin, spawned: what a user's shell sees (exit codes, streams).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'syscallmon');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  // The bin runs dist/; make sure it is the code under test.
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newestMtime(join(ROOT, 'src'))) {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  }
}, 120_000);

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('bin/syscallmon', () => {
  it('--help: exit 0, usage and the exit code table on stdout', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: syscallmon \[--off \| --log \| --block\]/);
    expect(r.stdout).toContain('Exit codes:\n  0  success');
    expect(r.stdout).toContain('3  module not loaded');
    expect(r.stderr).toBe('');
  });

  it('a subcommand --help: exit 0', () => {
    const r = run(['tail', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: syscallmon tail \[options\]/);
  });

  it('usage error: exit 2, one line on stderr, nothing on stdout', () => {
    const r = run(['--log', '--syscall', 'read', '--pid', '0']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^syscallmon: option '--pid <pid>' argument '0' is invalid\. [^\n]*\n$/);
  });

  it('corrupted capacity: exit 2', () => {
    expect(run(['load', '--capacity', '1000']).status).toBe(2);
    expect(run(['load', '--capacity', 'abc']).status).toBe(2);
  });

  it('unknown syscall: exit 2 with a suggestion', () => {
    const r = run(['tail', '--syscall', 'opnat']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("syscallmon: unknown syscall 'opnat'; did you mean openat?\n");
  });

  it.runIf(!existsSync('/dev/syscallmon'))('no module here: exit 3 and how to load it', () => {
    const r = run(['status']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^syscallmon: syscallmon module is not loaded .*`syscallmon load`/);
  });
});
