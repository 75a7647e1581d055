// In-memory stand-in for the addon and the kernel module behind it, for host
// tests. It follows the semantics written in kernel/include/uapi/syscallmon.h
// (modes, targets, scopes, record modes, failures-only targets, a ring of
// bytes with per-file cursors and lost records, counters) closely enough for
// the library and CLI tests, and takes every number and layout (constants,
// record structs, schema, syscall table) from the real addon, so the records
// it produces are byte-for-byte what read() returns.
//
// Mirrors kernel/{device,policy,calls,ring}.c where the header leaves room:
// hits count every call outside device holders (even out of scope); CLEAR_LOG
// moves the tail and every reader behind it, so a reader's LOST record counts
// only what was overwritten before it read it; pid 1 in a block target needs
// FORCE (EPERM); clear_on_read only affects /proc; a blocked call is one
// record with its result (-errno); exit and exit_group are recorded at
// entry. The ring holds records up to ring_size bytes without the padding
// the real one leaves at its end, and streams read() it rather than map it.
//
// Rules (kernel/{policy,rules,files}.c): evaluated in order (the policy's,
// those added by hand, those owned by an open file) before the syscall's
// target, the first that matches deciding; block and kill act when enforced
// in BLOCK mode, else would_*; holders are never recorded and only forced
// enforced rules act on them; an owned rule goes when its file is closed.
// Every change of the configuration (mode, targets, pids, rules, policy,
// clears, exit events) and every close writes a config record, with the
// kernel's texts, made by `caller`; a lost record counts the config records
// among what it lost.
//
// Test hooks (not part of Binding): syscall(), fileAccess(), fork(), exit(),
// pushRecords(), failNext(), failStream(), and the public state fields below.
import { constants as osConstants, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadBinding,
  type BatchCallback,
  type Binding,
  type BindingError,
  type FormatCounts,
  type NdjsonFormatter,
  type NdjsonSelection,
  type RawIdRange,
  type RawPolicy,
  type RawRecordStruct,
  type RawRule,
  type RawRuleInfo,
  type RawStatus,
  type RawTarget,
  type RawTargetInfo,
  type RawVersion,
  type RecordStructName,
  type SchemaField,
  type StreamHandle,
  type SyscallEntry,
} from '../../src/lib/binding.js';
import { EventDecoder, type EventOrigin } from '../../src/lib/events.js';
import { RecordSelection } from '../../src/lib/follow.js';
import { encodeRecord, type RecordInit } from '../../src/lib/records.js';
import { RawNdjsonEncoder } from '../../src/render/ndjson.js';

/** The addon's tally layout: a fake formatter counts where the real one does. */
const REAL_TALLY_LAYOUT = loadBinding().ndjsonFormatter([], []).tallyLayout;

type BindingMethod = Exclude<
  keyof Binding,
  'constants' | 'records' | 'schema' | 'devicePath' | 'procDir' | 'syscalls' | 'ndjsonFormatter'
>;

/** Builds the error the addon throws for a failed syscall. */
export function errnoError(code: string, syscall: string): BindingError {
  const errno = (osConstants.errno as Record<string, number | undefined>)[code];
  if (errno === undefined) throw new Error(`fake binding: unknown errno name ${code}`);
  return Object.assign(new Error(`${syscall}: ${code}`), { code, errno, syscall });
}

/** A target as GET_TARGETS reports it, less `armed`: the fake works that out from its probes when asked. */
type FakeTarget = Omit<RawTargetInfo, 'armed'>;

interface FakeRule {
  id: number;
  /** enum syscallmon_rule_class */
  rule_class: number;
  rule: RawRule;
  /** the open file that owns it (class FILE) */
  owner: number | null;
  /** the processes of its pid set or tree, now */
  pids: number[];
  matched: bigint;
  logged: bigint;
  blocked: bigint;
  killed: bigint;
  would_act: bigint;
  /** stalePaths as they were when it was made: it resolved those paths to the files that replaced them */
  resolvedAfter: ReadonlySet<string>;
}

/** Who makes the changes the fake records (config records' task). */
export type FakeTask = Pick<EventOrigin, 'pid' | 'tgid' | 'ppid' | 'uid' | 'gid' | 'comm'>;

/** The process making a simulated call or exit: its pid, the rest defaulted as recordTask says. */
export type SimulatedTask = Pick<FakeTask, 'pid'> & Partial<FakeTask>;

/** A simulated process as its records show it: tgid defaults to pid, ppid to 1, uid and gid to 0, comm to 'proc'. */
function recordTask(task: SimulatedTask): FakeTask {
  return { pid: task.pid, tgid: task.tgid ?? task.pid, ppid: task.ppid ?? 1, uid: task.uid ?? 0, gid: task.gid ?? 0, comm: task.comm ?? 'proc' };
}

interface OpenFile {
  nonblock: boolean;
  cursor: bigint;
  lost: bigint;
  /** Overwritten records a clear moved the cursor past, not reported yet, and the first of them. */
  skipped: bigint;
  skippedSeq: bigint;
  streams: Set<FakeStream>;
  /** Made a change through an ioctl that succeeded: its close is a change too. */
  changed: boolean;
}

interface FakeStream extends StreamHandle {
  fd: number;
  max: number;
  onBatch: BatchCallback;
  coalesceMs: number;
  stopped: boolean;
  scheduled: boolean;
}

/** One syscall made by a simulated process (see FakeBinding.syscall). */
export interface SimulatedCall extends SimulatedTask {
  /** syscall name or number */
  syscall: string | number;
  path?: string;
  /** the path pointer was bad: PATH_UNREADABLE */
  pathUnreadable?: boolean;
  /** what the fd argument refers to ("/tmp/x", "pipe:[12]") */
  target?: string;
  args?: (bigint | number)[];
  ts_ns?: bigint;
  /** for rules' selectors: effective and login uid (default: uid; auid default 4294967295, unset), the program it runs, its cgroup */
  euid?: number;
  auid?: number;
  exe?: string;
  cgroup?: string;
  /** what the call returns when it runs (a negative errno for a failure); default 0 */
  ret?: bigint | number;
  /** how long it takes; default 1000 ns */
  duration_ns?: bigint;
  /** no return slot was free: recorded at entry, flagged NO_RESULT */
  noSlot?: boolean;
}

export interface SimulatedResult {
  /** whether the module saw the call at all (hooked and in scope) */
  seen: boolean;
  /** verdict logged, when seen */
  verdict: number | null;
  /** errno the call returned, when blocked */
  errno: number | null;
  /** records written for it */
  records: number;
}

/** An access to a file that file rules decide (see FakeBinding.fileAccess). */
export interface SimulatedFileAccess extends Omit<SimulatedCall, 'syscall' | 'path' | 'target' | 'pathUnreadable' | 'noSlot'> {
  op: 'open' | 'exec' | 'unlink' | 'rename' | 'link' | 'truncate';
  /** the file accessed, as the kernel resolved it */
  file: string;
  /** the syscall the process is in; absent: none (a kernel thread's access) */
  syscall?: string | number;
}

export interface SimulatedExit extends SimulatedTask {
  exit_code?: number;
  signal?: number;
  utime_ns?: bigint;
  stime_ns?: bigint;
  ts_ns?: bigint;
}

/** The syscall name the addon puts in .syscall for each method. */
const SYSCALL_OF: Record<BindingMethod, string> = {
  open: 'open',
  close: 'close',
  getVersion: 'ioctl:GET_VERSION',
  setMode: 'ioctl:SET_MODE',
  hold: 'ioctl:HOLD',
  addTarget: 'ioctl:ADD_TARGET',
  delTarget: 'ioctl:DEL_TARGET',
  addPids: 'ioctl:ADD_PIDS',
  delPids: 'ioctl:DEL_PIDS',
  clear: 'ioctl:CLEAR',
  getStatus: 'ioctl:GET_STATUS',
  getTargets: 'ioctl:GET_TARGETS',
  seek: 'ioctl:SEEK',
  setExits: 'ioctl:SET_EXITS',
  addRule: 'ioctl:ADD_RULE',
  deleteRules: 'ioctl:DEL_RULES',
  getRules: 'ioctl:GET_RULES',
  replacePolicy: 'ioctl:REPLACE_POLICY',
  rulePids: 'ioctl:GET_PIDS',
  read: 'read',
  startStream: 'ioctl:FETCH',
  startNdjsonStream: 'ioctl:FETCH',
};

