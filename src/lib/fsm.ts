// Sequence detection (the FSM): a cycle of states, each a syscall
// (or the open family), advanced by the events that match the current state
// and looping back to the first after the last.  Pure: it is fed events and
// returns what happened, so it is tested without a kernel or a clock.
//
// File format: {"states": ["open", "read", "write"]}.  "open" means the open
// family (open, openat, openat2, creat: what a program's open() turns into
// with today's libc); any other state is one syscall name (or number) from
// the generated table, exactly.
//
// Events are fed in the order their records were written (seq): for calls
// recorded when they return, the default, that is the order they returned.
// Times are ts_ns, when each call entered the kernel: a cycle's time runs
// from the entry of the call that satisfied the first state to the entry of
// the one that satisfied the last.
import type { SyscallEvent } from './events.js';
import { closestNames, type SyscallTable } from './syscalls.js';
import { UsageError } from './errors.js';

/** What a state named "open" matches. */
export const OPEN_FAMILY: readonly string[] = ['open', 'openat', 'openat2', 'creat'];

export interface FsmSpec {
  /** the state names as written in the file */
  states: string[];
}

export interface FsmState {
  /** as written in the file ("open", "read") */
  name: string;
  /** the syscall names it matches */
  syscalls: string[];
  nrs: number[];
}

const EXAMPLE = '{"states": ["open", "read", "write"]}';
const FIELDS = ['states'];

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * The file's text → the spec; every problem is a one-line UsageError that
 * starts with source and names the field.
 */
export function parseFsmSpec(text: string, source: string): FsmSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source}: not valid JSON (${(e as Error).message}); expected ${EXAMPLE}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${source}: expected an object like ${EXAMPLE}, got ${kindOf(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!FIELDS.includes(key)) {
      const near = closestNames(key, FIELDS, 1);
      throw new UsageError(
        `${source}: unknown field '${key}'${near.length ? `; did you mean '${near[0]}'?` : ` (the only field is 'states')`}`,
      );
    }
  }
  if (!('states' in obj)) throw new UsageError(`${source}: missing field 'states' (a list of syscall names, e.g. ${EXAMPLE})`);
  const states = obj['states'];
  if (!Array.isArray(states)) {
    throw new UsageError(`${source}: field 'states' must be a list of syscall names, got ${kindOf(states)}`);
  }
  if (states.length === 0) throw new UsageError(`${source}: field 'states' is empty; give at least one syscall name`);
  states.forEach((s, i) => {
    if (typeof s !== 'string' || s.trim() === '') {
      throw new UsageError(`${source}: states[${i}] must be a syscall name (a non-empty string), got ${kindOf(s)}`);
    }
  });
  return { states: (states as string[]).map((s) => s.trim()) };
}

/** Names → syscalls; an unknown name is a UsageError naming its index, with suggestions. */
export function resolveStates(spec: FsmSpec, table: SyscallTable, source: string): FsmState[] {
  return spec.states.map((name, i) => {
    if (name.toLowerCase() === 'open') {
      // Members this table lacks (another architecture) are simply not part of the family.
      const entries = OPEN_FAMILY.map((n) => table.byName(n)).filter((e) => e !== undefined);
      return { name: 'open', syscalls: entries.map((e) => e.name), nrs: entries.map((e) => e.nr) };
    }
    try {
      const e = table.resolve(name);
      return { name: e.name, syscalls: [e.name], nrs: [e.nr] };
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${source}: states[${i}]: ${err.message}`);
      throw err;
    }
  });
}

/** The fields of an event the engine needs (a SyscallEvent has them all). */
export type FsmInput = Pick<SyscallEvent, 'nr' | 'syscall' | 'ts_ns' | 'seq' | 'pid' | 'tgid' | 'comm' | 'path'>;

export interface Transition {
  type: 'transition';
  /** 1-based number of the cycle this transition belongs to */
  cycle: number;
  /** 0-based index of the state that was satisfied */
  index: number;
  from: string;
  to: string;
  event: FsmInput;
}

export interface CycleDone {
  type: 'cycle';
  cycle: number;
  /** from the entry (ts_ns) of the call that satisfied the first state to that of the one that satisfied the last */
  duration_ns: bigint;
  started_ts_ns: bigint;
  ended_ts_ns: bigint;
}

export type FsmStep = Transition | CycleDone;

export interface FsmSummary {
  cycles: number;
  transitions: number;
  /** syscall events fed */
  events: number;
  /** of those, not matching the state they arrived in */
  ignored: number;
  /** records the reader missed (lost markers), during which transitions may have gone unseen */
  lost: number;
  /** where it stopped */
  index: number;
  state: string;
  /** per completed cycle */
  cycle_ns: bigint[];
  min_ns: bigint | null;
  mean_ns: bigint | null;
  max_ns: bigint | null;
}

export class FsmEngine {
  readonly states: readonly FsmState[];
  private index = 0;
  private cycles = 0;
  private transitions = 0;
  private events = 0;
  private ignored = 0;
  private lost = 0;
  private cycleStart: bigint | null = null;
  private readonly durations: bigint[] = [];

  constructor(states: readonly FsmState[]) {
    if (states.length === 0) throw new UsageError('an FSM needs at least one state');
    this.states = states;
  }

  /** 0-based index of the state waiting for its syscall. */
  get current(): number {
    return this.index;
  }

  get currentState(): FsmState {
    return this.states[this.index]!;
  }

  /** Every syscall number some state needs (what to arm). */
  nrs(): number[] {
    return [...new Set(this.states.flatMap((s) => s.nrs))].sort((a, b) => a - b);
  }

  /**
   * One event: a transition when it matches the current state, plus the
   * cycle it completes when that state is the last; [] when it doesn't match.
   */
  feed(e: FsmInput): FsmStep[] {
    this.events++;
    const state = this.states[this.index]!;
    if (!state.nrs.includes(e.nr)) {
      this.ignored++;
      return [];
    }
    if (this.index === 0) this.cycleStart = e.ts_ns;
    const next = (this.index + 1) % this.states.length;
    const cycle = this.cycles + 1;
    const steps: FsmStep[] = [
      { type: 'transition', cycle, index: this.index, from: state.name, to: this.states[next]!.name, event: e },
    ];
    this.transitions++;
    if (next === 0) {
      const started = this.cycleStart ?? e.ts_ns;
      // Timestamps are CLOCK_REALTIME: a clock step backwards must not give a negative time.
      const duration = e.ts_ns >= started ? e.ts_ns - started : 0n;
      this.cycles++;
      this.durations.push(duration);
      this.cycleStart = null;
      steps.push({ type: 'cycle', cycle, duration_ns: duration, started_ts_ns: started, ended_ts_ns: e.ts_ns });
    }
    this.index = next;
    return steps;
  }

  /** The reader was overtaken: count it (the state machine keeps going). */
  noteLost(count: number): void {
    this.lost += count;
  }

  summary(): FsmSummary {
    const d = this.durations;
    const sum = d.reduce((a, b) => a + b, 0n);
    return {
      cycles: this.cycles,
      transitions: this.transitions,
      events: this.events,
      ignored: this.ignored,
      lost: this.lost,
      index: this.index,
      state: this.states[this.index]!.name,
      cycle_ns: [...d],
      min_ns: d.length ? d.reduce((a, b) => (b < a ? b : a)) : null,
      mean_ns: d.length ? sum / BigInt(d.length) : null,
      max_ns: d.length ? d.reduce((a, b) => (b > a ? b : a)) : null,
    };
  }
}
