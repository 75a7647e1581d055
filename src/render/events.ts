/*
 * Events for humans: the log table and the live tail lines.  Kernel text is
 * sanitised here; verdicts get their colour here.  TIME is when a call
 * entered the kernel; rows come in the order records were written, which
 * for calls recorded at their return is the order they returned.
 */
import type { ConfigEvent, MonitorEvent, SyscallEvent } from '../lib/events.js';
import type { Palette } from './colour.js';
import { durationText, localTimeOfDay } from './fields.js';
import { sanitize } from './sanitize.js';
import { numberColumn, renderTable, type Column, type Row } from './table.js';

export const LOG_COLUMNS: readonly Column[] = [
  { header: 'TIME' }, numberColumn('PID'), numberColumn('TGID'), numberColumn('UID'), { header: 'COMM' },
  { header: 'SYSCALL' }, { header: 'VERDICT' }, numberColumn('RET'), numberColumn('DURATION'),
  { header: 'PATH' },
];

/** ALLOWED, BLOCKED EPERM, WOULD_BLOCK EPERM: upper case, as /proc/syscallmon/status says them. */
export function verdictPlain(e: SyscallEvent): string {
  switch (e.verdict) {
    case 'allowed':
      return 'ALLOWED';
    case 'blocked':
      return `BLOCKED ${e.block_errno ?? ''}`.trimEnd();
    case 'would_block':
      return `WOULD_BLOCK ${e.block_errno ?? ''}`.trimEnd();
    case 'killed':
      return 'KILLED';
    case 'would_kill':
      return 'WOULD_KILL';
  }
}

export function verdictText(e: SyscallEvent, colour: Palette): string {
  const plain = verdictPlain(e);
  if (e.verdict === 'blocked' || e.verdict === 'killed') return colour.blocked(plain);
  if (e.verdict === 'would_block' || e.verdict === 'would_kill') return colour.wouldBlock(plain);
  return plain;
}

/** "3", "-ENOENT" (the kernel's own form of a failure), "" for a record written at entry. */
export function retText(e: SyscallEvent): string {
  if (e.ret === null) return '';
  return e.errno !== null ? `-${e.errno}` : e.ret.toString();
}

export function durationOf(e: SyscallEvent): string {
  return e.duration_ns === null ? '' : durationText(e.duration_ns);
}

/**
 * The path argument, or else what the fd argument referred to; a file
 * rule's record says so before the file it decided.  An empty path names
 * the fd itself (AT_EMPTY_PATH: glibc's fstat, statx on an fd), so its
 * target is what the call was about.
 */
export function pathText(e: SyscallEvent): string {
  const file = e.file ? '[file] ' : '';
  if (e.path_unreadable) return file + '<unreadable>';
  if (e.path !== null && e.path !== '') return file + sanitize(e.path) + (e.path_truncated ? '…' : '');
  return file + (e.target === null ? '' : sanitize(e.target));
}

export function lostText(count: number, config = 0): string {
  const changes = config ? ` (${config} of them configuration change${config === 1 ? '' : 's'})` : '';
  return `-- ${count} event${count === 1 ? '' : 's'} lost${changes}: the reader was overtaken --`;
}

function exitText(code: number, signal: number): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** The exited process's CPU time, in the column paths use. */
export function exitCpuText(utimeNs: bigint, stimeNs: bigint): string {
  const s = (ns: bigint): string => (Number(ns / 1_000_000n) / 1000).toFixed(3);
  return `cpu user ${s(utimeNs)} s, sys ${s(stimeNs)} s`;
}

/** "by 1234 (syscallmon) uid 0": who made a configuration change. */
export function configBy(e: ConfigEvent): string {
  return `by ${e.tgid} (${sanitize(e.comm)}) uid ${e.uid}`;
}

/** "CONFIG  mode  LOG -> BLOCK  by 1234 (syscallmon) uid 0": a configuration change in a line. */
export function configText(e: ConfigEvent, colour: Palette): string {
  return `${colour.warn('CONFIG')}  ${e.kind}  ${sanitize(e.text)}  ${configBy(e)}`;
}

export function eventRow(e: MonitorEvent, colour: Palette): Row {
  if (e.type === 'lost') return { wide: colour.warn(lostText(e.count, e.config)) };
  const head = [localTimeOfDay(e.ts_ns), String(e.pid), String(e.tgid), String(e.uid), sanitize(e.comm)];
  if (e.type === 'exit') {
    return [...head, colour.dim('<exit>'), exitText(e.exit_code, e.signal), '', '', exitCpuText(e.utime_ns, e.stime_ns)];
  }
  if (e.type === 'config') return [...head, colour.warn('CONFIG'), e.kind, '', '', sanitize(e.text)];
  return [...head, e.syscall, verdictText(e, colour), retText(e), durationOf(e), pathText(e)];
}

export function renderEventTable(events: readonly MonitorEvent[], colour: Palette): string {
  return renderTable(LOG_COLUMNS, events.map((e) => eventRow(e, colour)), colour);
}

/**
 * One fixed-width line per event for tail, which cannot size columns to
 * data it has not seen yet.
 */
export function eventLine(e: MonitorEvent, colour: Palette): string {
  if (e.type === 'lost') return colour.warn(lostText(e.count, e.config)) + '\n';
  if (e.type === 'config') return localTimeOfDay(e.ts_ns) + '  ' + configText(e, colour) + '\n';
  const head =
    localTimeOfDay(e.ts_ns) + '  ' +
    String(e.tgid).padStart(7) + (e.pid === e.tgid ? '        ' : ('/' + e.pid).padEnd(8)) + ' ' +
    sanitize(e.comm).padEnd(16) + ' ';
  if (e.type === 'exit') {
    const status = exitText(e.exit_code, e.signal);
    return head + colour.dim('<exit>'.padEnd(16)) + ' ' + status.padEnd(18) + ' '.repeat(20) +
      exitCpuText(e.utime_ns, e.stime_ns) + '\n';
  }
  const plain = verdictPlain(e);
  // Pad the plain text: escape codes must not count towards the width.
  const rest = retText(e).padStart(8) + '  ' + durationOf(e).padStart(10) + '  ' + pathText(e);
  return head + e.syscall.padEnd(16) + ' ' + verdictText(e, colour) + ' '.repeat(Math.max(1, 18 - plain.length)) +
    rest.trimEnd() + '\n';
}