/** The methods whose ioctl changes the module's state (the others only read it). */
const CHANGES_STATE = ['setMode', 'hold', 'addTarget', 'delTarget', 'addPids', 'delPids', 'clear', 'setExits', 'addRule', 'deleteRules', 'replacePolicy'] as const;

/** Syscalls the fake refuses to block, as the module does (-EINVAL). */
const NEVER_BLOCKED = new Set(['exit', 'exit_group', 'rt_sigreturn', 'restart_syscall']);
/** Calls that never return: recorded at entry whatever the record mode. */
const NEVER_RETURN = new Set(['exit', 'exit_group']);

/** The kernel's PID_MAX_LIMIT on 64-bit: the largest pid the module accepts. */
const PID_MAX_LIMIT = 4194304;

export class FakeBinding implements Binding {
  readonly constants: Record<string, number>;
  readonly records: Record<RecordStructName, RawRecordStruct>;
  readonly schema: SchemaField[];
  readonly devicePath: string;
  readonly procDir: string;
  readonly syscalls: SyscallEntry[];

  // --- state a test may set or inspect ---
  /** false: open() fails with ENOENT as when the module is not loaded */
  loaded = true;
  /** an errno name open() fails with (e.g. 'EACCES' for a non-root user) */
  openError: string | null = null;
  /** what GET_VERSION reports; set to test a version mismatch */
  apiVersion: number;
  /** what GET_VERSION reports as the largest record */
  recordMax: number;
  /** the mode as set; calls are decided under it raised to the highest an open file holds */
  mode: number;
  /** exit events as set; they are on while set on or held on by an open file */
  exitsOn = false;
  clearOnRead = false;
  /** the ring's size in bytes */
  ringSize: number;
  returnSlots: number;
  /** calls being followed to their return (a test sets it to see it shown) */
  callsInFlight = 0n;
  /** null: every pid exists; else ADD_TARGET/ADD_PIDS of others fail with ESRCH */
  livePids: Set<number> | null = null;
  /** tgids holding the device open: never logged; blocked only by a FORCE block target in BLOCK mode */
  holders = new Set<number>();
  targets = new Map<number, FakeTarget>();
  /** every call made through the Binding interface, for assertions */
  calls: { method: BindingMethod; args: unknown[] }[] = [];
  missedTotal = 0n;
  allocsLive = 0n;
  /** named rules, in the order they were made within their class */
  rules: FakeRule[] = [];
  /** null: every exe, file and cgroup path exists; else ADD_RULE of others fails with ENOENT */
  existingPaths: Set<string> | null = null;
  /** exe and file paths that name another file now: rules made before are stale, rules made since hold the new file */
  stalePaths = new Set<string>();
  /** who makes the changes (config records' task) */
  caller: FakeTask = { pid: 4242, tgid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'syscallmon' };
  treeMissed = 0n;
  fileHooksMissed = 0n;
  /**
   * The last policy's tag. The module shows it only in its status file:
   * the fake writes that line to procDir/status when a test gave it a
   * procDir of its own (tmp), never under /proc.
   */
  policyTag = '';
  /** CLOCK_REALTIME in ns, for the records the fake makes itself (config and lost records) */
  clock = (): bigint => BigInt(Date.now()) * 1_000_000n;

  private ring: Buffer[] = [];
  private headSeq = 0n;
  private tailSeq = 0n;
  /** byte positions of the head and the tail */
  private headPos = 0n;
  private tailPos = 0n;
  private overwritten = 0n;
  private cleared = 0n;
  private exitsSeen = 0n;
  private files = new Map<number, OpenFile>();
  /** fd -> the mode it holds (HOLD), for the files that hold one */
  private holds = new Map<number, number>();
  /** the files holding exit events on */
  private exitsHolds = new Set<number>();
  private nextFd = 100;
  private nextRuleId = 1;
  private configWritten = 0n;
  /** isConfig[seq]: whether record seq is a config record (lost records count them) */
  private isConfig: boolean[] = [];
  private failures: { method: BindingMethod; code: string }[] = [];
  private byName = new Map<string, SyscallEntry>();
  private byNr = new Map<number, SyscallEntry>();

  constructor(
    source: Pick<Binding, 'constants' | 'records' | 'schema' | 'devicePath' | 'procDir' | 'syscalls'> = loadBinding(),
  ) {
    ({
      constants: this.constants, records: this.records, schema: this.schema,
      devicePath: this.devicePath, procDir: this.procDir, syscalls: this.syscalls,
    } = source);
    this.apiVersion = this.c('API_VERSION');
    this.recordMax = this.c('RECORD_MAX');
    this.mode = this.c('MODE_OFF');
    this.ringSize = this.c('RING_SIZE_DEFAULT');
    this.returnSlots = this.c('RETURN_SLOTS_DEFAULT');
    for (const s of this.syscalls) {
      this.byName.set(s.name, s);
      this.byNr.set(s.nr, s);
    }
    // As the module marks a file at the end of an ioctl that succeeded.
    for (const method of CHANGES_STATE) {
      const call = this[method] as (fd: number, ...args: never[]) => unknown;
      (this as Record<string, unknown>)[method] = (fd: number, ...args: never[]): unknown => {
        const result = call.call(this, fd, ...args);
        const f = this.files.get(fd);
        if (f) f.changed = true;
        return result;
      };
    }
  }

  /** A constant by its header name without SYSCALLMON_; throws on a typo so tests cannot silently use undefined. */
  c(name: string): number {
    const v = this.constants[name];
    if (v === undefined) throw new Error(`fake binding: no constant ${name}`);
    return v;
  }

  // ------------------------------------------------------------------ Binding

  open(path: string, nonblock: boolean): number {
    this.enter('open', [path, nonblock]);
    if (this.openError) throw errnoError(this.openError, 'open');
    if (!this.loaded || path !== this.devicePath) throw errnoError('ENOENT', 'open');
    const fd = this.nextFd++;
    this.files.set(fd, { nonblock, cursor: this.tailSeq, lost: 0n, skipped: 0n, skippedSeq: 0n, streams: new Set(), changed: false });
    return fd;
  }

  close(fd: number): void {
    this.enter('close', [fd]);
    const f = this.file(fd, 'close');
    // Like the addon: streams on the fd are stopped before it is closed.
    for (const s of f.streams) s.stop();
    this.files.delete(fd);
    this.letGo(fd);
    const dropped = this.rules.filter((r) => r.owner === fd).length;
    this.rules = this.rules.filter((r) => r.owner !== fd);
    // A file that only read (status, log, tail) changed nothing and leaves no record.
    if (f.changed || dropped > 0) this.change('CONFIG_CLOSED', 0, `opened by pid ${this.caller.tgid}; ${dropped} rules dropped`);
  }

  getVersion(fd: number): RawVersion {
    this.enter('getVersion', [fd]);
    this.file(fd, 'ioctl:GET_VERSION');
    return {
      apiVersion: this.apiVersion,
      recordMax: this.recordMax,
      maxPids: this.c('MAX_PIDS'),
      nrLimit: this.c('NR_LIMIT'),
    };
  }

  setMode(fd: number, mode: number): void {
    this.enter('setMode', [fd, mode]);
    this.file(fd, 'ioctl:SET_MODE');
    if (![this.c('MODE_OFF'), this.c('MODE_LOG'), this.c('MODE_BLOCK')].includes(mode)) {
      throw errnoError('EINVAL', 'ioctl:SET_MODE');
    }
    const before = this.mode;
    this.mode = mode;
    const held = this.effectiveMode === mode ? '' : ` (held at ${this.modeName(this.effectiveMode)})`;
    if (mode !== before) this.change('CONFIG_MODE', 0, `${this.modeName(before)} -> ${this.modeName(mode)}${held}`);
  }

  hold(fd: number, mode: number, exits: number): void {
    this.enter('hold', [fd, mode, exits]);
    this.file(fd, 'ioctl:HOLD');
    if (![this.c('MODE_OFF'), this.c('MODE_LOG'), this.c('MODE_BLOCK')].includes(mode) || ![this.c('EXITS_OFF'), this.c('EXITS_ON')].includes(exits)) {
      throw errnoError('EINVAL', 'ioctl:HOLD');
    }
    const was = this.holds.get(fd) ?? this.c('MODE_OFF');
    if (mode !== was) {
      const before = this.effectiveMode;
      if (mode === this.c('MODE_OFF')) this.holds.delete(fd);
      else this.holds.set(fd, mode);
      this.recordHold(before, mode > was ? 'held' : 'released');
    }
    this.holdExits(fd, exits === this.c('EXITS_ON'));
  }

