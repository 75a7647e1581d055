/*
 * The half of `syscallmon sandbox` that stays on the host: boot the VM with
 * this package's own binary as the guest command, then read back what the
 * guest left in the share (request.ts) as decoded events.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Binding } from '../lib/binding.js';
import { SyscallmonError } from '../lib/errors.js';
import { EventDecoder, type MonitorEvent } from '../lib/events.js';
import { VmError } from '../vm/errors.js';
import type { VmRunOptions, VmRunResult } from '../vm/runner.js';
import { guestArgs, SHARE_FILES, type GuestError, type GuestResult, type SandboxRequest } from './request.js';

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
}

export interface SandboxOutcome {
  result: GuestResult;
  events: MonitorEvent[];
  cmdStdout: Buffer;
  cmdStderr: Buffer;
  bootSeconds: number;
  commandSeconds: number;
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export async function runSandbox(deps: HostDeps, req: SandboxRequest, signal: AbortSignal): Promise<SandboxOutcome> {
  const share = mkdtempSync(join(tmpdir(), 'syscallmon-sandbox-'));
  try {
    const run = await deps.vm.run({
      command: [process.execPath, BIN, ...guestArgs(req, share)],
      cwd: process.cwd(),
      hostPaths: [PACKAGE_ROOT],
      shareDir: share,
      signal,
      onConsole: deps.onConsole,
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
    return {
      result,
      events: EventDecoder.forBinding(deps.binding).decode(readFileSync(join(share, SHARE_FILES.events))),
      cmdStdout: readFileSync(join(share, SHARE_FILES.stdout)),
      cmdStderr: readFileSync(join(share, SHARE_FILES.stderr)),
      bootSeconds: run.bootSeconds,
      commandSeconds: run.commandSeconds,
    };
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}
