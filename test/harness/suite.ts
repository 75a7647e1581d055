/**
 * Runs test/vm/guest-suite.sh against the real module, once per tested
 * kernel (scripts/kver.sh --lines): on this host when it runs that kernel and
 * can load modules, else in the VM booted with it, each run against that
 * kernel's build; and turns what each run leaves in its results directory
 * into test outcomes named after the kernel.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { builtModuleFile } from '../../src/lib/kmod.js';
import { PACKAGE_ROOT, runInVm, VmError } from '../../src/vm/runner.js';
import { linePrefixer } from './report.js';
import { failure, parseTap, parseVitestJson, type TestOutcome } from './results.js';

export type SuiteTarget = 'host' | 'vm';

/** What test/vm/guest-suite.sh runs: the C tests (kernel-level), the reliability short forms, the CLI suite. */
const SUITE_STEPS = ['kmod', 'stress', 'vitest'] as const;
export type SuiteStep = (typeof SUITE_STEPS)[number];

/** One run of the suite: a kernel, the module built for it, and the steps run there. */
export interface KernelRun {
  /** The tested line, e.g. "6.12". */
  line: string;
  /** The installed release of that line, e.g. "6.12.118+deb12-amd64". */
  release: string;
  /** Names the run's outcomes and its results directory: the release, and for a file of the CLI suite "vitest-" and the file's name. */
  label: string;
  steps: readonly SuiteStep[];
  /** The CLI suite's files this run runs (test/vm/NAME.test.ts); with the vitest step only. */
  files?: readonly string[];
  /** Appended to the guest kernel's command line (a host run can't change its own). */
  kernelArgs: readonly string[];
}

export interface SuiteOptions {
  /** The repo; default the package root. */
  root?: string;
  /** Emptied, then filled with one directory per run (its label); default $SYSCALLMON_VM_RESULTS or <root>/build/vm/results. */
  resultsDir?: string;
  target?: SuiteTarget;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Live output of the suite (guest console or host stdout/stderr). */
  onOutput?: (text: string) => void;
}

export interface SuiteReport {
  kernel: KernelRun;
  target: SuiteTarget;
  /** Why this target was chosen. */
  reason: string;
  resultsDir: string;
  outcomes: TestOutcome[];
  /** The kernel log's problem lines (test/vm/guest-suite.sh judged them); empty when clean. */
  kernelProblems: string[];
  /** Boot and run times, VM only. */
  vm?: { bootSeconds: number; commandSeconds: number; wallMs: number; consoleLog: string };
  /** Set when the run could not be made (bad settings, QEMU, timeout): its only outcome says so. */
  error?: VmError;
}

export interface SuitesReport {
  reports: SuiteReport[];
  /** A tested line that is not installed, or a kernel run that could not start: each one failure. */
  unplanned: TestOutcome[];
}

/** Ctrl-C or a CI cancel must not leave QEMU or the suite running: abort stops them. */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  return controller.signal;
}

/**
 * Default: SYSCALLMON_VM_TIMEOUT seconds, else 40 minutes for boot + whole
 * suite under TCG: the default line's suite (C tests, stress, every CLI test)
 * takes some 20 minutes on an idle 2-core host, more on a busy one.
 */
function defaultTimeoutMs(): number {
  const env = process.env['SYSCALLMON_VM_TIMEOUT'];
  if (env === undefined || env === '') return 40 * 60_000;
  const seconds = Number(env);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new VmError('EBADOPT', `SYSCALLMON_VM_TIMEOUT must be seconds > 0, got ${env}`);
  return seconds * 1000;
}

/** The host can run the suite itself only with module support, its own build tree, and root. */
export function hostCanLoadModules(): { ok: boolean; release: string; reason: string } {
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  if (!existsSync('/proc/modules')) return { ok: false, release, reason: `host kernel ${release} has no module support` };
  if (!existsSync(`/lib/modules/${release}/build`)) return { ok: false, release, reason: `no build tree for host kernel ${release}` };
  if (process.getuid?.() !== 0) return { ok: false, release, reason: 'not root' };
  return { ok: true, release, reason: `host kernel ${release} can load modules and we are root` };
}

