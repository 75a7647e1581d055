// The integration suite's kernel plan (one run per tested line) and how a
// run's results are named after its kernel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectOutcomes, plannedKernels, type KernelRun } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');

describe('plannedKernels', () => {
  const saved = process.env['SYSCALLMON_TEST_KERNELS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['SYSCALLMON_TEST_KERNELS'];
    else process.env['SYSCALLMON_TEST_KERNELS'] = saved;
  });

  it('plans a run per tested line: 6.1, the default, with the CLI suite and a stock command line; 6.12 with x32 on', () => {
    delete process.env['SYSCALLMON_TEST_KERNELS'];
    const { runs, missing } = plannedKernels(root);
    const planned = [...runs.map((r) => r.line), ...missing.map((m) => m.name.replace(/^kernel (\S+):.*/, '$1'))];
    expect(planned.sort()).toEqual(['6.1', '6.12']);
    for (const m of missing) expect(m).toMatchObject({ status: 'failed', details: expect.stringMatching(/apt-get install linux-image-\S+ linux-headers-/) });
    for (const run of runs) {
      expect(run.release.startsWith(`${run.line}.`)).toBe(true);
      expect(run).toMatchObject(
        run.line === '6.1'
          ? { steps: ['kmod', 'stress', 'vitest'], kernelArgs: [] }
          : { steps: ['kmod', 'stress'], kernelArgs: ['syscall.x32=y'] },
      );
    }
  });

  it('SYSCALLMON_TEST_KERNELS keeps only the lines it names, and refuses a line that is not tested', () => {
    process.env['SYSCALLMON_TEST_KERNELS'] = '6.12';
    const { runs, missing } = plannedKernels(root);
    expect([...runs.map((r) => r.line), ...missing.map((m) => m.name)]).toEqual([runs.length > 0 ? '6.12' : 'kernel 6.12: installed']);
    process.env['SYSCALLMON_TEST_KERNELS'] = '6.1, 5.10';
    expect(() => plannedKernels(root)).toThrow("SYSCALLMON_TEST_KERNELS: '5.10' is not a tested kernel line (6.1, 6.12)");
  });
});

describe('collectOutcomes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'syscallmon-results-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kernel: KernelRun = { line: '6.12', release: '6.12.118+deb12-amd64', steps: ['kmod', 'stress'], kernelArgs: ['syscall.x32=y'] };

  it('names each result after the kernel it ran on, and reads only the steps that kernel ran', () => {
    writeFileSync(join(dir, 'kmod.tap'), '1..2\nok 1 - load/unload\n# x32 is off\nnot ok 2 - entry points\n');
    writeFileSync(join(dir, 'kmod.status'), '1\n');
    writeFileSync(join(dir, 'stress.tap'), '1..1\nok 1 - storm\n');
    writeFileSync(join(dir, 'stress.status'), '0\n');
    // A CLI suite's leftovers are not this kernel's: it did not run it.
    writeFileSync(join(dir, 'vitest.status'), '1\n');
    expect(collectOutcomes(dir, root, 1, kernel)).toEqual([
      { name: 'kmod (6.12.118+deb12-amd64): load/unload', status: 'passed', details: '' },
      { name: 'kmod (6.12.118+deb12-amd64): entry points', status: 'failed', details: 'x32 is off' },
      { name: 'stress (6.12.118+deb12-amd64): storm', status: 'passed', details: '' },
    ]);
  });

  it('a step the kernel was to run and did not is a failure of that kernel', () => {
    writeFileSync(join(dir, 'kmod.tap'), '1..1\nok 1 - load/unload\n');
    writeFileSync(join(dir, 'kmod.status'), '0\n');
    expect(collectOutcomes(dir, root, 0, kernel)).toContainEqual({
      name: 'stress (6.12.118+deb12-amd64): results',
      status: 'failed',
      details: 'no stress.tap: the C test step did not run',
    });
  });
});
