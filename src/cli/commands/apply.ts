/*
 * `syscallmon apply FILE [--dry-run] [--json]`: a policy file made the
 * running policy in one replacement (mode, exit events and the policy's
 * rules; rules made by hand stay), after printing what changes. The file
 * is read and checked before the device is opened: a bad one changes
 * nothing and exits 2.
 */
import { Command } from 'commander';
import { applyPolicy, policyContext, readPolicyFile, renderDiff } from '../../lib/index.js';
import type { Ctx } from '../context.js';

export function applyCommand(ctx: Ctx): Command {
  return new Command('apply')
    .description('make a policy file (YAML or JSON) the running policy, in one step; prints what changes')
    .argument('<policy-file>', 'YAML or JSON (see `syscallmon policy show` for the format)')
    .option('--dry-run', 'print what would change, and change nothing')
    .option('--json', 'print what changes as one JSON object')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }) => {
      const doc = readPolicyFile(file, policyContext(ctx.io.binding()));
      const diff = ctx.withMonitor((m) => applyPolicy(m, doc, { dryRun: opts.dryRun === true }));
      await ctx.report(diff, opts.json, renderDiff);
    });
}
