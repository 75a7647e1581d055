// The typed library: one open /dev/syscallmon and everything done through it.
// Validation, defaults and names live here; the binding only converts values
// and makes syscalls (and can be a fake: Monitor.open({ binding })).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBindingError, loadBinding, type Binding, type NdjsonFormatter, type RawRule, type RawTarget, type RawVersion, type StreamHandle } from './binding.js';
import { errnoNames, errnoNamesByNumber, errnoNumber, errnoNumberOfAnyName } from './errnos.js';
import { fromBindingError, NotLoadedError, UsageError, VersionError } from './errors.js';
import { EventDecoder, type MonitorEvent } from './events.js';
import { follow, type FollowOptions, type FollowOutput, type Following } from './follow.js';
import { need } from './records.js';
import { checkTag, encodeRule, ruleFrom, type Policy, type Rule, type RuleContext, type RuleInfo } from './rules.js';
import { ACTIONS, MODES, RECORD_MODES, statusFrom, type Action, type Mode, type RecordMode, type Status, type Target, type TargetSettings } from './status.js';
import { closestNames, SyscallTable } from './syscalls.js';

/** Largest pid the module accepts (the kernel's PID_MAX_LIMIT on 64-bit). */
export const PID_MAX = 4194304;

/**
 * Bytes of records per batch (read() or a stream's wake-up): some 700
 * openat records, enough to drain a busy default ring (1 MiB) in a few
 * batches.
 */
export const DEFAULT_BATCH_BYTES = 128 * 1024;

export interface TargetSpec {
  /** name ("openat"), number, or numeric string */
  syscall: string | number;
  action: Action;
  /** errno a blocked call returns: name ("EACCES") or number; default EPERM. Block only. */
  errno?: string | number;
  /**
   * tgids in scope; 'all' or absent: every process; 'none': an explicit empty
   * set, which matches nothing until pids are added (intercept, then monitor start)
   */
  pids?: number[] | 'all' | 'none';
  /** allow blocking pid 1 and processes holding the device */
  force?: boolean;
  /** fail (kernel EBUSY) instead of updating when the syscall is already targeted */
  exclusive?: boolean;
  /**
   * What a call makes: 'complete' (default), one record when it returns,
   * with its result and duration; 'entry', one record at once, without
   * (for a call that may block forever); 'both', one at each end, linked
   * by call_id.
   */
  record?: RecordMode;
  /** record only calls that return an error (complete records only: a failure is known at the return) */
  failedOnly?: boolean;
}

/**
 * The spec that sets a target to these settings again: its errno as the
 * number it was (a kernel-internal one too), an empty pid list as the
 * explicit empty scope.
 */
export function targetSpecOf(t: TargetSettings): TargetSpec {
  return {
    syscall: t.nr,
    action: t.action,
    errno: t.errno === null ? undefined : (errnoNumberOfAnyName(t.errno) ?? t.errno),
    pids: t.pids === 'all' ? 'all' : t.pids.length ? [...t.pids] : 'none',
    force: t.force,
    record: t.record,
    failedOnly: t.failed_only,
  };
}

export interface VersionInfo extends RawVersion {
  /** the API version this library was built for */
  libraryApiVersion: number;
}

export interface MonitorOptions {
  /** the raw addon; default: the built one (loadBinding()) */
  binding?: Binding;
  /** default: the header's SYSCALLMON_DEVICE_PATH */
  devicePath?: string;
}

/** Longest coalescing window accepted: beyond it a default-sized ring overflows at modest rates. */
export const MAX_COALESCE_MS = 1000;

export interface SubscribeOptions {
  /** ends the subscription (cleanly) when aborted */
  signal?: AbortSignal;
  /** bytes of records per batch, at least the largest record (RECORD_MAX); default DEFAULT_BATCH_BYTES */
  maxBytes?: number;
  /**
   * After a batch that did not fill maxBytes, wait this many milliseconds
   * before taking the next, so that a busy stream is read in batches rather
   * than one wake-up per event (which, on a loaded CPU, costs the traced
   * processes more than the events themselves). An idle stream still
   * delivers its first event at once, and a full batch is followed by the
   * next at once. Default 0: every event as soon as it arrives.
   */
  coalesceMs?: number;
}

export interface SubscribeRawOptions extends SubscribeOptions {
  /**
   * Batches are views of the stream's read buffer, which the next read
   * overwrites: use or copy a batch before the handler returns (or its
   * promise settles). Saves a copy of every batch. Default false.
   */
  transient?: boolean;
}

