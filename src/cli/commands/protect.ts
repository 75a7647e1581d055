/*
 * `syscallmon protect FILE... [--allow SELECTOR=VALUE[,...]]... [--ops open,exec,...] [--audit] [--name NAME]`
 * `syscallmon unprotect FILE...|--name NAME`
 *
 * File rules by hand, decided on the file itself at the kernel's security
 * hooks (README, "File rules"): per FILE, one allow rule per --allow, then
 * the block rule, in that order.  They persist like auditd's rules, until
 * unprotect (or rule delete, or the module's unload).  Their names are
 * protect:FILE (or --name), and protect:FILE:allow:N for the exceptions:
 * how unprotect finds them again.  Nothing is half-applied: a rule the
 * kernel refuses takes back the ones added before it.
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { Monitor } from '../../lib/monitor.js';
import { FILE_OPS, type FileOp, type Rule, type RuleInfo } from '../../lib/rules.js';
import type { Ctx } from '../context.js';
import { stuckText, withStuck } from '../errors.js';
import { collectNames, single } from '../options.js';
import { absolutePath, parseAllow, selectorsOf, type SelectorFlags } from '../rule-flags.js';
import { renderRuleResult, type RuleResult } from './rule.js';

interface ProtectFlags {
  allow?: SelectorFlags[];
  ops?: string[];
  audit?: boolean;
  errno?: string;
  name?: string;
  json?: boolean;
}

const NAME_PREFIX = 'protect:';
/** What a rule name may hold (src/lib/rules.ts). */
const NAME_CHARS = /^[A-Za-z0-9._:@+/-]+$/;

/** The block rule's name for file: protect:FILE, or the name given. */
export function protectName(file: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const name = NAME_PREFIX + file;
  if (!NAME_CHARS.test(name) || name.length >= 64 - ':allow:99'.length) {
    throw new UsageError(`${file}: its path can't be a rule name (too long, or characters other than letters, digits and . _ - : @ + /); give --name NAME`);
  }
  return name;
}

function allowName(base: string, i: number): string {
  return `${base}:allow:${i + 1}`;
}

function parseOps(names: readonly string[] | undefined): FileOp[] {
  if (names === undefined) return [...FILE_OPS];
  for (const op of names) {
    if (!(FILE_OPS as readonly string[]).includes(op)) throw new UsageError(`--ops: unknown access '${op}' (one of ${FILE_OPS.join(', ')})`);
  }
  return [...new Set(names as FileOp[])];
}

/** The rules for one file, in the order they are added: the exceptions, then the block. */
export function protectRules(file: string, flags: ProtectFlags, cwd?: string): Rule[] {
  const base = protectName(file, flags.name);
  const fileOps = parseOps(flags.ops);
  const allows = (flags.allow ?? []).map((sel, i): Rule => ({ name: allowName(base, i), action: 'allow', file, fileOps, ...selectorsOf(sel, cwd) }));
  const block: Rule = {
    name: base,
    action: 'block',
    file,
    fileOps,
    enforce: !flags.audit,
    ...(flags.errno !== undefined ? { errno: flags.errno } : {}),
  };
  return [...allows, block];
}

/**
 * The rules protect made under base: the block rule and its exceptions,
 * file rules all.  A syscall rule that happens to bear the name is the
 * user's own, which unprotect --name must not delete.
 */
function rulesUnder(rules: readonly RuleInfo[], base: string): RuleInfo[] {
  return rules.filter((r) => r.rule_class === 'hand' && r.file !== null && (r.name === base || r.name.startsWith(`${base}:allow:`)));
}

