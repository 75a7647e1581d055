// The harness's children write where it does: colour only on a terminal.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainUnlessTerminal } from '../../harness/report.js';
import { ROOT } from '../cli/built.js';

describe('plainUnlessTerminal', () => {
  it('off a terminal: NO_COLOR, the rest kept', () => {
    expect(plainUnlessTerminal({ CI: 'true', PATH: '/bin' }, false)).toEqual({ CI: 'true', PATH: '/bin', NO_COLOR: '1' });
  });

  it('on a terminal: as it was', () => {
    const env = { CI: 'true', PATH: '/bin' };
    expect(plainUnlessTerminal(env, true)).toBe(env);
  });

  it('vitest under CI=true, piped: escape codes in its log, none with it', () => {
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/unit/render/shell.test.ts'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
    const base: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
    delete base['NO_COLOR'];
    delete base['FORCE_COLOR'];
    const coloured = run(base);
    expect(coloured.status).toBe(0);
    expect(coloured.stdout).toMatch(/\x1b\[/);
    const plain = run(plainUnlessTerminal(base, false));
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('shell.test.ts');
    expect(plain.stdout + plain.stderr).not.toMatch(/\x1b\[/);
  }, 240_000);
});