  /** Exit events are on. */
  get exitsEffective(): boolean {
    return this.exitsOn || this.exitsHolds.size > 0;
  }

  private holdExits(fd: number, on: boolean): void {
    if (this.exitsHolds.has(fd) === on) return;
    const before = this.exitsEffective;
    if (on) this.exitsHolds.add(fd);
    else this.exitsHolds.delete(fd);
    if (this.exitsEffective !== before) {
      this.change('CONFIG_EXITS', 0, `exit events ${on ? 'off -> on (held' : 'on -> off (released'} by pid ${this.caller.tgid}; set: ${this.exitsOn ? 'on' : 'off'})`);
    }
  }

  /** What calls are decided under. */
  get effectiveMode(): number {
    return Math.max(this.mode, ...this.holds.values());
  }

  private letGo(fd: number): void {
    const before = this.effectiveMode;
    if (this.holds.delete(fd)) this.recordHold(before, 'released');
    this.holdExits(fd, false);
  }

  private recordHold(before: number, why: string): void {
    const after = this.effectiveMode;
    if (after !== before) {
      this.change('CONFIG_MODE', 0, `${this.modeName(before)} -> ${this.modeName(after)} (${why} by pid ${this.caller.tgid}; set: ${this.modeName(this.mode)})`);
    }
  }

  addTarget(fd: number, t: RawTarget): void {
    const sc = 'ioctl:ADD_TARGET';
    this.enter('addTarget', [fd, t]);
    this.file(fd, sc);
    const entry = this.byNr.get(t.nr);
    const allPids = (t.flags & this.c('TARGET_ALL_PIDS')) !== 0;
    if (!entry || t.nr >= this.c('NR_LIMIT')) throw errnoError('EINVAL', sc);
    if (t.action !== this.c('ACTION_LOG') && t.action !== this.c('ACTION_BLOCK')) throw errnoError('EINVAL', sc);
    if (t.err < 0 || t.err > this.c('MAX_ERRNO')) throw errnoError('EINVAL', sc);
    if ((t.flags & ~this.c('TARGET_FLAGS_MASK')) !== 0) throw errnoError('EINVAL', sc);
    if (t.record > this.c('RECORD_BOTH')) throw errnoError('EINVAL', sc);
    if ((t.flags & this.c('TARGET_FAILED_ONLY')) !== 0 && t.record !== this.c('RECORD_COMPLETE')) throw errnoError('EINVAL', sc);
    if (t.action === this.c('ACTION_BLOCK') && NEVER_BLOCKED.has(entry.name)) throw errnoError('EINVAL', sc);
    if (!allPids) {
      if (t.pids.length > this.c('MAX_PIDS')) throw errnoError('E2BIG', sc);
      this.checkPids(t.pids, t.action, t.flags, sc);
    }
    const old = this.targets.get(t.nr);
    if (old && (t.flags & this.c('TARGET_EXCLUSIVE')) !== 0) throw errnoError('EBUSY', sc);
    const err = t.err === 0 ? this.c('DEFAULT_ERRNO') : t.err;
    const pids = allPids ? [] : [...new Set(t.pids)];
    const flags = t.flags & ~this.c('TARGET_EXCLUSIVE');
    const was = this.describeTarget(old);
    if (old) Object.assign(old, { action: t.action, err, flags, record: t.record, pids });
    else {
      this.targets.set(t.nr, {
        nr: t.nr, action: t.action, err, flags, record: t.record, pids,
        hits: 0n, logged: 0n, blocked: 0n, missed: 0n, no_result: 0n, failed_skipped: 0n,
      });
    }
    const now = this.describeTarget(this.targets.get(t.nr));
    if (now !== was) this.change('CONFIG_TARGET', t.nr, `${entry.name}: ${was} -> ${now}`);
  }

  delTarget(fd: number, nr: number): void {
    this.enter('delTarget', [fd, nr]);
    this.file(fd, 'ioctl:DEL_TARGET');
    const was = this.describeTarget(this.targets.get(nr));
    if (!this.targets.delete(nr)) throw errnoError('EINVAL', 'ioctl:DEL_TARGET');
    this.change('CONFIG_TARGET', nr, `${this.byNr.get(nr)?.name ?? nr}: ${was} -> none`);
  }

  addPids(fd: number, nr: number, pids: number[]): void {
    const sc = 'ioctl:ADD_PIDS';
    this.enter('addPids', [fd, nr, pids]);
    this.file(fd, sc);
    const t = this.targets.get(nr);
    if (!t) throw errnoError('EINVAL', sc);
    if ((t.flags & this.c('TARGET_ALL_PIDS')) !== 0) throw errnoError('EINVAL', sc);
    if (pids.length > this.c('MAX_PIDS')) throw errnoError('E2BIG', sc);
    this.checkPids(pids, t.action, t.flags, sc);
    const merged = [...new Set([...t.pids, ...pids])];
    if (merged.length > this.c('MAX_PIDS')) throw errnoError('ENOSPC', sc);
    t.pids = merged;
    this.change('CONFIG_PIDS', nr, `${this.byNr.get(nr)?.name ?? nr}: +pids ${pids.join(',')} (${t.pids.length} now)`);
  }

  delPids(fd: number, nr: number, pids: number[]): void {
    const sc = 'ioctl:DEL_PIDS';
    this.enter('delPids', [fd, nr, pids]);
    this.file(fd, sc);
    if (pids.length > this.c('MAX_PIDS')) throw errnoError('E2BIG', sc);
    if (pids.some((p) => !this.pidInRange(p))) throw errnoError('EINVAL', sc);
    const t = this.targets.get(nr);
    if (!t || (t.flags & this.c('TARGET_ALL_PIDS')) !== 0) throw errnoError('EINVAL', sc);
    t.pids = t.pids.filter((p) => !pids.includes(p));
    this.change('CONFIG_PIDS', nr, `${this.byNr.get(nr)?.name ?? nr}: -pids ${pids.join(',')} (${t.pids.length} now)`);
  }

  clear(fd: number, flags: number): void {
    this.enter('clear', [fd, flags]);
    this.file(fd, 'ioctl:CLEAR');
    if ((flags & ~this.c('CLEAR_MASK')) !== 0) throw errnoError('EINVAL', 'ioctl:CLEAR');
    if (flags & this.c('CLEAR_TARGETS')) this.targets.clear();
    if (flags & this.c('CLEAR_LOG')) {
      for (const f of this.files.values()) {
        if (f.cursor >= this.headSeq) continue;
        if (f.cursor < this.tailSeq) {
          if (f.skipped === 0n) f.skippedSeq = f.cursor;
          f.skipped += this.tailSeq - f.cursor;
        }
        f.cursor = this.headSeq;
      }
      this.cleared += this.headSeq - this.tailSeq;
      this.ring = [];
      this.tailSeq = this.headSeq;
      this.tailPos = this.headPos;
    }
    if (flags & this.c('CLEAR_COUNTERS')) {
      this.overwritten = this.cleared = this.exitsSeen = this.missedTotal = 0n;
      for (const t of this.targets.values()) t.hits = t.logged = t.blocked = t.missed = t.no_result = t.failed_skipped = 0n;
      for (const r of this.rules) r.matched = r.logged = r.blocked = r.killed = r.would_act = 0n;
    }
    // After the clear: the record of it stays.
    if (flags) {
      const what = (flags & this.c('CLEAR_LOG') ? ' log' : '') + (flags & this.c('CLEAR_TARGETS') ? ' targets' : '') +
        (flags & this.c('CLEAR_COUNTERS') ? ' counters' : '');
      this.change('CONFIG_CLEAR', 0, what);
    }
  }

