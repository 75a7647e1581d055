/**
 * test/harness/: the test orchestration, run from the repository by
 * vite-node and never shipped. all.ts is `npm test`, vm.ts `npm run
 * test:vm`; suite.ts runs test/vm/guest-suite.sh (in the VM, through
 * src/vm/runner.ts, or on a host that can load modules); results.ts and
 * report.ts read and print what the suites leave behind.
 *
 * `npm test`: host unit tests, the integration suite on every tested kernel,
 * then the DKMS packaging test, and one closing line "N passed, N failed"
 * over all of them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, VmError } from '../../src/vm/runner.js';
import { linePrefixer, plainUnlessTerminal, printFailureDetails, printOutcomeLines, printSuiteReport, summaryLine } from './report.js';
import { closingLine, failure, parseTap, parseVitestJson, tally, type TestOutcome } from './results.js';
import { abortOnSignals, runSuites } from './suite.js';

const ROOT = PACKAGE_ROOT.replace(/\/$/, '');

function runVitest(args: readonly string[], signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), ...args], {
      cwd: ROOT,
      env: plainUnlessTerminal(process.env, process.stdout.isTTY === true),
      stdio: ['ignore', 'inherit', 'inherit'],
      signal,
    });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}

async function unitOutcomes(signal: AbortSignal): Promise<TestOutcome[]> {
  const outDir = join(ROOT, 'build', 'test-results');
  const report = join(outDir, 'unit.json');
  mkdirSync(outDir, { recursive: true });
  rmSync(report, { force: true });
  const status = await runVitest(
    ['run', '--dir', 'test/unit', '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    signal,
  );
  if (!existsSync(report)) return [failure('unit: vitest', `exited with status ${status} and wrote no JSON report`)];
  const outcomes = parseVitestJson(readFileSync(report, 'utf8'), 'unit', ROOT);
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure('unit: vitest', `exited with status ${status} without a failing test`));
  }
  return outcomes;
}

/** The integration suite on every tested kernel: one group of outcomes per kernel, and those that could not run. */
async function vmOutcomes(signal: AbortSignal, write: (line: string) => void): Promise<{ label: string; outcomes: TestOutcome[] }[]> {
  const live = linePrefixer('vm| ', (text) => process.stderr.write(text));
  try {
    const { reports, unplanned } = await runSuites({ signal, onOutput: live.push });
    live.flush();
    for (const report of reports) printSuiteReport(report, write);
    const groups = reports.map((r) => ({ label: `integration (${r.kernel.label})`, outcomes: r.outcomes }));
    if (unplanned.length > 0) {
      printOutcomeLines(unplanned, write);
      printFailureDetails(unplanned, write);
      groups.push({ label: 'integration (kernels not run)', outcomes: unplanned });
    }
    return groups;
  } catch (err) {
    live.flush();
    if (!(err instanceof VmError)) throw err;
    return [{ label: 'integration', outcomes: [failure('vm: suite', err.message)] }];
  }
}

/** scripts/test-dkms.sh prints TAP on stdout: build with DKMS, load it in the VM, basic tests. */
async function dkmsOutcomes(signal: AbortSignal): Promise<TestOutcome[]> {
  const live = linePrefixer('dkms| ', (text) => process.stderr.write(text));
  let tap = '';
  const status = await new Promise<number>((resolve, reject) => {
    const child = spawn('sh', [join(ROOT, 'scripts/test-dkms.sh')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], signal });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      tap += text;
      live.push(text);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  live.flush();
  const { outcomes, planned } = parseTap(tap, 'dkms');
  if (planned !== undefined && planned !== outcomes.length) {
    outcomes.push(failure('dkms: plan', `planned ${planned} tests, ran ${outcomes.length}`));
  }
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure('dkms: test-dkms.sh', `exited with status ${status} without a failing test line`));
  }
  return outcomes;
}

async function main(): Promise<number> {
  const signal = abortOnSignals();
  const write = (line: string): void => console.log(line);

  write('== unit tests (host) ==');
  const unit = await unitOutcomes(signal);
  write('== integration tests (real module) ==');
  const vm = await vmOutcomes(signal, write);
  write('== DKMS packaging ==');
  const dkms = await dkmsOutcomes(signal);

  write('== summary ==');
  const unitFailures = unit.filter((o) => o.status === 'failed');
  if (unitFailures.length > 0) {
    printOutcomeLines(unitFailures, write);
    printFailureDetails(unitFailures, write);
  }
  write(summaryLine('unit', unit));
  for (const group of vm) write(summaryLine(group.label, group.outcomes));
  const dkmsFailures = dkms.filter((o) => o.status === 'failed');
  if (dkmsFailures.length > 0) printOutcomeLines(dkmsFailures, write);
  write(summaryLine('dkms', dkms));
  const total = tally([...unit, ...vm.flatMap((g) => g.outcomes), ...dkms]);
  write(closingLine(total));
  return total.failed > 0 ? 1 : 0;
}

process.exitCode = await main();
