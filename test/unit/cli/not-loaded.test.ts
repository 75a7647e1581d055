// A module that is not loaded: every command that needs it says how to get
// it, `syscallmon load`, or, where this kernel cannot load modules, the sandbox.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Interrupt } from '../../../src/cli/context.js';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, runCli } from './harness.js';

const fsmFile = join(mkdtempSync(join(tmpdir(), 'smon-notloaded-')), 'fsm.json');
writeFileSync(fsmFile, '{"states": ["open", "read"]}');

const NEEDS_THE_MODULE: readonly (readonly string[])[] = [
  ['status'],
  ['log'],
  ['tail'],
  ['ps'],
  ['--log', '--syscall', 'openat'],
  ['--exits', 'on'],
  ['intercept', 'openat'],
  ['release', 'openat'],
  ['monitor', 'start', '--syscall', 'openat', '--pid', '1'],
  ['fsm', fsmFile],
];

function stopped(): Interrupt {
  return { signal: AbortSignal.abort('SIGINT'), dispose: () => {} };
}

async function notLoaded(argv: readonly string[], modulesSupported: boolean) {
  const fake = createFakeBinding((f) => {
    f.loaded = false;
  });
  const kmod = new FakeKmod();
  kmod.modulesSupported = modulesSupported;
  return runCli([...argv], { fake, kmod, interrupt: stopped });
}

describe('module not loaded', () => {
  it.each(NEEDS_THE_MODULE)('%s … where modules load: exit 3, load it with syscallmon load', async (...argv) => {
    const r = await notLoaded(argv, true);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^syscallmon: syscallmon module is not loaded \([^)]*\); load it with `syscallmon load`/);
    expect(r.stderr).not.toContain('sandbox');
  });

  it.each(NEEDS_THE_MODULE)('%s … where this kernel cannot load modules: exit 3, and the way out is the sandbox', async (...argv) => {
    const r = await notLoaded(argv, false);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^syscallmon: syscallmon module is not loaded \([^)]*\); this kernel was built without module support \(no \/proc\/modules\), so it cannot be loaded here; run the command in a VM instead: syscallmon sandbox \[--log \| --block\] \[--syscall NAME\]\.\.\. -- CMD\n$/,
    );
    expect(r.stderr).not.toContain('syscallmon load');
  });
});