  getStatus(fd: number): RawStatus {
    this.enter('getStatus', [fd]);
    const f = this.file(fd, 'ioctl:GET_STATUS');
    let flags = 0;
    if (this.exitsEffective) flags |= this.c('STATUS_EXITS');
    if (this.exitsOn) flags |= this.c('STATUS_EXITS_SET');
    if (this.clearOnRead) flags |= this.c('STATUS_CLEAR_ON_READ');
    const targets = [...this.targets.values()];
    const armed = targets.filter((t) => this.armed(t.nr));
    return {
      api_version: this.apiVersion,
      mode: this.effectiveMode,
      mode_set: this.mode,
      mode_holders: this.holds.size,
      exits_holders: this.exitsHolds.size,
      flags,
      return_slots: this.returnSlots,
      ntargets: this.targets.size,
      armed: armed.length,
      readers: this.files.size,
      hooked: armed.length,
      ring_size: BigInt(this.ringSize),
      head: this.headPos,
      tail: this.tailPos,
      head_seq: this.headSeq,
      tail_seq: this.tailSeq,
      events: this.headSeq,
      overwritten: this.overwritten,
      cleared: this.cleared,
      reader_lost: f.lost,
      reader_seq: f.cursor,
      exits: this.exitsSeen,
      missed: this.missedTotal + targets.reduce((a, t) => a + t.missed, 0n),
      no_result: targets.reduce((a, t) => a + t.no_result, 0n),
      calls_in_flight: this.callsInFlight,
      allocs_live: this.allocsLive,
      nrules: this.rules.length,
      file_hooks: this.fileHooks(),
      tree_missed: this.treeMissed,
      file_hooks_missed: this.fileHooksMissed,
      config_records: this.configWritten,
    };
  }

  getTargets(fd: number): RawTargetInfo[] {
    this.enter('getTargets', [fd]);
    this.file(fd, 'ioctl:GET_TARGETS');
    return [...this.targets.values()]
      .sort((a, b) => a.nr - b.nr)
      .map((t) => ({ ...t, pids: [...t.pids], armed: this.armed(t.nr) }));
  }

  seek(fd: number, whence: number): void {
    this.enter('seek', [fd, whence]);
    const f = this.file(fd, 'ioctl:SEEK');
    if (whence === this.c('SEEK_TAIL')) f.cursor = this.tailSeq;
    else if (whence === this.c('SEEK_HEAD')) f.cursor = this.headSeq;
    else throw errnoError('EINVAL', 'ioctl:SEEK');
    f.skipped = 0n;
  }

  setExits(fd: number, on: boolean): void {
    this.enter('setExits', [fd, on]);
    this.file(fd, 'ioctl:SET_EXITS');
    if (this.exitsOn !== on) {
      this.change('CONFIG_EXITS', 0, `exit events ${on ? 'off' : 'on'} -> ${on ? 'on' : 'off'}${this.exitsHolds.size > 0 && !on ? ' (held on)' : ''}`);
    }
    this.exitsOn = on;
  }

  addRule(fd: number, rule: RawRule): number {
    const sc = 'ioctl:ADD_RULE';
    this.enter('addRule', [fd, rule]);
    this.file(fd, sc);
    this.checkRule(rule, sc);
    const cls = rule.rule_class;
    if (cls !== this.c('CLASS_HAND') && cls !== this.c('CLASS_FILE')) throw errnoError('EINVAL', sc);
    const scoped = (rule.flags & (this.c('SEL_PIDS') | this.c('SEL_TREE'))) !== 0;
    if (!scoped && rule.pids.length) throw errnoError('EINVAL', sc);
    if (scoped && this.livePids && rule.pids.some((p) => !this.livePids?.has(p))) throw errnoError('ESRCH', sc);
    this.resolvePaths(rule, sc);
    const owner = cls === this.c('CLASS_FILE') ? fd : null;
    const prev = this.rules.find((r) => r.rule.name === rule.name);
    if (prev && (prev.rule_class !== cls || prev.owner !== owner)) throw errnoError('EEXIST', sc);
    if (!prev && this.rules.length >= this.c('MAX_RULES')) throw errnoError('ENOSPC', sc);
    if (this.actsOn(rule) && !(rule.flags & this.c('RULE_FORCE')) && rule.pids.includes(1)) throw errnoError('EPERM', sc);
    const made: FakeRule = {
      id: prev ? prev.id : this.nextRuleId++,
      rule_class: cls,
      rule: structuredClone(rule),
      owner,
      pids: [...new Set(rule.pids)],
      matched: prev?.matched ?? 0n,
      logged: prev?.logged ?? 0n,
      blocked: prev?.blocked ?? 0n,
      killed: prev?.killed ?? 0n,
      would_act: prev?.would_act ?? 0n,
      resolvedAfter: new Set(this.stalePaths),
    };
    made.rule.id = made.id;
    if (prev) this.rules[this.rules.indexOf(prev)] = made;
    else this.rules.push(made);
    this.change('CONFIG_RULE_ADD', made.id, this.describeRule(made) + (prev ? ' (replaced)' : ''));
    return made.id;
  }

  deleteRules(fd: number, ids: number[]): void {
    const sc = 'ioctl:DEL_RULES';
    this.enter('deleteRules', [fd, ids]);
    this.file(fd, sc);
    if (ids.length === 0 || ids.length > this.c('MAX_RULES') || ids.includes(0)) throw errnoError('EINVAL', sc);
    const gone = [...new Set(ids)].sort((a, b) => a - b).map((id) => this.rules.find((x) => x.id === id));
    if (gone.some((r) => r === undefined)) throw errnoError('ENOENT', sc);
    this.rules = this.rules.filter((x) => !gone.includes(x));
    for (const r of gone) this.change('CONFIG_RULE_DEL', r!.id, `#${r!.id} ${r!.rule.name}`);
  }

  getRules(fd: number): RawRuleInfo[] {
    this.enter('getRules', [fd]);
    this.file(fd, 'ioctl:GET_RULES');
    return this.ordered().map((r) => {
      const { pids: _pids, ...rule } = structuredClone(r.rule);
      const stale = [r.rule.exe, r.rule.file].some((p, i) => {
        const sel = this.c(i === 0 ? 'SEL_EXE' : 'SEL_FILE');
        return (r.rule.flags & sel) !== 0 && this.stalePaths.has(p) && !r.resolvedAfter.has(p);
      });
      return {
        rule: { ...rule, err: rule.err || this.c('DEFAULT_ERRNO'), npids: r.pids.length },
        exe_dev: r.rule.flags & this.c('SEL_EXE') ? 2049n : 0n,
        exe_ino: r.rule.flags & this.c('SEL_EXE') ? BigInt(1000 + r.id) : 0n,
        cgroup_id: r.rule.flags & this.c('SEL_CGROUP') ? BigInt(100 + r.id) : 0n,
        matched: r.matched,
        logged: r.logged,
        blocked: r.blocked,
        killed: r.killed,
        would_act: r.would_act,
        file_dev: r.rule.flags & this.c('SEL_FILE') ? 2049n : 0n,
        file_ino: r.rule.flags & this.c('SEL_FILE') ? BigInt(2000 + r.id) : 0n,
        state: stale ? this.c('RULE_STALE') : 0,
      };
    });
  }

