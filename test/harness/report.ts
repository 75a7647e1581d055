/** Console output of the test entry points: per-test lines, failure details, summaries. */
import { closingLine, tally, type TestOutcome } from './results.js';
import type { SuiteReport } from './suite.js';

const MARK: Readonly<Record<TestOutcome['status'], string>> = { passed: 'pass', failed: 'FAIL', skipped: 'skip' };

type Write = (line: string) => void;

export function printOutcomeLines(outcomes: readonly TestOutcome[], write: Write): void {
  for (const o of outcomes) write(`${MARK[o.status]}  ${o.name}`);
}

export function printFailureDetails(outcomes: readonly TestOutcome[], write: Write): void {
  for (const o of outcomes) {
    if (o.status !== 'failed') continue;
    write(`--- FAIL ${o.name}`);
    const details = o.details.trimEnd();
    if (details !== '') write(details.split('\n').map((line) => `    ${line}`).join('\n'));
  }
}

export function printSuiteReport(report: SuiteReport, write: Write): void {
  const { release, steps, files, kernelArgs } = report.kernel;
  const place = report.target === 'vm' ? `in the VM${kernelArgs.length > 0 ? ` booted with ${kernelArgs.join(' ')}` : ''}` : 'on this host';
  const what = files ? `${steps.join(', ')} (${files.join(' ')})` : steps.join(', ');
  write(`kernel ${release}: ${what} ${place} (${report.reason}); results in ${report.resultsDir}`);
  if (report.vm !== undefined) {
    const { bootSeconds, commandSeconds, wallMs, consoleLog } = report.vm;
    write(`vm: booted in ${bootSeconds.toFixed(1)} s, suite ran ${commandSeconds.toFixed(1)} s, ${(wallMs / 1000).toFixed(1)} s wall; console ${consoleLog}`);
  }
  printOutcomeLines(report.outcomes, write);
  printFailureDetails(report.outcomes, write);
  write(report.kernelProblems.length === 0 ? 'kernel log: clean' : `kernel log: ${report.kernelProblems.length} problem line(s), see above`);
}

export function summaryLine(label: string, outcomes: readonly TestOutcome[]): string {
  const t = tally(outcomes);
  return `${label}: ${closingLine(t)}${t.skipped > 0 ? `, ${t.skipped} skipped` : ''}`;
}

/**
 * Streams text to write with each line prefixed, so guest output is told
 * apart from the report. Drops terminal escape sequences (the firmware
 * clears the screen) and other control characters.
 */
export function linePrefixer(prefix: string, write: (text: string) => void): { push: (text: string) => void; flush: () => void } {
  let pending = '';
  const clean = (line: string): string =>
    // eslint-disable-next-line no-control-regex
    line.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return {
    push(text: string): void {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) write(`${prefix}${clean(line)}\n`);
    },
    flush(): void {
      if (pending !== '') write(`${prefix}${clean(pending)}\n`);
      pending = '';
    },
  };
}

/**
 * The environment for a child that writes where we do: colour only on a
 * terminal.  vitest colours its output whenever CI is set, terminal or not,
 * which fills a CI log with escape codes.
 */
export function plainUnlessTerminal(env: NodeJS.ProcessEnv, isTTY: boolean): NodeJS.ProcessEnv {
  return isTTY ? env : { ...env, NO_COLOR: '1' };
}
