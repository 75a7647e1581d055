// The FSM engine and its file format: pure, no kernel.
import { describe, expect, it } from 'vitest';
import { FsmEngine, OPEN_FAMILY, parseFsmSpec, resolveStates, type FsmInput, type FsmState } from '../../../src/lib/fsm.js';
import { UsageError } from '../../../src/lib/errors.js';
import { SyscallTable } from '../../../src/lib/syscalls.js';
import { createFakeBinding } from '../fake-binding.js';

const table = new SyscallTable(createFakeBinding().syscalls);
const nrOf = (name: string): number => table.resolve(name).nr;

function states(...names: string[]): FsmState[] {
  return resolveStates({ states: names }, table, 'fsm.json');
}

let seq = 0;
function ev(syscall: string, ts: bigint, pid = 100): FsmInput {
  return { nr: nrOf(syscall), syscall, ts_ns: ts, seq: seq++, pid, tgid: pid, comm: 'sh', path: null };
}

describe('FSM file format', () => {
  it('accepts the README\'s file', () => {
    expect(parseFsmSpec('{\n  "states": ["open", "read", "write"]\n}\n', 'f.json')).toEqual({ states: ['open', 'read', 'write'] });
  });

  it.each([
    ['not JSON', '{"states": [open]}', /^f\.json: not valid JSON \(.*\); expected \{"states": \["open", "read", "write"\]\}$/],
    ['an array', '["open"]', /^f\.json: expected an object like .*, got a list$/],
    ['null', 'null', /got null$/],
    ['missing states', '{}', /^f\.json: missing field 'states' \(a list of syscall names/],
    ['a typo in the field', '{"stats": ["read"]}', /^f\.json: unknown field 'stats'; did you mean 'states'\?$/],
    ['an extra field', '{"states": ["read"], "loop": true}', /^f\.json: unknown field 'loop' \(the only field is 'states'\)$/],
    ['states a string', '{"states": "open,read"}', /^f\.json: field 'states' must be a list of syscall names, got the string "open,read"$/],
    ['states empty', '{"states": []}', /^f\.json: field 'states' is empty; give at least one syscall name$/],
    ['a number in states', '{"states": ["open", 3]}', /^f\.json: states\[1\] must be a syscall name \(a non-empty string\), got number 3$/],
    ['an empty name', '{"states": ["open", " "]}', /^f\.json: states\[1\] must be a syscall name/],
  ])('%s: one-line usage error naming the field', (_name, text, message) => {
    let err: unknown;
    try {
      parseFsmSpec(text, 'f.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('"open" is the open family; other names are exactly one syscall', () => {
    const s = states('open', 'read', 'openat');
    expect(s[0]).toEqual({ name: 'open', syscalls: [...OPEN_FAMILY], nrs: OPEN_FAMILY.map(nrOf) });
    expect(OPEN_FAMILY).toEqual(['open', 'openat', 'openat2', 'creat']);
    expect(s[1]).toEqual({ name: 'read', syscalls: ['read'], nrs: [0] });
    expect(s[2]).toEqual({ name: 'openat', syscalls: ['openat'], nrs: [257] });
  });

  it('an unknown syscall names its index and suggests close names', () => {
    expect(() => states('open', 'raed', 'wrte')).toThrow(
      new UsageError("fsm.json: states[1]: unknown syscall 'raed'; did you mean read?"),
    );
    expect(() => states('write', 'nosuchcall')).toThrow(/^fsm\.json: states\[1\]: unknown syscall 'nosuchcall'/);
  });
});

describe('FSM engine', () => {
  it('open → read → write: one transition per state, a cycle after the last, then back to the first', () => {
    const fsm = new FsmEngine(states('open', 'read', 'write'));
    expect(fsm.nrs()).toEqual([0, 1, 2, 85, 257, 437]);
    expect(fsm.currentState.name).toBe('open');
    const a = fsm.feed(ev('openat', 1000n));
    expect(a).toEqual([{ type: 'transition', cycle: 1, index: 0, from: 'open', to: 'read', event: expect.objectContaining({ syscall: 'openat' }) }]);
    expect(fsm.feed(ev('read', 1500n))).toMatchObject([{ type: 'transition', index: 1, from: 'read', to: 'write' }]);
    const c = fsm.feed(ev('write', 4000n));
    expect(c).toMatchObject([
      { type: 'transition', cycle: 1, index: 2, from: 'write', to: 'open' },
      { type: 'cycle', cycle: 1, duration_ns: 3000n, started_ts_ns: 1000n, ended_ts_ns: 4000n },
    ]);
    expect(fsm.current).toBe(0);
    expect(fsm.summary()).toMatchObject({ cycles: 1, transitions: 3, events: 3, ignored: 0, index: 0, state: 'open' });
  });

  it('events that do not match the current state are ignored, not reordered', () => {
    const fsm = new FsmEngine(states('open', 'read', 'write'));
    // write and read before any open: nothing happens
    expect(fsm.feed(ev('write', 1n))).toEqual([]);
    expect(fsm.feed(ev('read', 2n))).toEqual([]);
    expect(fsm.feed(ev('creat', 3n))).toHaveLength(1); // a member of the open family
    expect(fsm.feed(ev('openat', 4n))).toEqual([]); // waiting for read now
    expect(fsm.feed(ev('read', 5n))).toHaveLength(1);
    expect(fsm.feed(ev('read', 6n))).toEqual([]); // waiting for write
    expect(fsm.feed(ev('write', 7n))).toHaveLength(2);
    expect(fsm.summary()).toMatchObject({ cycles: 1, transitions: 3, events: 7, ignored: 4 });
  });

  it('times every cycle from its first to its last state; min, mean and max in the summary', () => {
    const fsm = new FsmEngine(states('open', 'write'));
    for (const [start, end] of [[10n, 40n], [100n, 110n], [200n, 250n]] as const) {
      fsm.feed(ev('openat', start));
      fsm.feed(ev('write', end));
    }
    fsm.feed(ev('open', 300n)); // a fourth cycle begun, not finished
    expect(fsm.summary()).toMatchObject({
      cycles: 3, transitions: 7, cycle_ns: [30n, 10n, 50n], min_ns: 10n, mean_ns: 30n, max_ns: 50n, index: 1, state: 'write',
    });
  });

  it('no cycle: no timing', () => {
    const fsm = new FsmEngine(states('read', 'write'));
    fsm.feed(ev('read', 5n));
    expect(fsm.summary()).toMatchObject({ cycles: 0, cycle_ns: [], min_ns: null, mean_ns: null, max_ns: null, state: 'write' });
  });

  it('a single state completes a cycle on every match', () => {
    const fsm = new FsmEngine(states('write'));
    expect(fsm.feed(ev('write', 5n))).toMatchObject([{ type: 'transition', from: 'write', to: 'write' }, { type: 'cycle', cycle: 1, duration_ns: 0n }]);
    expect(fsm.feed(ev('write', 9n))).toMatchObject([{ type: 'transition', cycle: 2 }, { type: 'cycle', cycle: 2 }]);
  });

  it('a repeated state needs the syscall twice', () => {
    const fsm = new FsmEngine(states('read', 'read', 'write'));
    fsm.feed(ev('read', 1n));
    expect(fsm.feed(ev('write', 2n))).toEqual([]);
    expect(fsm.feed(ev('read', 3n))).toMatchObject([{ index: 1, from: 'read', to: 'write' }]);
  });

  it('a clock step backwards gives 0, never a negative time', () => {
    const fsm = new FsmEngine(states('read', 'write'));
    fsm.feed(ev('read', 1000n));
    expect(fsm.feed(ev('write', 10n))[1]).toMatchObject({ type: 'cycle', duration_ns: 0n });
  });

  it('counts lost records', () => {
    const fsm = new FsmEngine(states('read'));
    fsm.noteLost(5);
    fsm.noteLost(2);
    expect(fsm.summary().lost).toBe(7);
  });

  it('needs a state', () => {
    expect(() => new FsmEngine([])).toThrow(UsageError);
  });
});
