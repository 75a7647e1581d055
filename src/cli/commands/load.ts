/*
 * `syscallmon load [--ring-size SIZE] [--return-slots N] [--clear-on-read]`:
 * insmod the module built for the running kernel (src/lib/module.ts), then
 * open it once to prove the tool and the module speak the same API version.
 */
import { Command, Option } from 'commander';
import { MODULE_NAME } from '../../lib/kmod.js';
import { bytesText, loadModule, moduleLimits, type LoadResult } from '../../lib/module.js';
import type { Ctx } from '../context.js';
import { single } from '../options.js';

export function renderLoad(r: LoadResult): string {
  const params: string[] = [];
  if (r.ring_size !== null) params.push(`ring ${bytesText(r.ring_size)}`);
  if (r.return_slots !== null) params.push(`${r.return_slots} return slots`);
  if (r.clear_on_read !== null) params.push(`clear-on-read ${r.clear_on_read ? 'on' : 'off'}`);
  const what = params.length ? ` (${params.join(', ')})` : '';
  return r.loaded ? `loaded ${r.module}${what}\n` : `${MODULE_NAME} is already loaded${what}; nothing to do\n`;
}

interface LoadFlags {
  ringSize?: string;
  returnSlots?: string;
  clearOnRead: boolean;
  json?: boolean;
}

export function loadCommand(ctx: Ctx): Command {
  return new Command('load')
    .description('load the module built for the running kernel (needs root and a kernel that loads modules)')
    .addOption(single(new Option('--ring-size <size>', 'the ring\'s size in bytes, a power of two; K, M, G multiply by 1024s (default 1M)')))
    .addOption(single(new Option('--return-slots <n>', 'calls followed to their return at once; a call beyond them is recorded at entry, without its result (default 4096)')))
    .option('--clear-on-read', 'drop records once any reader of /proc/syscallmon/log has read them', false)
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: LoadFlags) => {
      const limits = moduleLimits(ctx.io.binding().constants);
      const result = await loadModule(
        ctx.io.kmod,
        { ringSize: opts.ringSize, returnSlots: opts.returnSlots, clearOnRead: opts.clearOnRead },
        limits,
      );
      // Opening proves the API versions match (a version error if not).  One already loaded may be
      // an older build left from before an upgrade: said now rather than by every later command.
      // Without root the device cannot be opened, and loading nothing needs none.
      if (result.loaded || ctx.io.kmod.isRoot()) ctx.openMonitor().close();
      await ctx.report(result, opts.json, renderLoad);
    });
}
