/*
 * strace -c's table as data: per syscall, how many calls, how many failed,
 * and their total, average and longest time.  A call recorded at entry and
 * at return counts once, by its return record.  A call without a duration
 * (recorded at entry only, or without its result) counts as a call but has
 * no time to add: the average is over the calls that have one.
 */
import type { DecodableCall } from './decode/call.js';
import { isFailure } from './decode/index.js';

export interface SummaryRow {
  syscall: string;
  nr: number;
  calls: number;
  /** of the calls, those with a duration: total_ns / timed is the average */
  timed: number;
  errors: number;
  /** summed duration of the calls that have one */
  total_ns: bigint;
  max_ns: bigint;
}

export interface Summary {
  /** by total time, longest first (ties: by syscall number) */
  rows: SummaryRow[];
  total: Omit<SummaryRow, 'syscall' | 'nr'>;
}

export class CallSummary {
  private readonly bySyscall = new Map<string, SummaryRow>();

  add(call: DecodableCall & { entry?: boolean }): void {
    if (call.entry) return;
    let row = this.bySyscall.get(call.syscall);
    if (row === undefined) {
      row = { syscall: call.syscall, nr: call.nr, calls: 0, timed: 0, errors: 0, total_ns: 0n, max_ns: 0n };
      this.bySyscall.set(call.syscall, row);
    }
    row.calls++;
    if (isFailure(call)) row.errors++;
    if (call.duration_ns !== null) {
      row.timed++;
      const d = BigInt(call.duration_ns);
      row.total_ns += d;
      if (d > row.max_ns) row.max_ns = d;
    }
  }

  summary(): Summary {
    const rows = [...this.bySyscall.values()].map((r) => ({ ...r }));
    rows.sort((a, b) => (a.total_ns === b.total_ns ? a.nr - b.nr : a.total_ns > b.total_ns ? -1 : 1));
    const total = { calls: 0, timed: 0, errors: 0, total_ns: 0n, max_ns: 0n };
    for (const r of rows) {
      total.calls += r.calls;
      total.timed += r.timed;
      total.errors += r.errors;
      total.total_ns += r.total_ns;
      if (r.max_ns > total.max_ns) total.max_ns = r.max_ns;
    }
    return { rows, total };
  }
}
