/*
 * A rule's flags, shared by `rule add`, `run` and `protect` so each is
 * written and refused with the same words everywhere:
 *
 *   --uid 1000 | --uid 1000-1999      (likewise --euid, --auid, --gid)
 *   --comm sshd | --comm 'kworker*'    a trailing * makes it a prefix
 *   --path /etc/shadow | --path '/etc/*'
 *   --exe /usr/sbin/sshd              a relative path is taken from here
 *   --cgroup /system.slice/ssh.service
 *   --pid N… | --tree N…
 *   --action allow|log|block|kill [--audit] [--errno E] [--force]
 *
 * The values are parsed into the library's Rule (src/lib/rules.ts), which
 * checks the rule whole.
 */
import { lstatSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { RULE_ACTIONS, type IdSelector, type Rule, type RuleAction, type TextSelector } from '../lib/rules.js';
import { RECORD_MODES, type RecordMode } from '../lib/status.js';
import { collect, collectNames, parsePid, single } from './options.js';

const U32_MAX = 0xffffffff;
const ID = /^[0-9]+$/;

/** "1000" or "1000-1999". */
export function parseIdSelector(value: string): IdSelector {
  const id = (s: string): number => {
    const n = ID.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n > U32_MAX) throw new InvalidArgumentError(`expected an id (0 to ${U32_MAX}) or a range A-B, got '${value}'`);
    return n;
  };
  const dash = value.indexOf('-');
  if (dash < 0) return id(value);
  const range = { min: id(value.slice(0, dash)), max: id(value.slice(dash + 1)) };
  if (range.min > range.max) throw new InvalidArgumentError(`the range ${value} is empty`);
  return range.min === range.max ? range.min : range;
}

/** "sshd" exactly, or "kworker*": every name that starts with "kworker". */
export function parseTextSelector(value: string): TextSelector {
  const star = value.indexOf('*');
  if (star < 0) return value;
  if (star !== value.length - 1) throw new InvalidArgumentError(`only a trailing * is understood (a prefix), got '${value}'`);
  if (value.length === 1) throw new InvalidArgumentError("'*' alone would match everything: leave the selector out");
  return { prefix: value.slice(0, -1) };
}

/** The selector flags in the order a rule lists its selectors. */
const SELECTOR_FLAGS = ['uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path', 'pid', 'tree'] as const;

/**
 * The selector flags, all of which a process must match: the rule's own,
 * but --pid for its pids and --exe as given (made absolute in selectorsOf).
 */
export type SelectorFlags = Pick<Rule, Exclude<(typeof SELECTOR_FLAGS)[number], 'pid'>> & { pid?: readonly number[] };

export interface ActionFlags {
  name?: string;
  action?: RuleAction;
  audit?: boolean;
  errno?: string;
  force?: boolean;
  record?: RecordMode;
  failedOnly?: boolean;
  syscall?: string[];
}

export type RuleFlags = SelectorFlags & ActionFlags;

/** Adds the selector flags; scope: whether --pid and --tree are among them. */
export function addSelectorFlags(cmd: Command, scope: boolean): Command {
  for (const option of [
    new Option('--uid <id>', 'processes whose real uid is ID, or in the range A-B').argParser(parseIdSelector),
    new Option('--euid <id>', 'processes whose effective uid is ID (or A-B)').argParser(parseIdSelector),
    new Option('--auid <id>', 'processes whose login uid is ID (or A-B)').argParser(parseIdSelector),
    new Option('--gid <id>', 'processes whose real gid is ID (or A-B)').argParser(parseIdSelector),
    new Option('--comm <name>', "processes named NAME; 'NAME*': whose name starts with NAME").argParser(parseTextSelector),
    new Option('--exe <path>', 'processes running this program (by device and inode; for a #! script, its interpreter)'),
    new Option('--cgroup <path>', 'processes in this cgroup v2 group or below it (/system.slice/ssh.service)'),
    new Option('--path <path>', "calls whose path argument is PATH; 'PATH*': starts with PATH (the string passed: see protect)").argParser(parseTextSelector),
  ]) {
    cmd.addOption(single(option));
  }
  if (scope) {
    cmd
      .option('--pid <pid>', 'these processes (repeatable)', collect(parsePid))
      .option('--tree <pid>', 'these processes and every process they fork from now on (repeatable)', collect(parsePid));
  }
  return cmd;
}

