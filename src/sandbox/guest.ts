/*
 * The half of `syscallmon sandbox` that runs inside the VM: load the
 * module, start the command held at a gate, arm the targets, open the gate,
 * hand it the host's stdin (stdio.ts), and keep the records of the command
 * and its descendants (and their exits, when asked) until it exits.
 *
 * Whose events: targets cover every process (a descendant's pid is unknown
 * before it exists), and the guest keeps a record only when its tgid is the
 * command's or its parent's tgid is already kept.  The guest itself holds
 * the device, so the module ignores it; the guest's init is pid 1, which is
 * never the command's child.  To see every fork even when only, say, openat
 * is targeted, the guest also logs the clone family, recorded at entry (a
 * call recorded at its return may come after the child's own records), and
 * drops those records: all of them when the clone family was not asked for,
 * else the halves (and, with --failed-only, the successes) not asked for.  A
 * process whose parent exited before its first recorded call is reparented
 * to pid 1 and is missed.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Binding } from '../lib/binding.js';
import { SyscallmonError } from '../lib/errors.js';
import type { EventDecoder, SyscallEvent } from '../lib/events.js';
import type { Kmod } from '../lib/kmod.js';
import { loadModule, moduleLimits } from '../lib/module.js';
import { Monitor } from '../lib/monitor.js';
import { SandboxError, SHARE_FILES, type GuestError, type GuestResult, type SandboxRequest } from './request.js';
import { feedStdin } from './stdio.js';

/** Logged in the guest to follow forks; shown only when asked for. */
export const FORK_SYSCALLS = ['clone', 'clone3', 'fork', 'vfork'] as const;

/** The command's process tree, grown from the records themselves. */
export class ProcessTree {
  private readonly members: Set<number>;

  constructor(root: number) {
    this.members = new Set([root]);
  }

  /** Whether e belongs to the tree; a process whose parent belongs joins it. */
  accept(e: { tgid: number; ppid: number }): boolean {
    if (this.members.has(e.tgid)) return true;
    if (this.members.has(e.ppid)) {
      this.members.add(e.tgid);
      return true;
    }
    return false;
  }

  get size(): number {
    return this.members.size;
  }
}

/**
 * Filters one raw batch to the command's tree: returns the kept records'
 * bytes (the module's own layout, decoded again on the host) and counts.
 */
export function keepRecords(
  raw: Buffer,
  decoder: EventDecoder,
  tree: ProcessTree,
  hidden: (e: SyscallEvent) => boolean,
): { kept: Buffer[]; records: number; lost: number } {
  const kept: Buffer[] = [];
  let lost = 0;
  for (let at = 0, size = 0; at < raw.length; at += size) {
    size = decoder.recordSize(raw, at);
    if (decoder.isPad(raw, at)) continue;
    const e = decoder.decodeAt(raw, at);
    if (e.type === 'lost') {
      lost += e.count;
      kept.push(raw.subarray(at, at + size));
      continue;
    }
    if (!tree.accept(e)) continue;
    if (e.type === 'syscall' && hidden(e)) continue;
    kept.push(raw.subarray(at, at + size));
  }
  return { kept, records: kept.length, lost };
}

export interface Targets {
  names: string[];
  skipped: { syscall: string; reason: string }[];
  /** the records kept only to follow forks */
  hidden: (e: SyscallEvent) => boolean;
}

