/*
 * src/sandbox/: `syscallmon sandbox`, for hosts that cannot load modules.
 * The host (host.ts) boots the throw-away VM (src/vm) and runs this same
 * binary's hidden `__sandbox-guest` command in it; the guest (guest.ts)
 * loads the module, runs the command held at a gate, arms the targets,
 * opens the gate and keeps the records of the command and its descendants.
 * The two halves meet in a shared directory; this file is what crosses:
 * the request, checked on the host before a VM boots, and what the guest
 * leaves behind. The CLI (src/cli/commands/sandbox.ts) owns the flags and
 * the printing.
 */
import type { Binding } from '../lib/binding.js';
import { UsageError, type ErrorKind } from '../lib/errors.js';
import { capacityLimits, parseCapacity } from '../lib/module.js';
import { parseErrno } from '../lib/monitor.js';
import type { Action } from '../lib/status.js';
import { SyscallTable } from '../lib/syscalls.js';

export interface SandboxRequest {
  /** what the targets do; block needs syscalls named */
  action: Action;
  /** syscall names as resolved on the host; empty: see `all` */
  syscalls: string[];
  /** with no syscalls named: every syscall (true) or every syscall that takes a path (false) */
  all: boolean;
  errno?: string;
  /** the ring's size in the VM, in records */
  capacity: number;
  command: string[];
}

/** The ring the sandbox asks for: the command's events must not overrun it while the guest reads. */
export const SANDBOX_CAPACITY = 65536;

/** Files the guest leaves in the share. */
export const SHARE_FILES = {
  events: 'events.bin',
  result: 'result.json',
  error: 'error.json',
  stdout: 'cmd.stdout',
  stderr: 'cmd.stderr',
} as const;

/** What the guest reports besides the records. */
export interface GuestResult {
  pid: number;
  exit_code: number | null;
  signal: string | null;
  /** records kept (events of the command's tree, lost markers) */
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

export interface RequestInput {
  block?: boolean;
  syscalls?: readonly string[];
  all?: boolean;
  errno?: string;
  capacity?: string | number;
  command: readonly string[];
}

/** Everything that can be wrong with a request, found on the host before a VM boots. */
export function checkRequest(binding: Pick<Binding, 'constants' | 'syscalls'>, input: RequestInput): SandboxRequest {
  const action: Action = input.block ? 'block' : 'log';
  if (input.command.length === 0) throw new UsageError('give the command to run after --, e.g. sandbox -- /bin/cat /etc/hostname');
  if (action === 'block' && !input.syscalls?.length) {
    throw new UsageError('--block needs --syscall NAME: blocking every syscall would stop the command from starting');
  }
  if (input.errno !== undefined && action !== 'block') throw new UsageError('--errno goes with --block');
  if (input.errno !== undefined) parseErrno(input.errno);
  const table = new SyscallTable(binding.syscalls);
  const syscalls = [...new Set((input.syscalls ?? []).map((s) => table.resolve(s).name))];
  const capacity = parseCapacity(input.capacity ?? SANDBOX_CAPACITY, capacityLimits(binding.constants));
  if (input.all && syscalls.length) throw new UsageError('--all or --syscall, not both');
  return { action, syscalls, all: input.all === true, errno: input.errno, capacity, command: [...input.command] };
}

/** The guest command's arguments for a request (what `__sandbox-guest` parses back). */
export function guestArgs(req: SandboxRequest, share: string): string[] {
  const args = ['__sandbox-guest', '--share', share, `--${req.action}`, '--capacity', String(req.capacity)];
  if (req.all) args.push('--all');
  for (const s of req.syscalls) args.push('--syscall', s);
  if (req.errno !== undefined) args.push('--errno', req.errno);
  return [...args, '--', ...req.command];
}
