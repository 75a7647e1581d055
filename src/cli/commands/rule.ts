/*
 * `syscallmon rule add --name NAME --syscall X… [selectors] [--action A] [--audit] [--errno E]`
 * `syscallmon rule delete NAME|ID…`
 * `syscallmon rule list [--json]`
 *
 * Rules added by hand: they stay until deleted (or the module is unloaded),
 * after the policy's rules and before the syscalls' targets.  Adding a rule
 * under a name it already has replaces it where it stands, keeping its id
 * and counters.  The mode stays the master switch: rule add never changes
 * it, and says when the mode keeps the rule from acting.
 */
import { Argument, Command, Option } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { Monitor } from '../../lib/monitor.js';
import type { Rule, RuleInfo } from '../../lib/rules.js';
import type { Mode } from '../../lib/status.js';
import type { Palette } from '../../render/colour.js';
import { renderRules, ruleActionText, ruleCoversText, ruleSelectorsText } from '../../render/status.js';
import { sanitize } from '../../render/sanitize.js';
import type { Ctx } from '../context.js';
import { single } from '../options.js';
import { addActionFlags, addSelectorFlags, ruleOf, type RuleFlags } from '../rule-flags.js';

type RuleVerb = 'add' | 'delete' | 'list';

export interface RuleChange {
  change: 'added' | 'replaced' | 'deleted';
  rule: RuleInfo;
}

export interface RuleResult {
  mode: Mode;
  rules: RuleChange[];
}

/** "#7 no-shadow: block with EPERM; openat, openat2; comm cat": a rule in a line. */
export function ruleLine(r: RuleInfo): string {
  return `#${r.id} ${sanitize(r.name)}: ${ruleActionText(r)}; ${ruleCoversText(r)}; ${ruleSelectorsText(r)}`;
}

/**
 * Why the mode keeps these rules from doing what they say, or null: OFF
 * arms nothing; LOG has enforced block and kill rules only record what they
 * would do.
 */
export function modeNote(mode: Mode, rules: readonly Pick<RuleInfo, 'name' | 'action' | 'enforce'>[]): string | null {
  if (rules.length === 0) return null;
  if (mode === 'off') return 'mode OFF: no rule acts until syscallmon --log (or --block)';
  if (mode !== 'log') return null;
  const held = rules.filter((r) => (r.action === 'block' || r.action === 'kill') && r.enforce);
  if (held.length === 0) return null;
  return `mode LOG: ${held.map((r) => sanitize(r.name)).join(', ')} only record${held.length === 1 ? 's' : ''} would_${held[0]!.action}; syscallmon --block to enforce`;
}

export function renderRuleResult(r: RuleResult, colour: Palette): string {
  let out = r.rules.map((c) => `${ruleLine(c.rule)} (${c.change})\n`).join('');
  const note = modeNote(r.mode, r.rules.filter((c) => c.change !== 'deleted').map((c) => c.rule));
  if (note) out += colour.warn(note) + '\n';
  return out;
}

/** Adds a hand rule; returns it as the module lists it. */
export function addHandRule(m: Monitor, rule: Rule): RuleChange {
  const existed = m.rules().some((r) => r.name === rule.name && r.rule_class === 'hand');
  const id = m.addRule(rule);
  return { change: existed ? 'replaced' : 'added', rule: m.rule(id) };
}

/** The rule by name, or by id when it is all digits (rule names never are). */
function ruleRef(text: string): string | number {
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}

interface RuleCommandFlags extends RuleFlags {
  json?: boolean;
}

const ADD_ONLY: readonly (keyof RuleCommandFlags)[] = [
  'name', 'action', 'audit', 'errno', 'force', 'record', 'failedOnly', 'syscall',
  'uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path', 'pid', 'tree',
];

const FLAG_OF: Partial<Record<keyof RuleCommandFlags, string>> = { failedOnly: 'failed-only' };

export function ruleCommand(ctx: Ctx): Command {
  const cmd = new Command('rule')
    .description('add, delete or list rules by hand (they stay until deleted); see also run and protect')
    .usage(
      'add --name NAME --syscall NAME|@FAMILY... [selectors] [--action allow|log|block|kill] [--audit] [--errno E]\n' +
        '       syscallmon rule delete NAME|ID...\n' +
        '       syscallmon rule list [--json]',
    )
    .addArgument(new Argument('<verb>', 'add, delete or list').choices(['add', 'delete', 'list']))
    .argument('[rules...]', 'delete: the rules, by name or id')
    .addOption(single(new Option('--name <name>', 'add: the rule\'s name (letters, digits and . _ - : @ + /); an existing rule of that name is replaced')));
  addActionFlags(cmd);
  addSelectorFlags(cmd, true);
  return cmd
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      '\nRules are evaluated in order, the first that matches decides: the policy\'s, then these (in the order added), ' +
        'then those of running `syscallmon run` and the like, then the syscalls\' targets. --action defaults to log; ' +
        'block and kill are enforced unless --audit, and act only while the mode is BLOCK.\n',
    )
    .action(async (verb: RuleVerb, refs: string[], flags: RuleCommandFlags) => {
      if (verb !== 'add') {
        const given = ADD_ONLY.filter((k) => flags[k] !== undefined).map((k) => `--${FLAG_OF[k] ?? k}`);
        if (given.length) throw new UsageError(`${given.join(' ')} ${given.length === 1 ? 'goes' : 'go'} with rule add, not rule ${verb}`);
      }
      if (verb === 'list') {
        if (refs.length) throw new UsageError('rule list takes no names (it lists every rule)');
        const rules = ctx.withMonitor((m) => m.rules());
        await ctx.report({ rules }, flags.json, (r) => (r.rules.length ? renderRules(r.rules, ctx.colour) : 'no rules\n'));
        return;
      }
      if (verb === 'delete') {
        if (refs.length === 0) throw new UsageError('rule delete needs the rules to delete, by name or id');
        const result = ctx.withMonitor((m): RuleResult => {
          // Every name resolved before the first deletion: a typo deletes nothing.
          // A rule named twice (by name, by id, or both) is deleted once.
          const found = [...new Map(refs.map((ref) => {
            const rule = m.rule(ruleRef(ref));
            return [rule.id, rule] as const;
          })).values()];
          m.deleteRules(found.map((r) => r.id));
          return { mode: m.status().mode, rules: found.map((rule) => ({ change: 'deleted', rule })) };
        });
        await ctx.report(result, flags.json, (r) => renderRuleResult(r, ctx.colour));
        return;
      }
      if (refs.length) throw new UsageError(`rule add takes its name as --name, not '${refs[0]}'`);
      if (flags.name === undefined) throw new UsageError('rule add needs --name NAME');
      const rule = ruleOf(flags.name, flags.action ?? 'log', flags);
      // A bad rule is a usage error whether or not the module is loaded.
      Monitor.checkRule(rule, { binding: ctx.io.binding() });
      const result = ctx.withMonitor((m): RuleResult => ({ rules: [addHandRule(m, rule)], mode: m.status().mode }));
      await ctx.report(result, flags.json, (r) => renderRuleResult(r, ctx.colour));
    });
}
