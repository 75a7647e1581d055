// What the daemon counts of the records it writes: calls by syscall and
// verdict, exits, configuration changes, and what was lost and why. The
// addon's formatter counts them as it writes each batch (writeTo's tally:
// a walk of the records in JS cost as much as writing them). Its own counts,
// so they only grow (a `clear` of the module's counters does not touch them).
import type { TallyLayout } from '../lib/binding.js';

/** The last loss the daemon saw. */
export interface Loss {
  /** when (the daemon's clock, ms) */
  at: number;
  /** records missed, configuration records included */
  count: number;
  /** of them, configuration records */
  config: number;
}

export class RecordTally {
  /** what the formatter counts into */
  readonly slots: Float64Array;
  lastLoss: Loss | null = null;
  #lostBefore = 0;
  #lostConfigBefore = 0;

  constructor(
    private readonly l: TallyLayout,
    /** the syscall number of a file access made in no syscall */
    private readonly nrNone: number,
  ) {
    this.slots = new Float64Array(l.slots);
  }

  get exits(): number {
    return this.slots[this.l.exits]!;
  }

  get configs(): number {
    return this.slots[this.l.configs]!;
  }

  /** records overwritten before the daemon read them (the lost lines' counts), configuration records included */
  get lost(): number {
    return this.slots[this.l.lostOverwritten]! + this.lostConfig;
  }

  /** of the records lost, configuration records */
  get lostConfig(): number {
    return this.slots[this.l.lostConfig]!;
  }

  /** calls recorded without their result (no return slot was free, or the call ran task work itself) */
  get noResult(): number {
    return this.slots[this.l.noResult]!;
  }

  /** After a batch was counted: what it lost, if anything, is the last loss. */
  batchCounted(now: number): void {
    const count = this.lost - this.#lostBefore;
    if (count > 0) this.lastLoss = { at: now, count, config: this.lostConfig - this.#lostConfigBefore };
    this.#lostBefore = this.lost;
    this.#lostConfigBefore = this.lostConfig;
  }

  /** Syscall records counted so far: nr, verdict number, count. */
  *calls(): Generator<[nr: number, verdict: number, count: number]> {
    const { rows, verdictBits } = this.l;
    for (let key = 0; key < (rows + 1) << verdictBits; key++) {
      const count = this.slots[key]!;
      if (count === 0) continue;
      const row = key >>> verdictBits;
      yield [row === rows ? this.nrNone : row, key & ((1 << verdictBits) - 1), count];
    }
  }
}
