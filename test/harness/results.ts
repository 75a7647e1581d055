/**
 * Parsers for what the test suites leave behind (TAP from the C tests, the
 * vitest JSON report) and the one shape the reports are printed from.
 */

export interface TestOutcome {
  /** Suite-qualified name, e.g. "kmod: ring overwrite". */
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Failure output: the TAP diagnostics, or vitest's messages. */
  details: string;
}

export function failure(name: string, details = ''): TestOutcome {
  return { name, status: 'failed', details };
}

export interface TapResult {
  outcomes: TestOutcome[];
  /** The "1..N" plan, when the producer printed one. */
  planned: number | undefined;
}

const TAP_TEST = /^(not )?ok\b\s*(\d+)?\s*(?:-\s*)?(.*)$/;
const TAP_PLAN = /^1\.\.(\d+)/;

/**
 * TAP 13 subset: test lines, the plan, SKIP/TODO directives. A failing
 * test's details are the "#" lines printed between the previous test line
 * and its own: test/vm/kmod/run.sh prints each test's log, then its verdict.
 */
export function parseTap(text: string, prefix: string): TapResult {
  const outcomes: TestOutcome[] = [];
  let planned: number | undefined;
  let comments: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const plan = TAP_PLAN.exec(line);
    if (plan?.[1] !== undefined) {
      planned = Number(plan[1]);
      continue;
    }
    if (/^\s*#/.test(line)) {
      comments.push(line.replace(/^\s*#\s?/, ''));
      continue;
    }
    const test = TAP_TEST.exec(line);
    if (test === null) continue;
    const [, notOk, number, rest = ''] = test;
    const hash = rest.indexOf(' # ');
    const description = (hash < 0 ? rest : rest.slice(0, hash)).trim() || `test ${number ?? outcomes.length + 1}`;
    const directive = hash < 0 ? '' : rest.slice(hash + 3).trim().toUpperCase();
    // TAP: a failing TODO test is not a failure; SKIP is neither pass nor fail.
    const status = directive.startsWith('SKIP') ? 'skipped' : notOk !== undefined && !directive.startsWith('TODO') ? 'failed' : 'passed';
    outcomes.push({ name: `${prefix}: ${description}`, status, details: status === 'failed' ? comments.join('\n') : '' });
    comments = [];
  }
  return { outcomes, planned };
}

interface VitestAssertion {
  fullName?: string;
  title?: string;
  status?: string;
  failureMessages?: string[];
}

interface VitestFile {
  name?: string;
  status?: string;
  message?: string;
  assertionResults?: VitestAssertion[];
}

interface VitestReport {
  numTotalTests?: number;
  testResults?: VitestFile[];
}

function isVitestReport(value: unknown): value is VitestReport {
  return typeof value === 'object' && value !== null && Array.isArray((value as VitestReport).testResults);
}

function assertionOutcome(a: VitestAssertion, file: string, prefix: string): TestOutcome {
  const name = `${prefix}: ${file} > ${a.fullName ?? a.title ?? '(unnamed)'}`;
  if (a.status === 'passed') return { name, status: 'passed', details: '' };
  if (a.status === 'failed') return failure(name, (a.failureMessages ?? []).join('\n'));
  return { name, status: 'skipped', details: '' }; // skipped, pending, todo
}

/** Outcomes from vitest's JSON reporter; a file that failed to load is one failure. */
export function parseVitestJson(text: string, prefix: string, root: string): TestOutcome[] {
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (err) {
    return [failure(`${prefix}: vitest report`, `unreadable JSON: ${(err as Error).message}`)];
  }
  if (!isVitestReport(report)) return [failure(`${prefix}: vitest report`, 'no testResults in the JSON report')];
  const outcomes: TestOutcome[] = [];
  for (const file of report.testResults ?? []) {
    const rel = (file.name ?? '(unknown file)').replace(`${root.replace(/\/$/, '')}/`, '');
    const assertions = file.assertionResults ?? [];
    const fileOutcomes = assertions.map((a) => assertionOutcome(a, rel, prefix));
    outcomes.push(...fileOutcomes);
    if (file.status === 'failed' && !fileOutcomes.some((o) => o.status === 'failed')) {
      outcomes.push(failure(`${prefix}: ${rel}`, file.message ?? 'test file failed'));
    }
  }
  return outcomes;
}

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export function tally(outcomes: readonly TestOutcome[]): Tally {
  const count = (status: TestOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/** The runner's closing line; CI and humans grep for exactly this. */
export function closingLine(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed`;
}