/** Adds what a rule does to the calls it covers. */
export function addActionFlags(cmd: Command, actions: readonly RuleAction[] = RULE_ACTIONS): Command {
  return cmd
    .option('--syscall <name>', 'the syscalls it covers, or a family such as @stat (repeatable, or comma-separated; see syscallmon syscalls)', collectNames)
    .addOption(single(new Option('--action <action>', 'what it does with the calls it matches').choices(actions)))
    .option('--audit', 'block and kill: only record would_block / would_kill, the call runs')
    .addOption(single(new Option('--errno <name>', 'errno a blocked call returns (default EPERM)')))
    .option('--force', 'block and kill: may also act on pid 1 and on processes that hold /dev/syscallmon')
    .addOption(single(new Option('--record <mode>', 'what a matched call records (see --record of syscallmon --help)').choices(RECORD_MODES)))
    .option('--failed-only', 'record only matched calls that fail');
}

/**
 * A path made absolute against the working directory, naming the file the
 * kernel will find from here.  "." and empty components are dropped; a
 * ".." is folded into the component before it when that is a directory
 * (or cwd, which getcwd gives without symlinks), so that two spellings of
 * one file make one rule name.  After a symlink, or a component that is
 * not there, it is left for the kernel: folding /var/run/.. to /var, as
 * path.resolve does, names another file when /var/run leads to /run.
 */
export function absolutePath(path: string, cwd = process.cwd()): string {
  if (path === '') throw new UsageError('an empty path: give a file');
  const parts = path.startsWith('/') ? [] : cwd.split('/').filter((p) => p !== '');
  let fromCwd = parts.length;
  const isDirectory = (p: string): boolean => {
    try {
      return lstatSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..' && (parts.length <= fromCwd || (parts.at(-1) !== '..' && isDirectory('/' + parts.join('/'))))) {
      parts.pop();
      fromCwd = Math.min(fromCwd, parts.length);
      continue;
    }
    parts.push(p);
  }
  return '/' + parts.join('/');
}

/** The selectors of the flags, as a Rule's fields. */
export function selectorsOf(flags: SelectorFlags, cwd?: string): Partial<Rule> {
  const out: Record<string, unknown> = {};
  for (const k of SELECTOR_FLAGS) {
    const v = flags[k];
    if (v === undefined) continue;
    if (k === 'exe') out.exe = absolutePath(v as string, cwd);
    else if (k === 'pid') out.pids = v;
    else out[k] = v;
  }
  return out as Partial<Rule>;
}

/** A rule from the flags: name and action given, enforced unless --audit. */
export function ruleOf(name: string, action: RuleAction, flags: RuleFlags, cwd?: string): Rule {
  const acts = action === 'block' || action === 'kill';
  if (flags.audit && !acts) throw new UsageError(`--audit applies to --action block or kill, not ${action}`);
  if (flags.force && !acts) throw new UsageError(`--force applies to --action block or kill, not ${action}`);
  if (flags.errno !== undefined && action !== 'block') throw new UsageError(`--errno goes with --action block, not ${action}`);
  if (action === 'allow' && (flags.record !== undefined || flags.failedOnly)) {
    throw new UsageError('--action allow records nothing: no --record or --failed-only');
  }
  const rule: Rule = {
    name,
    action,
    ...(flags.syscall ? { syscalls: flags.syscall } : {}),
    ...(flags.errno !== undefined ? { errno: flags.errno } : {}),
    ...(acts ? { enforce: !flags.audit } : {}),
    ...(flags.force ? { force: true } : {}),
    ...(flags.record !== undefined ? { record: flags.record } : {}),
    ...(flags.failedOnly ? { failedOnly: true } : {}),
    ...selectorsOf(flags, cwd),
  };
  return rule;
}

/** The keys of SelectorFlags, for `--allow KEY=VALUE`. */
const ALLOW_KEYS = ['uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup'] as const;
type AllowKey = (typeof ALLOW_KEYS)[number];

/**
 * `--allow exe=/usr/sbin/sshd`, `--allow uid=0,comm=dpkg`: the selectors of
 * one exception, every one of which a process must match.
 */
export function parseAllow(value: string, previous: SelectorFlags[] | undefined): SelectorFlags[] {
  const sel: SelectorFlags = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim() as AllowKey;
    if (eq < 0 || !(ALLOW_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`expected SELECTOR=VALUE with SELECTOR one of ${ALLOW_KEYS.join(', ')}, got '${part}'`);
    }
    if (sel[key] !== undefined) throw new InvalidArgumentError(`${key} given twice in '${value}'`);
    const v = part.slice(eq + 1);
    if (key === 'comm') sel.comm = parseTextSelector(v);
    else if (key === 'exe' || key === 'cgroup') sel[key] = v;
    else sel[key] = parseIdSelector(v);
  }
  return [...(previous ?? []), sel];
}

