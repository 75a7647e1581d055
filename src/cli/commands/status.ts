/*
 * `syscallmon status [--json]`: mode, targets with actions and scopes,
 * per-target counters, missed probes, lost and overwritten records.
 * --json prints the library's Status as it is.
 */
import { Command } from 'commander';
import type { Status } from '../../lib/status.js';
import type { Ctx } from '../context.js';
import { jsonLine } from '../../render/ndjson.js';
import { renderStatus } from '../../render/status.js';

export function statusCommand(ctx: Ctx): Command {
  return new Command('status')
    .description('mode, targets and their counters, ring usage, lost and missed events')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const monitor = ctx.openMonitor();
      let status: Status;
      try {
        status = monitor.status();
      } finally {
        monitor.close();
      }
      await ctx.out(opts.json ? jsonLine(status) : renderStatus(status, ctx.colour));
    });
}
