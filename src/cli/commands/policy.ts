/*
 * `syscallmon policy show [--json]`: the running policy (mode, exit
 * events, the policy's rules) as a policy file, YAML or JSON, that `apply`
 * takes back unchanged. Rules made by hand, by a command or owned by an
 * open file are not the policy's: `status` shows them.
 */
import { Argument, Command } from 'commander';
import { renderPolicy, runningPolicy } from '../../lib/index.js';
import type { Ctx } from '../context.js';

export function policyCommand(ctx: Ctx): Command {
  return new Command('policy')
    .description('show the running policy as a policy file (what `apply` takes)')
    .addArgument(new Argument('<action>', 'show').choices(['show']))
    .option('--json', 'as JSON instead of YAML')
    .action(async (_action: 'show', opts: { json?: boolean }) => {
      const doc = ctx.withMonitor((m) => runningPolicy(m));
      await ctx.out(renderPolicy(doc, opts.json ? 'json' : 'yaml'));
    });
}
