// The typed library: one open /dev/syscallmon and everything done through it.
// Validation, defaults and names live here; the binding only converts values
// and makes syscalls (and can be a fake: Monitor.open({ binding })).
import { loadBinding, type Binding, type RawTarget, type RawVersion, type StreamHandle } from './binding.js';
import { errnoName, errnoNames, errnoNumber } from './errnos.js';
import { fromBindingError, UsageError, VersionError } from './errors.js';
import { EventDecoder, type MonitorEvent } from './events.js';
import { closestNames, SyscallTable } from './syscalls.js';

export type Mode = 'off' | 'log' | 'block';
export type Action = 'log' | 'block';

export const MODES: readonly Mode[] = ['off', 'log', 'block'];
export const ACTIONS: readonly Action[] = ['log', 'block'];

/** Largest pid the module accepts (the kernel's PID_MAX_LIMIT on 64-bit). */
export const PID_MAX = 4194304;

/** Records per read: 256 x 416 B ~ 104 KiB, big enough to drain a busy ring in few syscalls. */
export const DEFAULT_BATCH = 256;

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
}

export interface TargetInfo {
  syscall: string;
  nr: number;
  action: Action;
  /** errno name a blocked call returns */
  errno: string;
  err: number;
  /** tgids in scope, or 'all' */
  pids: number[] | 'all';
  force: boolean;
  armed: boolean;
  hits: bigint;
  logged: bigint;
  blocked: bigint;
  missed: bigint;
}

export interface Status {
  apiVersion: number;
  mode: Mode;
  exits: boolean;
  clearOnRead: boolean;
  capacity: number;
  ntargets: number;
  armed: number;
  readers: number;
  headSeq: bigint;
  tailSeq: bigint;
  events: bigint;
  overwritten: bigint;
  cleared: bigint;
  /** records this Monitor's reader missed */
  readerLost: bigint;
  readerSeq: bigint;
  /** process exits seen by the exit probe */
  exitsSeen: bigint;
  missed: bigint;
  allocsLive: bigint;
  targets: TargetInfo[];
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

export interface EventsOptions {
  /** ends the iteration (cleanly, no throw) when aborted */
  signal?: AbortSignal;
  /** records per batch; default DEFAULT_BATCH */
  maxRecords?: number;
  /**
   * Batches queued but not yet taken by the consumer before reading pauses
   * (records then wait in the kernel ring, which counts what it overwrites
   * as lost). Default 8.
   */
  highWater?: number;
}

function constant(b: Binding, name: string): number {
  const v = b.constants[name];
  if (v === undefined) throw new Error(`syscallmon addon does not export constant ${name}`);
  return v;
}

export class Monitor {
  readonly syscalls: SyscallTable;
  readonly decoder: EventDecoder;
  readonly binding: Binding;
  readonly devicePath: string;
  #fd: number | null;
  #version: RawVersion;
  #iterating = false;
  /** called by close() to end a running events() iterator */
  #endIteration: (() => void) | null = null;

  private constructor(binding: Binding, fd: number, devicePath: string, version: RawVersion) {
    this.binding = binding;
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
      const want = constant(binding, 'API_VERSION');
      const size = constant(binding, 'RECORD_SIZE');
      if (v.apiVersion !== want || v.recordSize !== size) {
        throw new VersionError(
          `syscallmon module speaks API version ${v.apiVersion} (records of ${v.recordSize} bytes), ` +
            `this syscallmon expects version ${want} (${size} bytes); rebuild and reload the module ` +
            '(`syscallmon unload && syscallmon load`)',
        );
      }
      return new Monitor(binding, fd, path, v);
    } catch (e) {
      binding.close(fd);
      throw fromBindingError(e, 'get the module version');
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
    return constant(this.binding, name);
  }

