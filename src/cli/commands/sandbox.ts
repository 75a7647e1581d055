/*
 * `syscallmon sandbox [--log | --block] [--syscall NAME]... [--errno NAME]
 *                     [--json | --csv] -- CMD [ARGS...]`
 *
 * For hosts that cannot load modules: boots the throw-away VM (src/vm/runner),
 * and inside it (the hidden `__sandbox-guest` command, same binary) loads the
 * module, starts CMD held at a gate, arms the targets, opens the gate, and
 * records the events of CMD and its descendants until CMD exits.  The host
 * then prints them like `syscallmon log` does.  Without --syscall it logs
 * every syscall that takes a path (what the command touched); --all logs
 * every syscall, which is slow to arm under TCG (about a minute).
 *
 * Whose events: targets cover every process (a descendant's pid is unknown
 * before it exists), and the guest keeps a record only when its tgid is
 * CMD's or its parent's tgid is already kept.  The sandbox itself holds the
 * device, so the module ignores it; the guest's init is pid 1, which is
 * never CMD's child.  To see every fork even when only, say, openat is
 * targeted, the guest also logs the clone family and drops those records
 * unless they were asked for.  A process whose parent exited before its
 * first recorded call is reparented to pid 1 and is missed.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { EventDecoder, type MonitorEvent } from '../../lib/events.js';
import { parseErrno, type Monitor } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { SyscallmonError, UsageError, type ErrorKind } from '../../lib/errors.js';
import { VmError } from '../../vm/errors.js';
import { collectNames, parsePositive } from '../options.js';
import { sanitize } from '../../render/sanitize.js';
import { loadModule } from './load.js';
import { renderLog, type LogFormat } from './log.js';

/** The package root: dist/cli/commands → ../../.. (src/cli/commands under a TS loader). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(PACKAGE_ROOT, 'bin', 'syscallmon');

/** Logged in the guest to follow forks; shown only when asked for. */
export const FORK_SYSCALLS = ['clone', 'clone3', 'fork', 'vfork'] as const;

/** Files the guest leaves in the share. */
export const SHARE_FILES = {
  events: 'events.bin',
  result: 'result.json',
  error: 'error.json',
  stdout: 'cmd.stdout',
  stderr: 'cmd.stderr',
} as const;

export type SandboxMode = 'log' | 'block';

export interface SandboxRequest {
  mode: SandboxMode;
  /** syscall names as resolved on the host; empty: see `all` */
  syscalls: string[];
  /** with no syscalls named: every syscall (true) or every syscall that takes a path (false) */
  all: boolean;
  errno?: string;
  capacity: number;
  command: string[];
}

/** What the guest reports besides the records. */
export interface GuestResult {
  pid: number;
  exit_code: number | null;
  signal: string | null;
  /** records kept (events of CMD's tree, lost markers) */
  records: number;
  /** records the guest's reader missed (ring overwritten) */
  lost: number;
  /** targets armed, by name */
  targets: string[];
  /** syscalls that could not be targeted in this kernel, with why */
  skipped: { syscall: string; reason: string }[];
}

/** A failure in the guest, for the host to throw again: a library error keeps its kind (and so its exit code). */
export interface GuestError {
  kind: ErrorKind | null;
  message: string;
}

// ------------------------------------------------------------- the guest

