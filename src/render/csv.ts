/*
 * CSV per RFC 4180: a header row, CRLF line ends, and a field quoted (with
 * inner quotes doubled) when it holds a quote, comma, CR or LF.  The columns
 * are the event schema's fields (kernel/include/uapi/syscallmon_schema.h),
 * in its order, with NDJSON's names and values; a column a record type does
 * not carry, or a null, is empty.  args is one field of space-separated hex
 * values.  Rows are in the ring's order, which is the order records were
 * written (seq): a call recorded at its return comes after calls that
 * entered later and returned sooner, so ts_ns need not grow down the file.
 */
import type { MonitorEvent } from '../lib/events.js';
import type { EventSchema, SchemaField } from '../lib/schema.js';
import { hexArg, IsoClock } from './fields.js';
import { sanitize } from './sanitize.js';

/** Every field of the schema, once, in its order. */
export function csvColumns(schema: EventSchema): string[] {
  return schema.fields.map((f) => f.name);
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? '"' + value.replaceAll('"', '""') + '"' : value;
}

export function csvRow(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

export interface CsvOptions {
  /**
   * Escape control characters in strings (comm, path, target).  Off for
   * files and pipes, where the exact bytes matter; on when the CSV lands on
   * a terminal.
   */
  sanitize: boolean;
}

export class CsvEncoder {
  private readonly clock = new IsoClock();
  private readonly columns: readonly SchemaField[];
  private readonly carried: Record<MonitorEvent['type'], ReadonlySet<string>>;

  constructor(
    schema: EventSchema,
    private readonly opts: CsvOptions,
  ) {
    this.columns = schema.fields;
    this.carried = {
      syscall: new Set(schema.byType.syscall.map((f) => f.name)),
      exit: new Set(schema.byType.exit.map((f) => f.name)),
      config: new Set(schema.byType.config.map((f) => f.name)),
      lost: new Set(schema.byType.lost.map((f) => f.name)),
    };
  }

  header(): string {
    return csvRow(this.columns.map((f) => f.name));
  }

  private cell(f: SchemaField, e: MonitorEvent): string {
    const v = (e as unknown as Record<string, unknown>)[f.name];
    if (v === null || v === undefined) return '';
    switch (f.kind) {
      case 'HEX':
        return (v as bigint[]).map(hexArg).join(' ');
      case 'ISO_TIME':
        return this.clock.iso((e as { ts_ns: bigint }).ts_ns.toString());
      case 'STRING':
        return this.opts.sanitize ? sanitize(String(v)) : String(v);
      default:
        return String(v);
    }
  }

  row(e: MonitorEvent): string {
    const carried = this.carried[e.type];
    return csvRow(this.columns.map((f) => (carried.has(f.name) ? this.cell(f, e) : '')));
  }

  rows(events: readonly MonitorEvent[]): string {
    let out = '';
    for (const e of events) out += this.row(e);
    return out;
  }
}
