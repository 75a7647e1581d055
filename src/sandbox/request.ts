/*
 * src/sandbox/: `syscallmon sandbox`, for hosts that cannot load modules.
 * The host (host.ts) boots the throw-away VM (src/vm) and runs this same
 * binary's hidden `__sandbox-guest` command in it; the guest (guest.ts)
 * loads the module and runs the command as `syscallmon run` does (src/run),
 * keeping the records of the command and its descendants.
 * The two halves meet in a shared directory; this file is what crosses:
 * the request, checked on the host before a VM boots, and what the guest
 * leaves behind. The CLI (src/cli/commands/sandbox.ts) owns the flags and
 * the printing.
 */
import { constants } from 'node:os';
import type { Binding } from '../lib/binding.js';
import { UsageError, type ErrorKind } from '../lib/errors.js';
import { moduleLimits, parseRingSize } from '../lib/module.js';
import { Monitor, parseErrno } from '../lib/monitor.js';
import type { Rule } from '../lib/rules.js';
import { RECORD_MODES, type Action, type RecordMode } from '../lib/status.js';
import { SyscallTable } from '../lib/syscalls.js';
import { defaultSyscalls, execsIn } from '../run/run.js';
import { findCommand } from './command.js';

export interface SandboxRequest {
  /** what the rule for CMD's tree does; block needs syscalls named, and is enforced (the mode BLOCK for CMD's time) */
  action: Action;
  /** syscall names as resolved on the host; empty: see `all` */
  syscalls: string[];
  /** with no syscalls named: every syscall (true) or every syscall that takes a path (false) */
  all: boolean;
  errno?: string;
  /** blocking may also act on processes holding the device */
  force: boolean;
  /** what a covered call records (complete, entry, both) */
  record: RecordMode;
  /** record only the covered calls that fail */
  failedOnly: boolean;
  /** process-exit events of CMD and its descendants too */
  exits: boolean;
  /** the ring's size in the VM, in bytes */
  ringSize: number;
  command: string[];
  /** the search path CMD is found in, on the host and in the VM alike */
  path: string;
}

/** The ring the sandbox asks for: the command's events must not overrun it while the guest reads. */
export const SANDBOX_RING_SIZE = 16 * 1024 * 1024;

/** The search path CMD gets when the caller has none (the VM's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Files in the share, and who writes them. */
export const SHARE_FILES = {
  /** guest: the records kept, as the module wrote them */
  events: 'events.bin',
  /** guest: a GuestResult, once CMD has exited */
  result: 'result.json',
  /** guest: a GuestError instead */
  error: 'error.json',
  /** guest: CMD's stdout and stderr, one file, so they keep their order */
  output: 'cmd.output',
  /** host: the host's stdin as it arrives, for CMD's */
  stdin: 'cmd.stdin',
  /** host: exists once the host's stdin has ended */
  stdinEnd: 'cmd.stdin.end',
  /** guest: how many bytes of cmd.stdin CMD was handed, so the host does not run far ahead */
  stdinTaken: 'cmd.stdin.taken',
} as const;

/** What the guest reports besides the records. */
export interface GuestResult {
  pid: number;
  exit_code: number | null;
  signal: string | null;
  /** records the guest's reader missed (ring overwritten) */
  lost: number;
  /** the syscalls the rule covered, by name */
  syscalls: string[];
}

/** A failure in the guest, for the host to throw again; status 126/127 when CMD could not be run. */
export interface GuestError {
  kind: ErrorKind | null;
  message: string;
  status?: number;
}

/**
 * The statuses `syscallmon sandbox` exits with when CMD's own can't be
 * given: the numbers env(1), timeout(1) and the shells use, none of which a
 * command usually exits with by itself.
 */
export const SANDBOX_STATUS = {
  /** the sandbox itself failed: the VM, the module in it, the guest */
  failed: 125,
  /** CMD was found but cannot be run */
  cannotRun: 126,
  /** CMD was not found */
  notFound: 127,
  /** plus the signal's number: CMD was killed by it, or the sandbox stopped by it */
  signalBase: 128,
} as const;

/** How the sandbox failed where CMD's own status can't be given, with the status to exit with instead. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SandboxError';
  }
}

/** 15 for 'SIGTERM'; undefined for a name that is not a signal. */
export function signalNumber(name: string): number | undefined {
  return (constants.signals as Readonly<Record<string, number>>)[name];
}

/** CMD's status as a shell gives it: its exit status, or 128 + the signal that killed it. */
export function commandStatus(r: Pick<GuestResult, 'exit_code' | 'signal'>): number {
  if (r.exit_code !== null) return r.exit_code;
  const n = r.signal === null ? undefined : signalNumber(r.signal);
  return n === undefined ? SANDBOX_STATUS.failed : SANDBOX_STATUS.signalBase + n;
}

