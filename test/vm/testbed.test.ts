// The test bed itself: what the kernel-module tests rely on being there.
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('integration test bed', () => {
  it('runs as root', () => {
    expect(process.getuid?.()).toBe(0);
  });

  it('has debugfs with the kprobes list (load/unload test checks probes there)', () => {
    expect(() => readFileSync('/sys/kernel/debug/kprobes/list', 'utf8')).not.toThrow();
  });

  it('has tracefs mounted', () => {
    accessSync('/sys/kernel/tracing/trace', constants.R_OK);
  });

  it('can write to the results directory', () => {
    const dir = process.env['SYSCALLMON_RESULTS'];
    expect(dir).toBeTruthy();
    writeFileSync(join(dir ?? '', 'testbed-probe'), 'ok\n');
  });
});