/** CMD's process tree, grown from the records themselves (see the top comment). */
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
 * Filters one raw batch to CMD's tree: returns the kept records' bytes (the
 * module's own layout, decoded again on the host) and counts.
 */
export function keepRecords(
  raw: Buffer,
  decoder: EventDecoder,
  tree: ProcessTree,
  hiddenNrs: ReadonlySet<number>,
): { kept: Buffer[]; records: number; lost: number } {
  const size = decoder.recordSize;
  const kept: Buffer[] = [];
  let lost = 0;
  for (let at = 0; at + size <= raw.length; at += size) {
    const e = decoder.decodeAt(raw, at);
    if (e.type === 'lost') {
      lost += e.count;
      kept.push(raw.subarray(at, at + size));
      continue;
    }
    if (!tree.accept(e)) continue;
    if (e.type === 'syscall' && hiddenNrs.has(e.nr)) continue;
    kept.push(raw.subarray(at, at + size));
  }
  return { kept, records: kept.length, lost };
}

interface Targets {
  names: string[];
  skipped: { syscall: string; reason: string }[];
  hidden: Set<number>;
}

function armTargets(m: Monitor, req: SandboxRequest): Targets {
  const asked = req.syscalls.length
    ? req.syscalls.map((s) => m.syscalls.resolve(s))
    : m.syscalls.entries.filter((e) => req.all || e.pathArg >= 0);
  const names: string[] = [];
  const skipped: Targets['skipped'] = [];
  const askedNrs = new Set(asked.map((e) => e.nr));
  for (const e of asked) {
    try {
      m.addTarget({
        syscall: e.nr,
        action: req.mode,
        errno: req.mode === 'block' ? req.errno : undefined,
        pids: 'all',
      });
      names.push(e.name);
    } catch (err) {
      // Named syscalls must work; the defaults skip what this kernel cannot probe.
      if (req.syscalls.length) throw err;
      skipped.push({ syscall: e.name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const hidden = new Set<number>();
  for (const name of FORK_SYSCALLS) {
    const e = m.syscalls.byName(name);
    if (!e || askedNrs.has(e.nr)) continue;
    try {
      m.addTarget({ syscall: e.nr, action: 'log', pids: 'all' });
      hidden.add(e.nr);
    } catch {
      // clone3 or vfork may be missing; clone alone still follows forks.
    }
  }
  return { names, skipped, hidden };
}

export async function sandboxGuest(ctx: Ctx, req: SandboxRequest, share: string): Promise<GuestResult> {
  const limits = { min: ctx.constant('CAPACITY_MIN'), max: ctx.constant('CAPACITY_MAX'), default: ctx.constant('CAPACITY_DEFAULT') };
  if (!ctx.io.kmod.isLoaded()) await loadModule(ctx.io.kmod, { capacity: String(req.capacity), clearOnRead: false }, limits);
  const m = ctx.openMonitor();
  const events = openSync(join(share, SHARE_FILES.events), 'w');
  const out = openSync(join(share, SHARE_FILES.stdout), 'w');
  const err = openSync(join(share, SHARE_FILES.stderr), 'w');
  try {
    m.setMode('off');
    m.clear({ targets: true, log: true, counters: true });
    // The gate: CMD is exec'd by this shell once a line arrives, so CMD keeps
    // the pid we know and nothing of it runs before the targets are armed.
    const child = spawn('/bin/sh', ['-c', 'read -r _ || exit 125; exec "$@"', 'sh', ...req.command], {
      stdio: ['pipe', out, err],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const pid = child.pid;
    if (pid === undefined) {
      await exited;
      throw new Error('could not start /bin/sh for the command');
    }
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
      for await (const raw of m.rawBatches({ signal: stop.signal, maxRecords: 1024 })) keep(raw);
    })();
    m.setMode(req.mode);
    child.stdin?.end('\n');
    const status = await exited;
    stop.abort();
    await pump;
    // Records of calls CMD made before it exited are all in the ring by now.
    for (let raw = m.readRaw(1024); raw.length; raw = m.readRaw(1024)) keep(raw);
    m.setMode('off');
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
    for (const fd of [events, out, err]) closeSync(fd);
  }
}

// -------------------------------------------------------------- the host

export interface SandboxOutcome {
  result: GuestResult;
  events: MonitorEvent[];
  cmdStdout: Buffer;
  cmdStderr: Buffer;
  bootSeconds: number;
  commandSeconds: number;
}

function guestArgs(req: SandboxRequest, share: string): string[] {
  const args = [BIN, '__sandbox-guest', '--share', share, `--${req.mode}`, '--capacity', String(req.capacity)];
  if (req.all) args.push('--all');
  for (const s of req.syscalls) args.push('--syscall', s);
  if (req.errno !== undefined) args.push('--errno', req.errno);
  return [...args, '--', ...req.command];
}

/** sanitize(), line by line, keeping the line breaks. */
function printable(text: string): string {
  return text.split('\n').map(sanitize).join('\n');
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export async function runSandbox(ctx: Ctx, req: SandboxRequest, signal: AbortSignal): Promise<SandboxOutcome> {
  const share = mkdtempSync(join(tmpdir(), 'syscallmon-sandbox-'));
  try {
    const run = await ctx.io.vm.run({
      command: [process.execPath, ...guestArgs(req, share)],
      cwd: process.cwd(),
      hostPaths: [PACKAGE_ROOT],
      shareDir: share,
      signal,
      // The console carries firmware screen-clearing sequences and guest output: made printable first.
      onConsole: ctx.verbose ? (text) => void ctx.io.stderr.write(printable(text)) : undefined,
    });
    const failure = readJson<GuestError>(join(share, SHARE_FILES.error));
    if (failure) {
      const message = `in the VM: ${failure.message}`;
      throw failure.kind ? new SyscallmonError(failure.kind, message) : new Error(message);
    }
    const result = readJson<GuestResult>(join(share, SHARE_FILES.result));
    if (!result) {
      throw new VmError(
        'ENOSTATUS',
        `the VM ran but the sandbox reported nothing (guest exit ${run.exitCode}); console log: ${run.consoleLog}`,
        run.consoleLog,
      );
    }
    const raw = readFileSync(join(share, SHARE_FILES.events));
    return {
      result,
      events: EventDecoder.forBinding(ctx.io.binding()).decode(raw),
      cmdStdout: readFileSync(join(share, SHARE_FILES.stdout)),
      cmdStderr: readFileSync(join(share, SHARE_FILES.stderr)),
      bootSeconds: run.bootSeconds,
      commandSeconds: run.commandSeconds,
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}

export function sandboxSummary(req: SandboxRequest, o: SandboxOutcome): string {
  const r = o.result;
  const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.exit_code}`;
  const shown = o.events.filter((e) => e.type !== 'lost').length;
  const pids = new Set(o.events.flatMap((e) => (e.type === 'lost' ? [] : [e.tgid]))).size;
  return (
    `syscallmon: sandbox: ${req.command.join(' ')} ${how}; ${shown} event${shown === 1 ? '' : 's'} ` +
    `from ${pids} process${pids === 1 ? '' : 'es'}, ${r.lost} lost; ` +
    `${r.targets.length} syscall${r.targets.length === 1 ? '' : 's'} ${r.targets.length <= 4 ? `(${r.targets.join(', ')}) ` : ''}` +
    `${req.mode === 'block' ? 'blocked' : 'logged'}; VM boot ${o.bootSeconds.toFixed(1)} s, command ${o.commandSeconds.toFixed(1)} s`
  );
}

interface SandboxFlags {
  all?: boolean;
  log?: boolean;
  block?: boolean;
  syscall?: string[];
  errno?: string;
  json?: boolean;
  csv?: boolean;
  capacity: number;
}

/** Host-side validation: everything that can be wrong is found before a VM boots. */
export function sandboxRequest(ctx: Ctx, flags: SandboxFlags, command: string[]): SandboxRequest {
  const mode: SandboxMode = flags.block ? 'block' : 'log';
  if (command.length === 0) throw new UsageError('give the command to run after --, e.g. sandbox -- /bin/cat /etc/hostname');
  if (mode === 'block' && !flags.syscall?.length) {
    throw new UsageError('--block needs --syscall NAME: blocking every syscall would stop the command from starting');
  }
  if (flags.errno !== undefined && mode !== 'block') throw new UsageError('--errno goes with --block');
  if (flags.errno !== undefined) parseErrno(flags.errno);
  const table = ctx.syscalls();
  const syscalls = [...new Set((flags.syscall ?? []).map((s) => table.resolve(s).name))];
  const min = ctx.constant('CAPACITY_MIN');
  const max = ctx.constant('CAPACITY_MAX');
  if ((flags.capacity & (flags.capacity - 1)) !== 0 || flags.capacity < min || flags.capacity > max) {
    throw new UsageError(`--capacity must be a power of two from ${min} to ${max} records, got ${flags.capacity}`);
  }
  if (flags.all && syscalls.length) throw new UsageError('--all or --syscall, not both');
  return { mode, syscalls, all: flags.all === true, errno: flags.errno, capacity: flags.capacity, command };
}

function commonFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log', 'log the targets (default)').conflicts('block'))
    .option('--block', 'block the targets: they fail with --errno (default EPERM)')
    .option('--syscall <name>', 'target this syscall (repeatable, or comma-separated); default: every syscall that takes a path', collectNames)
    .option('--all', 'target every syscall (arming ~350 probes takes about a minute under emulation)')
    .option('--errno <name>', 'errno a blocked call returns (default EPERM)')
    .addOption(new Option('--capacity <records>', 'ring size in the VM').argParser(parsePositive).default(65536));
}

export function sandboxCommand(ctx: Ctx): Command {
  return commonFlags(new Command('sandbox'))
    .description('run CMD in a throw-away VM with the module loaded; print the events of CMD and its children')
    .usage('[--log | --block] [--syscall NAME]... [--errno NAME] [--json | --csv] -- CMD [ARGS...]')
    .addOption(new Option('--json', 'NDJSON: one event per line').conflicts('csv'))
    .option('--csv', 'CSV with a header row (RFC 4180)')
    .argument('<cmd...>', 'the command and its arguments')
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags) => {
      const req = sandboxRequest(ctx, flags, command);
      const interrupt = ctx.io.interrupt();
      await ctx.note(`syscallmon: sandbox: booting the VM for ${command.join(' ')} (about a minute under emulation)`);
      let outcome: SandboxOutcome;
      try {
        outcome = await runSandbox(ctx, req, interrupt.signal);
      } finally {
        interrupt.dispose();
      }
      // CMD's own output goes to stderr: stdout carries only the events.
      if (outcome.cmdStdout.length) await ctx.io.stderr.write(outcome.cmdStdout.toString('utf8'));
      if (outcome.cmdStderr.length) await ctx.io.stderr.write(outcome.cmdStderr.toString('utf8'));
      const format: LogFormat = flags.json ? 'json' : flags.csv ? 'csv' : 'table';
      await ctx.out(renderLog(outcome.events, format, ctx));
      if (ctx.verbose) {
        for (const s of outcome.result.skipped) await ctx.note(`syscallmon: sandbox: not targeted: ${s.syscall}: ${s.reason}`);
      }
      await ctx.note(sandboxSummary(req, outcome));
    });
}

/** The half that runs inside the VM; not for people. */
export function sandboxGuestCommand(ctx: Ctx): Command {
  return commonFlags(new Command('__sandbox-guest'))
    .description('(internal) the inside of `syscallmon sandbox`')
    .requiredOption('--share <dir>', 'writable directory shared with the host')
    .argument('<cmd...>')
    .passThroughOptions()
    .action(async (command: string[], flags: SandboxFlags & { share: string }) => {
      const req: SandboxRequest = {
        mode: flags.block ? 'block' : 'log',
        syscalls: flags.syscall ?? [],
        all: flags.all === true,
        errno: flags.errno,
        capacity: flags.capacity,
        command,
      };
      try {
        const result = await sandboxGuest(ctx, req, flags.share);
        writeFileSync(join(flags.share, SHARE_FILES.result), JSON.stringify(result) + '\n');
      } catch (e) {
        const report: GuestError = {
          kind: e instanceof SyscallmonError ? e.kind : null,
          message: e instanceof Error ? e.message : String(e),
        };
        writeFileSync(join(flags.share, SHARE_FILES.error), JSON.stringify(report) + '\n');
        throw e;
      }
    });
}
