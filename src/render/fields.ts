/*
 * Field formatting shared by every renderer, so NDJSON, CSV, tables and tail
 * lines agree on what a timestamp or an argument looks like.
 */

export { hexArg } from '../lib/schema.js';

/** A duration in seconds with six decimals, as `strace -T` shows it. */
export function durationText(ns: bigint): string {
  const micros = ns / 1000n;
  return `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}`;
}

/**
 * ISO 8601 UTC with milliseconds (what Date#toISOString and the library's
 * toJSON give; ts_ns carries the exact value), from ts_ns's decimal string.
 * The part up to the second is cached: a batch is mostly within one second,
 * so a line costs a slice and a concatenation instead of a Date.
 */
export class IsoClock {
  private sec = '';
  private prefix = '';

  iso(tsDecimal: string): string {
    const padded = tsDecimal.length > 9 ? tsDecimal : tsDecimal.padStart(10, '0');
    const cut = padded.length - 9;
    const sec = padded.slice(0, cut);
    if (sec !== this.sec) {
      this.sec = sec;
      this.prefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    return this.prefix + '.' + padded.slice(cut, cut + 3) + 'Z';
  }
}

/** Local wall-clock time of day with microseconds, for humans reading a table or a live tail. */
export function localTimeOfDay(tsNs: bigint): string {
  const ms = Number(tsNs / 1_000_000n);
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  const micros = String(Number((tsNs / 1000n) % 1_000_000n)).padStart(6, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${micros}`;
}
