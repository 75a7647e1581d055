/*
 * Choosing calls by how they ended: only those that failed (returned an
 * error or were blocked), only those slower than a duration.  A filter on
 * what is shown; nothing is armed or dropped in the kernel.
 */
import type { DecodableCall } from './decode/call.js';
import { isFailure } from './decode/index.js';
import { UsageError } from './errors.js';

export interface OutcomeFilter {
  /** only calls that returned an error or were blocked */
  failed?: boolean;
  /** only calls whose duration (entry to return) exceeds this many ns; calls without one never do */
  slowerThanNs?: bigint;
}

export function matchesOutcome(call: DecodableCall, filter: OutcomeFilter): boolean {
  if (filter.failed && !isFailure(call)) return false;
  if (filter.slowerThanNs !== undefined) {
    if (call.duration_ns === null || BigInt(call.duration_ns) <= filter.slowerThanNs) return false;
  }
  return true;
}

const UNITS: Readonly<Record<string, bigint>> = { ns: 1n, us: 1_000n, 'µs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
const DURATION = /^(\d+)(?:\.(\d{1,9}))?(ns|us|µs|ms|s)$/;

/** "10ms", "1.5s", "250us", "800ns" in ns; anything else is a UsageError. */
export function parseDuration(text: string): bigint {
  const m = DURATION.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration '${text}': expected a number and a unit, like 10ms, 1.5s, 250us or 800ns`);
  const unit = UNITS[m[3] as string] as bigint;
  const fraction = m[2] ?? '';
  const scaled = BigInt(m[1] as string) * unit + (BigInt(fraction.padEnd(9, '0')) * unit) / 1_000_000_000n;
  return scaled;
}
