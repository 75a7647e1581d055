/*
 * The half of `syscallmon sandbox` that stays on the host: boot the VM with
 * this package's own binary as the guest command, forward stdin to CMD and
 * CMD's output back while it runs (stdio.ts), then read back what the guest
 * left in the share (request.ts) as decoded events.  Every way the sandbox
 * itself fails is a SandboxError with the status to exit with.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Binding } from '../lib/binding.js';
import { EventDecoder, type MonitorEvent } from '../lib/events.js';
import { VmError } from '../vm/errors.js';
import type { VmRunOptions, VmRunResult } from '../vm/runner.js';
import {
  guestArgs,
  SANDBOX_STATUS,
  SandboxError,
  SHARE_FILES,
  signalNumber,
  type GuestError,
  type GuestResult,
  type SandboxRequest,
} from './request.js';
import { followOutput, forwardStdin, prepareStdin } from './stdio.js';

/** The package root: dist/sandbox (or src/sandbox under a TS loader) → ../.. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(PACKAGE_ROOT, 'bin', 'syscallmon');

/** What boots the VM (src/vm/runner.ts's runInVm, or a fake in tests). */
export interface VmRunner {
  run(opts: VmRunOptions): Promise<VmRunResult>;
}

export interface HostDeps {
  binding: Binding;
  vm: VmRunner;
  /** the VM's serial console as it is written (boot messages, kernel errors) */
  onConsole?: (text: string) => void;
  /** CMD's stdout and stderr, in the order CMD wrote them, as they come */
  onOutput: (bytes: Buffer) => void;
  /** what CMD reads on its stdin; none: CMD's stdin is empty */
  stdin?: NodeJS.ReadableStream;
  /** where CMD was found on the host: its directory is kept visible in the VM */
  commandFile?: string;
}

export interface SandboxOutcome {
  result: GuestResult;
  events: MonitorEvent[];
  bootSeconds: number;
  commandSeconds: number;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new SandboxError(SANDBOX_STATUS.failed, `the guest left its ${basename(path)} unreadable: ${(e as Error).message}`, { cause: e });
  }
}

/** The VM run, its failures as SandboxErrors: an interrupt is 128 + the signal that asked for it. */
async function boot(vm: VmRunner, opts: VmRunOptions, signal: AbortSignal): Promise<VmRunResult> {
  try {
    return await vm.run(opts);
  } catch (e) {
    if (!(e instanceof VmError)) throw e;
    if (e.code === 'EABORTED') {
      // The reason is the signal's name ('SIGINT'), or 'EPIPE' when stdout's reader went away.
      const reason = typeof signal.reason === 'string' ? signal.reason : 'SIGTERM';
      const name = reason === 'EPIPE' ? 'SIGPIPE' : reason;
      const n = signalNumber(name) ?? signalNumber('SIGTERM')!;
      throw new SandboxError(SANDBOX_STATUS.signalBase + n, `interrupted by ${name}; the VM was stopped`, { cause: e });
    }
    throw new SandboxError(SANDBOX_STATUS.failed, `the VM failed: ${e.message}`, { cause: e });
  }
}

function nonEmpty(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

/**
 * A failure of the sandbox's own machinery that is no SandboxError (a file
 * it cannot read or write: the initramfs cache, the share, what the guest
 * left) is the sandbox's failure too: 125, never a status CMD could have
 * exited with.
 */
function asSandboxError(e: unknown): SandboxError {
  if (e instanceof SandboxError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SandboxError(SANDBOX_STATUS.failed, message, { cause: e });
}

export async function runSandbox(deps: HostDeps, req: SandboxRequest, signal: AbortSignal): Promise<SandboxOutcome> {
  let share: string;
  try {
    share = mkdtempSync(join(tmpdir(), 'syscallmon-sandbox-'));
  } catch (e) {
    throw asSandboxError(e);
  }
  // Kept when the sandbox failed: its console log is what says why.
  let keep = false;
  try {
    prepareStdin(share, deps.stdin !== undefined);
    const stdin = deps.stdin ? forwardStdin(share, deps.stdin) : undefined;
    const output = followOutput(share, deps.onOutput);
    let run: VmRunResult;
    try {
      run = await boot(
        deps.vm,
        {
          command: [process.execPath, BIN, ...guestArgs(req, share)],
          env: { PATH: req.path },
          cwd: process.cwd(),
          // The guest half runs this node on this package, each of which may be
          // where the VM has a tmpfs (/tmp: a node unpacked by CI), as may CMD's own directory.
          hostPaths: [PACKAGE_ROOT, dirname(process.execPath), ...(deps.commandFile ? [dirname(deps.commandFile)] : [])],
          shareDir: share,
          // CMD runs as long as it runs, as under `run` (a build under TCG can take hours):
          // Ctrl-C, or timeout(1) around syscallmon, stops it.
          timeoutMs: Infinity,
          signal,
          onConsole: deps.onConsole,
        },
        signal,
      );
    } finally {
      stdin?.stop();
      output.stop();
    }
    const failure = readJson<GuestError>(join(share, SHARE_FILES.error));
    if (failure) {
      if (failure.status !== undefined) throw new SandboxError(failure.status, `in the VM: ${failure.message}`);
      throw new SandboxError(SANDBOX_STATUS.failed, `in the VM: ${failure.message}`);
    }
    const result = readJson<GuestResult>(join(share, SHARE_FILES.result));
    if (!result) {
      keep = true;
      throw new SandboxError(
        SANDBOX_STATUS.failed,
        `the VM ran but the sandbox reported nothing (guest exit ${run.exitCode}); console log: ${run.consoleLog}`,
      );
    }
    return {
      result,
      events: EventDecoder.forBinding(deps.binding).decode(readFileSync(join(share, SHARE_FILES.events))),
      bootSeconds: run.bootSeconds,
      commandSeconds: run.commandSeconds,
    };
  } catch (e) {
    // Kept only when the VM wrote to its console log, and then named: a VM
    // that never booted (no kernel, no QEMU, QEMU refusing its arguments)
    // left nothing there worth a leftover directory.
    const failure = asSandboxError(e);
    const vmError = failure.cause instanceof VmError && failure.cause.code !== 'EABORTED' ? failure.cause : undefined;
    const log = vmError?.consoleLog;
    if (log === undefined || !nonEmpty(log)) throw failure;
    keep = true;
    if (failure.message.includes(log)) throw failure;
    throw new SandboxError(failure.status, `${failure.message}; console log: ${log}`, { cause: vmError });
  } finally {
    if (!keep) rmSync(share, { recursive: true, force: true });
  }
}