  replacePolicy(fd: number, policy: RawPolicy): void {
    const sc = 'ioctl:REPLACE_POLICY';
    this.enter('replacePolicy', [fd, policy]);
    this.file(fd, sc);
    const modes = [this.c('MODE_OFF'), this.c('MODE_LOG'), this.c('MODE_BLOCK')];
    if (!modes.includes(policy.mode) || ![this.c('EXITS_OFF'), this.c('EXITS_ON')].includes(policy.exits)) {
      throw errnoError('EINVAL', sc);
    }
    if (Buffer.byteLength(policy.tag) >= this.c('POLICY_TAG_LEN')) throw errnoError('EINVAL', sc);
    if (policy.rules.length > this.c('MAX_RULES')) throw errnoError('E2BIG', sc);
    for (const r of policy.rules) {
      this.checkRule(r, sc);
      if (r.rule_class !== this.c('CLASS_POLICY') || r.pids.length || r.flags & (this.c('SEL_PIDS') | this.c('SEL_TREE'))) {
        throw errnoError('EINVAL', sc);
      }
    }
    const names = policy.rules.map((r) => r.name);
    if (new Set(names).size !== names.length) throw errnoError('EEXIST', sc);
    const policyClass = this.c('CLASS_POLICY');
    if (this.rules.some((r) => r.rule_class !== policyClass && names.includes(r.rule.name))) throw errnoError('EEXIST', sc);
    const others = this.rules.filter((r) => r.rule_class !== policyClass);
    if (others.length + policy.rules.length > this.c('MAX_RULES')) throw errnoError('ENOSPC', sc);
    for (const r of policy.rules) this.resolvePaths(r, sc);
    const made = policy.rules.map((rule): FakeRule => {
      const prev = this.rules.find((r) => r.rule_class === policyClass && r.rule.name === rule.name);
      const id = prev ? prev.id : this.nextRuleId++;
      return {
        id, rule_class: policyClass, rule: { ...structuredClone(rule), id }, owner: null, pids: [],
        matched: prev?.matched ?? 0n, logged: prev?.logged ?? 0n, blocked: prev?.blocked ?? 0n,
        killed: prev?.killed ?? 0n, would_act: prev?.would_act ?? 0n, resolvedAfter: new Set(this.stalePaths),
      };
    });
    this.rules = [...made, ...others];
    this.mode = policy.mode;
    this.exitsOn = policy.exits === this.c('EXITS_ON');
    this.policyTag = policy.tag;
    if (!this.procDir.startsWith('/proc/') && existsSync(this.procDir)) {
      writeFileSync(join(this.procDir, 'status'), `mode: ${this.modeName(policy.mode).toLowerCase()}\npolicy: ${policy.tag || '-'}\n`);
    }
    this.change(
      'CONFIG_POLICY',
      0,
      `${made.length} rules, mode ${this.modeName(policy.mode)}, exits ${this.exitsOn ? 'on' : 'off'}${policy.tag ? ', ' + policy.tag : ''}`,
    );
  }

  rulePids(fd: number, id: number): number[] {
    this.enter('rulePids', [fd, id]);
    this.file(fd, 'ioctl:GET_PIDS');
    const r = this.rules.find((x) => x.id === id);
    if (!r || !(r.rule.flags & (this.c('SEL_PIDS') | this.c('SEL_TREE')))) throw errnoError('EINVAL', 'ioctl:GET_PIDS');
    return [...r.pids];
  }

  /**
   * The JS encoder and the library's JS selection behind the native
   * formatter's signature, so host CLI tests take the NDJSON path of
   * follow; the real one is held equal to both in
   * test/unit/lib/ndjson-native.test.ts.
   */
  ndjsonFormatter(
    errnoNames: readonly (string | undefined)[],
    syscallNames: readonly (string | undefined)[],
    selection: NdjsonSelection = {},
  ): NdjsonFormatter {
    const enc = new RawNdjsonEncoder(this, (nr) => syscallNames[nr] ?? `syscall_${nr}`, (e) => errnoNames[e] ?? String(e));
    const sel = new RecordSelection(this, new Set(selection.nrs ?? []), new Set(selection.pids ?? []));
    const limit = selection.limit ?? 0;
    let shown = 0;
    const full = (): boolean => limit !== 0 && shown >= limit;
    /** Where each record of batch starts, padding left out, while `more()` holds. */
    function* recordsOf(batch: Buffer, more = (): boolean => true): Generator<number> {
      for (let at = 0; at < batch.length && more(); at += sel.size(batch, at)) if (!sel.isPad(batch, at)) yield at;
    }
    /** The lines of batch's selected records; failure: the record refused, text holding the lines before it. */
    const format = (batch: Buffer): { text: string; counts: FormatCounts; failure?: { error: unknown } } => {
      const counts: FormatCounts = { read: 0, shown: 0, lost: 0, full: false };
      let text = '';
      try {
        for (const at of recordsOf(batch, () => !full())) {
          const lost = sel.isLost(batch, at);
          if (lost) counts.lost += sel.lostCount(batch, at);
          else counts.read++;
          if (!sel.selects(batch, at)) continue;
          text += enc.line(batch, at);
          if (!lost) {
            counts.shown++;
            shown++;
          }
        }
      } catch (error) {
        return { text, counts, failure: { error } };
      }
      counts.full = full();
      return { text, counts };
    };
    /** As the addon: the lines before a record refused are written, then its error is thrown. */
    const write = (fd: number, r: ReturnType<typeof format>): void => {
      writeSync(fd, r.text);
      if (r.failure) throw r.failure.error;
    };
    const tallyLayout = REAL_TALLY_LAYOUT;
    const l = EventDecoder.forBinding(this).layout;
    /** What the addon's tally counts, read as the library's decoder reads records. */
    const count = (batch: Buffer, tally: Float64Array): void => {
      for (let at = 0, size = 0; at < batch.length; at += size) {
        size = batch.readUInt16LE(at + l.off.size);
        const type = batch.readUInt16LE(at + l.off.type);
        if (type === l.recSyscall) {
          const nr = batch.readUInt32LE(at + l.off.nr);
          const row = nr === l.nrNone ? tallyLayout.rows : nr;
          tally[(row << tallyLayout.verdictBits) | batch.readUInt16LE(at + l.off.verdict)]!++;
          if (batch.readUInt32LE(at + l.off.flags) & l.fNoResult) tally[tallyLayout.noResult]!++;
        } else if (type === l.recExit) tally[tallyLayout.exits]!++;
        else if (type === l.recConfig) tally[tallyLayout.configs]!++;
        else if (type === l.recLost) {
          const lost = Number(batch.readBigUInt64LE(at + l.off.count));
          const config = Number(batch.readBigUInt64LE(at + l.off.config));
          tally[tallyLayout.lostOverwritten]! += lost - config;
          tally[tallyLayout.lostConfig]! += config;
        }
      }
    };
    const formatBatch = (batch: Buffer): Buffer => {
      const r = format(batch);
      if (r.failure) throw r.failure.error;
      return Buffer.from(r.text, 'utf8');
    };
    return Object.assign(formatBatch, {
      tallyLayout,
      writeTo: (fd: number, batch: Buffer, tally?: Float64Array): FormatCounts => {
        const r = format(batch);
        write(fd, r);
        if (tally) count(batch, tally);
        return r.counts;
      },
      writeLast: (fd: number, held: Buffer, n: number): FormatCounts => {
        const picked: Buffer[] = [];
        for (const at of recordsOf(held)) {
          if (!sel.isLost(held, at) && sel.selects(held, at)) picked.push(held.subarray(at, at + sel.size(held, at)));
        }
        const r = format(Buffer.concat(picked.slice(Math.max(0, picked.length - n))));
        write(fd, r);
        return { ...r.counts, read: 0 };
      },
    });
  }

  read(fd: number, maxBytes: number): Buffer {
    this.enter('read', [fd, maxBytes]);
    const f = this.file(fd, 'read');
    if (!Number.isInteger(maxBytes) || maxBytes < this.c('RECORD_MAX')) throw errnoError('EINVAL', 'read');
    const out: Buffer[] = [];
    let bytes = 0;
    if (f.skipped > 0n || f.cursor < this.tailSeq) {
      const overtaken = f.cursor < this.tailSeq ? this.tailSeq - f.cursor : 0n;
      const count = f.skipped + overtaken;
      const configIn = (from: bigint, n: bigint): number => {
        let k = 0;
        for (let q = Number(from); q < Number(from + n); q++) if (this.isConfig[q]) k++;
        return k;
      };
      const lost = encodeRecord(this, {
        type: this.c('RECORD_LOST'),
        seq: f.skipped > 0n ? f.skippedSeq : f.cursor,
        ts_ns: this.clock(),
        count,
        config: configIn(f.skippedSeq, f.skipped) + configIn(f.cursor, overtaken),
      });
      out.push(lost);
      bytes += lost.length;
      f.lost += count;
      f.skipped = 0n;
      f.cursor += overtaken;
    }
    while (f.cursor < this.headSeq) {
      const rec = this.ring[Number(f.cursor - this.tailSeq)];
      if (!rec || bytes + rec.length > maxBytes) break;
      out.push(rec);
      bytes += rec.length;
      f.cursor++;
    }
    return out.length ? Buffer.concat(out, bytes) : Buffer.alloc(0);
  }

  startStream(fd: number, maxBytes: number, onBatch: BatchCallback, coalesceMs = 0, transient = false): StreamHandle {
    this.enter('startStream', [fd, maxBytes, onBatch, coalesceMs, transient]);
    return this.openStream(fd, maxBytes, onBatch, coalesceMs, 'ioctl:FETCH');
  }

