// What the daemon counts of the records it reads, walking each raw batch
// once before the formatter writes it: calls by syscall and verdict, exits,
// configuration changes, and what was lost and why. Its own counts, so they
// only grow (a `clear` of the module's counters does not touch them).
import type { ResolvedLayout } from '../lib/records.js';

/** The last loss the daemon saw. */
export interface Loss {
  /** when (the daemon's clock, ms) */
  at: number;
  /** records missed, configuration records included */
  count: number;
  /** of them, configuration records */
  config: number;
}

/** Verdict numbers fit in 4 bits (enum syscallmon_verdict): one map key per syscall and verdict. */
const VERDICT_BITS = 4;

export class RecordTally {
  /** syscall records by (nr << VERDICT_BITS | verdict) */
  readonly #calls = new Map<number, number>();
  exits = 0;
  configs = 0;
  /** overwritten before the daemon read them: other records, and configuration records */
  lostOverwritten = 0;
  lostConfig = 0;
  /** calls recorded without their result (no return slot was free) */
  noResult = 0;
  lastLoss: Loss | null = null;

  constructor(private readonly l: ResolvedLayout) {}

  /** Counts the whole records of a batch (a read()'s or a stream's). */
  add(batch: Buffer, now: number): void {
    const l = this.l;
    const o = l.off;
    for (let at = 0; at < batch.length; ) {
      const size = batch.readUInt16LE(at + o.size);
      const type = batch.readUInt16LE(at + o.type);
      if (type === l.recSyscall) {
        const key = (batch.readUInt32LE(at + o.nr) << VERDICT_BITS) | batch.readUInt16LE(at + o.verdict);
        this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1);
        if (batch.readUInt32LE(at + o.flags) & l.fNoResult) this.noResult++;
      } else if (type === l.recExit) {
        this.exits++;
      } else if (type === l.recConfig) {
        this.configs++;
      } else if (type === l.recLost) {
        const count = Number(batch.readBigUInt64LE(at + o.count));
        const config = Number(batch.readBigUInt64LE(at + o.config));
        this.lostOverwritten += count - config;
        this.lostConfig += config;
        this.lastLoss = { at: now, count, config };
      }
      if (size === 0) throw new Error(`record at byte ${at}: size 0`);
      at += size;
    }
  }

  /** Syscall records counted so far: nr, verdict number, count. */
  *calls(): Generator<[nr: number, verdict: number, count: number]> {
    for (const [key, count] of this.#calls) yield [key >>> VERDICT_BITS, key & ((1 << VERDICT_BITS) - 1), count];
  }
}
