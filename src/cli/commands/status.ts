/*
 * `syscallmon status [--json]`: mode, targets with actions and scopes,
 * per-target counters, missed probes, lost and overwritten records.
 * --json prints the library's Status as it is.
 */
import { Command } from 'commander';
import type { Ctx } from '../context.js';
import { renderStatus } from '../../render/status.js';

export function statusCommand(ctx: Ctx): Command {
  return new Command('status')
    .description('mode, targets and their counters, ring usage, lost and missed events')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      await ctx.report(ctx.withMonitor((m) => m.status()), opts.json, (s) => renderStatus(s, ctx.colour));
    });
}