export interface EventsOptions extends SubscribeOptions {
  /**
   * Batches queued but not yet taken by the consumer before reading pauses
   * (records then wait in the kernel ring, which counts what it overwrites
   * as lost). Default 8.
   */
  highWater?: number;
}

/**
 * A handler may return a promise: reading pauses until it settles (the
 * kernel ring keeps what arrives meanwhile, and counts what it overwrites).
 */
export type BatchHandler<T> = (batch: T) => void | PromiseLike<void>;

export interface Subscription {
  /** Ends the subscription; no handler call follows. Idempotent. */
  stop(): void;
  /**
   * Settles once the subscription has ended: resolves on stop(), abort or
   * the monitor's close(); rejects with a read error (a SyscallmonError), or
   * with what the handler threw or rejected with.
   */
  readonly done: Promise<void>;
}

/** A batch size in bytes: room for the largest record at least, and a u32. */
function checkBatchBytes(max: number, recordMax: number): number {
  if (!Number.isInteger(max) || max < recordMax || max > 0xffffffff) {
    throw new UsageError(`invalid batch size ${max} bytes (at least ${recordMax}, the largest record)`);
  }
  return max;
}

function checkCoalesce(ms = 0): number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_COALESCE_MS) {
    throw new UsageError(`invalid coalescing window ${ms} ms (0..${MAX_COALESCE_MS})`);
  }
  return ms;
}

export class Monitor {
  readonly syscalls: SyscallTable;
  readonly decoder: EventDecoder;
  readonly devicePath: string;
  /** the addon (or a fake): only the library talks to it */
  readonly #binding: Binding;
  #fd: number | null;
  #version: RawVersion;
  /** ends the running subscription (close() calls it); null when none */
  #endStream: (() => void) | null = null;

  private constructor(binding: Binding, fd: number, devicePath: string, version: RawVersion) {
    this.#binding = binding;
    this.#fd = fd;
    this.devicePath = devicePath;
    this.#version = version;
    this.syscalls = new SyscallTable(binding.syscalls);
    this.decoder = new EventDecoder(binding, this.syscalls);
  }

  /** Opens the device (non-blocking) and checks the module speaks this library's API version. */
  static open(opts: MonitorOptions = {}): Monitor {
    const binding = opts.binding ?? loadBinding();
    const path = opts.devicePath ?? binding.devicePath;
    let fd: number;
    try {
      fd = binding.open(path, true);
    } catch (e) {
      throw fromBindingError(e, `open ${path}`);
    }
    try {
      const v = binding.getVersion(fd);
      const want = need(binding.constants, 'API_VERSION');
      const max = need(binding.constants, 'RECORD_MAX');
      if (v.apiVersion !== want || v.recordMax !== max) {
        throw new VersionError(
          `syscallmon module speaks API version ${v.apiVersion} (records up to ${v.recordMax} bytes), ` +
            `this syscallmon expects version ${want} (records up to ${max} bytes); rebuild and reload the ` +
            'module (`syscallmon unload && syscallmon load`)',
        );
      }
      return new Monitor(binding, fd, path, v);
    } catch (e) {
      binding.close(fd);
      throw versionRequestError(e, path, need(binding.constants, 'API_VERSION'));
    }
  }