/**
 * Where a kernel's run goes: the host, when it runs that very kernel and can
 * load modules, else the VM. SYSCALLMON_TEST_TARGET=vm|host forces a target;
 * unset or "auto" decides.
 */
export function chooseTarget(release: string): { target: SuiteTarget; reason: string } {
  const forced = process.env['SYSCALLMON_TEST_TARGET'] ?? 'auto';
  const host = hostCanLoadModules();
  const hostRunsIt = host.release === release;
  switch (forced) {
    case 'vm':
      return { target: 'vm', reason: 'SYSCALLMON_TEST_TARGET=vm' };
    case 'host':
      if (!host.ok) throw new VmError('EBADOPT', `SYSCALLMON_TEST_TARGET=host but ${host.reason}`);
      if (!hostRunsIt) throw new VmError('EBADOPT', `SYSCALLMON_TEST_TARGET=host but the host runs ${host.release}, not ${release} (SYSCALLMON_TEST_KERNELS picks the lines)`);
      return { target: 'host', reason: 'SYSCALLMON_TEST_TARGET=host' };
    case 'auto':
    case '':
      if (!host.ok) return { target: 'vm', reason: host.reason };
      if (!hostRunsIt) return { target: 'vm', reason: `the host runs ${host.release}` };
      return { target: 'host', reason: host.reason };
    default:
      throw new VmError('EBADOPT', `SYSCALLMON_TEST_TARGET must be vm, host or auto, got ${forced}`);
  }
}

