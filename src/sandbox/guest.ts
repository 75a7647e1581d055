/*
 * The half of `syscallmon sandbox` that runs inside the VM: load the
 * module and run the command as `syscallmon run` does (src/run: the gate,
 * the process-tree rule, which records are CMD's), handing it the host's
 * stdin once the gate is open (stdio.ts) and writing the kept records, as
 * the module wrote them, to the share for the host to decode.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Binding } from '../lib/binding.js';
import { SyscallmonError } from '../lib/errors.js';
import type { Kmod } from '../lib/kmod.js';
import { loadModule, moduleLimits } from '../lib/module.js';
import { Monitor } from '../lib/monitor.js';
import type { Launch } from '../run/gate.js';
import { runTraced } from '../run/run.js';
import { requestRule, SandboxError, SHARE_FILES, type GuestError, type GuestResult, type SandboxRequest } from './request.js';
import { feedStdin, relayOutput } from './stdio.js';

export interface GuestDeps {
  binding: Binding;
  kmod: Kmod;
  launch: Launch;
}

/** A request, and CMD's file as the gate's shell will find it (command.ts). */
export interface GuestRequest {
  request: SandboxRequest;
  file: string;
  execPath: string;
}

/** Runs the command under the module; leaves its records and output in share. */
export async function runGuest(deps: GuestDeps, { request: req, file, execPath }: GuestRequest, share: string): Promise<GuestResult> {
  if (!deps.kmod.isLoaded()) {
    await loadModule(deps.kmod, { ringSize: req.ringSize, clearOnRead: false }, moduleLimits(deps.binding.constants));
  }
  const m = Monitor.open({ binding: deps.binding });
  const events = openSync(join(share, SHARE_FILES.events), 'w');
  const output = relayOutput(share);
  const stop = new AbortController();
  let feeding: Promise<void> = Promise.resolve();
  try {
    const outcome = await runTraced(
      m,
      { command: req.command, file, execPath, rule: requestRule(req, m.syscalls), exits: req.exits },
      {
        launch: deps.launch,
        stdio: { stdin: 'pipe', stdout: output.fd, stderr: output.fd },
        onRecords: (records) => void writeSync(events, records),
        started: (cmd) => {
          if (cmd.input) feeding = feedStdin(share, cmd.input, stop.signal);
        },
      },
    );
    return {
      pid: outcome.pid,
      exit_code: outcome.exit.code,
      signal: outcome.exit.signal,
      lost: outcome.lost,
      syscalls: outcome.syscalls,
    };
  } finally {
    stop.abort();
    await feeding;
    m.close();
    closeSync(events);
    output.finish();
  }
}

/**
 * Leaves the result, or the failure (a request the guest cannot read
 * included), in the share for the host; a failure is thrown on as well.
 */
export async function runGuestReporting(deps: GuestDeps, request: () => GuestRequest, share: string): Promise<void> {
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
