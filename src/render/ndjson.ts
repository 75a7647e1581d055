/*
 * NDJSON: one event per line, stdout holding nothing else.  Field names are
 * the (and the library's event properties), in one fixed order, and
 * every key is present on every line of a type (null when not applicable) so
 * consumers can rely on a shape.
 *
 * This is tail --json's hot path (issue 5 benchmarks it): a batch becomes one
 * string built by concatenation, with no intermediate object per event and
 * no JSON.stringify for strings that need no escaping.
 */
import type { ExitEvent, LostEvent, MonitorEvent, SyscallEvent } from '../lib/events.js';
import { hexArg, IsoClock } from './fields.js';

// Characters JSON must escape; kernel strings rarely have any.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function jsonNullableString(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

export class NdjsonEncoder {
  private readonly clock = new IsoClock();

  /** One event as one line, newline included. */
  line(e: MonitorEvent): string {
    switch (e.type) {
      case 'syscall':
        return this.syscall(e);
      case 'exit':
        return this.exit(e);
      case 'lost':
        return lostLine(e);
    }
  }

  /** A whole batch as one string, ready for one write. */
  batch(events: readonly MonitorEvent[], keep?: (e: MonitorEvent) => boolean): string {
    let out = '';
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (keep === undefined || keep(e)) out += this.line(e);
    }
    return out;
  }

  private head(e: SyscallEvent | ExitEvent): string {
    const ts = e.ts_ns.toString();
    return (
      '{"type":"' + e.type +
      '","seq":' + e.seq +
      ',"ts_ns":"' + ts +
      '","time":"' + this.clock.iso(ts) +
      '","pid":' + e.pid +
      ',"tgid":' + e.tgid +
      ',"ppid":' + e.ppid +
      ',"uid":' + e.uid +
      ',"gid":' + e.gid +
      ',"comm":' + jsonString(e.comm)
    );
  }

  private syscall(e: SyscallEvent): string {
    const a = e.args;
    return (
      this.head(e) +
      ',"syscall":' + jsonString(e.syscall) +
      ',"nr":' + e.nr +
      ',"action":"' + e.action +
      '","errno":' + jsonNullableString(e.errno) +
      ',"path":' + jsonNullableString(e.path) +
      ',"path_truncated":' + e.path_truncated +
      ',"args":["' + hexArg(a[0] ?? 0n) + '","' + hexArg(a[1] ?? 0n) + '","' + hexArg(a[2] ?? 0n) +
      '","' + hexArg(a[3] ?? 0n) + '","' + hexArg(a[4] ?? 0n) + '","' + hexArg(a[5] ?? 0n) + '"]}\n'
    );
  }

  private exit(e: ExitEvent): string {
    return (
      this.head(e) +
      ',"exit_code":' + e.exit_code +
      ',"signal":' + e.signal +
      ',"utime_ns":"' + e.utime_ns.toString() +
      '","stime_ns":"' + e.stime_ns.toString() + '"}\n'
    );
  }
}

function lostLine(e: LostEvent): string {
  return '{"type":"lost","count":' + e.count + '}\n';
}

/** Any JSON value as one NDJSON line (for command results such as status). */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}
