/*
 * `syscallmon load [--capacity N] [--clear-on-read]`: insmod the module
 * built for the running kernel (src/lib/module.ts), then open it once to
 * prove the tool and the module speak the same API version.
 */
import { Command } from 'commander';
import { MODULE_NAME } from '../../lib/kmod.js';
import { capacityLimits, loadModule, type LoadResult } from '../../lib/module.js';
import type { Ctx } from '../context.js';

export function renderLoad(r: LoadResult): string {
  const params =
    r.capacity === null
      ? ''
      : ` (capacity ${r.capacity} records, clear-on-read ${r.clear_on_read ? 'on' : 'off'})`;
  return r.loaded ? `loaded ${r.module}${params}\n` : `${MODULE_NAME} is already loaded${params}; nothing to do\n`;
}

export function loadCommand(ctx: Ctx): Command {
  return new Command('load')
    .description('load the module built for the running kernel (needs root and a kernel that loads modules)')
    .option('--capacity <records>', 'ring size in records: a power of two (default 1024)')
    .option('--clear-on-read', 'drop records once any reader of /proc/syscallmon/log has read them', false)
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { capacity?: string; clearOnRead: boolean; json?: boolean }) => {
      const limits = capacityLimits(ctx.io.binding().constants);
      const result = await loadModule(ctx.io.kmod, { capacity: opts.capacity, clearOnRead: opts.clearOnRead }, limits);
      if (result.loaded) ctx.openMonitor().close(); // proves the API versions match; throws a version error if not
      await ctx.report(result, opts.json, renderLoad);
    });
}
