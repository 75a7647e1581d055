/*
 * Calls for someone used to strace: one line per call as strace -f -T -y
 * prints it, and strace -c's summary table.
 */
import type { DecodableCall } from '../lib/decode/call.js';
import { decodeResult, formatCall, seconds } from '../lib/decode/index.js';
import type { Summary, SummaryRow } from '../lib/summary.js';

/** strace lines up results at this column when the call is shorter. */
const RESULT_COLUMN = 40;

/** [pid  1234] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <0.000012> */
export function straceLine(call: DecodableCall & { pid: number }): string {
  const head = `[pid ${String(call.pid).padStart(5)}] ${formatCall(call)}`;
  const result = decodeResult(call).text;
  const duration = call.duration_ns === null ? '' : ` <${seconds(call.duration_ns)}>`;
  return `${head.length < RESULT_COLUMN ? head.padEnd(RESULT_COLUMN) : `${head} `}= ${result}${duration}\n`;
}

const RULE = '------ ----------- ----------- -------- --------- --------- ----------------\n';

function summaryLine(percent: string, r: Omit<SummaryRow, 'syscall' | 'nr'>, name: string): string {
  const avgUs = r.calls === 0 ? 0n : r.total_ns / 1000n / BigInt(r.calls);
  return (
    `${percent.padStart(6)} ${seconds(r.total_ns).padStart(11)} ${String(avgUs).padStart(11)} ` +
    `${seconds(r.max_ns).padStart(8)} ${String(r.calls).padStart(9)} ${(r.errors ? String(r.errors) : '').padStart(9)} ${name}\n`
  );
}

/** strace -c -U time-percent,total-time,avg-time,max-time,calls,errors,name */
export function renderCallSummary(s: Summary): string {
  let out = '% time     seconds  usecs/call  longest     calls    errors syscall\n' + RULE;
  for (const r of s.rows) {
    const percent = s.total.total_ns === 0n ? 0 : (Number(r.total_ns) / Number(s.total.total_ns)) * 100;
    out += summaryLine(percent.toFixed(2), r, r.syscall);
  }
  return out + RULE + summaryLine('100.00', s.total, 'total');
}
