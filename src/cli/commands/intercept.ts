/*
 * `syscallmon intercept NAME [--json]`: per-pid interception's first step:
 * arm the probe of one syscall with an explicit, empty pid scope, so it
 * logs nothing until `syscallmon monitor start --syscall NAME --pid N`
 * puts a process in it.  Intercepting twice is the kernel's EBUSY
 * (SYSCALLMON_TARGET_EXCLUSIVE).
 */
import { Command } from 'commander';
import { SyscallmonError, type Mode, type Monitor } from '../../lib/index.js';
import type { Ctx } from '../context.js';
import { refusal, stuckText, withStuck } from '../errors.js';
import { modeChangeText, targetText } from '../../render/status.js';

export interface InterceptResult {
  syscall: string;
  nr: number;
  mode: Mode;
  previous_mode: Mode;
  /** tgids monitored: none yet */
  pids: number[];
}

export function intercept(m: Monitor, name: string): InterceptResult {
  const entry = m.syscalls.resolve(name);
  // As set: a run's hold on LOG ends with it, and the probe would go unarmed then.
  const previous = m.status().mode_set;
  try {
    m.addTarget({ syscall: entry.nr, action: 'log', pids: 'none', exclusive: true });
  } catch (e) {
    const had = e instanceof SyscallmonError && e.code === 'EBUSY' ? m.target(entry.nr) : undefined;
    throw refusal(e, `intercept ${entry.name}`, {
      EBUSY: had
        ? `already ${had.pids === 'all' ? 'targeted' : 'intercepted'}: ${targetText(had)}; release it first: syscallmon release ${entry.name}`
        : `already intercepted; release it first: syscallmon release ${entry.name}`,
      ENOENT: `this kernel has no entry point ${entry.symbol}`,
    });
  }
  // A probe is armed only while the mode is not OFF: an intercept that armed
  // nothing would look like it worked and catch nothing.
  if (previous === 'off') {
    try {
      m.setMode('log');
    } catch (e) {
      // The intercept is whole or not at all.
      try {
        m.removeTarget(entry.nr);
      } catch (again) {
        throw withStuck(e, [stuckText(`the ${entry.name} target`, again)]);
      }
      throw e;
    }
  }
  return { syscall: entry.name, nr: entry.nr, mode: previous === 'off' ? 'log' : previous, previous_mode: previous, pids: [] };
}

export function renderIntercept(r: InterceptResult): string {
  const lines = [`${r.syscall} (${r.nr}): intercepted; its probe is armed and no pid is monitored yet`];
  if (r.mode !== r.previous_mode) {
    lines.push(`${modeChangeText(r.mode, r.previous_mode)}: probes are armed only while the mode is not OFF`);
  } else {
    lines.push(modeChangeText(r.mode, r.previous_mode));
  }
  lines.push(`next: syscallmon monitor start --syscall ${r.syscall} --pid N`);
  return lines.join('\n') + '\n';
}

/**
 * A command NAME SYSCALL [--json] that does one thing to one syscall's
 * target (intercept, release): the name is checked before the device is opened.
 */
export function syscallCommand<T>(ctx: Ctx, name: string, description: string, run: (m: Monitor, syscall: string) => T,
  render: (r: T) => string): Command {
  return new Command(name)
    .description(description)
    .argument('<syscall>', 'syscall name or number')
    .option('--json', 'print the result as one JSON object')
    .action(async (syscall: string, opts: { json?: boolean }) => {
      ctx.syscalls().resolve(syscall);
      await ctx.report(ctx.withMonitor((m) => run(m, syscall)), opts.json, render);
    });
}

export function interceptCommand(ctx: Ctx): Command {
  return syscallCommand(ctx, 'intercept',
    'arm a syscall\'s probe with an empty pid scope (then: monitor start); twice is EBUSY', intercept, renderIntercept);
}