export function protect(m: Monitor, given: readonly Rule[][]): RuleResult {
  const before = m.rules();
  // A file given twice (by two paths to the same name) is protected once.
  const sets = [...new Map(given.map((rules) => [rules[rules.length - 1]!.name, rules])).values()];
  for (const rules of sets) {
    const base = rules[rules.length - 1]!.name;
    const held = rulesUnder(before, base);
    // Added again, a block rule would stay where it is, after new exceptions: refused instead.
    if (held.length) {
      throw new UsageError(`${rules[0]!.file} is already protected (${held.map((r) => r.name).join(', ')}); syscallmon unprotect it first`);
    }
    // The module would replace a hand rule of the same name where it stands: the user's rule, gone.
    const names = new Set(rules.map((r) => r.name));
    const taken = before.find((r) => r.rule_class === 'hand' && names.has(r.name));
    if (taken) throw new UsageError(`the name ${taken.name} is taken by rule #${taken.id}, which protect did not make; give another --name`);
  }
  const added: number[] = [];
  try {
    for (const rules of sets) for (const r of rules) added.push(m.addRule(r));
  } catch (e) {
    try {
      m.deleteRules(added);
    } catch (again) {
      throw withStuck(e, [stuckText(`the rules added before it (${added.map((id) => `#${id}`).join(', ')})`, again)]);
    }
    throw e;
  }
  const after = m.rules();
  return { mode: m.status().mode, rules: added.map((id) => ({ change: 'added', rule: after.find((r) => r.id === id)! })) };
}

export function unprotect(m: Monitor, bases: readonly string[]): RuleResult {
  const rules = m.rules();
  const found = [...new Set(bases)].map((base) => {
    const held = rulesUnder(rules, base);
    if (held.length === 0) throw new UsageError(`no rule ${base}: nothing protected under that name (see syscallmon rule list)`);
    return held;
  });
  const gone = found.flat();
  // In one step: the block rule and its exceptions go together, or all stay.
  m.deleteRules(gone.map((r) => r.id));
  return { mode: m.status().mode, rules: gone.map((rule) => ({ change: 'deleted', rule })) };
}

export function protectCommand(ctx: Ctx): Command {
  return new Command('protect')
    .description('block access to files, decided on the file itself whatever path reached it; stays until unprotect')
    .argument('<file...>', 'the files (or directories) to protect')
    .option('--allow <selector>', `an exception: SELECTOR=VALUE[,SELECTOR=VALUE]... (uid, euid, auid, gid, comm, exe, cgroup; all must match), repeatable, e.g. --allow exe=/usr/sbin/sshd`, parseAllow)
    .option('--ops <ops>', `the accesses refused (comma-separated; default all: ${FILE_OPS.join(',')})`, collectNames)
    .option('--audit', 'only record would_block: the access goes ahead')
    .addOption(single(new Option('--errno <name>', 'errno a refused access returns (default EPERM)')))
    .addOption(single(new Option('--name <name>', 'the rule\'s name, for one FILE (default protect:FILE)')))
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      '\nA symlink, a hard link, a relative path, .. and /proc/self/root reach the same verdict. Not covered: O_PATH opens, ' +
        'and files already open when the rule was made. The rules act while the mode is BLOCK (syscallmon --block). ' +
        'A file replaced by a rename onto its name is shown stale in syscallmon status: protect the new one.\n',
    )
    .action(async (files: string[], flags: ProtectFlags) => {
      if (flags.name !== undefined && files.length > 1) throw new UsageError('--name names one protected file; give one FILE');
      const sets = files.map((f) => protectRules(absolutePath(f), flags));
      const binding = ctx.io.binding();
      for (const rules of sets) for (const r of rules) Monitor.checkRule(r, { binding });
      const result = ctx.withMonitor((m) => protect(m, sets));
      await ctx.report(result, flags.json, (r) => renderRuleResult(r, ctx.colour));
    });
}

export function unprotectCommand(ctx: Ctx): Command {
  return new Command('unprotect')
    .description('remove what protect added for these files (or under --name)')
    .argument('[file...]', 'the protected files')
    .addOption(single(new Option('--name <name>', 'the name given to protect --name')))
    .option('--json', 'print the result as one JSON object')
    .action(async (files: string[], flags: { name?: string; json?: boolean }) => {
      if ((flags.name === undefined) === (files.length === 0)) throw new UsageError('unprotect takes the protected FILEs, or --name NAME');
      const bases = flags.name !== undefined ? [flags.name] : files.map((f) => protectName(absolutePath(f), undefined));
      await ctx.report(ctx.withMonitor((m) => unprotect(m, bases)), flags.json, (r) => renderRuleResult(r, ctx.colour));
    });
}