  startNdjsonStream(...args: Parameters<Binding['startNdjsonStream']>): StreamHandle {
    this.enter('startNdjsonStream', args);
    const [fd, maxBytes, formatter, outFd, onProgress, coalesceMs = 0] = args;
    const onBatch: BatchCallback = (err, batch) => {
      if (err || !batch) return onProgress(err);
      let c: FormatCounts;
      try {
        c = formatter.writeTo(outFd, batch);
      } catch (e) {
        stream.stop();
        return onProgress(e as Error);
      }
      onProgress(null, c.read, c.shown, c.lost, c.full);
      if (c.full) stream.stop();
    };
    const stream = this.openStream(fd, maxBytes, onBatch, coalesceMs, 'ioctl:FETCH');
    return stream;
  }

  // ------------------------------------------------------------- test hooks

  /** Makes the next call of method throw errno code (once per call to failNext). */
  failNext(method: BindingMethod, code: string): void {
    this.failures.push({ method, code });
  }

  /** Ends every stream on fd with an errno error, as a failing FETCH or poll() would. */
  failStream(fd: number, code: string): void {
    const f = this.file(fd, 'ioctl:FETCH');
    for (const s of [...f.streams]) {
      s.stop();
      setImmediate(() => s.onBatch(errnoError(code, 'ioctl:FETCH'), null));
    }
  }

  /** Number of streams not yet stopped, over every fd. */
  get activeStreams(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.streams.size;
    return n;
  }

  /** Open fds, for leak assertions. */
  get openFds(): number[] {
    return [...this.files.keys()];
  }

  syscallEntry(syscall: string | number): SyscallEntry {
    const e = typeof syscall === 'number' ? this.byNr.get(syscall) : this.byName.get(syscall);
    if (!e) throw new Error(`fake binding: no syscall ${syscall}`);
    return e;
  }

  /**
   * A process makes a syscall: applies mode, target, scope, exemptions and
   * the target's record mode as the module does, counts it, and writes the
   * records it makes.
   */
  syscall(call: SimulatedCall): SimulatedResult {
    const entry = this.syscallEntry(call.syscall);
    const tgid = call.tgid ?? call.pid;
    const t = this.targets.get(entry.nr);
    const none: SimulatedResult = { seen: false, verdict: null, errno: null, records: 0 };
    const rules = this.ordered().filter((r) => r.rule.syscalls.includes(entry.nr));
    if (this.effectiveMode === this.c('MODE_OFF') || (!t && rules.length === 0)) return none;
    const holder = this.holders.has(tgid);
    if (t && !holder) t.hits++;
    const rule = rules.find((r) => this.ruleMatches(r, call, tgid, null));
    if (rule) return this.decideRule(rule, call, entry, tgid, holder, false);
    if (!t) return none;
    const force = (t.flags & this.c('TARGET_FORCE')) !== 0;
    const block = t.action === this.c('ACTION_BLOCK');
    const inScope = (t.flags & this.c('TARGET_ALL_PIDS')) !== 0 || t.pids.includes(tgid);
    if (holder) {
      // Never recorded; blocked only when forced.
      if (!(block && force && this.effectiveMode === this.c('MODE_BLOCK') && inScope)) return none;
      t.blocked++;
      return { seen: true, verdict: null, errno: t.err, records: 0 };
    }
    if (!inScope) return none;
    let verdict = this.c('VERDICT_ALLOWED');
    let err = 0;
    if (block) {
      const exempt = !force && tgid === 1;
      verdict = this.effectiveMode === this.c('MODE_BLOCK') && !exempt ? this.c('VERDICT_BLOCKED') : this.c('VERDICT_WOULD_BLOCK');
      err = t.err;
    }
    const blocked = verdict === this.c('VERDICT_BLOCKED');
    if (blocked) t.blocked++;
    // logged counts what the target took at entry, successes a failures-only target skips included.
    t.logged++;
    const out = this.writeCall(call, entry, {
      verdict, err, rule: 0, record: t.record, failedOnly: (t.flags & this.c('TARGET_FAILED_ONLY')) !== 0, stopped: blocked, file: null,
    });
    if (out.noResult) t.no_result++;
    if (out.skipped) t.failed_skipped++;
    return { seen: true, verdict, errno: blocked ? err : null, records: out.records };
  }

  /**
   * A process accesses a file: the file rules for op decide it, on the file
   * itself (as the kernel's security hooks see it), and a record is written
   * with the FILE flag and the file as its path.
   */
  fileAccess(a: SimulatedFileAccess): SimulatedResult {
    const tgid = a.tgid ?? a.pid;
    const none: SimulatedResult = { seen: false, verdict: null, errno: null, records: 0 };
    if (this.effectiveMode === this.c('MODE_OFF')) return none;
    const op = this.c(`FILE_${a.op.toUpperCase()}`);
    const rule = this.ordered().find((r) => (r.rule.file_ops & op) !== 0 && this.ruleMatches(r, a, tgid, a.file));
    if (!rule) return none;
    const entry: SyscallEntry =
      a.syscall === undefined
        ? { nr: this.c('NR_NONE'), name: 'none', symbol: '', pathArg: -1, fdArg: -1 }
        : this.syscallEntry(a.syscall);
    return this.decideRule(rule, { ...a, syscall: entry.nr, path: a.file }, entry, tgid, this.holders.has(tgid), true);
  }

  /** A process forks: the child joins every process tree its parent is in (joins while there is room, else counted). */
  fork(parent: number, child: number): void {
    for (const r of this.rules) {
      if (!(r.rule.flags & this.c('SEL_TREE')) || !r.pids.includes(parent) || r.pids.includes(child)) continue;
      if (r.pids.length >= this.c('MAX_TREE')) this.treeMissed++;
      else r.pids.push(child);
    }
  }

  /** How a rule decides a call (kernel/policy.c, decide()). */
  private decideRule(
    r: FakeRule,
    call: SimulatedCall,
    entry: SyscallEntry,
    tgid: number,
    holder: boolean,
    file: boolean,
  ): SimulatedResult {
    const f = r.rule.flags;
    const acts = this.actsOn(r.rule);
    const kill = r.rule.action === this.c('RULE_KILL');
    const forced = (f & this.c('RULE_FORCE')) !== 0;
    const enforced = (f & this.c('RULE_ENFORCE')) !== 0 && this.effectiveMode === this.c('MODE_BLOCK');
    const err = r.rule.err || this.c('DEFAULT_ERRNO');
    if (holder) {
      // Never recorded; acted on only when forced and enforced.
      if (!(acts && forced && enforced)) return { seen: false, verdict: null, errno: null, records: 0 };
      r.matched++;
      if (kill) r.killed++;
      else r.blocked++;
      return { seen: true, verdict: null, errno: err, records: 0 };
    }
    r.matched++;
    if (r.rule.action === this.c('RULE_ALLOW')) return { seen: true, verdict: null, errno: null, records: 0 };
    let verdict = this.c('VERDICT_ALLOWED');
    let stopped = false;
    if (acts) {
      if (enforced && (forced || tgid !== 1)) {
        verdict = this.c(kill ? 'VERDICT_KILLED' : 'VERDICT_BLOCKED');
        stopped = true;
        if (kill) r.killed++;
        else r.blocked++;
      } else {
        verdict = this.c(kill ? 'VERDICT_WOULD_KILL' : 'VERDICT_WOULD_BLOCK');
        r.would_act++;
      }
    }
    r.logged++;
    const out = this.writeCall(call, entry, {
      verdict,
      err: acts ? err : 0,
      rule: r.id,
      record: r.rule.record,
      failedOnly: (f & this.c('RULE_FAILED_ONLY')) !== 0,
      stopped,
      file: file ? (call.path ?? '') : null,
    });
    return { seen: true, verdict, errno: stopped ? err : null, records: out.records };
  }

