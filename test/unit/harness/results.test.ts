import { describe, expect, it } from 'vitest';
import { closingLine, parseTap, parseVitestJson, tally } from '../../harness/results.js';

describe('parseTap', () => {
  it('reads test lines, the plan, directives and the diagnostics printed before a failure', () => {
    const tap = [
      'TAP version 13',
      '1..4',
      '# loaded',
      'ok 1 - load/unload',
      '# expected 100 events, got 99',
      '# 2 s',
      'not ok 2 - LOG openat',
      'ok 3 - skipped one # SKIP no debugfs',
      'not ok 4 - known gap # TODO later',
    ].join('\n');
    const { outcomes, planned } = parseTap(tap, 'kmod');
    expect(planned).toBe(4);
    expect(outcomes).toEqual([
      { name: 'kmod: load/unload', status: 'passed', details: '' },
      { name: 'kmod: LOG openat', status: 'failed', details: 'expected 100 events, got 99\n2 s' },
      { name: 'kmod: skipped one', status: 'skipped', details: '' },
      { name: 'kmod: known gap', status: 'passed', details: '' },
    ]);
  });

  it('names unnamed tests by number and ignores non-TAP lines', () => {
    const { outcomes, planned } = parseTap('garbage\nnot ok 7\n', 'suite');
    expect(planned).toBeUndefined();
    expect(outcomes).toEqual([{ name: 'suite: test 7', status: 'failed', details: '' }]);
  });
});

describe('parseVitestJson', () => {
  const root = '/repo';
  it('maps assertions and turns a file that failed to load into one failure', () => {
    const report = {
      numTotalTests: 3,
      testResults: [
        {
          name: '/repo/test/vm/a.test.ts',
          status: 'failed',
          assertionResults: [
            { fullName: 'a works', status: 'passed' },
            { fullName: 'a fails', status: 'failed', failureMessages: ['expected 1 to be 2'] },
            { fullName: 'a later', status: 'pending' },
          ],
        },
        { name: '/repo/test/vm/b.test.ts', status: 'failed', message: 'SyntaxError: nope', assertionResults: [] },
      ],
    };
    expect(parseVitestJson(JSON.stringify(report), 'vm', root)).toEqual([
      { name: 'vm: test/vm/a.test.ts > a works', status: 'passed', details: '' },
      { name: 'vm: test/vm/a.test.ts > a fails', status: 'failed', details: 'expected 1 to be 2' },
      { name: 'vm: test/vm/a.test.ts > a later', status: 'skipped', details: '' },
      { name: 'vm: test/vm/b.test.ts', status: 'failed', details: 'SyntaxError: nope' },
    ]);
  });

  it('reports unreadable or foreign JSON as a failure', () => {
    expect(parseVitestJson('{', 'vm', root)[0]?.status).toBe('failed');
    expect(parseVitestJson('{"x":1}', 'vm', root)[0]?.status).toBe('failed');
  });
});

describe('closingLine', () => {
  it('is exactly "N passed, N failed"', () => {
    const t = tally([
      { name: 'a', status: 'passed', details: '' },
      { name: 'b', status: 'failed', details: '' },
      { name: 'c', status: 'skipped', details: '' },
      { name: 'd', status: 'passed', details: '' },
    ]);
    expect(closingLine(t)).toBe('2 passed, 1 failed');
  });
});
