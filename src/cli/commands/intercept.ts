/*
 * `syscallmon intercept NAME [--json]`: the fourth seed's "intercept":
 * arm the probe of one syscall with an explicit, empty pid scope, so it
 * logs nothing until `syscallmon monitor start --syscall NAME --pid N`
 * puts a process in it.  Intercepting twice is the kernel's EBUSY
 * (SYSCALLMON_TARGET_EXCLUSIVE), as in the seed.
 *
 * Also home of what intercept, release and monitor share.
 */
import { Command } from 'commander';
import { SyscallmonError, KernelError, type TargetInfo, type Mode, type Monitor } from '../../lib/index.js';
import type { Ctx } from '../context.js';
import { jsonLine } from '../../render/ndjson.js';

export interface InterceptResult {
  syscall: string;
  nr: number;
  mode: Mode;
  previous_mode: Mode;
  /** tgids monitored: none yet */
  pids: number[];
}

/** "log, pids 12, 34" / "block with EPERM, every process" */
export function scopeText(t: Pick<TargetInfo, 'action' | 'errno' | 'pids'>): string {
  const action = t.action === 'block' ? `block with ${t.errno}` : 'log';
  const scope = t.pids === 'all' ? 'every process' : t.pids.length ? `pid${t.pids.length === 1 ? '' : 's'} ${t.pids.join(', ')}` : 'no pid';
  return `${action}, ${scope}`;
}

export function targetOf(m: Monitor, nr: number): TargetInfo | undefined {
  return m.status().targets.find((t) => t.nr === nr);
}

/**
 * A kernel refusal, reworded for this command: keeps the errno name (and
 * the exit code 5), says what it means here.
 */
export function refusal(e: unknown, what: string, meaning: Partial<Record<string, string>>): unknown {
  if (!(e instanceof SyscallmonError) || e.kind !== 'kernel' || e.code === undefined) return e;
  const why = meaning[e.code];
  if (why === undefined) return e;
  return new KernelError(`cannot ${what}: ${e.code} (${why})`, { cause: e.cause });
}

export function intercept(m: Monitor, name: string): InterceptResult {
  const entry = m.syscalls.resolve(name);
  const previous = m.status().mode;
  try {
    m.addTarget({ syscall: entry.nr, action: 'log', pids: 'none', exclusive: true });
  } catch (e) {
    const had = e instanceof SyscallmonError && e.code === 'EBUSY' ? targetOf(m, entry.nr) : undefined;
    throw refusal(e, `intercept ${entry.name}`, {
      EBUSY: had
        ? `already ${had.pids === 'all' ? 'targeted' : 'intercepted'}: ${scopeText(had)}; release it first: syscallmon release ${entry.name}`
        : `already intercepted; release it first: syscallmon release ${entry.name}`,
      ENOENT: `this kernel has no entry point ${entry.symbol}`,
    });
  }
  // A probe is armed only while the mode is not OFF: an intercept that armed
  // nothing would look like it worked and catch nothing.
  if (previous === 'off') m.setMode('log');
  return { syscall: entry.name, nr: entry.nr, mode: previous === 'off' ? 'log' : previous, previous_mode: previous, pids: [] };
}

export function modeLine(mode: Mode, previous: Mode): string {
  return mode === previous ? `mode ${mode.toUpperCase()} (unchanged)` : `mode ${mode.toUpperCase()} (was ${previous.toUpperCase()})`;
}

export function renderIntercept(r: InterceptResult): string {
  const lines = [`${r.syscall} (${r.nr}): intercepted; its probe is armed and no pid is monitored yet`];
  if (r.mode !== r.previous_mode) {
    lines.push(`${modeLine(r.mode, r.previous_mode)}: probes are armed only while the mode is not OFF`);
  } else {
    lines.push(modeLine(r.mode, r.previous_mode));
  }
  lines.push(`next: syscallmon monitor start --syscall ${r.syscall} --pid N`);
  return lines.join('\n') + '\n';
}

export function interceptCommand(ctx: Ctx): Command {
  return new Command('intercept')
    .description('arm a syscall\'s probe with an empty pid scope (then: monitor start); twice is EBUSY')
    .argument('<syscall>', 'syscall name or number')
    .option('--json', 'print the result as one JSON object')
    .action(async (name: string, opts: { json?: boolean }) => {
      ctx.syscalls().resolve(name);
      const m = ctx.openMonitor();
      let r: InterceptResult;
      try {
        r = intercept(m, name);
      } finally {
        m.close();
      }
      await ctx.out(opts.json ? jsonLine(r) : renderIntercept(r));
    });
}