  /** The records a decided call makes (kernel/calls.c): at the verdict, at entry, at return, or both. */
  private writeCall(
    call: SimulatedCall,
    entry: SyscallEntry,
    d: { verdict: number; err: number; rule: number; record: number; failedOnly: boolean; stopped: boolean; file: string | null },
  ): { records: number; noResult: boolean; skipped: boolean } {
    const ts_ns = call.ts_ns ?? BigInt(Date.now()) * 1_000_000n;
    let flags = 0;
    let path: string | undefined;
    if (d.file !== null) {
      path = d.file;
      flags |= this.c('SYSCALL_FILE') | this.c('SYSCALL_PATH');
    } else if (entry.pathArg >= 0 && call.pathUnreadable) flags |= this.c('SYSCALL_PATH_UNREADABLE');
    else if (entry.pathArg >= 0 && call.path !== undefined) {
      path = call.path;
      flags |= this.c('SYSCALL_PATH');
      if (Buffer.byteLength(path) > this.c('PATH_LEN') - 1) flags |= this.c('SYSCALL_PATH_TRUNCATED');
    }
    const target = d.file === null && entry.fdArg >= 0 ? call.target : undefined;
    if (target !== undefined) flags |= this.c('SYSCALL_TARGET');
    const rec = (extra: number, more: RecordInit = { type: 0 }): RecordInit => ({
      ...more,
      type: this.c('RECORD_SYSCALL'),
      flags: flags | extra,
      ts_ns,
      ...recordTask(call),
      nr: entry.nr,
      native_nr: entry.nr,
      abi: this.c('ABI_X64'),
      verdict: d.verdict,
      err: d.err,
      rule: d.rule,
      args: call.args ?? [],
      path,
      target,
    });
    const ret = BigInt(call.ret ?? 0);
    const result = (callId: bigint): RecordInit =>
      rec(this.c('SYSCALL_RESULT'), { type: 0, ret, duration_ns: call.duration_ns ?? 1000n, call_id: callId });
    const done = (records: number, noResult = false, skipped = false): { records: number; noResult: boolean; skipped: boolean } => ({
      records, noResult, skipped,
    });
    if (d.stopped) {
      // Decided at the verdict: it returns -err without running.
      this.append(rec(this.c('SYSCALL_RESULT'), { type: 0, ret: -BigInt(d.err) }));
      return done(1);
    }
    // A file rule's access is recorded when it is decided, inside the call.
    if (d.file !== null || d.record === this.c('RECORD_ENTRY') || NEVER_RETURN.has(entry.name)) {
      this.append(rec(0));
      return done(1);
    }
    if (call.noSlot) {
      this.append(rec(this.c('SYSCALL_NO_RESULT')));
      return done(1, true);
    }
    const failed = ret < 0n && ret >= -BigInt(this.c('MAX_ERRNO'));
    if (d.record === this.c('RECORD_BOTH')) {
      const callId = this.headSeq;
      this.append(rec(this.c('SYSCALL_ENTRY'), { type: 0, call_id: callId }));
      this.append(result(callId));
      return done(2);
    }
    if (d.failedOnly && !failed) return done(0, false, true);
    this.append(result(0n));
    return done(1);
  }

  /** A process exits: leaves every pid set, and is logged when exit events are on. */
  exit(e: SimulatedExit): void {
    const tgid = e.tgid ?? e.pid;
    if (tgid === e.pid) {
      for (const t of this.targets.values()) t.pids = t.pids.filter((p) => p !== tgid);
      for (const r of this.rules) r.pids = r.pids.filter((p) => p !== tgid);
    }
    this.exitsSeen++;
    if (!this.exitsEffective) return;
    this.append({
      type: this.c('RECORD_EXIT'),
      ts_ns: e.ts_ns ?? BigInt(Date.now()) * 1_000_000n,
      ...recordTask(e),
      exit_code: e.exit_code ?? 0,
      signal: e.signal ?? 0,
      utime_ns: e.utime_ns ?? 0n,
      stime_ns: e.stime_ns ?? 0n,
    });
  }

  /** Appends records as given (seq is assigned by the ring), bypassing targets. */
  pushRecords(inits: RecordInit[]): void {
    for (const init of inits) this.append(init);
  }

  // ---------------------------------------------------------------- private

  private openStream(fd: number, max: number, onBatch: BatchCallback, coalesceMs: number, syscall: string): StreamHandle {
    const f = this.file(fd, syscall);
    const stream: FakeStream = {
      fd,
      max,
      onBatch,
      coalesceMs,
      stopped: false,
      scheduled: false,
      stop: () => {
        stream.stopped = true;
        f.streams.delete(stream);
      },
      // The fake hands over every batch at once: it never waits for a flood.
      wakeup: () => 1,
    };
    f.streams.add(stream);
    this.schedule(stream);
    return stream;
  }

  private append(init: RecordInit): void {
    const rec = encodeRecord(this, { ...init, seq: this.headSeq });
    this.isConfig[Number(this.headSeq)] = init.type === this.c('RECORD_CONFIG');
    this.ring.push(rec);
    this.headSeq++;
    this.headPos += BigInt(rec.length);
    while (this.headPos - this.tailPos > BigInt(this.ringSize)) {
      const old = this.ring.shift() as Buffer;
      this.tailPos += BigInt(old.length);
      this.tailSeq++;
      this.overwritten++;
    }
    for (const f of this.files.values()) for (const s of f.streams) this.schedule(s);
  }

  private schedule(s: FakeStream): void {
    if (s.scheduled || s.stopped) return;
    s.scheduled = true;
    // Batches arrive on a later turn of the event loop, as they do from the addon's poll.
    setImmediate(() => this.pump(s));
  }

  private pump(s: FakeStream): void {
    s.scheduled = false;
    while (!s.stopped && this.files.has(s.fd)) {
      const batch = this.read(s.fd, s.max);
      this.calls.pop(); // the stream's own reads are not calls made by the library
      if (batch.length === 0) break;
      s.onBatch(null, batch);
      const f = this.files.get(s.fd);
      if (s.coalesceMs > 0 && f && f.cursor >= this.headSeq) {
        // The addon's coalescing window: after a batch that took everything, the next waits for it.
        s.scheduled = true;
        setTimeout(() => this.pump(s), s.coalesceMs);
        return;
      }
    }
  }

  private armed(nr: number): boolean {
    return this.effectiveMode !== this.c('MODE_OFF') && this.targets.has(nr);
  }

  /** A config record, made by caller (kernel/changes.c). */
  private change(kind: string, id: number, text: string): void {
    this.configWritten++;
    this.append({ type: this.c('RECORD_CONFIG'), ts_ns: this.clock(), ...this.caller, kind: this.c(kind), id, text });
  }

  private modeName(mode: number): string {
    return mode === this.c('MODE_BLOCK') ? 'BLOCK' : mode === this.c('MODE_LOG') ? 'LOG' : 'OFF';
  }

  /** "block errno 1 pids 2", "log all", "none" (kernel/policy.c, describe_target). */
  private describeTarget(t: FakeTarget | undefined): string {
    if (!t) return 'none';
    let text = t.action === this.c('ACTION_BLOCK') ? `block errno ${t.err}` : 'log';
    text += (t.flags & this.c('TARGET_ALL_PIDS')) !== 0 ? ' all' : ` pids ${t.pids.length}`;
    if (t.flags & this.c('TARGET_FORCE')) text += ' force';
    if (t.record === this.c('RECORD_ENTRY')) text += ' record=entry';
    else if (t.record === this.c('RECORD_BOTH')) text += ' record=both';
    if (t.flags & this.c('TARGET_FAILED_ONLY')) text += ' failed-only';
    return text;
  }

  /** "#12 protect-secret block enforce open,exec file=/tmp/secret" (kernel/changes.c, smon_describe_rule). */
  private describeRule(r: FakeRule): string {
    const q = r.rule;
    const f = q.flags;
    const actions = ['allow', 'log', 'block', 'kill'];
    let text = `#${r.id} ${q.name} ${actions[q.action] ?? '?'}`;
    if (this.actsOn(q)) text += ` ${f & this.c('RULE_ENFORCE') ? 'enforce' : 'audit'}${f & this.c('RULE_FORCE') ? ' force' : ''}`;
    const ops = ['open', 'exec', 'unlink', 'rename', 'link', 'truncate'].filter((_, i) => q.file_ops & (1 << i));
    const covers = [...[...q.syscalls].sort((a, b) => a - b).map((nr) => this.byNr.get(nr)?.name ?? String(nr)), ...ops];
    if (covers.length) text += ' ' + covers.join(',');
    const range = (name: string, v: RawIdRange): string => ` ${name}=${v.min === v.max ? v.min : `${v.min}-${v.max}`}`;
    if (f & this.c('SEL_FILE')) text += ` file=${q.file}`;
    if (f & this.c('SEL_PIDS')) text += ' pids';
    if (f & this.c('SEL_TREE')) text += ' tree';
    if (f & this.c('SEL_UID')) text += range('uid', q.uid);
    if (f & this.c('SEL_EUID')) text += range('euid', q.euid);
    if (f & this.c('SEL_AUID')) text += range('auid', q.auid);
    if (f & this.c('SEL_GID')) text += range('gid', q.gid);
    if (f & this.c('SEL_COMM')) text += ` comm=${q.comm}${f & this.c('RULE_COMM_PREFIX') ? '*' : ''}`;
    if (f & this.c('SEL_EXE')) text += ` exe=${q.exe}`;
    if (f & this.c('SEL_CGROUP')) text += ` cgroup=${q.cgroup}`;
    if (f & this.c('SEL_PATH')) text += ` path=${q.path}${f & this.c('RULE_PATH_PREFIX') ? '*' : ''}`;
    return text;
  }