export function armTargets(m: Monitor, req: SandboxRequest): Targets {
  const asked = req.syscalls.length
    ? req.syscalls.map((s) => m.syscalls.resolve(s))
    : m.syscalls.entries.filter((e) => req.all || e.pathArg >= 0);
  const names: string[] = [];
  const skipped: Targets['skipped'] = [];
  const askedNrs = new Set(asked.map((e) => e.nr));
  const forks = new Set(FORK_SYSCALLS.flatMap((name) => m.syscalls.byName(name)?.nr ?? []));
  for (const e of asked) {
    // A fork asked for is recorded at entry too, to follow the tree; the halves not asked for are dropped.
    const fork = forks.has(e.nr);
    try {
      m.addTarget({
        syscall: e.nr,
        action: req.action,
        errno: req.action === 'block' ? req.errno : undefined,
        pids: 'all',
        force: req.force,
        record: fork ? 'both' : req.record,
        failedOnly: fork ? false : req.failedOnly,
      });
      names.push(e.name);
    } catch (err) {
      // Named syscalls must work; the defaults skip what this kernel cannot probe.
      if (req.syscalls.length) throw err;
      skipped.push({ syscall: e.name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const unasked = new Set<number>();
  for (const nr of forks) {
    if (askedNrs.has(nr)) continue;
    try {
      m.addTarget({ syscall: nr, action: 'log', pids: 'all', record: 'entry' });
      unasked.add(nr);
    } catch {
      // clone3 or vfork may be missing; clone alone still follows forks.
    }
  }
  return { names, skipped, hidden: (e) => unasked.has(e.nr) || (forks.has(e.nr) && !askedHalf(e, req)) };
}

/** Whether a record of a call recorded at entry and at return is the one the request asked for. */
function askedHalf(e: SyscallEvent, req: SandboxRequest): boolean {
  if (req.record === 'both') return true;
  if (req.record === 'entry') return e.entry;
  return !e.entry && (!req.failedOnly || e.errno !== null);
}

export interface GuestDeps {
  binding: Binding;
  kmod: Kmod;
}

/** Runs the command under the module; leaves its records and output in share. */
export async function runGuest(deps: GuestDeps, req: SandboxRequest, share: string): Promise<GuestResult> {
  if (!deps.kmod.isLoaded()) {
    await loadModule(deps.kmod, { ringSize: req.ringSize, clearOnRead: false }, moduleLimits(deps.binding.constants));
  }
  const m = Monitor.open({ binding: deps.binding });
  const events = openSync(join(share, SHARE_FILES.events), 'w');
  // stdout and stderr on one open file: one offset, so they keep the order CMD wrote them in.
  const output = openSync(join(share, SHARE_FILES.output), 'w');
  try {
    m.setMode('off');
    m.clear({ targets: true, log: true, counters: true });
    m.setExits(req.exits);
    // The gate: the command is exec'd by this shell once a line arrives, so
    // it keeps the pid we know and nothing of it runs before the targets are
    // armed; what follows the line on the pipe is the host's stdin.
    const child = spawn('/bin/sh', ['-c', 'read -r _ || exit 125; exec "$@"', 'sh', ...req.command], {
      stdio: ['pipe', output, output],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const pid = child.pid;
    if (pid === undefined || child.stdin === null) {
      await exited;
      throw new Error('could not start /bin/sh for the command');
    }
    // EPIPE once CMD closes its stdin is no failure of ours.
    child.stdin.on('error', () => {});
    const targets = armTargets(m, req);
    const tree = new ProcessTree(pid);
    let records = 0;
    let lost = 0;
    const keep = (raw: Buffer): void => {
      const r = keepRecords(raw, m.decoder, tree, targets.hidden);
      records += r.records;
      lost += r.lost;
      if (r.kept.length) writeSync(events, Buffer.concat(r.kept));
    };
    m.seek('head');
    const stop = new AbortController();
    const pump = (async () => {
      for await (const raw of m.rawBatches({ signal: stop.signal })) keep(raw);
    })();
    m.setMode(req.action);
    child.stdin.write('\n');
    const feeding = feedStdin(share, child.stdin, stop.signal);
    const status = await exited;
    stop.abort();
    await Promise.all([pump, feeding]);
    // Records of calls the command made before it exited are all in the ring by now.
    for (let raw = m.readRaw(); raw.length; raw = m.readRaw()) keep(raw);
    m.setMode('off');
    m.setExits(false);
    m.clear({ targets: true });
    return {
      pid,
      exit_code: status.code,
      signal: status.signal,
      records,
      lost,
      targets: targets.names,
      skipped: targets.skipped,
    };
  } finally {
    m.close();
    for (const fd of [events, output]) closeSync(fd);
  }
}

/**
 * Leaves the result, or the failure (a request the guest cannot read
 * included), in the share for the host; a failure is thrown on as well.
 */
export async function runGuestReporting(deps: GuestDeps, request: () => SandboxRequest, share: string): Promise<void> {
  try {
    const result = await runGuest(deps, request(), share);
    writeFileSync(join(share, SHARE_FILES.result), JSON.stringify(result) + '\n');
  } catch (e) {
    const report: GuestError = {
      kind: e instanceof SyscallmonError ? e.kind : null,
      message: e instanceof Error ? e.message : String(e),
      ...(e instanceof SandboxError ? { status: e.status } : {}),
    };
    writeFileSync(join(share, SHARE_FILES.error), JSON.stringify(report) + '\n');
    throw e;
  }
}
