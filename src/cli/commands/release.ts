/*
 * `syscallmon release NAME [--json]`: per-pid interception's last step:
 * remove the target, which disarms its probe and forgets its pids.
 * Releasing what isn't intercepted is the kernel's EINVAL.
 */
import type { Command } from 'commander';
import type { Monitor, TargetSettings } from '../../lib/index.js';
import type { Ctx } from '../context.js';
import { refusal } from '../errors.js';
import { syscallCommand } from './intercept.js';
import { targetText } from '../../render/status.js';

export interface ReleaseResult {
  syscall: string;
  nr: number;
  /** what the target was, for the record */
  was: Pick<TargetSettings, 'action' | 'errno' | 'pids'> | null;
}

export function release(m: Monitor, name: string): ReleaseResult {
  const entry = m.syscalls.resolve(name);
  const had = m.target(entry.nr);
  try {
    m.removeTarget(entry.nr);
  } catch (e) {
    throw refusal(e, `release ${entry.name}`, { EINVAL: `${entry.name} is not intercepted` });
  }
  return {
    syscall: entry.name,
    nr: entry.nr,
    was: had ? { action: had.action, errno: had.errno, pids: had.pids } : null,
  };
}

export function renderRelease(r: ReleaseResult): string {
  const was = r.was ? ` (was: ${targetText(r.was)})` : '';
  return `${r.syscall} (${r.nr}): released; its probe is disarmed${was}\n`;
}

export function releaseCommand(ctx: Ctx): Command {
  return syscallCommand(ctx, 'release',
    'remove a syscall\'s target and disarm its probe; EINVAL if it is not intercepted', release, renderRelease);
}