  private actsOn(r: Pick<RawRule, 'action'>): boolean {
    return r.action === this.c('RULE_BLOCK') || r.action === this.c('RULE_KILL');
  }

  /** Rules in evaluation order: by class, then as made. */
  private ordered(): FakeRule[] {
    const rank = [this.c('CLASS_POLICY'), this.c('CLASS_HAND'), this.c('CLASS_FILE')];
    return [...this.rules].sort((a, b) => rank.indexOf(a.rule_class) - rank.indexOf(b.rule_class));
  }

  /** Hook functions file rules need (open, exec, rename, link: one; unlink, truncate: two), while the mode is not OFF. */
  private fileHooks(): number {
    if (this.effectiveMode === this.c('MODE_OFF')) return 0;
    const ops = this.rules.reduce((a, r) => a | r.rule.file_ops, 0);
    const two = this.c('FILE_UNLINK') | this.c('FILE_TRUNCATE');
    let n = 0;
    for (let bit = 1; bit <= this.c('FILE_OPS_MASK'); bit <<= 1) if (ops & bit) n += bit & two ? 2 : 1;
    return n;
  }

  /** The module's checks of a rule request that need nothing but the request (kernel/device.c, check_rule). */
  private checkRule(r: RawRule, sc: string): void {
    const f = r.flags;
    const bad = (): BindingError => errnoError('EINVAL', sc);
    const fits = (v: string, room: number): boolean => Buffer.byteLength(v) < room;
    if (r.action > this.c('RULE_KILL') || (f & ~this.c('RULE_FLAGS_MASK')) !== 0 || r.record > this.c('RECORD_BOTH')) throw bad();
    if (r.err < 0 || r.err > this.c('MAX_ERRNO') || r.name === '' || !fits(r.name, this.c('RULE_NAME_LEN'))) throw bad();
    if ((f & this.c('RULE_FAILED_ONLY')) !== 0 && r.record !== this.c('RECORD_COMPLETE')) throw bad();
    const needs: [string, string][] = [['SEL_COMM', r.comm], ['SEL_EXE', r.exe], ['SEL_CGROUP', r.cgroup], ['SEL_PATH', r.path], ['SEL_FILE', r.file]];
    for (const [sel, v] of needs) if ((f & this.c(sel)) !== 0 && v === '') throw bad();
    if ((f & this.c('SEL_PIDS')) !== 0 && (f & this.c('SEL_TREE')) !== 0) throw bad();
    for (const which of ['uid', 'euid', 'auid', 'gid'] as const) {
      if ((f & this.c(`SEL_${which.toUpperCase()}`)) !== 0 && r[which].min > r[which].max) throw bad();
    }
    if ((f & this.c('SEL_FILE')) !== 0) {
      if (!r.file_ops || r.file_ops & ~this.c('FILE_OPS_MASK') || r.syscalls.length || f & (this.c('SEL_PATH') | this.c('RULE_FAILED_ONLY'))) throw bad();
    } else if (r.file_ops || r.syscalls.length === 0) {
      throw bad();
    }
    for (const nr of r.syscalls) {
      const e = this.byNr.get(nr);
      if (!e) throw bad();
      if (this.actsOn(r) && NEVER_BLOCKED.has(e.name)) throw bad();
    }
    const max = (f & this.c('SEL_TREE')) !== 0 ? this.c('MAX_TREE') : this.c('MAX_PIDS');
    if (r.pids.length > max) throw errnoError('E2BIG', sc);
  }

  /** exe, file and cgroup must name something (existingPaths). */
  private resolvePaths(r: RawRule, sc: string): void {
    if (!this.existingPaths) return;
    for (const [sel, v] of [['SEL_EXE', r.exe], ['SEL_FILE', r.file], ['SEL_CGROUP', r.cgroup]] as const) {
      if ((r.flags & this.c(sel)) !== 0 && !this.existingPaths.has(v)) throw errnoError('ENOENT', sc);
    }
  }

  /** Does the calling process (and, for a file rule, the file accessed) match every selector of r? */
  private ruleMatches(r: FakeRule, call: Omit<SimulatedCall, 'syscall'>, tgid: number, file: string | null): boolean {
    const q = r.rule;
    const f = q.flags;
    const has = (sel: string): boolean => (f & this.c(sel)) !== 0;
    const inRange = (v: number, range: RawIdRange): boolean => v >= range.min && v <= range.max;
    const uid = call.uid ?? 0;
    if ((has('SEL_PIDS') || has('SEL_TREE')) && !r.pids.includes(tgid)) return false;
    if (has('SEL_UID') && !inRange(uid, q.uid)) return false;
    if (has('SEL_EUID') && !inRange(call.euid ?? uid, q.euid)) return false;
    if (has('SEL_AUID') && !inRange(call.auid ?? 0xffffffff, q.auid)) return false;
    if (has('SEL_GID') && !inRange(call.gid ?? 0, q.gid)) return false;
    const comm = call.comm ?? 'proc';
    if (has('SEL_COMM') && (has('RULE_COMM_PREFIX') ? !comm.startsWith(q.comm) : comm !== q.comm)) return false;
    if (has('SEL_EXE') && call.exe !== q.exe) return false;
    if (has('SEL_CGROUP')) {
      const cg = call.cgroup ?? '/';
      if (!(q.cgroup === '/' || cg === q.cgroup || cg.startsWith(q.cgroup + '/'))) return false;
    }
    if (has('SEL_FILE') && file !== q.file) return false;
    if (has('SEL_PATH')) {
      const p = call.path;
      if (p === undefined || call.pathUnreadable) return false;
      if (has('RULE_PATH_PREFIX') ? !p.startsWith(q.path) : p !== q.path) return false;
    }
    return true;
  }

  private pidInRange(pid: number): boolean {
    return Number.isInteger(pid) && pid >= 1 && pid <= PID_MAX_LIMIT;
  }

  /** As the module checks pids being added: possible, alive, and pid 1 blocked only with FORCE. */
  private checkPids(pids: number[], action: number, flags: number, sc: string): void {
    if (pids.some((p) => !this.pidInRange(p))) throw errnoError('EINVAL', sc);
    if (this.livePids && pids.some((p) => !this.livePids?.has(p))) throw errnoError('ESRCH', sc);
    if (
      pids.includes(1) &&
      action === this.c('ACTION_BLOCK') &&
      (flags & this.c('TARGET_FORCE')) === 0
    ) {
      throw errnoError('EPERM', sc);
    }
  }

  private file(fd: number, syscall: string): OpenFile {
    const f = this.files.get(fd);
    if (!f) throw errnoError('EBADF', syscall);
    return f;
  }

  private enter(method: BindingMethod, args: unknown[]): void {
    this.calls.push({ method, args });
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      if (f) throw errnoError(f.code, SYSCALL_OF[method]);
    }
  }
}

/** A fresh fake with the real addon's layout; `init` sets state before use. */
export function createFakeBinding(init?: (fake: FakeBinding) => void): FakeBinding {
  const fake = new FakeBinding();
  init?.(fake);
  return fake;
}

/**
 * A fake whose status file (the module's /proc/syscallmon/status, where the
 * running policy's tag is read) is in procDir, a temp directory by default,
 * written anew: no policy yet.
 */
export function createFakeWithStatusFile(procDir = mkdtempSync(join(tmpdir(), 'smon-fake-proc-'))): FakeBinding {
  writeFileSync(join(procDir, 'status'), 'mode: off\npolicy: -\n');
  return new FakeBinding({ ...loadBinding(), procDir });
}
