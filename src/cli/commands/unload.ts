/* `syscallmon unload`: rmmod, refusing politely while someone holds the device. */
import { Command } from 'commander';
import type { Ctx } from '../context.js';
import { KernelError, PermissionError } from '../../lib/errors.js';
import { MODULE_NAME, ToolFailure, type Kmod } from '../kmod.js';
import { jsonLine } from '../../render/ndjson.js';
import { errnoFromToolOutput } from './load.js';

export interface UnloadResult {
  /** false when it was not loaded: unloading twice is harmless */
  unloaded: boolean;
}

function inUse(count: number | null): KernelError {
  const holders = count === null ? '' : ` (${count} reference${count === 1 ? '' : 's'})`;
  return new KernelError(
    `${MODULE_NAME} is in use${holders}: /dev/syscallmon is open, e.g. by a running \`syscallmon tail\`; stop it and retry`,
    { code: 'EBUSY' },
  );
}

export async function unloadModule(kmod: Kmod): Promise<UnloadResult> {
  if (!kmod.isLoaded()) return { unloaded: false };
  if (!kmod.isRoot()) throw new PermissionError('unloading a kernel module needs root; try `sudo syscallmon unload`');
  const refs = kmod.refcount();
  if (refs !== null && refs > 0) throw inUse(refs);
  try {
    await kmod.rmmod(MODULE_NAME);
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    const code = errnoFromToolOutput(e.stderr);
    if (code === 'EBUSY') throw inUse(kmod.refcount());
    if (code === 'EPERM' || code === 'EACCES') {
      throw new PermissionError(`the kernel refused to unload ${MODULE_NAME} (${code})`);
    }
    // Unloaded by someone else between the check and rmmod: the state asked for holds.
    if (!kmod.isLoaded()) return { unloaded: false };
    throw new KernelError(`rmmod ${MODULE_NAME} failed: ${e.stderr.trim()}${code ? ` (${code})` : ''}`, { code });
  }
  return { unloaded: true };
}

export function renderUnload(r: UnloadResult): string {
  return r.unloaded ? `unloaded ${MODULE_NAME}\n` : `${MODULE_NAME} is not loaded; nothing to do\n`;
}

export function unloadCommand(ctx: Ctx): Command {
  return new Command('unload')
    .description('unload the module (refused while /dev/syscallmon is open)')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const result = await unloadModule(ctx.io.kmod);
      await ctx.out(opts.json ? jsonLine(result) : renderUnload(result));
    });
}
