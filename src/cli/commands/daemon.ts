/*
 * `syscallmon daemon --policy FILE [--output FILE] [--metrics ADDR]
 * [--on-stop keep|off] [--ring-size SIZE]`: the service (src/daemon). Checks
 * the policy file first (a bad one changes nothing, exit 2), loads the module
 * if it is not loaded (the DKMS install by modprobe, else the build), then
 * runs until SIGTERM or SIGINT (exit 0) or until the device fails. A start
 * that fails after loading the module unloads it again.
 */
import { release } from 'node:os';
import { Command, Option } from 'commander';
import { Daemon, ON_STOP, type OnStop } from '../../daemon/daemon.js';
import { parseListenAddress } from '../../daemon/http.js';
import { NdjsonOutput } from '../../daemon/output.js';
import { HeldSignals } from '../../daemon/signals.js';
import { UsageError } from '../../lib/errors.js';
import { ensureModule, moduleLimits, unloadModule, type LoadResult } from '../../lib/module.js';
import type { Monitor } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { single } from '../options.js';
import { libraryPolicy } from '../../daemon/policy.js';
import { DEFAULT_COALESCE_MS } from './tail.js';
import { packageVersion } from './version.js';

interface DaemonFlags {
  policy: string;
  output?: string;
  metrics?: string;
  onStop?: OnStop;
  ringSize?: string;
}

function openOutput(path: string): NdjsonOutput {
  try {
    return NdjsonOutput.file(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new UsageError(`cannot open the output file ${path}: ${code}`);
  }
}

/** After a start that failed, the module this start loaded; one that cannot be unloaded is said, and the start's error stays the error. */
async function unloadAgain(ctx: Ctx, module: string): Promise<void> {
  try {
    if ((await unloadModule(ctx.io.kmod)).unloaded) await ctx.note(`syscallmon: daemon: unloaded ${module} again`);
  } catch (e) {
    await ctx.note(`syscallmon: daemon: cannot unload ${module} again: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function daemonCommand(ctx: Ctx): Command {
  return new Command('daemon')
    .description(
      'run as a service: apply a policy, write every event as NDJSON, serve Prometheus metrics ' +
        '(SIGHUP reloads the policy, SIGUSR1 reopens the output file, SIGTERM stops)',
    )
    .addOption(single(new Option('--policy <file>', 'the policy file (YAML or JSON) to apply, and to apply again on SIGHUP').makeOptionMandatory()))
    .addOption(single(new Option('--output <file>', 'append NDJSON to FILE instead of writing it to stdout (SIGUSR1 opens FILE again)')))
    .addOption(single(new Option('--metrics <addr>', 'serve /metrics and /healthz on ADDR: 127.0.0.1:9737, [::1]:9737, :9737 (every address)')))
    // No commander default: single() would take it for a first --on-stop.
    .addOption(
      single(new Option('--on-stop <what>', 'when the daemon stops, keep the policy running or turn the mode off (default: keep)').choices(ON_STOP)),
    )
    .addOption(single(new Option('--ring-size <size>', "the ring's size in bytes when the daemon loads the module (K, M, G); a loaded module must have it")))
    .action(async (opts: DaemonFlags) => {
      // First, before anything can wait: SIGHUP and SIGUSR1 are the daemon's from here on (signals.ts).
      const signals = new HeldSignals(ctx.io.signals);
      const binding = ctx.io.binding();
      const metrics = opts.metrics === undefined ? undefined : parseListenAddress(opts.metrics);
      const policy = libraryPolicy(binding);
      // A bad policy file or output stops everything before anything changes.
      policy.read(opts.policy);
      const output = opts.output === undefined ? NdjsonOutput.stdout(await ctx.stdoutFd()) : openOutput(opts.output);
      let daemon: Daemon<unknown>;
      let monitor: Monitor | undefined;
      let loaded: LoadResult | undefined;
      try {
        loaded = await ensureModule(ctx.io.kmod, opts.ringSize, moduleLimits(binding.constants));
        if (loaded.loaded) await ctx.note(`syscallmon: daemon: loaded ${loaded.module}`);
        monitor = ctx.openMonitor();
        daemon = await Daemon.start({
          monitor,
          policyPath: opts.policy,
          policy,
          output,
          onStop: opts.onStop ?? 'keep',
          metrics,
          build: { version: packageVersion(), kernel: release() },
          signals,
          note: (line) => void ctx.note(line),
          coalesceMs: DEFAULT_COALESCE_MS,
        });
      } catch (e) {
        monitor?.close();
        output.abandon();
        if (loaded?.loaded) await unloadAgain(ctx, loaded.module);
        throw e;
      }
      const s = await daemon.done;
      await ctx.note(
        `syscallmon: daemon stopped (${s.reason}): ${s.records} records written, ${s.lost} lost; ` +
          `${s.reloads} policy reloads, ${s.reloadFailures} failed`,
      );
    });
}
