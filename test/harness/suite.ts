/**
 * Runs test/vm/guest-suite.sh against the real module, on this host when it
 * can load modules, else in the VM, and turns what it leaves in the results
 * directory into test outcomes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT, runInVm, VmError } from '../../src/vm/runner.js';
import { failure, parseTap, parseVitestJson, type TestOutcome } from './results.js';

export type SuiteTarget = 'host' | 'vm';

export interface SuiteOptions {
  /** The repo; default the package root. */
  root?: string;
  /** Emptied, then filled by the suite; default $SYSCALLMON_VM_RESULTS or <root>/build/vm/results. */
  resultsDir?: string;
  target?: SuiteTarget;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Live output of the suite (guest console or host stdout/stderr). */
  onOutput?: (text: string) => void;
}

export interface SuiteReport {
  target: SuiteTarget;
  /** Why this target was chosen. */
  reason: string;
  resultsDir: string;
  outcomes: TestOutcome[];
  /** The kernel log's problem lines (test/vm/guest-suite.sh judged them); empty when clean. */
  kernelProblems: string[];
  /** Boot and run times, VM only. */
  vm?: { bootSeconds: number; commandSeconds: number; wallMs: number; consoleLog: string };
}

/** Ctrl-C or a CI cancel must not leave QEMU or the suite running: abort stops them. */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  return controller.signal;
}

/** Default: SYSCALLMON_VM_TIMEOUT seconds, else 20 minutes for boot + whole suite under TCG. */
function defaultTimeoutMs(): number {
  const env = process.env['SYSCALLMON_VM_TIMEOUT'];
  if (env === undefined || env === '') return 20 * 60_000;
  const seconds = Number(env);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new VmError('EBADOPT', `SYSCALLMON_VM_TIMEOUT must be seconds > 0, got ${env}`);
  return seconds * 1000;
}