/** scripts/kver.sh, which holds the tested kernel lines; its one-line error becomes the VmError's message. */
function kver(root: string, args: readonly string[]): string {
  const script = join(root, 'scripts', 'kver.sh');
  try {
    return execFileSync('sh', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new VmError('ENOKERNEL', stderr !== undefined && stderr !== '' ? stderr : `${script} ${args.join(' ')} failed`);
  }
}

/**
 * The kernel runs: one per tested line (SYSCALLMON_TEST_KERNELS="6.12", or
 * "6.1,6.12", restricts them), each line's installed release. The
 * kernel-level tests (kmod, stress) run on every line, in one run per line;
 * the CLI suite (vitest), which tests the TypeScript over a module the C
 * tests have already proven, once, on the default line (the first), each of
 * its files in a run of its own, so that runSuites' VMs side by side share
 * the work evenly (see cliSuiteFiles for the order). The default line
 * boots with Debian's own command line; the others with x32 enabled
 * (syscall.x32=y), so the entry-point test also covers an x32 call there
 * and either setting is tested. A line that is not installed is a failure.
 * SYSCALLMON_TEST_STEPS="vitest" (or "kmod stress") keeps only those steps,
 * for iterating on one part; SYSCALLMON_TEST_FILES="rules cli" keeps the
 * CLI suite's files whose path contains one of the words, as vitest's own
 * filters do.
 */
export function plannedKernels(root: string): { runs: KernelRun[]; missing: TestOutcome[] } {
  const lines = kver(root, ['--lines']).split('\n').filter((l) => l !== '');
  const asked = (process.env['SYSCALLMON_TEST_KERNELS'] ?? '').split(/[\s,]+/).filter((l) => l !== '');
  for (const line of asked) {
    if (!lines.includes(line)) throw new VmError('EBADOPT', `SYSCALLMON_TEST_KERNELS: '${line}' is not a tested kernel line (${lines.join(', ')})`);
  }
  const steps = (process.env['SYSCALLMON_TEST_STEPS'] ?? '').split(/[\s,]+/).filter((s) => s !== '');
  for (const step of steps) {
    if (!(SUITE_STEPS as readonly string[]).includes(step)) throw new VmError('EBADOPT', `SYSCALLMON_TEST_STEPS: '${step}' is not a step (${SUITE_STEPS.join(', ')})`);
  }
  const kernelRuns: KernelRun[] = [];
  const fileRuns: KernelRun[] = [];
  const missing: TestOutcome[] = [];
  lines.forEach((line, index) => {
    if (asked.length > 0 && !asked.includes(line)) return;
    let release: string;
    try {
      release = kver(root, ['--line', line]);
    } catch (err) {
      missing.push(failure(`kernel ${line}: installed`, (err as Error).message));
      return;
    }
    const isDefault = index === 0;
    const wanted = (s: SuiteStep): boolean => steps.length === 0 || steps.includes(s);
    const kernelArgs = isDefault ? [] : ['syscall.x32=y'];
    // A run none of whose steps was asked for has nothing to run (an empty list would mean all of them in the guest).
    const kernelSteps = (['kmod', 'stress'] as const).filter(wanted);
    if (kernelSteps.length > 0) kernelRuns.push({ line, release, label: release, steps: kernelSteps, kernelArgs });
    if (isDefault && wanted('vitest')) {
      for (const file of cliSuiteFiles(root)) {
        const name = file.replace(/^test\/vm\//, '').replace(/\.test\.ts$/, '');
        fileRuns.push({ line, release, label: `${release}-vitest-${name}`, steps: ['vitest'], files: [file], kernelArgs });
      }
    }
  });
  // The longest first, so that no long run starts last: the slowest files, the kernel tests, the rest.
  const first = SLOWEST_FILES.flatMap((f) => fileRuns.filter((r) => r.files?.includes(f)));
  return { runs: [...first, ...kernelRuns, ...fileRuns.filter((r) => !first.includes(r))], missing };
}

/**
 * The CLI suite's files that take longest (several minutes each under TCG,
 * more than a line's kernel tests): started first. Only the order depends
 * on it.
 */
const SLOWEST_FILES = ['test/vm/readme.test.ts', 'test/vm/run.test.ts', 'test/vm/cli.test.ts'];

/** test/vm/*.test.ts that SYSCALLMON_TEST_FILES keeps, the larger first. */
function cliSuiteFiles(root: string): string[] {
  const filters = (process.env['SYSCALLMON_TEST_FILES'] ?? '').split(/\s+/).filter((f) => f !== '');
  const dir = join(root, 'test', 'vm');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => ({ file: `test/vm/${f}`, size: statSync(join(dir, f)).size }))
    .filter(({ file }) => filters.length === 0 || filters.some((w) => file.includes(w)))
    .sort((a, b) => b.size - a.size)
    .map(({ file }) => file);
  if (files.length === 0) throw new VmError('EBADOPT', `SYSCALLMON_TEST_FILES: no file of test/vm matches '${filters.join(' ')}'`);
  return files;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function readStatus(path: string): number | undefined {
  const text = readIfExists(path)?.trim();
  return text === undefined || text === '' ? undefined : Number(text);
}

/** Names an outcome after the part of the suite and the kernel it ran on: "kmod (6.12.118+deb12-amd64)". */
type Namer = (part: string) => string;

function namer(kernel: KernelRun): Namer {
  return (part) => `${part} (${kernel.label})`;
}

/** Outcomes of a C test step (test/vm/<step>/run.sh): <step>.tap and <step>.status. */
function tapStepOutcomes(resultsDir: string, step: 'kmod' | 'stress', name: Namer): TestOutcome[] {
  const tap = readIfExists(join(resultsDir, `${step}.tap`));
  if (tap === undefined) return [failure(`${name(step)}: results`, `no ${step}.tap: the C test step did not run`)];
  const { outcomes, planned } = parseTap(tap, name(step));
  const status = readStatus(join(resultsDir, `${step}.status`));
  if (planned !== undefined && planned !== outcomes.length) {
    outcomes.push(failure(`${name(step)}: plan`, `planned ${planned} tests, ran ${outcomes.length}`));
  }
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure(`${name(step)}: run.sh`, `exited with status ${status ?? 'unknown'} without a failing test line`));
  }
  return outcomes;
}

