// The integration suite's kernel plan (one run per tested line) and how a
// run's results are named after its kernel.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectOutcomes, plannedKernels, type KernelRun } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');

describe('plannedKernels', () => {
  const saved = { kernels: process.env['SYSCALLMON_TEST_KERNELS'], steps: process.env['SYSCALLMON_TEST_STEPS'], files: process.env['SYSCALLMON_TEST_FILES'] };
  afterEach(() => {
    if (saved.files === undefined) delete process.env['SYSCALLMON_TEST_FILES'];
    else process.env['SYSCALLMON_TEST_FILES'] = saved.files;
    if (saved.kernels === undefined) delete process.env['SYSCALLMON_TEST_KERNELS'];
    else process.env['SYSCALLMON_TEST_KERNELS'] = saved.kernels;
    if (saved.steps === undefined) delete process.env['SYSCALLMON_TEST_STEPS'];
    else process.env['SYSCALLMON_TEST_STEPS'] = saved.steps;
  });

  it('plans the kernel tests on each tested line (6.1 with a stock command line, 6.12 with x32 on) and each CLI suite file on 6.1 in a run of its own, the slowest files first', () => {
    delete process.env['SYSCALLMON_TEST_KERNELS'];
    delete process.env['SYSCALLMON_TEST_STEPS'];
    delete process.env['SYSCALLMON_TEST_FILES'];
    const { runs, missing } = plannedKernels(root);
    const planned = new Set([...runs.map((r) => r.line), ...missing.map((m) => m.name.replace(/^kernel (\S+):.*/, '$1'))]);
    expect([...planned].sort()).toEqual(['6.1', '6.12']);
    for (const m of missing) expect(m).toMatchObject({ status: 'failed', details: expect.stringMatching(/apt-get install linux-image-\S+ linux-headers-/) });
    for (const run of runs) {
      expect(run.release.startsWith(`${run.line}.`)).toBe(true);
      expect(run.kernelArgs).toEqual(run.line === '6.1' ? [] : ['syscall.x32=y']);
    }
    const files = readdirSync(join(root, 'test/vm')).filter((f) => f.endsWith('.test.ts'));
    const fileRuns = runs.filter((r) => r.steps.includes('vitest'));
    if (runs.some((r) => r.line === '6.1')) {
      // Every file once, alone, on 6.1, named after it.
      expect(fileRuns.map((r) => r.files?.[0]?.replace('test/vm/', '')).sort()).toEqual(files.sort());
      for (const r of fileRuns) {
        expect(r).toMatchObject({ line: '6.1', steps: ['vitest'], label: `${r.release}-vitest-${r.files![0]!.replace(/^test\/vm\/(.*)\.test\.ts$/, '$1')}` });
        expect(r.files).toHaveLength(1);
      }
      expect(runs.slice(0, 3).map((r) => r.files?.[0])).toEqual(['test/vm/readme.test.ts', 'test/vm/run.test.ts', 'test/vm/cli.test.ts']);
    }
    for (const r of runs.filter((r) => !r.steps.includes('vitest'))) expect(r).toMatchObject({ label: r.release, steps: ['kmod', 'stress'] });
    if (runs.some((r) => r.line === '6.12')) expect(runs.filter((r) => r.line === '6.12')).toHaveLength(1);
  });

  it('SYSCALLMON_TEST_STEPS keeps only those steps (a run left with none is not planned); SYSCALLMON_TEST_FILES the files whose path contains a word', () => {
    delete process.env['SYSCALLMON_TEST_KERNELS'];
    process.env['SYSCALLMON_TEST_STEPS'] = 'vitest';
    process.env['SYSCALLMON_TEST_FILES'] = 'cli readme';
    const runs = plannedKernels(root).runs;
    if (runs.length > 0) {
      expect(runs.map((r) => r.files)).toEqual([['test/vm/readme.test.ts'], ['test/vm/cli.test.ts'], ['test/vm/cli-calls.test.ts']]);
    }
    process.env['SYSCALLMON_TEST_FILES'] = 'nonesuch';
    if (runs.length > 0) expect(() => plannedKernels(root)).toThrow("SYSCALLMON_TEST_FILES: no file of test/vm matches 'nonesuch'");
    delete process.env['SYSCALLMON_TEST_FILES'];
    process.env['SYSCALLMON_TEST_STEPS'] = 'stress';
    for (const run of plannedKernels(root).runs) expect(run.steps).toEqual(['stress']);
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

  const kernel: KernelRun = { line: '6.12', release: '6.12.118+deb12-amd64', label: '6.12.118+deb12-amd64', steps: ['kmod', 'stress'], kernelArgs: ['syscall.x32=y'] };

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