/** The host can run the suite itself only with module support, its own build tree, and root. */
export function hostCanLoadModules(): { ok: boolean; reason: string } {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  if (!existsSync('/proc/modules')) return { ok: false, reason: `host kernel ${release} has no module support` };
  if (!existsSync(`/lib/modules/${release}/build`)) return { ok: false, reason: `no build tree for host kernel ${release}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root' };
  return { ok: true, reason: `host kernel ${release} can load modules and we are root` };
}

/** SYSCALLMON_TEST_TARGET=vm|host forces a target; unset or "auto" decides from the host. */
export function chooseTarget(): { target: SuiteTarget; reason: string } {
  const forced = process.env['SYSCALLMON_TEST_TARGET'] ?? 'auto';
  const host = hostCanLoadModules();
  switch (forced) {
    case 'vm':
      return { target: 'vm', reason: 'SYSCALLMON_TEST_TARGET=vm' };
    case 'host':
      if (!host.ok) throw new VmError('EBADOPT', `SYSCALLMON_TEST_TARGET=host but ${host.reason}`);
      return { target: 'host', reason: 'SYSCALLMON_TEST_TARGET=host' };
    case 'auto':
    case '':
      return host.ok ? { target: 'host', reason: host.reason } : { target: 'vm', reason: host.reason };
    default:
      throw new VmError('EBADOPT', `SYSCALLMON_TEST_TARGET must be vm, host or auto, got ${forced}`);
  }
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function readStatus(path: string): number | undefined {
  const text = readIfExists(path)?.trim();
  return text === undefined || text === '' ? undefined : Number(text);
}

/** Outcomes of a C test step (test/vm/<step>/run.sh): <step>.tap and <step>.status. */
function tapStepOutcomes(resultsDir: string, step: 'kmod' | 'stress'): TestOutcome[] {
  const tap = readIfExists(join(resultsDir, `${step}.tap`));
  if (tap === undefined) return [failure(`${step}: results`, `no ${step}.tap: the C test step did not run`)];
  const { outcomes, planned } = parseTap(tap, step);
  const status = readStatus(join(resultsDir, `${step}.status`));
  if (planned !== undefined && planned !== outcomes.length) {
    outcomes.push(failure(`${step}: plan`, `planned ${planned} tests, ran ${outcomes.length}`));
  }
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure(`${step}: run.sh`, `exited with status ${status ?? 'unknown'} without a failing test line`));
  }
  return outcomes;
}

function vitestOutcomes(resultsDir: string, root: string): TestOutcome[] {
  const status = readStatus(join(resultsDir, 'vitest.status'));
  if (status === undefined) return []; // the suite found no test/vm/**/*.test.ts
  const json = readIfExists(join(resultsDir, 'vitest.json'));
  if (json === undefined) return [failure('vm: vitest', `exited with status ${status} and wrote no JSON report`)];
  const outcomes = parseVitestJson(json, 'vm', root);
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure('vm: vitest', `exited with status ${status} without a failing test`));
  }
  return outcomes;
}

function suiteScriptOutcomes(resultsDir: string): TestOutcome[] {
  const tap = readIfExists(join(resultsDir, 'suite.tap')) ?? '';
  return parseTap(tap, 'guest-suite').outcomes.filter((o) => o.status === 'failed');
}

/** Everything the suite reported, plus a failure for every way it can silently not run. */
export function collectOutcomes(resultsDir: string, root: string, suiteStatus: number): TestOutcome[] {
  const outcomes = [
    ...tapStepOutcomes(resultsDir, 'kmod'),
    ...tapStepOutcomes(resultsDir, 'stress'),
    ...vitestOutcomes(resultsDir, root),
    ...suiteScriptOutcomes(resultsDir),
  ];
  if (suiteStatus !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure('guest-suite', `exited with status ${suiteStatus} without a failing test`));
  }
  if (!outcomes.some((o) => o.status !== 'skipped')) {
    outcomes.push(failure('guest-suite', 'no test ran'));
  }
  return outcomes;
}

function runOnHost(root: string, resultsDir: string, signal: AbortSignal | undefined, onOutput: ((text: string) => void) | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(root, 'test/vm/guest-suite.sh')], {
      cwd: root,
      env: { ...process.env, SYSCALLMON_ROOT: root, SYSCALLMON_RESULTS: resultsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    const forward = (chunk: Buffer): void => onOutput?.(chunk.toString('utf8'));
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.once('error', (err) => reject(signal?.aborted ? new VmError('EABORTED', 'suite aborted') : err));
    child.once('close', (code, sig) => resolve(code ?? (sig !== null ? 128 : 1)));
  });
}

export async function runSuite(opts: SuiteOptions = {}): Promise<SuiteReport> {
  const root = opts.root ?? PACKAGE_ROOT.replace(/\/$/, '');
  const resultsDir = resolve(opts.resultsDir ?? (process.env['SYSCALLMON_VM_RESULTS'] || join(root, 'build', 'vm', 'results')));
  const chosen = opts.target !== undefined ? { target: opts.target, reason: 'requested by caller' } : chooseTarget();
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs();
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });

  if (chosen.target === 'host') {
    const status = await runOnHost(root, resultsDir, opts.signal, opts.onOutput);
    const kernel = kernelLog(resultsDir);
    return { ...chosen, resultsDir, outcomes: [...collectOutcomes(resultsDir, root, status), kernel.outcome], kernelProblems: kernel.problems };
  }

  const run = await runInVm({
    command: ['sh', join(root, 'test/vm/guest-suite.sh')],
    env: { SYSCALLMON_ROOT: root, SYSCALLMON_RESULTS: resultsDir },
    cwd: root,
    hostPaths: [root],
    shareDir: resultsDir,
    timeoutMs,
    // Show WARN() splats on the console too, next to the test that caused them.
    kernelArgs: ['loglevel=5'],
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.onOutput !== undefined ? { onConsole: opts.onOutput } : {}),
  });
  const kernel = kernelLog(resultsDir);
  return {
    ...chosen,
    resultsDir,
    outcomes: [...collectOutcomes(resultsDir, root, run.exitCode), kernel.outcome],
    kernelProblems: kernel.problems,
    vm: { bootSeconds: run.bootSeconds, commandSeconds: run.commandSeconds, wallMs: run.wallMs, consoleLog: run.consoleLog },
  };
}

/**
 * A clean kernel log is a check of its own: guest-suite.sh judged the run's
 * log with the C tests' judge (smon_util kmsg-check) and left its verdict.
 */
function kernelLog(resultsDir: string): { outcome: TestOutcome; problems: string[] } {
  const name = 'kernel log: no warnings, bugs, oopses or lockups';
  const status = readStatus(join(resultsDir, 'kernel-log.status'));
  const problems = (readIfExists(join(resultsDir, 'kernel-problems.txt')) ?? '').split('\n').filter((l) => l.trim() !== '');
  if (status === undefined) return { outcome: failure(name, 'guest-suite.sh left no verdict on the kernel log'), problems };
  if (status === 0) return { outcome: { name, status: 'passed', details: '' }, problems: [] };
  return { outcome: failure(name, problems.join('\n') || `the judge exited with status ${status}`), problems };
}
