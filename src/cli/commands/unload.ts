/* `syscallmon unload`: rmmod, refusing politely while someone holds the device (src/lib/module.ts). */
import { Command } from 'commander';
import { MODULE_NAME } from '../../lib/kmod.js';
import { unloadModule, type UnloadResult } from '../../lib/module.js';
import type { Ctx } from '../context.js';

export function renderUnload(r: UnloadResult): string {
  return r.unloaded ? `unloaded ${MODULE_NAME}\n` : `${MODULE_NAME} is not loaded; nothing to do\n`;
}

export function unloadCommand(ctx: Ctx): Command {
  return new Command('unload')
    .description('unload the module (refused while /dev/syscallmon is open)')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const result = await unloadModule(ctx.io.kmod);
      await ctx.report(result, opts.json, renderUnload);
    });
}
