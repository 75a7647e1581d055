/*
 * Parsers for option values, shared by commands so `--pid 0` is refused
 * with the same words everywhere.  They throw commander's
 * InvalidArgumentError, which main.ts turns into a usage error (exit 2).
 */
import { InvalidArgumentError, type Option } from 'commander';
import { errnoList } from '../lib/errnos.js';
import { PID_MAX } from '../lib/monitor.js';

const DECIMAL = /^[0-9]+$/;

export function parsePid(value: string): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > PID_MAX) {
    throw new InvalidArgumentError(`a pid is a whole number from 1 to ${PID_MAX}`);
  }
  return n;
}

function parseWhole(value: string, least: number): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < least) throw new InvalidArgumentError(`expected a whole number ≥ ${least}`);
  return n;
}

export function parseCount(value: string): number {
  return parseWhole(value, 0);
}

export function parsePositive(value: string): number {
  return parseWhole(value, 1);
}

/** For repeatable options: --pid 1 --pid 2 → [1, 2]. */
export function collect<T>(parse: (v: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/**
 * An option that takes one value: given again, it is refused rather than
 * left to replace the first, which commander does silently (--uid 0 --uid
 * 1000 would otherwise select uid 1000 alone, not either of them).
 */
export function single(option: Option): Option {
  const parse = option.parseArg;
  return option.argParser((value: string, previous: unknown) => {
    if (previous !== undefined) throw new InvalidArgumentError(`${option.long} is given twice: it takes one value`);
    return parse ? parse(value, undefined) : value;
  });
}

/** For repeatable string options that also accept commas: --syscall open,read. */
export function collectNames(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((s) => s === '')) throw new InvalidArgumentError('empty name');
  return [...(previous ?? []), ...names];
}

/** The names --errno takes, for the end of --help: wrapped, in numeric order. */
export function errnoHelp(width = 100): string {
  const lines = ['Errno names for --errno (or a number from 1 to 4095):'];
  let line = ' ';
  for (const name of errnoList()) {
    if (line.length + 1 + name.length > width) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${name}`;
  }
  lines.push(line);
  return lines.join('\n');
}
