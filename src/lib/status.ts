// The module's state as the library shows it: the mode, each target and
// rule, the ring's, the hooks' and the return slots' counters. One view of
// what GET_STATUS, GET_TARGETS and GET_RULES return, with the header's names where they mean the same
// (snake_case, as events are) and counters as numbers (u64 in the ABI, but
// none can pass 2^53 in the life of a machine). `syscallmon status --json`
// prints it as it is; src/render/status.ts draws it.
import type { RawStatus, RawTargetInfo } from './binding.js';
import { errnoName } from './errnos.js';
import { VersionError } from './errors.js';
import { need } from './records.js';
import type { RuleInfo } from './rules.js';
import type { SyscallTable } from './syscalls.js';

/** The module's one global mode: OFF disarms every probe, LOG logs, BLOCK enforces block targets. */
export type Mode = 'off' | 'log' | 'block';
export const MODES: readonly Mode[] = ['off', 'log', 'block'];

/** What a target does with a call in scope. */
export type Action = 'log' | 'block';
export const ACTIONS: readonly Action[] = ['log', 'block'];

/**
 * What a call makes: one record when it returns, with its result and
 * duration (complete); one at entry (entry); or both, linked by call_id.
 */
export type RecordMode = 'complete' | 'entry' | 'both';
export const RECORD_MODES: readonly RecordMode[] = ['complete', 'entry', 'both'];

/** What a target is asked to do: the part of it the controller sets. */
export interface TargetSettings {
  syscall: string;
  nr: number;
  action: Action;
  /** errno name a blocked call returns; null for a log target */
  errno: string | null;
  /** tgids in scope (ascending; empty: nobody yet), or every process */
  pids: number[] | 'all';
  /** may block pid 1 and the device's own holders */
  force: boolean;
  record: RecordMode;
  /** only calls that return an error are recorded */
  failed_only: boolean;
}

/** A target with what its hook has counted. */
export interface Target extends TargetSettings {
  /** its entry points are hooked (the mode is not OFF) */
  armed: boolean;
  /** calls while armed, in scope or not, outside device holders */
  hits: number;
  /** calls in scope the target took to record (a failures-only target's skipped successes too: failed_skipped) */
  logged: number;
  blocked: number;
  /** hook runs skipped (the hook was already running on that CPU) */
  missed: number;
  /** calls recorded without their result: no return slot was free, or the call ran task work itself (KVM_RUN) */
  no_result: number;
  /** successful calls not recorded (failed_only) */
  failed_skipped: number;
}

export interface Status {
  api_version: number;
  /** what calls are decided under: mode_set, raised to the highest mode an open file holds */
  mode: Mode;
  /** as set (--off/--log/--block, a policy) */
  mode_set: Mode;
  /** open files holding a mode (a `run` holds what its rule needs for its command's time) */
  mode_holders: number;
  /** exit events are on: set on, or held on by an open file */
  exits: boolean;
  /** exit events as set (--exits, a policy) */
  exits_set: boolean;
  /** open files holding exit events on (a `run --exits`) */
  exits_holders: number;
  /** reading /proc/syscallmon/log drops what was read */
  clear_on_read: boolean;
  /** the ring's size in bytes */
  ring_size: number;
  /** records the ring holds now, and the bytes they take (padding at the ring's end included) */
  held_records: number;
  held_bytes: number;
  /** open files on the device besides the one that asked */
  readers: number;
  /** targets whose entry points are hooked */
  probes_armed: number;
  /** entry points hooked, over every ABI */
  hooked: number;
  /** records ever written, overwritten by newer ones, dropped by a clear */
  events: number;
  overwritten: number;
  cleared: number;
  /** hook runs skipped (recursion), summed over targets */
  missed: number;
  /** process exits the exit probe saw */
  exits_seen: number;
  /** calls that can be followed to their return at once (module parameter return_slots) */
  return_slots: number;
  /** calls being followed to their return now */
  calls_in_flight: number;
  /** calls recorded without their result (no return slot free, or task work run inside the call), summed over targets */
  no_result: number;
  /** seq the next record will get; oldest seq still held */
  head_seq: number;
  tail_seq: number;
  /** of events, configuration records */
  config_records: number;
  /** security hook functions hooked now, for file rules */
  file_hooks: number;
  /** security hook runs skipped (recursion) */
  file_hooks_missed: number;
  /** forks that could not join their parent's process tree (a tree is full) */
  tree_missed: number;
  targets: Target[];
  /** every named rule in evaluation order: the policy's, those added by hand, those owned by open files */
  rules: RuleInfo[];
}

