// The built bin, spawned: what a user's shell sees (exit codes, streams).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemKmod } from '../../../src/lib/kmod.js';
import { ensureDist, ROOT } from './built.js';

const BIN = join(ROOT, 'bin', 'syscallmon');

beforeAll(ensureDist, 120_000);

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

  it('a corrupted ring size: exit 2', () => {
    for (const size of ['1000', 'abc', '3M']) {
      const r = run(['load', '--ring-size', size]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`syscallmon: the ring size must be a power of two from 64 KiB to 1 GiB (bytes, or with K, M or G), got "${size}"\n`);
    }
  });

  it('sandbox: a word of CMD that is not UTF-8 is refused before any VM, not run changed; U+FFFD itself is no such word', () => {
    // sh, as node can pass no such bytes; no QEMU, so a VM that would boot fails at once (125).
    const sandbox = (word: string) =>
      spawnSync('/bin/sh', ['-c', `exec "$0" sandbox -- printf '%s' "$(printf '${word}')"`, BIN], {
        encoding: 'utf8',
        env: { ...process.env, SYSCALLMON_QEMU: '/nonexistent/qemu' },
        timeout: 60_000,
      });
    const bad = sandbox('a\\377b');
    expect(bad.stderr).toBe(
      "syscallmon: CMD's argument 2 ('a\uFFFDb' as read) is not UTF-8: the sandbox hands CMD its words as UTF-8 text, so it would run CMD with other bytes\n",
    );
    expect(bad.status).toBe(2);
    const replacement = sandbox('a\\357\\277\\275b');
    expect(replacement.status).toBe(125);
    expect(replacement.stderr).toContain('cannot start /nonexistent/qemu');
  });

  it('unknown syscall: exit 2 with a suggestion', () => {
    const r = run(['tail', '--syscall', 'opnat']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("syscallmon: unknown syscall 'opnat'; did you mean openat?\n");
  });

  it.runIf(!existsSync('/dev/syscallmon'))('no module here: exit 3 and how to load it, or the sandbox where modules cannot load', () => {
    const r = run(['status']);
    expect(r.status).toBe(3);
    if (systemKmod.canLoadModules().ok) {
      expect(r.stderr).toMatch(/^syscallmon: syscallmon module is not loaded .*`syscallmon load`/);
    } else {
      expect(r.stderr).toMatch(/^syscallmon: syscallmon module is not loaded .*; run the command in a VM instead: syscallmon sandbox /);
    }
  });

  it('output that cannot be written (a full disk): exit 1, one line on stderr; a reader gone (| head) stays quiet', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['syscalls'], ['--version', '--json']]) {
        const r = spawnSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', full, 'pipe'], timeout: 60_000 });
        expect(r.stderr).toBe('syscallmon: cannot write the output: ENOSPC (no space left on device)\n');
        expect(r.status).toBe(1);
      }
    } finally {
      closeSync(full);
    }
    const piped = spawnSync('/bin/sh', ['-c', '"$0" syscalls | head -n 1', BIN], { encoding: 'utf8', timeout: 60_000 });
    expect(piped.stdout).toMatch(/^ *NR +NAME/);
    expect(piped.stderr).toBe('');
  });
});