  version(): VersionInfo {
    return { ...this.#version, libraryApiVersion: this.c('API_VERSION') };
  }

  status(): Status {
    const fd = this.fd;
    let raw;
    let targets;
    try {
      raw = this.binding.getStatus(fd);
      targets = this.binding.getTargets(fd);
    } catch (e) {
      throw fromBindingError(e, 'read the status');
    }
    const all = this.c('TARGET_ALL_PIDS');
    const force = this.c('TARGET_FORCE');
    return {
      apiVersion: raw.apiVersion,
      mode: this.modeName(raw.mode),
      exits: (raw.flags & this.c('STATUS_EXITS')) !== 0,
      clearOnRead: (raw.flags & this.c('STATUS_CLEAR_ON_READ')) !== 0,
      capacity: raw.capacity,
      ntargets: raw.ntargets,
      armed: raw.armed,
      readers: raw.readers,
      headSeq: raw.headSeq,
      tailSeq: raw.tailSeq,
      events: raw.events,
      overwritten: raw.overwritten,
      cleared: raw.cleared,
      readerLost: raw.readerLost,
      readerSeq: raw.readerSeq,
      exitsSeen: raw.exits,
      missed: raw.missed,
      allocsLive: raw.allocsLive,
      targets: targets.map((t) => ({
        syscall: this.syscalls.nameOf(t.nr),
        nr: t.nr,
        action: t.action === this.c('ACTION_BLOCK') ? 'block' : 'log',
        errno: errnoName(t.err),
        err: t.err,
        pids: (t.flags & all) !== 0 ? 'all' : [...t.pids].sort((a, b) => a - b),
        force: (t.flags & force) !== 0,
        armed: t.armed,
        hits: t.hits,
        logged: t.logged,
        blocked: t.blocked,
        missed: t.missed,
      })),
    };
  }

  private modeName(mode: number): Mode {
    if (mode === this.c('MODE_OFF')) return 'off';
    if (mode === this.c('MODE_LOG')) return 'log';
    if (mode === this.c('MODE_BLOCK')) return 'block';
    throw new VersionError(`module reports unknown mode ${mode}`);
  }

  setMode(mode: Mode): void {
    const m = String(mode).toLowerCase();
    if (!(MODES as readonly string[]).includes(m)) {
      throw new UsageError(`unknown mode '${mode}' (expected one of ${MODES.join(', ')})`);
    }
    const value = this.c(`MODE_${m.toUpperCase()}`);
    const fd = this.fd;
    try {
      this.binding.setMode(fd, value);
    } catch (e) {
      throw fromBindingError(e, `set mode ${m}`);
    }
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
    if (spec.force) flags |= this.c('TARGET_FORCE');
    if (spec.exclusive) flags |= this.c('TARGET_EXCLUSIVE');
    const raw: RawTarget = {
      nr: entry.nr,
      action: this.c(block ? 'ACTION_BLOCK' : 'ACTION_LOG'),
      err,
      flags,
      pids,
    };
    const fd = this.fd;
    try {
      this.binding.addTarget(fd, raw);
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
      this.binding.delTarget(fd, entry.nr);
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
    const fd = this.fd;
    try {
      if (add) this.binding.addPids(fd, entry.nr, list);
      else this.binding.delPids(fd, entry.nr, list);
    } catch (e) {
      throw fromBindingError(e, `${add ? 'add' : 'remove'} pids for ${entry.name}`, {
        EINVAL: `${entry.name} is not targeted, or targets every process`,
        ESRCH: `no such process among ${list.join(', ')}`,
        ENOSPC: `a target holds at most ${this.c('MAX_PIDS')} pids`,
        EPERM: add ? 'blocking pid 1 needs a force target' : undefined,
      });
    }
  }

  /** Integers in 1..PID_MAX, deduplicated, at most MAX_PIDS. */
  private checkPids(pids: readonly unknown[]): number[] {
    if (!Array.isArray(pids)) throw new UsageError('pids must be a list of process ids');
    const max = this.c('MAX_PIDS');
    const bad = pids.find((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > PID_MAX);
    if (bad !== undefined) throw new UsageError(`invalid pid ${String(bad)} (expected an integer in 1..${PID_MAX})`);
    const unique = [...new Set(pids as number[])];
    if (unique.length > max) throw new UsageError(`too many pids: ${unique.length} (a target holds at most ${max})`);
    return unique;
  }

  clear(what: { targets?: boolean; log?: boolean; counters?: boolean }): void {
    let flags = 0;
    if (what.targets) flags |= this.c('CLEAR_TARGETS');
    if (what.log) flags |= this.c('CLEAR_LOG');
    if (what.counters) flags |= this.c('CLEAR_COUNTERS');
    if (flags === 0) throw new UsageError('nothing to clear (targets, log or counters)');
    const fd = this.fd;
    try {
      this.binding.clear(fd, flags);
    } catch (e) {
      throw fromBindingError(e, 'clear');
    }
  }

  setExits(on: boolean): void {
    const fd = this.fd;
    try {
      this.binding.setExits(fd, on);
    } catch (e) {
      throw fromBindingError(e, `turn exit events ${on ? 'on' : 'off'}`);
    }
  }

  /** 'tail': the oldest record still held; 'head': only records written from now on. */
  seek(where: 'tail' | 'head'): void {
    if (where !== 'tail' && where !== 'head') throw new UsageError(`cannot seek to '${String(where)}' (tail or head)`);
    const fd = this.fd;
    try {
      this.binding.seek(fd, this.c(where === 'head' ? 'SEEK_HEAD' : 'SEEK_TAIL'));
    } catch (e) {
      throw fromBindingError(e, `seek to ${where}`);
    }
  }

  /** Up to max records as raw bytes, without waiting; empty when none. For lean consumers. */
  readRaw(max = DEFAULT_BATCH): Buffer {
    if (!Number.isInteger(max) || max < 1) throw new UsageError(`invalid batch size ${max}`);
    const fd = this.fd;
    try {
      return this.binding.read(fd, max);
    } catch (e) {
      throw fromBindingError(e, 'read events');
    }
  }

  /** Up to max events, without waiting; [] when none. */
  readAvailable(max = DEFAULT_BATCH): MonitorEvent[] {
    return this.decoder.decode(this.readRaw(max));
  }

  /** Decoded batches as the device produces them; see rawBatches for the options. */
  async *events(opts: EventsOptions = {}): AsyncGenerator<MonitorEvent[], void, undefined> {
    for await (const raw of this.rawBatches(opts)) yield this.decoder.decode(raw);
  }

  /**
   * Raw batches (whole records) from the addon's reader, driven by poll,
   * never by sleeping. Ends without error on close() or when opts.signal
   * aborts; a read error ends it by throwing. One iteration at a time per
   * Monitor (they would split one cursor's records between them).
   */
  rawBatches(opts: EventsOptions = {}): AsyncGenerator<Buffer, void, undefined> {
    const max = opts.maxRecords ?? DEFAULT_BATCH;
    const highWater = opts.highWater ?? 8;
    if (!Number.isInteger(max) || max < 1) throw new UsageError(`invalid batch size ${max}`);
    if (!Number.isInteger(highWater) || highWater < 1) throw new UsageError(`invalid high-water mark ${highWater}`);
    const fd = this.fd;
    const binding = this.binding;
    const queue: Buffer[] = [];
    let failure: Error | null = null;
    let ended = false;
    let handle: StreamHandle | null = null;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const pause = (): void => {
      const h = handle;
      handle = null;
      h?.stop();
    };
    const onBatch = (err: Error | null, batch: Buffer | null): void => {
      if (err) {
        failure = fromBindingError(err, 'read events');
        pause();
      } else if (batch && batch.length) {
        queue.push(batch);
        // Past the high-water mark stop reading: the kernel ring holds
        // the backlog and accounts for what it overwrites.
        if (queue.length >= highWater) pause();
      }
      notify();
    };
    const start = (): void => {
      try {
        handle = binding.startStream(fd, max, onBatch);
      } catch (e) {
        throw fromBindingError(e, 'read events');
      }
    };
    const end = (): void => {
      ended = true;
      pause();
      notify();
    };

    // Nothing starts until the first next(): a generator that is never
    // iterated has no finally to clean up after it.
    const iterate = async function* (this: Monitor): AsyncGenerator<Buffer, void, undefined> {
      if (this.#iterating) throw new UsageError('this monitor is already streaming events');
      if (opts.signal?.aborted || this.closed) return;
      this.#iterating = true;
      this.#endIteration = end;
      opts.signal?.addEventListener('abort', end, { once: true });
      try {
        start();
        for (;;) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          if (ended) return;
          if (failure) throw failure;
          if (handle === null) start(); // paused at high water, now drained
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        pause();
        opts.signal?.removeEventListener('abort', end);
        this.#iterating = false;
        if (this.#endIteration === end) this.#endIteration = null;
      }
    };
    return iterate.call(this);
  }

  /** Stops any event iteration (it ends cleanly) and closes the device. Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd === null) return;
    this.#endIteration?.();
    this.#fd = null;
    try {
      this.binding.close(fd);
    } catch (e) {
      throw fromBindingError(e, 'close the device');
    }
  }
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
    throw new UsageError(`unknown errno '${text}'${hint}`);
  }
  return n;
}
