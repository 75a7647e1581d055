/*
 * Calls for someone used to strace: one line per call as strace -f -T -y
 * prints it, and strace -c's summary table.
 */
import type { DecodableCall } from '../lib/decode/call.js';
import { decodeResult, formatCall, seconds, signalName } from '../lib/decode/index.js';
import type { MonitorEvent, SyscallEvent } from '../lib/events.js';
import type { Summary, SummaryRow } from '../lib/summary.js';
import { configBy, lostText } from './events.js';
import { sanitize } from './sanitize.js';

/** strace lines up results at this column when the call is shorter. */
const RESULT_COLUMN = 40;

/** strace -f's prefix, written while it follows more than one thread: "[pid  1234] ". */
function pidPrefix(pid: number | null): string {
  return pid === null ? '' : `[pid ${String(pid).padStart(5)}] `;
}

/**
 * openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <0.000012>, after
 * [pid  1234] when pid is given.
 */
export function straceLine(call: DecodableCall, pid: number | null = null): string {
  const head = pidPrefix(pid) + formatCall(call);
  const result = decodeResult(call).text;
  const duration = call.duration_ns === null ? '' : ` <${seconds(call.duration_ns)}>`;
  return `${head.length < RESULT_COLUMN ? head.padEnd(RESULT_COLUMN) : `${head} `}= ${result}${duration}\n`;
}

/** The entry half of a call recorded at entry and at return, as strace shows a call another one interrupted. */
function unfinishedLine(call: SyscallEvent, pid: number | null): string {
  const text = formatCall(call);
  return `${pidPrefix(pid)}${text.slice(0, -1)} <unfinished ...>\n`;
}

/**
 * Any event as a line of strace's: calls as straceLine, a process's exit as
 * +++ exited with 0 +++, and what strace has no line for between marks: a
 * configuration change (which names who made it, so no pid prefix), events
 * lost.
 */
export function straceText(e: MonitorEvent, withPid: boolean): string {
  if (e.type === 'lost') return lostText(e.count, e.config) + '\n';
  const pid = withPid ? e.pid : null;
  switch (e.type) {
    case 'syscall':
      return e.entry ? unfinishedLine(e, pid) : straceLine(e, pid);
    case 'exit':
      return `${pidPrefix(pid)}+++ ${e.signal ? `killed by ${signalName(e.signal)}` : `exited with ${e.exit_code}`} +++\n`;
    case 'config':
      return `--- CONFIG ${e.kind}: ${sanitize(e.text)} ${configBy(e)} ---\n`;
  }
}

const RULE = '------ ----------- ----------- -------- --------- --------- ----------------\n';

/** A row; its average is 0 when no call has a duration, as its seconds and longest are. */
function summaryLine(percent: string, r: Omit<SummaryRow, 'syscall' | 'nr'>, name: string): string {
  const avgUs = r.timed === 0 ? 0n : r.total_ns / 1000n / BigInt(r.timed);
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
