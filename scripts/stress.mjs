#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
/*
 * `npm run stress`: the reliability and security tests
 * (test/vm/stress) in their long forms, in one boot of the VM, then a table
 * of what they measured (events, lost, ioctls tried, errors by errno, ...).
 *
 *   node scripts/stress.mjs [--short] [--results DIR] [--timeout-min N] [TEST...]
 *
 *   TEST           test numbers (1-7, see test/vm/stress/run.sh); default all
 *   --short        the short forms CI runs instead of the long ones
 *   --results DIR  keep logs, kernel logs and figures there (default: a new
 *                  directory under the system temp dir, printed at the end)
 *   --timeout-min  limit for the whole VM run (default 90)
 *
 * SYSCALLMON_STRESS_* variables (sizes, seeds: see each test's header) are
 * passed to the guest; SYSCALLMON_KO picks another module file.  It boots the
 * default kernel (scripts/kver.sh).  Needs the module, the tests and the runner built:
 * make -C kernel, make -C test/vm/stress, npm run build:ts.
 *
 * Exit status: 0 all passed, 1 a test failed, 2 bad usage or missing build,
 * 3 the VM failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TESTS = ['1', '2', '3', '4', '5', '6', '7'];

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { short: false, results: undefined, timeoutMin: 90, tests: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--short') opts.short = true;
    else if (arg === '--results') opts.results = resolve(value());
    else if (arg === '--timeout-min') {
      const v = value();
      if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--timeout-min must be a positive integer, got ${JSON.stringify(v)}`);
      opts.timeoutMin = Number(v);
    } else if (arg === '-h' || arg === '--help') throw new UsageError('');
    else if (TESTS.includes(arg)) opts.tests.push(arg);
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)} (tests are ${TESTS.join(' ')})`);
  }
  return opts;
}

function requireBuilt() {
  const needs = [
    ['dist/vm/runner.js', 'npm run build:ts'],
    ['dist/render/table.js', 'npm run build:ts'],
    ['build/test/stress/s1_storm', 'make -C test/vm/stress'],
    ['build/test/stress/smon_util', 'make -C test/vm/stress'],
  ];
  for (const [path, how] of needs) {
    if (!existsSync(join(ROOT, path))) throw new UsageError(`missing ${path}: run ${how} first`);
  }
}

/** The module to test: SYSCALLMON_KO, else the build for the kernel the VM boots. */
async function moduleFile(kver) {
  const { builtModuleFile } = await import(join(ROOT, 'dist/lib/kmod.js'));
  const ko = process.env.SYSCALLMON_KO || builtModuleFile(kver);
  if (!existsSync(ko)) throw new UsageError(`missing ${ko}: run make -C kernel first (or set SYSCALLMON_KO)`);
  return ko;
}

/** Forwards the guest's TAP result lines to stderr as they arrive: a long run shows progress. */
function progress() {
  let partial = '';
  return (text) => {
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const clean = line.replace(/\r$/, '');
      if (/^(not )?ok \d+ /.test(clean) || /^# (figure |cycle |long forms|short forms)/.test(clean)) {
        process.stderr.write(`${clean}\n`);
      }
    }
  };
}

/** Every test's figures, in test order, each test's in the order it wrote them. */
function readFigures(dir) {
  const rows = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.figures')).sort();
  for (const file of files) {
    const test = file.replace(/\.figures$/, '');
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      rows.push({ test, figure: line.slice(0, tab), value: line.slice(tab + 1) });
    }
  }
  return rows;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  requireBuilt();
  const { runInVm, resolveKver } = await import(join(ROOT, 'dist/vm/runner.js'));
  const kver = resolveKver();
  const ko = await moduleFile(kver);
  const { renderTable } = await import(join(ROOT, 'dist/render/table.js'));
  const { palette, colourEnabled } = await import(join(ROOT, 'dist/render/colour.js'));

  const share = opts.results ?? mkdtempSync(join(tmpdir(), 'syscallmon-stress-'));
  mkdirSync(share, { recursive: true });
  const results = join(share, 'stress');
  const env = {
    SYSCALLMON_KO: ko,
    SYSCALLMON_STRESS_BIN: join(ROOT, 'build/test/stress'),
    SYSCALLMON_RESULTS: results,
    SYSCALLMON_STRESS_LONG: opts.short ? '0' : '1',
  };
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('SYSCALLMON_STRESS_') && key !== 'SYSCALLMON_STRESS_LONG' && value !== undefined) env[key] = value;
  }
  process.stderr.write(`stress: ${opts.short ? 'short' : 'long'} forms of tests ${(opts.tests.length ? opts.tests : TESTS).join(' ')} in the VM (${kver}); logs in ${results}\n`);

  const started = Date.now();
  const run = await runInVm({
    command: ['sh', 'test/vm/stress/run.sh', ...opts.tests],
    cwd: ROOT,
    env,
    shareDir: share,
    kver,
    timeoutMs: opts.timeoutMin * 60_000,
    onConsole: progress(),
  });
  const tapPath = join(results, 'stress.tap');
  const tap = existsSync(tapPath) ? readFileSync(tapPath, 'utf8') : '';
  writeFileSync(join(share, 'dmesg.txt'), run.dmesg);

  const colour = palette(colourEnabled({ isTTY: Boolean(process.stdout.isTTY), env: process.env }));
  const rows = existsSync(results) ? readFigures(results) : [];
  process.stdout.write(
    renderTable(
      [{ header: 'TEST' }, { header: 'FIGURE' }, { header: 'VALUE', align: 'right' }],
      rows.map((r) => [r.test, r.figure, r.value]),
      colour,
    ),
  );

  const passed = (tap.match(/^ok \d+/gm) ?? []).length;
  const failed = (tap.match(/^not ok \d+/gm) ?? []).length;
  // Each test's own log was judged in the guest; this is the whole boot's, by the same judge.
  const judged = spawnSync(join(ROOT, 'build/test/stress/smon_util'), ['check'], { input: run.dmesg, encoding: 'utf8' });
  const kernelClean = judged.status === 0;
  for (const line of judged.stdout.split('\n').filter(Boolean)) process.stderr.write(`stress: kernel log: ${line}\n`);
  if (judged.status !== 0 && judged.status !== 1) process.stderr.write(`stress: the kernel log judge failed: ${judged.stderr || judged.error}\n`);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stderr.write(`stress: ${minutes} min; logs, figures and kernel log in ${share}\n`);
  const ran = passed + failed > 0;
  if (!ran) process.stderr.write(`stress: no test result (guest exit status ${run.exitCode}); see ${run.consoleLog}\n`);
  console.log(`stress: ${passed} passed, ${failed} failed`);
  process.exitCode = ran && failed === 0 && run.exitCode === 0 && kernelClean ? 0 : 1;
}

main().catch((err) => {
  if (err instanceof UsageError) {
    if (err.message) process.stderr.write(`stress: ${err.message}\n`);
    process.stderr.write('usage: node scripts/stress.mjs [--short] [--results DIR] [--timeout-min N] [TEST...]\n');
    process.exitCode = 2;
    return;
  }
  const code = err && typeof err === 'object' && 'code' in err ? ` (${err.code})` : '';
  process.stderr.write(`stress: the VM run failed${code}: ${String(err?.message ?? err).split('\n')[0]}\n`);
  process.exitCode = 3;
});