function vitestOutcomes(resultsDir: string, root: string, name: Namer): TestOutcome[] {
  const status = readStatus(join(resultsDir, 'vitest.status'));
  if (status === undefined) return []; // the suite found no test/vm/**/*.test.ts
  const json = readIfExists(join(resultsDir, 'vitest.json'));
  if (json === undefined) return [failure(`${name('vm')}: vitest`, `exited with status ${status} and wrote no JSON report`)];
  const outcomes = parseVitestJson(json, name('vm'), root);
  if (status !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure(`${name('vm')}: vitest`, `exited with status ${status} without a failing test`));
  }
  return outcomes;
}

function suiteScriptOutcomes(resultsDir: string, name: Namer): TestOutcome[] {
  const tap = readIfExists(join(resultsDir, 'suite.tap')) ?? '';
  return parseTap(tap, name('guest-suite')).outcomes.filter((o) => o.status === 'failed');
}

/** Everything a kernel's run reported, plus a failure for every way it can silently not run. */
export function collectOutcomes(resultsDir: string, root: string, suiteStatus: number, kernel: KernelRun): TestOutcome[] {
  const name = namer(kernel);
  const outcomes = [
    ...(kernel.steps.includes('kmod') ? tapStepOutcomes(resultsDir, 'kmod', name) : []),
    ...(kernel.steps.includes('stress') ? tapStepOutcomes(resultsDir, 'stress', name) : []),
    ...(kernel.steps.includes('vitest') ? vitestOutcomes(resultsDir, root, name) : []),
    ...suiteScriptOutcomes(resultsDir, name),
  ];
  if (suiteStatus !== 0 && !outcomes.some((o) => o.status === 'failed')) {
    outcomes.push(failure(name('guest-suite'), `exited with status ${suiteStatus} without a failing test`));
  }
  if (!outcomes.some((o) => o.status !== 'skipped')) {
    outcomes.push(failure(name('guest-suite'), 'no test ran'));
  }
  return outcomes;
}

function runOnHost(
  root: string,
  env: Readonly<Record<string, string>>,
  signal: AbortSignal | undefined,
  onOutput: ((text: string) => void) | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(root, 'test/vm/guest-suite.sh')], {
      cwd: root,
      env: { ...process.env, ...env },
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

/** One kernel's run of test/vm/guest-suite.sh, against the module built for that kernel. */
export async function runKernelSuite(kernel: KernelRun, opts: SuiteOptions & { resultsDir: string }): Promise<SuiteReport> {
  const root = opts.root ?? PACKAGE_ROOT.replace(/\/$/, '');
  const resultsDir = resolve(opts.resultsDir);
  const chosen = opts.target !== undefined ? { target: opts.target, reason: 'requested by caller' } : chooseTarget(kernel.release);
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs();
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const env = {
    SYSCALLMON_ROOT: root,
    SYSCALLMON_RESULTS: resultsDir,
    SYSCALLMON_KO: builtModuleFile(kernel.release),
    SYSCALLMON_SUITE_STEPS: kernel.steps.join(' '),
    SYSCALLMON_VITEST_FILES: (kernel.files ?? []).join(' '),
  };

  if (chosen.target === 'host') {
    const status = await runOnHost(root, env, opts.signal, opts.onOutput);
    const log = kernelLog(resultsDir, namer(kernel));
    return {
      kernel,
      ...chosen,
      resultsDir,
      outcomes: [...collectOutcomes(resultsDir, root, status, kernel), log.outcome],
      kernelProblems: log.problems,
    };
  }

  const run = await runInVm({
    command: ['sh', join(root, 'test/vm/guest-suite.sh')],
    env,
    cwd: root,
    hostPaths: [root],
    shareDir: resultsDir,
    timeoutMs,
    kver: kernel.release,
    // loglevel=5: WARN() splats show on the console too, next to the test that caused them.
    kernelArgs: ['loglevel=5', ...kernel.kernelArgs],
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.onOutput !== undefined ? { onConsole: opts.onOutput } : {}),
  });
  const log = kernelLog(resultsDir, namer(kernel));
  return {
    kernel,
    ...chosen,
    resultsDir,
    outcomes: [...collectOutcomes(resultsDir, root, run.exitCode, kernel), log.outcome],
    kernelProblems: log.problems,
    vm: { bootSeconds: run.bootSeconds, commandSeconds: run.commandSeconds, wallMs: run.wallMs, consoleLog: run.consoleLog },
  };
}

