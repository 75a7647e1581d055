// The exit code table: --help prints it from src/cli/errors.ts, and the
// README's "Exit codes" section lists the same codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_EXIT_CODES, EXIT_CODE_HELP, EXIT_CODES, type ExitCodeRow } from '../../../src/cli/errors.js';
import { ROOT } from './built.js';
import { runCli } from './harness.js';

const codesOf = (rows: readonly ExitCodeRow[]): number[] => rows.flatMap((r) => r.codes);

/** The codes in the first column of each table under README's "### Exit codes", one list per table. */
function readmeTables(): number[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n### Exit codes\n');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start + 1, readme.indexOf('\n#', start + 2));
  const tables: number[][] = [];
  let inTable = false;
  for (const line of section.split('\n')) {
    if (line.startsWith('|') && !inTable) tables.push([]);
    inTable = line.startsWith('|');
    const row = /^\| ([0-9, ]+) \|/.exec(line);
    if (row) tables[tables.length - 1]!.push(...row[1]!.split(',').map((c) => Number(c.trim())));
  }
  return tables;
}

describe('exit codes', () => {
  it("README's tables list the codes --help does: syscallmon's own, then sandbox's and run's", () => {
    const [own, command, ...more] = readmeTables();
    expect(more).toEqual([]);
    expect(own).toEqual(codesOf(EXIT_CODES));
    // The second table repeats usage (2: nothing was run) before the command's own codes.
    expect(command).toEqual([2, ...codesOf(COMMAND_EXIT_CODES)]);
    expect(codesOf(COMMAND_EXIT_CODES)).toContain(130);
    expect(codesOf(COMMAND_EXIT_CODES)).toContain(143);
  });

  it('syscallmon --help ends with the table, every code on a line of its own', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\n${EXIT_CODE_HELP}\n`);
    for (const { codes, meaning } of [...EXIT_CODES, ...COMMAND_EXIT_CODES]) {
      expect(r.stdout).toContain(`\n  ${codes.join(', ')}  ${meaning[0]}\n`);
    }
    expect(r.stdout).toContain('\n  129, 130, 131, 143  interrupted by SIGHUP, SIGINT, SIGQUIT, SIGTERM');
  });
});