  /** The open fd; throws once closed. */
  get fd(): number {
    if (this.#fd === null) throw new UsageError('monitor is closed');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd === null;
  }

  private c(name: string): number {
    return need(this.#binding.constants, name);
  }

  version(): VersionInfo {
    return { ...this.#version, libraryApiVersion: this.c('API_VERSION') };
  }

  /** The module's state; readers counts the others, not this monitor. */
  status(): Status {
    const fd = this.fd;
    try {
      const raw = this.#binding.getStatus(fd);
      const targets = this.#binding.getTargets(fd);
      return statusFrom(this.#binding.constants, this.syscalls, raw, targets, this.rules());
    } catch (e) {
      throw fromBindingError(e, 'read the status');
    }
  }

  /** The target of one syscall (name or number), or undefined when it is not targeted. */
  target(syscall: string | number): Target | undefined {
    const nr = this.syscalls.resolve(syscall).nr;
    return this.status().targets.find((t) => t.nr === nr);
  }

  setMode(mode: Mode): void {
    const value = this.#modeValue(mode);
    const fd = this.fd;
    try {
      this.#binding.setMode(fd, value);
    } catch (e) {
      throw fromBindingError(e, `set mode ${mode}`);
    }
  }

  /**
   * For as long as this monitor is open, or until the next hold(): the
   * mode at least mode (off: none), exit events on if exits, whatever is
   * set meanwhile or another holder does.  For what this monitor runs
   * (`run` holds what its rule needs for its command's time); hold({})
   * lets go.
   */
  hold({ mode = 'off', exits = false }: { mode?: Mode; exits?: boolean }): void {
    const value = this.#modeValue(mode);
    const fd = this.fd;
    try {
      this.#binding.hold(fd, value, this.c(exits ? 'EXITS_ON' : 'EXITS_OFF'));
    } catch (e) {
      throw fromBindingError(e, `hold mode ${mode}${exits ? ' and exit events' : ''}`);
    }
  }

  #modeValue(mode: Mode): number {
    const m = String(mode).toLowerCase();
    if (!(MODES as readonly string[]).includes(m)) {
      throw new UsageError(`unknown mode '${mode}' (expected one of ${MODES.join(', ')})`);
    }
    return this.c(`MODE_${m.toUpperCase()}`);
  }

  /** Creates the target, or updates action, errno, flags and scope of an existing one. */
  addTarget(spec: TargetSpec): void {
    const entry = this.syscalls.resolve(spec.syscall);
    const action = String(spec.action).toLowerCase();
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`unknown action '${spec.action}' (expected ${ACTIONS.join(' or ')})`);
    }
    const block = action === 'block';
    if (spec.errno !== undefined && !block) {
      throw new UsageError(`an errno only applies to block targets (${entry.name} is logged)`);
    }
    if (entry.nr >= this.c('NR_LIMIT')) {
      throw new UsageError(`syscall ${entry.name} (${entry.nr}) is beyond what the module handles`);
    }
    const err = block ? parseErrno(spec.errno ?? 'EPERM', this.c('MAX_ERRNO')) : 0;
    let flags = 0;
    let pids: number[] = [];
    if (spec.pids === undefined || spec.pids === 'all') {
      flags |= this.c('TARGET_ALL_PIDS');
    } else if (spec.pids === 'none') {
      // Deliberately empty: the probe is armed but nothing is in scope yet.
    } else {
      pids = this.checkPids(spec.pids);
      if (pids.length === 0) {
        throw new UsageError('an empty pid list would match nothing; omit pids to target every process');
      }
      if (block && pids.includes(1) && !spec.force) {
        throw new UsageError('blocking pid 1 (init) needs force');
      }
    }
    const record = String(spec.record ?? 'complete').toLowerCase();
    if (!(RECORD_MODES as readonly string[]).includes(record)) {
      throw new UsageError(`unknown record mode '${spec.record}' (expected one of ${RECORD_MODES.join(', ')})`);
    }
    if (spec.failedOnly && record !== 'complete') {
      throw new UsageError(`failures only needs complete records: whether a call failed is known when it returns, not with '${record}'`);
    }
    if (spec.force) flags |= this.c('TARGET_FORCE');
    if (spec.exclusive) flags |= this.c('TARGET_EXCLUSIVE');
    if (spec.failedOnly) flags |= this.c('TARGET_FAILED_ONLY');
    const raw: RawTarget = {
      nr: entry.nr,
      action: this.c(block ? 'ACTION_BLOCK' : 'ACTION_LOG'),
      err,
      flags,
      record: this.c(`RECORD_${record.toUpperCase()}`),
      pids,
    };
    const fd = this.fd;
    try {
      this.#binding.addTarget(fd, raw);
    } catch (e) {
      throw fromBindingError(e, `target ${entry.name}`, {
        EBUSY: `${entry.name} is already targeted`,
        ESRCH: `no such process among ${pids.join(', ')}`,
        EINVAL: block ? `${entry.name} cannot be blocked, or the request is malformed` : undefined,
        ENOENT: `this kernel has no entry point ${entry.symbol}`,
      });
    }
  }

  removeTarget(syscall: string | number): void {
    const entry = this.syscalls.resolve(syscall);
    const fd = this.fd;
    try {
      this.#binding.delTarget(fd, entry.nr);
    } catch (e) {
      throw fromBindingError(e, `untarget ${entry.name}`, { EINVAL: `${entry.name} is not targeted` });
    }
  }

  addPids(syscall: string | number, pids: number[]): void {
    this.changePids(syscall, pids, true);
  }

  removePids(syscall: string | number, pids: number[]): void {
    this.changePids(syscall, pids, false);
  }

  private changePids(syscall: string | number, pids: number[], add: boolean): void {
    const entry = this.syscalls.resolve(syscall);
    const list = this.checkPids(pids);
    if (list.length === 0) throw new UsageError('no pids given');
    if (add && list.includes(1)) {
      // The kernel's EPERM would read as a lack of privilege.
      const t = this.target(entry.nr);
      if (t?.action === 'block' && !t.force) throw new UsageError(`blocking pid 1 (init) needs force: ${entry.name}'s block target is not forced`);
    }
    const fd = this.fd;
    try {
      if (add) this.#binding.addPids(fd, entry.nr, list);
      else this.#binding.delPids(fd, entry.nr, list);
    } catch (e) {
      throw fromBindingError(e, `${add ? 'add' : 'remove'} pids for ${entry.name}`, {
        EINVAL: `${entry.name} is not targeted, or targets every process`,
        ESRCH: `no such process among ${list.join(', ')}`,
        ENOSPC: `a target holds at most ${this.c('MAX_PIDS')} pids`,
        EPERM: add ? 'blocking pid 1 needs a force target' : undefined,
      });
    }
  }

  /** Integers in 1..PID_MAX, deduplicated, at most max (a target's MAX_PIDS by default). */
  private checkPids(pids: readonly unknown[], max = this.c('MAX_PIDS'), what = 'a target'): number[] {
    return checkPidList(pids, max, what);
  }

  /**
   * Checks a rule whole, as addRule does before its ioctl, with the addon's
   * tables only (no module needed): a UsageError names the mistake. What
   * only the kernel can tell (a file that does not exist, a pid that has
   * exited) is left to addRule.
   */
  static checkRule(rule: Rule, opts: { binding?: Pick<Binding, 'constants' | 'syscalls'>; owned?: boolean } = {}): void {
    const binding = opts.binding ?? loadBinding();
    encodeRule(rule, opts.owned ? 'file' : 'hand', {
      constants: binding.constants,
      syscalls: new SyscallTable(binding.syscalls),
      parseErrno: (v) => parseErrno(v, need(binding.constants, 'MAX_ERRNO')),
      checkPids: checkPidList,
    });
  }

  private ruleContext(): RuleContext {
    return {
      constants: this.#binding.constants,
      syscalls: this.syscalls,
      parseErrno: (v) => parseErrno(v, this.c('MAX_ERRNO')),
      checkPids: (pids, max, what) => this.checkPids(pids, max, what),
    };
  }

  /** What the kernel's answer to a rule means, for the rule as it was asked for. */
  private ruleHints(raw: RawRule): Partial<Record<string, string>> {
    const has = (flag: string): boolean => (raw.flags & this.c(flag)) !== 0;
    const named = [
      has('SEL_EXE') ? `exe ${raw.exe}` : '',
      has('SEL_CGROUP') ? `cgroup ${raw.cgroup}` : '',
      has('SEL_FILE') ? `file ${raw.file}` : '',
    ].filter(Boolean);
    return {
      EEXIST: `the name ${raw.name} is taken by a rule of another class${has('SEL_FILE') ? ' or file' : ''}, or by another open file's`,
      ENOENT: named.length
        ? `${named.join(', ')}: no such file or cgroup, or this kernel lacks one of its syscalls or file hooks`
        : 'this kernel lacks one of its syscalls',
      ESRCH: `no such process among ${raw.pids.join(', ')}`,
      ENOSPC: `the module holds at most ${this.c('MAX_RULES')} rules`,
      EINVAL: has('SEL_EXE') ? `exe ${raw.exe} is not a regular file, or the request is malformed` : 'the request is malformed',
    };
  }

  /**
   * Adds a rule at the end of its class and returns its id: added by hand
   * (it stays until deleted), or owned by this monitor's open file (the
   * module removes it when the file is closed, even if this process is
   * killed). A rule of the same name and class (and owner) is replaced
   * where it stands, keeping its id and counters.
   */
  addRule(rule: Rule, opts: { owned?: boolean } = {}): number {
    const raw = encodeRule(rule, opts.owned ? 'file' : 'hand', this.ruleContext());
    const fd = this.fd;
    try {
      return this.#binding.addRule(fd, raw);
    } catch (e) {
      throw fromBindingError(e, `add rule ${raw.name}`, this.ruleHints(raw));
    }
  }

  /** Every rule in evaluation order, with its counters. */
  rules(): RuleInfo[] {
    const fd = this.fd;
    let raw;
    try {
      raw = this.#binding.getRules(fd);
    } catch (e) {
      throw fromBindingError(e, 'list the rules');
    }
    return raw.map((r) => ruleFrom(this.#binding.constants, this.syscalls, r));
  }

  /** One rule, by id or name; a UsageError when there is none (naming the closest names). */
  rule(idOrName: number | string): RuleInfo {
    const all = this.rules();
    if (typeof idOrName === 'number') {
      const found = all.find((r) => r.id === idOrName);
      if (!found) throw new UsageError(`no rule #${idOrName} (rules: ${all.length ? all.map((r) => `#${r.id} ${r.name}`).join(', ') : 'none'})`);
      return found;
    }
    const found = all.find((r) => r.name === idOrName);
    if (found) return found;
    const near = closestNames(String(idOrName), all.map((r) => r.name));
    throw new UsageError(`no rule named '${String(idOrName)}'${near.length ? `; did you mean ${near.join(', ')}?` : ''}`);
  }

  /** Deletes a rule, by id or name. */
  deleteRule(idOrName: number | string): void {
    this.deleteRules([typeof idOrName === 'number' ? idOrName : this.rule(idOrName).id]);
  }

  /** Deletes rules by id in one step: all of them, or none when one is not there (any more). */
  deleteRules(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const checked = ids.map(checkRuleId);
    const named = checked.map((id) => `#${id}`).join(', ');
    const fd = this.fd;
    try {
      this.#binding.deleteRules(fd, checked);
    } catch (e) {
      throw fromBindingError(e, `delete rule${checked.length === 1 ? '' : 's'} ${named}`, {
        ENOENT: checked.length === 1 ? `there is no rule ${named}` : `one of rules ${named} is not there (any more); none was deleted`,
      });
    }
  }

  /** The processes of a rule's pid set or process tree (by id or name), ascending, as this process's pid namespace numbers them. */
  rulePids(idOrName: number | string): number[] {
    const id = typeof idOrName === 'number' ? checkRuleId(idOrName) : this.rule(idOrName).id;
    const fd = this.fd;
    try {
      return this.#binding.rulePids(fd, id).sort((a, b) => a - b);
    } catch (e) {
      throw fromBindingError(e, `list the processes of rule #${id}`, { EINVAL: `rule #${id} does not exist, or has no pids or process tree` });
    }
  }

  /**
   * Replaces, in one step, the mode, exit events and the policy's rules
   * (which come first in the order); rules added by hand, those owned by
   * open files, and targets stay. A rule kept by name keeps its id and
   * counters. Nothing changes if any rule is refused.
   */
  replacePolicy(policy: Policy): void {
    if (typeof policy !== 'object' || policy === null) throw new UsageError('a policy must be an object { mode, exits, tag, rules }');
    const mode = String(policy.mode).toLowerCase();
    if (!(MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`policy: unknown mode '${String(policy.mode)}' (expected one of ${MODES.join(', ')})`);
    }
    if (policy.exits !== undefined && typeof policy.exits !== 'boolean') throw new UsageError('policy: exits must be true or false');
    const tag = checkTag(policy.tag ?? '', this.c('POLICY_TAG_LEN'));
    if (!Array.isArray(policy.rules)) throw new UsageError('policy: rules must be a list');
    if (policy.rules.length > this.c('MAX_RULES')) throw new UsageError(`policy: ${policy.rules.length} rules, at most ${this.c('MAX_RULES')}`);
    const ctx = this.ruleContext();
    const rules = policy.rules.map((r) => encodeRule(r, 'policy', ctx));
    const seen = new Set<string>();
    for (const r of rules) {
      if (seen.has(r.name)) throw new UsageError(`policy: two rules named ${r.name}`);
      seen.add(r.name);
    }
    const fd = this.fd;
    try {
      this.#binding.replacePolicy(fd, {
        mode: this.c(`MODE_${mode.toUpperCase()}`),
        exits: this.c(policy.exits ? 'EXITS_ON' : 'EXITS_OFF'),
        tag,
        rules,
      });
    } catch (e) {
      const files = rules.filter((r) => r.exe || r.cgroup || r.file).map((r) => r.name);
      throw fromBindingError(e, 'replace the policy', {
        EEXIST: 'one of its names is taken by a rule added by hand or owned by an open file',
        ENOENT: files.length
          ? `an exe, cgroup or file of ${files.join(', ')} names nothing, or this kernel lacks one of the syscalls or file hooks`
          : 'this kernel lacks one of its syscalls',
        ENOSPC: `the module holds at most ${this.c('MAX_RULES')} rules, of every class`,
      });
    }
  }

  /**
   * The tag the running policy was given ('' when none was), as the
   * module's status file shows it: no ioctl returns it.
   */
  policyTag(): string {
    const path = join(this.#binding.procDir, 'status');
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      throw fromBindingError(e, `read ${path}`);
    }
    const line = /^policy: (.*)$/m.exec(text);
    if (!line) throw new VersionError(`${path} has no policy line (module older than this library?)`);
    return line[1] === '-' ? '' : line[1]!;
  }

  clear(what: { targets?: boolean; log?: boolean; counters?: boolean }): void {
    let flags = 0;
    if (what.targets) flags |= this.c('CLEAR_TARGETS');
    if (what.log) flags |= this.c('CLEAR_LOG');
    if (what.counters) flags |= this.c('CLEAR_COUNTERS');
    if (flags === 0) throw new UsageError('nothing to clear (targets, log or counters)');
    const fd = this.fd;
    try {
      this.#binding.clear(fd, flags);
    } catch (e) {
      throw fromBindingError(e, 'clear');
    }
  }

  setExits(on: boolean): void {
    const fd = this.fd;
    try {
      this.#binding.setExits(fd, on);
    } catch (e) {
      throw fromBindingError(e, `turn exit events ${on ? 'on' : 'off'}`);
    }
  }

  /** 'tail': the oldest record still held; 'head': only records written from now on. */
  seek(where: 'tail' | 'head'): void {
    if (where !== 'tail' && where !== 'head') throw new UsageError(`cannot seek to '${String(where)}' (tail or head)`);
    const fd = this.fd;
    try {
      this.#binding.seek(fd, this.c(where === 'head' ? 'SEEK_HEAD' : 'SEEK_TAIL'));
    } catch (e) {
      throw fromBindingError(e, `seek to ${where}`);
    }
  }

  private checkBatch(max = DEFAULT_BATCH_BYTES): number {
    return checkBatchBytes(max, this.c('RECORD_MAX'));
  }

  /**
   * What the ring holds from this monitor's cursor on, as whole raw
   * records, at most maxBytes of them (read()), without waiting; empty when
   * none. For lean consumers.
   */
  readRaw(maxBytes = DEFAULT_BATCH_BYTES): Buffer {
    const max = this.checkBatch(maxBytes);
    const fd = this.fd;
    try {
      return this.#binding.read(fd, max);
    } catch (e) {
      throw fromBindingError(e, 'read events');
    }
  }

  /** readRaw(), decoded: the events held from this monitor's cursor on; [] when none. */
  readAvailable(maxBytes = DEFAULT_BATCH_BYTES): MonitorEvent[] {
    return this.decoder.decode(this.readRaw(maxBytes));
  }

  /**
   * Calls onEvents with each batch of decoded events as the device produces
   * them, straight from the addon's poll of the device: the lowest-latency
   * way to consume events. One subscription (or iteration) at a time per
   * Monitor: they would split one cursor's records between them.
   */
  subscribe(onEvents: BatchHandler<MonitorEvent[]>, opts: SubscribeOptions = {}): Subscription {
    return this.subscribeRaw((raw) => onEvents(this.decoder.decode(raw)), opts);
  }

  /** subscribe() without decoding: whole raw records, for lean consumers (see EventDecoder / decodeAt). */
  subscribeRaw(onBatch: BatchHandler<Buffer>, opts: SubscribeRawOptions = {}): Subscription {
    const max = this.checkBatch(opts.maxBytes);
    const coalesceMs = checkCoalesce(opts.coalesceMs);
    const transient = opts.transient === true;
    return this.#subscribe<[Buffer | null]>(
      (fd, onNative) => this.#binding.startStream(fd, max, onNative, coalesceMs, transient),
      (batch) => (batch && batch.length ? onBatch(batch) : undefined),
      opts.signal,
    );
  }

  /**
   * Follows the device: the events that happen from now on (after the last
   * opts.backlog already held), selected by syscall and process, until
   * opts.count events were shown, stop(), the signal, or close(). Output:
   * { ndjsonFd } has the addon write NDJSON lines (tail --json's) to that
   * fd, { onEvents } hands decoded events over. The ring's cursor is moved
   * (and the backlog shown) before follow returns, so whatever happens after
   * it returns is followed. One subscription, iteration or follow at a time.
   */
  follow(output: FollowOutput, opts: FollowOptions = {}): Following {
    if (this.#endStream) throw new UsageError('this monitor is already streaming events');
    return follow(
      {
        binding: this.#binding,
        decoder: this.decoder,
        syscalls: this.syscalls,
        maxErrno: this.c('MAX_ERRNO'),
        defaultBatch: DEFAULT_BATCH_BYTES,
        isClosed: () => this.closed,
        seek: (where) => this.seek(where),
        readRaw: (max) => this.readRaw(max),
        stream: (open, handle, signal) => this.#subscribe(open, handle, signal),
        checkPids: (pids) => this.checkPids(pids),
        checkBatch: (max) => this.checkBatch(max),
        checkCoalesce,
      },
      output,
      opts,
    );
  }

  /**
   * The addon's NDJSON formatter with this library's names (tail --json's
   * lines), selecting every record: for a consumer of subscribeRaw's batches
   * that writes them as they are and looks at them itself (the daemon).
   */
  ndjsonFormatter(): NdjsonFormatter {
    return this.#binding.ndjsonFormatter(errnoNamesByNumber(this.c('MAX_ERRNO')), this.syscalls.namesByNumber());
  }

  /**
   * One stream at a time: open starts the addon's side, whose callbacks go
   * to handle until the subscription ends. A handler's promise pauses it
   * (the stream stops and starts again once the promise settles).
   */
  #subscribe<A extends unknown[]>(
    open: (fd: number, onNative: (err: Error | null, ...data: A) => void) => StreamHandle,
    handle: (...data: A) => void | PromiseLike<void>,
    signal: AbortSignal | undefined,
  ): Subscription {
    if (this.#endStream) throw new UsageError('this monitor is already streaming events');
    const fd = this.fd;
    let stream: StreamHandle | null = null;
    let ended = false;
    let settle!: (err?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    const pause = (): void => {
      const h = stream;
      stream = null;
      h?.stop();
    };
    const finish = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      pause();
      signal?.removeEventListener('abort', stop);
      if (this.#endStream === stop) this.#endStream = null;
      settle(err);
    };
    const stop = (): void => finish();
    const onNative = (err: Error | null, ...data: A): void => {
      if (ended) return;
      // A failed write is about the output (EPIPE, ENOSPC), not the device: as the addon reported it.
      if (err) return finish(isBindingError(err) && err.syscall === 'write' ? err : fromBindingError(err, 'read events'));
      let pending: void | PromiseLike<void>;
      try {
        pending = handle(...data);
      } catch (e) {
        return finish(e);
      }
      if (pending === undefined || typeof pending.then !== 'function' || ended) return;
      pause();
      pending.then(
        () => {
          if (!ended) start();
        },
        (e: unknown) => finish(e),
      );
    };
    const start = (): void => {
      try {
        stream = open(fd, onNative);
      } catch (e) {
        finish(fromBindingError(e, 'read events'));
      }
    };
    if (signal?.aborted) {
      finish();
      return { stop, done };
    }
    this.#endStream = stop;
    signal?.addEventListener('abort', stop, { once: true });
    start();
    return { stop, done };
  }


  /** Decoded batches as the device produces them; see rawBatches for the options. */
  async *events(opts: EventsOptions = {}): AsyncGenerator<MonitorEvent[], void, undefined> {
    for await (const raw of this.rawBatches(opts)) yield this.decoder.decode(raw);
  }

  /**
   * subscribeRaw() as an async iterator: ends without error on close() or
   * when opts.signal aborts; a read error ends it by throwing. Nothing
   * starts until the first next(). Each batch costs a promise round trip
   * that subscribe() does not pay (tens of thousands of instructions per
   * wake-up under emulation: the latency benchmark).
   */
  rawBatches(opts: EventsOptions = {}): AsyncGenerator<Buffer, void, undefined> {
    const highWater = opts.highWater ?? 8;
    if (!Number.isInteger(highWater) || highWater < 1) throw new UsageError(`invalid high-water mark ${highWater}`);
    const queue: Buffer[] = [];
    let wake: (() => void) | null = null;
    let drained: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const onBatch = (batch: Buffer): void | Promise<void> => {
      queue.push(batch);
      notify();
      // Past the high-water mark stop reading until the consumer catches up.
      if (queue.length >= highWater) return new Promise((resolve) => (drained = resolve));
    };

    const iterate = async function* (this: Monitor): AsyncGenerator<Buffer, void, undefined> {
      if (this.#endStream) throw new UsageError('this monitor is already streaming events');
      if (opts.signal?.aborted || this.closed) return;
      const sub = this.subscribeRaw(onBatch, opts);
      const outcome: { ended: boolean; error?: unknown } = { ended: false };
      sub.done
        .catch((error: unknown) => {
          outcome.error = error;
        })
        .finally(() => {
          outcome.ended = true;
          notify();
        });
      try {
        for (;;) {
          const next = queue.shift();
          if (next) {
            if (queue.length === 0) {
              const d = drained;
              drained = null;
              d?.();
            }
            yield next;
            continue;
          }
          if (outcome.ended) {
            if (outcome.error !== undefined) throw outcome.error;
            return;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        sub.stop();
      }
    };
    return iterate.call(this);
  }

  /** Stops any event iteration (it ends cleanly) and closes the device. Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd === null) return;
    this.#endStream?.();
    this.#fd = null;
    try {
      this.#binding.close(fd);
    } catch (e) {
      throw fromBindingError(e, 'close the device');
    }
  }
}

/**
 * GET_VERSION's number encodes its struct's size: a module whose version
 * struct differs, or a device that is not syscallmon's, answers ENOTTY.
 * That is a version mismatch, not the kernel refusing a request.
 */
function versionRequestError(e: unknown, path: string, want: number): Error {
  if (isBindingError(e) && e.code === 'ENOTTY') {
    return new VersionError(
      `${path} does not answer syscallmon's version request (ENOTTY): it is not the syscallmon device, or its ` +
        `module speaks an API version other than ${want}; rebuild and reload the module (\`syscallmon unload && syscallmon load\`)`,
      { cause: e },
    );
  }
  return fromBindingError(e, 'get the module version');
}

/** Integers in 1..PID_MAX, deduplicated, at most max. */
function checkPidList(pids: readonly unknown[], max: number, what: string): number[] {
  const prefix = what === 'a target' ? '' : `${what}: `;
  if (!Array.isArray(pids)) throw new UsageError(`${prefix}pids must be a list of process ids`);
  const bad = pids.find((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > PID_MAX);
  if (bad !== undefined) throw new UsageError(`${prefix}invalid pid ${String(bad)} (expected an integer in 1..${PID_MAX})`);
  const unique = [...new Set(pids as number[])];
  if (unique.length > max) {
    throw new UsageError(`${prefix}too many pids: ${unique.length} (${what === 'a target' ? 'a target holds ' : ''}at most ${max})`);
  }
  return unique;
}

/** A rule id: a positive u32. */
function checkRuleId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new UsageError(`invalid rule id ${id} (a positive integer)`);
  return id;
}

/** An errno given by name ("EACCES", "eacces") or number (13, "13") -> its number. */
export function parseErrno(value: string | number, maxErrno = 4095): number {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > maxErrno) throw new UsageError(`errno ${text} out of range (1..${maxErrno})`);
    return n;
  }
  const n = errnoNumber(text);
  if (n === undefined || n < 1 || n > maxErrno) {
    const near = closestNames(text.toUpperCase(), errnoNames());
    const hint = near.length ? `; did you mean ${near.join(', ')}?` : '';
    throw new UsageError(`unknown errno '${text}'${hint} (${ERRNO_HELP_HINT})`);
  }
  return n;
}

/** Where a user finds the errno names --errno takes. */
export const ERRNO_HELP_HINT = '--help lists the errno names';

/**
 * The loaded module's API version, read without the check Monitor.open
 * makes, so that a module of another version answers too; null when no
 * module is loaded.
 */
export function loadedModuleApiVersion(binding: Binding = loadBinding()): number | null {
  let fd: number;
  try {
    fd = binding.open(binding.devicePath, true);
  } catch (e) {
    const err = fromBindingError(e, `open ${binding.devicePath}`);
    if (err instanceof NotLoadedError) return null;
    throw err;
  }
  try {
    return binding.getVersion(fd).apiVersion;
  } catch (e) {
    throw versionRequestError(e, binding.devicePath, need(binding.constants, 'API_VERSION'));
  } finally {
    binding.close(fd);
  }
}