/**
 * How many VMs run side by side: SYSCALLMON_TEST_VMS, else one per CPU up to
 * two (TCG runs each guest on one host thread; the suite's runs are two long
 * ones, the CLI suite and the kernel tests of both lines).
 */
function vmSlots(): number {
  const env = process.env['SYSCALLMON_TEST_VMS'];
  if (env === undefined || env === '') return Math.min(2, availableParallelism());
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new VmError('EBADOPT', `SYSCALLMON_TEST_VMS must be a whole number >= 1, got ${env}`);
  return n;
}

/**
 * The whole integration suite: every planned run, each in
 * <resultsDir>/<label>. Runs in VMs go side by side (vmSlots), each one's
 * console lines prefixed with its label; runs on this host one at a time,
 * alone (they load the one module). A run that can't be made (no build for
 * its kernel, QEMU fails, timeout) is a failure of that run's, and the
 * others still run; Ctrl-C stops them all. Reports come in plan order.
 */
export async function runSuites(opts: SuiteOptions = {}): Promise<SuitesReport> {
  const root = opts.root ?? PACKAGE_ROOT.replace(/\/$/, '');
  const resultsDir = resolve(opts.resultsDir ?? (process.env['SYSCALLMON_VM_RESULTS'] || join(root, 'build', 'vm', 'results')));
  const { runs, missing } = plannedKernels(root);
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const unplanned = [...missing];
  const ready = runs.filter((kernel) => {
    const ko = builtModuleFile(kernel.release);
    if (existsSync(ko)) return true;
    unplanned.push(failure(`kernel ${kernel.label}: built`, `no ${ko}: build it with \`make -C kernel KVER=${kernel.release}\` (npm run build builds every tested kernel)`));
    return false;
  });
  const allInVms = opts.target === 'vm' || (opts.target === undefined && ready.every((k) => chooseTarget(k.release).target === 'vm'));
  const slots = allInVms ? Math.min(vmSlots(), ready.length) : 1;
  const reports: SuiteReport[] = new Array(ready.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ready.length) {
      const index = next++;
      const kernel = ready[index]!;
      const live = slots > 1 && opts.onOutput !== undefined ? linePrefixer(`[${kernel.label}] `, opts.onOutput) : undefined;
      const runOpts = { ...opts, root, resultsDir: join(resultsDir, kernel.label), ...(live !== undefined ? { onOutput: live.push } : {}) };
      try {
        reports[index] = await runKernelSuite(kernel, runOpts);
      } catch (err) {
        if (!(err instanceof VmError) || err.code === 'EABORTED') throw err;
        const failed = failure(namer(kernel)('suite'), err.message);
        reports[index] = { kernel, target: 'vm', reason: err.message, resultsDir: runOpts.resultsDir, outcomes: [failed], kernelProblems: [], error: err };
      } finally {
        live?.flush();
      }
    }
  };
  await Promise.all(Array.from({ length: slots }, worker));
  return { reports, unplanned };
}

/**
 * A clean kernel log is a check of its own: guest-suite.sh judged the run's
 * log with the C tests' judge (smon_util kmsg-check) and left its verdict.
 */
function kernelLog(resultsDir: string, name: Namer): { outcome: TestOutcome; problems: string[] } {
  const title = `${name('kernel log')}: no warnings, bugs, oopses or lockups`;
  const status = readStatus(join(resultsDir, 'kernel-log.status'));
  const problems = (readIfExists(join(resultsDir, 'kernel-problems.txt')) ?? '').split('\n').filter((l) => l.trim() !== '');
  if (status === undefined) return { outcome: failure(title, 'guest-suite.sh left no verdict on the kernel log'), problems };
  if (status === 0) return { outcome: { name: title, status: 'passed', details: '' }, problems: [] };
  return { outcome: failure(title, problems.join('\n') || `the judge exited with status ${status}`), problems };
}
