/*
 * Choosing calls by how they ended: only those that failed (returned an
 * error or were blocked), only those slower than a duration.  A filter on
 * what is shown; nothing is armed or dropped in the kernel.
 */
import type { DecodableCall } from './decode/call.js';
import type { MonitorEvent } from './events.js';
import { isFailure } from './decode/index.js';
import { UsageError } from './errors.js';

export interface OutcomeFilter {
  /** only calls that returned an error, were blocked or were ended by a kill rule */
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

/**
 * The events an outcome filter keeps: the calls that meet it, and every
 * lost marker (a gap is never hidden); exits and configuration changes are
 * not calls.  null when the filter chooses nothing, so everything passes.
 */
export function outcomeSelection(filter: OutcomeFilter): ((e: MonitorEvent) => boolean) | null {
  if (!filter.failed && filter.slowerThanNs === undefined) return null;
  return (e) => e.type === 'lost' || (e.type === 'syscall' && matchesOutcome(e, filter));
}

/** What parseDuration takes, for messages. */
export const DURATION_FORM = 'a number and a unit, like 10ms, 1.5s, 250us or 800ns';

const UNITS: Readonly<Record<string, bigint>> = { ns: 1n, us: 1_000n, 'µs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
const DURATION = /^(\d+)(?:\.(\d{1,9}))?(ns|us|µs|ms|s)$/;

/** "10ms", "1.5s", "250us", "800ns" in ns; anything else is a UsageError. */
export function parseDuration(text: string): bigint {
  const m = DURATION.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration '${text}': expected ${DURATION_FORM}`);
  const unit = UNITS[m[3] as string] as bigint;
  const fraction = m[2] ?? '';
  const scaled = BigInt(m[1] as string) * unit + (BigInt(fraction.padEnd(9, '0')) * unit) / 1_000_000_000n;
  return scaled;
}