export interface RequestInput {
  block?: boolean;
  syscalls?: readonly string[];
  all?: boolean;
  errno?: string;
  force?: boolean;
  record?: string;
  failedOnly?: boolean;
  exits?: boolean;
  ringSize?: string | number;
  command: readonly string[];
  /** the search path for CMD; default DEFAULT_PATH */
  path?: string;
  /** where a relative CMD is found; default process.cwd() */
  cwd?: string;
}

/**
 * Everything that can be wrong with a request, found on the host before a
 * VM boots: a usage error (exit 2), or CMD not found (127) or not runnable (126).
 */
export function checkRequest(binding: Pick<Binding, 'constants' | 'syscalls'>, input: RequestInput): SandboxRequest {
  return checkRequestFinding(binding, input).request;
}

/** checkRequest, and where CMD was found. */
export function checkRequestFinding(
  binding: Pick<Binding, 'constants' | 'syscalls'>,
  input: RequestInput,
): { request: SandboxRequest; file: string; execPath: string } {
  const action: Action = input.block ? 'block' : 'log';
  if (input.command.length === 0) throw new UsageError('give the command to run after --, e.g. sandbox -- /bin/cat /etc/hostname');
  if (action === 'block' && !input.syscalls?.length) {
    throw new UsageError('--block needs --syscall NAME: blocking every syscall would stop the command from starting');
  }
  if (input.errno !== undefined && action !== 'block') throw new UsageError('--errno goes with --block');
  if (input.force && action !== 'block') throw new UsageError('--force goes with --block');
  if (input.errno !== undefined) parseErrno(input.errno);
  const record = recordMode(input.record ?? 'complete');
  if (input.failedOnly && record !== 'complete') {
    throw new UsageError(`--failed-only needs complete records (a call's failure is known when it returns), not --record ${record}`);
  }
  const table = new SyscallTable(binding.syscalls);
  const syscalls = [...new Set((input.syscalls ?? []).map((s) => table.resolve(s).name))];
  const ringSize = parseRingSize(input.ringSize ?? SANDBOX_RING_SIZE, moduleLimits(binding.constants));
  if (input.all && syscalls.length) throw new UsageError('--all or --syscall, not both');
  const execs = action === 'block' ? execsIn(syscalls) : [];
  if (execs.length) throw new UsageError(`--block of ${execs.join(', ')} would stop CMD itself from starting`);
  const path = input.path ?? DEFAULT_PATH;
  const request: SandboxRequest = {
    action,
    syscalls,
    all: input.all === true,
    errno: input.errno,
    force: input.force === true,
    record,
    failedOnly: input.failedOnly === true,
    exits: input.exits === true,
    ringSize,
    command: [...input.command],
    path,
  };
  // The rule as the guest will add it (less the tree, which is CMD's): what is wrong with it is found before a VM boots.
  Monitor.checkRule(requestRule(request, table), { binding, owned: true });
  const found = findCommand(input.command[0] ?? '', { path, cwd: input.cwd ?? process.cwd() });
  if (!found.ok) throw new SandboxError(found.status, found.message);
  return { request, file: found.file, execPath: found.execPath };
}

/** The rule for CMD's tree (src/run adds the tree): syscalls from table when none are named. */
export function requestRule(req: SandboxRequest, table: SyscallTable): Omit<Rule, 'tree' | 'pids'> {
  const block = req.action === 'block';
  return {
    name: 'sandbox',
    action: req.action,
    syscalls: req.syscalls.length ? req.syscalls : defaultSyscalls(table, req.all),
    ...(block ? { enforce: true, force: req.force } : {}),
    ...(block && req.errno !== undefined ? { errno: req.errno } : {}),
    record: req.record,
    failedOnly: req.failedOnly,
  };
}

function recordMode(value: string): RecordMode {
  const mode = RECORD_MODES.find((m) => m === value);
  if (mode === undefined) throw new UsageError(`--record: '${value}' is not one of ${RECORD_MODES.join(', ')}`);
  return mode;
}

/** The guest command's arguments for a request (what `__sandbox-guest` parses back). */
export function guestArgs(req: SandboxRequest, share: string): string[] {
  const args = ['__sandbox-guest', '--share', share, `--${req.action}`, '--ring-size', String(req.ringSize)];
  if (req.all) args.push('--all');
  for (const s of req.syscalls) args.push('--syscall', s);
  if (req.errno !== undefined) args.push('--errno', req.errno);
  if (req.force) args.push('--force');
  if (req.record !== 'complete') args.push('--record', req.record);
  if (req.failedOnly) args.push('--failed-only');
  if (req.exits) args.push('--exits', 'on');
  return [...args, '--', ...req.command];
}
