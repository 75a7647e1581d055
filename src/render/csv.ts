/*
 * CSV per RFC 4180: a header row, CRLF line ends, and a field quoted (with
 * inner quotes doubled) when it holds a quote, comma, CR or LF.  Column names
 * are the NDJSON field names; a column that does not apply to a record type
 * is empty.  args is one field of six space-separated hex values.
 */
import type { MonitorEvent } from '../lib/events.js';
import { hexArg, IsoClock } from './fields.js';
import { sanitize } from './sanitize.js';

export const CSV_COLUMNS = [
  'type', 'seq', 'ts_ns', 'time', 'pid', 'tgid', 'ppid', 'uid', 'gid', 'comm',
  'syscall', 'nr', 'action', 'errno', 'path', 'path_truncated', 'args',
  'exit_code', 'signal', 'utime_ns', 'stime_ns', 'count',
] as const;

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? '"' + value.replaceAll('"', '""') + '"' : value;
}

export function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export interface CsvOptions {
  /**
   * Escape control characters in comm and path.  Off for files and pipes,
   * where the exact bytes matter; on when the CSV lands on a terminal.
   */
  sanitize: boolean;
}

export class CsvEncoder {
  private readonly clock = new IsoClock();
  constructor(private readonly opts: CsvOptions) {}

  header(): string {
    return csvRow(CSV_COLUMNS);
  }

  row(e: MonitorEvent): string {
    const text = this.opts.sanitize ? sanitize : (s: string): string => s;
    if (e.type === 'lost') {
      return csvRow(['lost', String(e.seq), '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', String(e.count)]);
    }
    const ts = e.ts_ns.toString();
    const common = [
      e.type, String(e.seq), ts, this.clock.iso(ts), String(e.pid), String(e.tgid), String(e.ppid),
      String(e.uid), String(e.gid), text(e.comm),
    ];
    if (e.type === 'syscall') {
      return csvRow([
        ...common, e.syscall, String(e.nr), e.action, e.errno ?? '', e.path === null ? '' : text(e.path),
        String(e.path_truncated), e.args.map(hexArg).join(' '), '', '', '', '', '',
      ]);
    }
    return csvRow([
      ...common, '', '', '', '', '', '', '', String(e.exit_code), String(e.signal),
      e.utime_ns.toString(), e.stime_ns.toString(), '',
    ]);
  }

  rows(events: readonly MonitorEvent[]): string {
    let out = '';
    for (const e of events) out += this.row(e);
    return out;
  }
}
