/*
 * `syscallmon monitor start|stop --syscall NAME --pid N [--json]`: per-pid
 * monitoring, one pid at a time, on an intercepted syscall (a target with
 * an explicit pid scope).  Start on a pid that
 * doesn't exist is the kernel's ESRCH; on a syscall that isn't intercepted,
 * EINVAL.  A monitored process that exits leaves the scope by itself.
 */
import { Argument, Command } from 'commander';
import { SyscallmonError, UsageError, type Monitor } from '../../lib/index.js';
import type { Ctx } from '../context.js';
import { collect, collectNames, parsePid } from '../options.js';
import { refusal } from '../errors.js';

export type MonitorAction = 'start' | 'stop';

export interface MonitorResult {
  action: MonitorAction;
  syscall: string;
  nr: number;
  pid: number;
  /** false: start of a pid already monitored, stop of one that wasn't */
  changed: boolean;
  /** the scope afterwards */
  pids: number[];
}

function notInterceptedWhy(m: Monitor, nr: number, name: string): string {
  const t = m.target(nr);
  if (t?.pids === 'all') {
    return `${name} is targeted for every process, not per pid; syscallmon release ${name}, then syscallmon intercept ${name}`;
  }
  return `${name} is not intercepted; first: syscallmon intercept ${name}`;
}

export function monitorPid(m: Monitor, action: MonitorAction, name: string, pid: number): MonitorResult {
  const entry = m.syscalls.resolve(name);
  const before = m.target(entry.nr);
  const had = Array.isArray(before?.pids) && before.pids.includes(pid);
  const what = `${action} monitoring pid ${pid} for ${entry.name}`;
  try {
    if (action === 'start') m.addPids(entry.nr, [pid]);
    else m.removePids(entry.nr, [pid]);
  } catch (e) {
    const einval = e instanceof SyscallmonError && e.code === 'EINVAL' ? notInterceptedWhy(m, entry.nr, entry.name) : '';
    throw refusal(e, what, {
      EINVAL: einval,
      ESRCH: `no such process ${pid}`,
      ENOSPC: `${entry.name} already monitors the most pids a target holds`,
    });
  }
  const after = m.target(entry.nr);
  return {
    action,
    syscall: entry.name,
    nr: entry.nr,
    pid,
    changed: action === 'start' ? !had : had,
    pids: Array.isArray(after?.pids) ? after.pids : [],
  };
}

export function renderMonitor(r: MonitorResult): string {
  const now = r.pids.length ? `pids now ${r.pids.join(', ')}` : 'no pid monitored now';
  const head = `${r.syscall} (${r.nr}): `;
  if (r.action === 'start') {
    return head + (r.changed ? `monitoring pid ${r.pid}` : `pid ${r.pid} was already monitored`) + ` (${now})\n`;
  }
  return head + (r.changed ? `stopped monitoring pid ${r.pid}` : `pid ${r.pid} was not monitored; nothing to stop`) + ` (${now})\n`;
}

export function monitorCommand(ctx: Ctx): Command {
  return new Command('monitor')
    .description('start or stop monitoring one pid for an intercepted syscall')
    .addArgument(new Argument('<action>', 'start or stop').choices(['start', 'stop']))
    .requiredOption('--syscall <name>', 'the intercepted syscall (one)', collectNames)
    .requiredOption('--pid <pid>', 'the process (thread group id; one)', collect(parsePid))
    .option('--json', 'print the result as one JSON object')
    .action(async (action: MonitorAction, opts: { syscall: string[]; pid: number[]; json?: boolean }) => {
      // Collected rather than left to commander, which would keep the last
      // of two and drop the first without a word.
      const [syscall, pid] = [opts.syscall[0]!, opts.pid[0]!];
      if (opts.syscall.length > 1 || opts.pid.length > 1) {
        throw new UsageError(`monitor ${action} takes one --syscall and one --pid (run it once for each)`);
      }
      ctx.syscalls().resolve(syscall);
      await ctx.report(ctx.withMonitor((m) => monitorPid(m, action, syscall, pid)), opts.json, renderMonitor);
    });
}