type Constants = Record<string, number>;

// Counters are u64 in the ABI, but none can pass 2^53 in the life of a machine.
const n = (v: bigint): number => Number(v);

function modeName(c: Constants, mode: number): Mode {
  if (mode === need(c, 'MODE_OFF')) return 'off';
  if (mode === need(c, 'MODE_LOG')) return 'log';
  if (mode === need(c, 'MODE_BLOCK')) return 'block';
  throw new VersionError(`module reports unknown mode ${mode}`);
}

function recordModeName(c: Constants, record: number): RecordMode {
  for (const m of RECORD_MODES) if (record === need(c, `RECORD_${m.toUpperCase()}`)) return m;
  throw new VersionError(`module reports unknown record mode ${record}`);
}

export function targetFrom(c: Constants, syscalls: SyscallTable, t: RawTargetInfo): Target {
  const action: Action = t.action === need(c, 'ACTION_BLOCK') ? 'block' : 'log';
  return {
    syscall: syscalls.nameOf(t.nr),
    nr: t.nr,
    action,
    errno: action === 'block' ? errnoName(t.err) : null,
    pids: (t.flags & need(c, 'TARGET_ALL_PIDS')) !== 0 ? 'all' : [...t.pids].sort((a, b) => a - b),
    force: (t.flags & need(c, 'TARGET_FORCE')) !== 0,
    record: recordModeName(c, t.record),
    failed_only: (t.flags & need(c, 'TARGET_FAILED_ONLY')) !== 0,
    armed: t.armed,
    hits: n(t.hits),
    logged: n(t.logged),
    blocked: n(t.blocked),
    missed: n(t.missed),
    no_result: n(t.no_result),
    failed_skipped: n(t.failed_skipped),
  };
}

/** The status as read through one open file, which is not counted among the readers. */
export function statusFrom(
  c: Constants,
  syscalls: SyscallTable,
  raw: RawStatus,
  targets: readonly RawTargetInfo[],
  rules: readonly RuleInfo[],
): Status {
  return {
    api_version: raw.api_version,
    mode: modeName(c, raw.mode),
    mode_set: modeName(c, raw.mode_set),
    mode_holders: raw.mode_holders,
    exits: (raw.flags & need(c, 'STATUS_EXITS')) !== 0,
    exits_set: (raw.flags & need(c, 'STATUS_EXITS_SET')) !== 0,
    exits_holders: raw.exits_holders,
    clear_on_read: (raw.flags & need(c, 'STATUS_CLEAR_ON_READ')) !== 0,
    ring_size: n(raw.ring_size),
    held_records: n(raw.head_seq - raw.tail_seq),
    held_bytes: n(raw.head - raw.tail),
    readers: Math.max(0, raw.readers - 1),
    probes_armed: raw.armed,
    hooked: raw.hooked,
    events: n(raw.events),
    overwritten: n(raw.overwritten),
    cleared: n(raw.cleared),
    missed: n(raw.missed),
    exits_seen: n(raw.exits),
    return_slots: raw.return_slots,
    calls_in_flight: n(raw.calls_in_flight),
    no_result: n(raw.no_result),
    head_seq: n(raw.head_seq),
    tail_seq: n(raw.tail_seq),
    config_records: n(raw.config_records),
    file_hooks: raw.file_hooks,
    file_hooks_missed: n(raw.file_hooks_missed),
    tree_missed: n(raw.tree_missed),
    targets: targets.map((t) => targetFrom(c, syscalls, t)),
    rules: [...rules],
  };
}

/** The settings of a target, without its counters: what "changed?" compares and the controller reports. */
export function settingsOf(t: TargetSettings): TargetSettings {
  return {
    syscall: t.syscall, nr: t.nr, action: t.action, errno: t.errno, pids: t.pids, force: t.force, record: t.record,
    failed_only: t.failed_only,
  };
}
