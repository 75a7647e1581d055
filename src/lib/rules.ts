// Rules (kernel/include/uapi/syscallmon.h, "Rules"): what a caller writes
// (Rule), checked whole and encoded into struct syscallmon_rule (RawRule)
// before any ioctl, so that a mistake is a UsageError that names it, not an
// EINVAL; and a rule as the module lists it, with its counters (RuleInfo),
// decoded from struct syscallmon_rule_info with the header's names.
import type { RawIdRange, RawRule, RawRuleInfo } from './binding.js';
import { errnoName } from './errnos.js';
import { UsageError, VersionError } from './errors.js';
import { FAMILIES, familyOf } from './families.js';
import { need } from './records.js';
import { RECORD_MODES, type RecordMode } from './status.js';
import { closestNames, type SyscallTable } from './syscalls.js';

/** What a rule does with a call it decides. */
export type RuleAction = 'allow' | 'log' | 'block' | 'kill';
export const RULE_ACTIONS: readonly RuleAction[] = ['allow', 'log', 'block', 'kill'];

/** The accesses a file rule decides, at the kernel's security hooks. */
export type FileOp = 'open' | 'exec' | 'unlink' | 'rename' | 'link' | 'truncate';
export const FILE_OPS: readonly FileOp[] = ['open', 'exec', 'unlink', 'rename', 'link', 'truncate'];

/**
 * Where a rule stands in the order: the policy's (replaced whole), added by
 * hand, or owned by an open file of the device (gone when it closes). The
 * header's names (enum syscallmon_rule_class).
 */
export type RuleClass = 'policy' | 'hand' | 'file';
export const RULE_CLASSES: readonly RuleClass[] = ['policy', 'hand', 'file'];

/** One id, or every id from min to max. */
export type IdSelector = number | { min: number; max: number };
/** The whole text, or a prefix of it. */
export type TextSelector = string | { prefix: string };

/**
 * A rule as a caller writes it. It covers syscalls (names, numbers or
 * families such as "@stat") or, with a file, accesses to that file (a file
 * rule); a process must match every selector given.
 */
export interface Rule {
  /** unique among rules: letters, digits and . _ - : @ + /, not all digits */
  name: string;
  action: RuleAction;
  syscalls?: readonly (string | number)[];
  /** with file: the accesses to it this rule decides */
  fileOps?: readonly FileOp[];
  /** a block rule's errno (name or number); default EPERM */
  errno?: string | number;
  /** block and kill rules act only when enforced (and the mode is BLOCK); otherwise they are in audit: would_block, would_kill. Default false. */
  enforce?: boolean;
  /** a block or kill rule may act on pid 1 and device holders */
  force?: boolean;
  /** what a call makes (see TargetSpec.record); default complete */
  record?: RecordMode;
  /** record only calls that fail (complete records of syscalls only) */
  failedOnly?: boolean;
  // Selectors
  /** these processes (tgids, up to MAX_PIDS) */
  pids?: readonly number[];
  /** these processes and every process they fork from now on */
  tree?: readonly number[];
  uid?: IdSelector;
  euid?: IdSelector;
  /** the login uid (audit) */
  auid?: IdSelector;
  gid?: IdSelector;
  /** the process name, whole or a prefix */
  comm?: TextSelector;
  /** the program the process runs, an absolute path (resolved when the rule is made) */
  exe?: string;
  /** a cgroup v2 path ("/system.slice/ssh.service"): that group and every group below it */
  cgroup?: string;
  /** the path argument as passed, whole or a prefix (see the README for what it can't promise) */
  path?: TextSelector;
  /** the file a file rule decides accesses to, an absolute path (resolved when the rule is made) */
  file?: string;
}

/** A rule as the module holds it, in evaluation order, with what it has counted. */
export interface RuleInfo {
  id: number;
  name: string;
  rule_class: RuleClass;
  action: RuleAction;
  /** a block rule's errno name; null for others */
  errno: string | null;
  enforce: boolean;
  force: boolean;
  record: RecordMode;
  failed_only: boolean;
  /** the syscalls it covers, by name (empty for a file rule) */
  syscalls: string[];
  /** a file rule's accesses (empty for others) */
  file_ops: FileOp[];
  /** a file rule's file, as given */
  file: string | null;
  /** a pid set or a process tree, and how many processes it holds now (Monitor.rulePids lists them) */
  scope: 'pids' | 'tree' | null;
  processes: number;
  uid: RawIdRange | null;
  euid: RawIdRange | null;
  auid: RawIdRange | null;
  gid: RawIdRange | null;
  comm: TextSelector | null;
  exe: string | null;
  cgroup: string | null;
  path: TextSelector | null;
  /** its file (or exe) path names another file now, or none: it still decides the one it resolved */
  stale: boolean;
  /** what exe and file were resolved to (device numbers as the kernel encodes them), and the cgroup's id; 0: none */
  exe_dev: number;
  exe_ino: number;
  file_dev: number;
  file_ino: number;
  cgroup_id: number;
  /** calls it decided */
  matched: number;
  /** records it wrote */
  logged: number;
  blocked: number;
  killed: number;
  /** would_block and would_kill: what it did not do, in audit or LOG mode */
  would_act: number;
}

/** A policy: the mode, exit events and the policy's rules, replaced in one step. */
export interface Policy {
  mode: 'off' | 'log' | 'block';
  /** exit events on; default false */
  exits?: boolean;
  /** names the policy in its configuration record (e.g. "sha256:…"); printable, shorter than POLICY_TAG_LEN */
  tag?: string;
  /** no pids or trees: a policy names what exists at any time */
  rules: readonly Rule[];
}

/** Calls a block or kill rule can never stop (the module refuses them). */
export const UNBLOCKABLE: ReadonlySet<string> = new Set(['exit', 'exit_group', 'rt_sigreturn', 'restart_syscall']);

/** Every field of a Rule. */
export const RULE_KEYS: readonly (keyof Rule)[] = [
  'name', 'action', 'syscalls', 'fileOps', 'errno', 'enforce', 'force', 'record', 'failedOnly', 'pids', 'tree',
  'uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path', 'file',
];

const NAME_RE = /^[A-Za-z0-9._:@+/-]+$/;

/** What encoding needs: the header's numbers, the syscall table, how pids and errnos are checked. */
export interface RuleContext {
  constants: Record<string, number>;
  syscalls: SyscallTable;
  parseErrno(value: string | number): number;
  /** integers in 1..PID_MAX, deduplicated, at most max */
  checkPids(pids: readonly unknown[], max: number, what: string): number[];
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A string selector: non-empty, no NUL or control character, shorter than room bytes. */
function text(rule: string, what: string, v: unknown, room: number): string {
  if (typeof v !== 'string') throw new UsageError(`rule ${rule}: ${what} must be a string, got ${describe(v)}`);
  if (v === '') throw new UsageError(`rule ${rule}: ${what} is empty (it would match nothing or everything)`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new UsageError(`rule ${rule}: ${what} holds a control character`);
  if (utf8Length(v) >= room) throw new UsageError(`rule ${rule}: ${what} is ${utf8Length(v)} bytes, at most ${room - 1}`);
  return v;
}

function absolute(rule: string, what: string, v: unknown, room: number): string {
  const s = text(rule, what, v, room);
  if (!s.startsWith('/')) throw new UsageError(`rule ${rule}: ${what} '${s}' is not an absolute path`);
  return s;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return 'a list';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

const U32_MAX = 0xffffffff;

function idRange(rule: string, what: string, v: unknown): RawIdRange {
  const id = (x: unknown, which: string): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > U32_MAX) {
      throw new UsageError(`rule ${rule}: ${what}${which} must be an id from 0 to ${U32_MAX}, got ${describe(x)}`);
    }
    return x;
  };
  if (typeof v === 'number') return { min: id(v, ''), max: id(v, '') };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const r = v as Record<string, unknown>;
    const extra = Object.keys(r).filter((k) => k !== 'min' && k !== 'max');
    if (extra.length) throw new UsageError(`rule ${rule}: ${what} takes { min, max }, not '${extra[0]}'`);
    const range = { min: id(r['min'], '.min'), max: id(r['max'], '.max') };
    if (range.min > range.max) throw new UsageError(`rule ${rule}: ${what} range ${range.min}-${range.max} is empty`);
    return range;
  }
  throw new UsageError(`rule ${rule}: ${what} must be an id or { min, max }, got ${describe(v)}`);
}

function textSelector(rule: string, what: string, v: unknown, room: number): { text: string; prefix: boolean } {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const r = v as Record<string, unknown>;
    const extra = Object.keys(r).filter((k) => k !== 'prefix');
    if (extra.length) throw new UsageError(`rule ${rule}: ${what} takes a string or { prefix }, not '${extra[0]}'`);
    return { text: noWildcard(rule, `${what} prefix`, text(rule, `${what} prefix`, r['prefix'], room)), prefix: true };
  }
  return { text: noWildcard(rule, what, text(rule, what, v, room)), prefix: false };
}

/**
 * The kernel compares bytes, so 'kworker*' would match only a process
 * named that, * included: what the command line writes as a prefix
 * (`--comm 'kworker*'`) is refused here rather than never matching. The
 * command line never passes a *, and listings show a prefix with one.
 */
function noWildcard(rule: string, what: string, s: string): string {
  const star = s.indexOf('*');
  if (star < 0) return s;
  const why = `rule ${rule}: ${what} '${s}': a * is not a wildcard here`;
  if (star === s.length - 1 && star > 0) throw new UsageError(`${why}; a prefix is { prefix: '${s.slice(0, -1)}' }`);
  throw new UsageError(`${why}; a rule matches the whole text, or a { prefix }`);
}

/** A rule's name, as the module takes it. */
export function checkRuleName(name: unknown, room: number): string {
  if (typeof name !== 'string' || name === '') throw new UsageError(`a rule needs a name, got ${describe(name)}`);
  if (!NAME_RE.test(name) || /^\d+$/.test(name)) {
    throw new UsageError(`invalid rule name '${name}': letters, digits and . _ - : @ + / only, not all digits`);
  }
  if (name.length >= room) throw new UsageError(`rule name '${name}' is ${name.length} characters, at most ${room - 1}`);
  return name;
}

/** Syscall names, numbers and @families to numbers, in the order given, each once. */
export function resolveSyscalls(rule: string, specs: readonly (string | number)[], table: SyscallTable, nrLimit: number): number[] {
  const out = new Set<number>();
  for (const spec of specs) {
    if (typeof spec === 'string' && spec.trim().startsWith('@')) {
      const family = familyOf(spec);
      if (!family) {
        const near = closestNames(spec.trim().slice(1), FAMILIES.map((f) => f.name));
        const hint = near.length ? `; did you mean ${near.map((n) => '@' + n).join(', ')}?` : ` (families: ${FAMILIES.map((f) => '@' + f.name).join(', ')})`;
        throw new UsageError(`rule ${rule}: unknown syscall family '${spec}'${hint}`);
      }
      for (const name of family.members) {
        const e = table.byName(name);
        if (e) out.add(e.nr);
      }
      continue;
    }
    if (typeof spec !== 'string' && typeof spec !== 'number') {
      throw new UsageError(`rule ${rule}: a syscall is a name or a number, got ${describe(spec)}`);
    }
    let entry;
    try {
      entry = table.resolve(spec);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`rule ${rule}: ${e.message}`);
      throw e;
    }
    if (entry.nr >= nrLimit) throw new UsageError(`rule ${rule}: syscall ${entry.name} (${entry.nr}) is beyond what the module handles`);
    out.add(entry.nr);
  }
  return [...out];
}

/**
 * Checks a rule whole and encodes it as struct syscallmon_rule of class
 * ruleClass; every mistake is a UsageError naming the rule and the field.
 */
export function encodeRule(spec: Rule, ruleClass: RuleClass, ctx: RuleContext): RawRule {
  const c = (name: string): number => need(ctx.constants, name);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new UsageError(`a rule must be an object, got ${describe(spec)}`);
  }
  const name = checkRuleName(spec.name, c('RULE_NAME_LEN'));
  for (const key of Object.keys(spec)) {
    if ((RULE_KEYS as readonly string[]).includes(key)) continue;
    const near = closestNames(key, RULE_KEYS, 1);
    throw new UsageError(`rule ${name}: unknown field '${key}'${near.length ? `; did you mean '${near[0]}'?` : ''}`);
  }
  const action = spec.action;
  if (!(RULE_ACTIONS as readonly unknown[]).includes(action)) {
    throw new UsageError(`rule ${name}: unknown action ${describe(action)} (expected one of ${RULE_ACTIONS.join(', ')})`);
  }
  const acts = action === 'block' || action === 'kill';
  const isFileRule = spec.file !== undefined || spec.fileOps !== undefined;
  let flags = 0;

  // What it covers: syscalls, or accesses to one file.
  let syscalls: number[] = [];
  let fileOps = 0;
  let file = '';
  if (isFileRule) {
    if (spec.syscalls !== undefined) throw new UsageError(`rule ${name}: a file rule decides accesses to its file, not syscalls`);
    if (spec.file === undefined) throw new UsageError(`rule ${name}: file ops need a file`);
    if (!Array.isArray(spec.fileOps) || spec.fileOps.length === 0) {
      throw new UsageError(`rule ${name}: a file rule needs its file ops (${FILE_OPS.join(', ')})`);
    }
    for (const op of spec.fileOps as readonly unknown[]) {
      const i = (FILE_OPS as readonly unknown[]).indexOf(op);
      if (i < 0) {
        const near = typeof op === 'string' ? closestNames(op, FILE_OPS, 1) : [];
        throw new UsageError(
          `rule ${name}: unknown file op ${describe(op)}${near.length ? `; did you mean ${near[0]}?` : ` (one of ${FILE_OPS.join(', ')})`}`,
        );
      }
      fileOps |= c(`FILE_${FILE_OPS[i]!.toUpperCase()}`);
    }
    file = absolute(name, 'file', spec.file, c('SELECTOR_LEN'));
    flags |= c('SEL_FILE');
    if (spec.path !== undefined) throw new UsageError(`rule ${name}: a file rule can't have a path selector: it decides its file, whatever path reached it`);
    if (spec.failedOnly) throw new UsageError(`rule ${name}: a file rule is decided inside the call, before its result: no failures only`);
  } else {
    if (!Array.isArray(spec.syscalls) || spec.syscalls.length === 0) {
      throw new UsageError(`rule ${name}: it covers nothing: give syscalls, or file ops with a file`);
    }
    syscalls = resolveSyscalls(name, spec.syscalls, ctx.syscalls, c('NR_LIMIT'));
    if (acts) {
      const never = syscalls.map((nr) => ctx.syscalls.nameOf(nr)).filter((n) => UNBLOCKABLE.has(n));
      if (never.length) throw new UsageError(`rule ${name}: ${never.join(', ')} can't be blocked or killed`);
    }
  }

  // How it acts.
  let err = 0;
  if (spec.errno !== undefined) {
    if (action !== 'block') throw new UsageError(`rule ${name}: an errno only applies to block rules`);
    err = ctx.parseErrno(spec.errno);
  }
  if (spec.enforce !== undefined && typeof spec.enforce !== 'boolean') throw new UsageError(`rule ${name}: enforce must be true or false`);
  if (spec.force !== undefined && typeof spec.force !== 'boolean') throw new UsageError(`rule ${name}: force must be true or false`);
  if (spec.failedOnly !== undefined && typeof spec.failedOnly !== 'boolean') throw new UsageError(`rule ${name}: failedOnly must be true or false`);
  if (spec.enforce && !acts) throw new UsageError(`rule ${name}: enforce applies to block and kill rules, not ${action}`);
  if (spec.force && !acts) throw new UsageError(`rule ${name}: force applies to block and kill rules, not ${action}`);
  if (spec.enforce) flags |= c('RULE_ENFORCE');
  if (spec.force) flags |= c('RULE_FORCE');
  const record = spec.record ?? 'complete';
  if (!(RECORD_MODES as readonly unknown[]).includes(record)) {
    throw new UsageError(`rule ${name}: unknown record mode ${describe(record)} (expected one of ${RECORD_MODES.join(', ')})`);
  }
  if (action === 'allow' && (spec.record !== undefined || spec.failedOnly)) {
    throw new UsageError(`rule ${name}: an allow rule records nothing (no record mode, no failures only)`);
  }
  if (spec.failedOnly) {
    if (record !== 'complete') {
      throw new UsageError(`rule ${name}: failures only needs complete records: whether a call failed is known when it returns, not with '${record}'`);
    }
    flags |= c('RULE_FAILED_ONLY');
  }

  // Selectors.
  let pids: number[] = [];
  if (spec.pids !== undefined && spec.tree !== undefined) throw new UsageError(`rule ${name}: pids or a tree, not both`);
  for (const which of ['pids', 'tree'] as const) {
    const list = spec[which];
    if (list === undefined) continue;
    if (ruleClass === 'policy') throw new UsageError(`rule ${name}: a policy names what exists at any time: no pids or process trees`);
    const max = which === 'tree' ? c('MAX_TREE') : c('MAX_PIDS');
    pids = ctx.checkPids(list as readonly unknown[], max, `rule ${name}: ${which}`);
    if (pids.length === 0) throw new UsageError(`rule ${name}: an empty ${which === 'tree' ? 'tree' : 'pid list'} would match nothing`);
    if (acts && pids.includes(1) && !spec.force) throw new UsageError(`rule ${name}: ${action === 'kill' ? 'killing' : 'blocking'} pid 1 (init) needs force`);
    flags |= c(which === 'tree' ? 'SEL_TREE' : 'SEL_PIDS');
  }
  const none: RawIdRange = { min: 0, max: 0 };
  const ranges: Record<'uid' | 'euid' | 'auid' | 'gid', RawIdRange> = { uid: none, euid: none, auid: none, gid: none };
  for (const which of ['uid', 'euid', 'auid', 'gid'] as const) {
    if (spec[which] === undefined) continue;
    ranges[which] = idRange(name, which, spec[which]);
    flags |= c(`SEL_${which.toUpperCase()}`);
  }
  let comm = '';
  if (spec.comm !== undefined) {
    const s = textSelector(name, 'comm', spec.comm, c('COMM_LEN'));
    comm = s.text;
    flags |= c('SEL_COMM') | (s.prefix ? c('RULE_COMM_PREFIX') : 0);
  }
  let exe = '';
  if (spec.exe !== undefined) {
    exe = absolute(name, 'exe', spec.exe, c('SELECTOR_LEN'));
    flags |= c('SEL_EXE');
  }
  let cgroup = '';
  if (spec.cgroup !== undefined) {
    cgroup = absolute(name, 'cgroup', spec.cgroup, c('SELECTOR_LEN'));
    flags |= c('SEL_CGROUP');
  }
  let path = '';
  if (spec.path !== undefined) {
    const s = textSelector(name, 'path', spec.path, c('SELECTOR_LEN'));
    path = s.text;
    const withPath = syscalls.filter((nr) => (ctx.syscalls.byNr(nr)?.pathArg ?? -1) >= 0);
    if (withPath.length === 0) throw new UsageError(`rule ${name}: a path selector needs a syscall with a path argument; none of its syscalls has one`);
    flags |= c('SEL_PATH') | (s.prefix ? c('RULE_PATH_PREFIX') : 0);
  }
  return {
    id: 0,
    rule_class: c(`CLASS_${ruleClass.toUpperCase()}`),
    name,
    syscalls,
    action: c(`RULE_${action.toUpperCase()}`),
    err,
    flags,
    record: c(`RECORD_${record.toUpperCase()}`),
    file_ops: fileOps,
    pids,
    ...ranges,
    comm,
    exe,
    cgroup,
    path,
    file,
  };
}

/** A policy's tag: printable, shorter than room bytes. */
export function checkTag(tag: unknown, room: number): string {
  if (typeof tag !== 'string') throw new UsageError(`a policy's tag must be a string, got ${describe(tag)}`);
  if (/[\u0000-\u001f\u007f]/.test(tag)) throw new UsageError("a policy's tag holds a control character");
  if (utf8Length(tag) >= room) throw new UsageError(`a policy's tag is ${utf8Length(tag)} bytes, at most ${room - 1}`);
  return tag;
}

/** A name by the header's number for it (enum syscallmon_rule_action, _class). */
function named<N extends string>(c: Record<string, number>, names: readonly N[], prefix: string, n: number, what: string): N {
  const found = names.find((name) => need(c, `${prefix}${name.toUpperCase()}`) === n);
  if (found === undefined) throw new VersionError(`module reports an unknown rule ${what} ${n} (module newer than this library?)`);
  return found;
}

/** struct syscallmon_rule_info as the library shows it. */
export function ruleFrom(c: Record<string, number>, syscalls: SyscallTable, raw: RawRuleInfo): RuleInfo {
  const r = raw.rule;
  const has = (flag: string): boolean => (r.flags & need(c, flag)) !== 0;
  const action = named(c, RULE_ACTIONS, 'RULE_', r.action, 'action');
  const range = (sel: string, v: RawIdRange): RawIdRange | null => (has(sel) ? { min: v.min, max: v.max } : null);
  const recordNames = RECORD_MODES.filter((m) => need(c, `RECORD_${m.toUpperCase()}`) === r.record);
  if (recordNames.length !== 1) throw new VersionError(`module reports an unknown record mode ${r.record}`);
  return {
    id: r.id,
    name: r.name,
    rule_class: named(c, RULE_CLASSES, 'CLASS_', r.rule_class, 'class'),
    action,
    errno: action === 'block' ? errnoName(r.err) : null,
    enforce: has('RULE_ENFORCE'),
    force: has('RULE_FORCE'),
    record: recordNames[0]!,
    failed_only: has('RULE_FAILED_ONLY'),
    syscalls: r.syscalls.map((nr) => syscalls.nameOf(nr)),
    file_ops: FILE_OPS.filter((op) => (r.file_ops & need(c, `FILE_${op.toUpperCase()}`)) !== 0),
    file: has('SEL_FILE') ? r.file : null,
    scope: has('SEL_TREE') ? 'tree' : has('SEL_PIDS') ? 'pids' : null,
    processes: r.npids,
    uid: range('SEL_UID', r.uid),
    euid: range('SEL_EUID', r.euid),
    auid: range('SEL_AUID', r.auid),
    gid: range('SEL_GID', r.gid),
    comm: has('SEL_COMM') ? (has('RULE_COMM_PREFIX') ? { prefix: r.comm } : r.comm) : null,
    exe: has('SEL_EXE') ? r.exe : null,
    cgroup: has('SEL_CGROUP') ? r.cgroup : null,
    path: has('SEL_PATH') ? (has('RULE_PATH_PREFIX') ? { prefix: r.path } : r.path) : null,
    stale: (raw.state & need(c, 'RULE_STALE')) !== 0,
    exe_dev: Number(raw.exe_dev),
    exe_ino: Number(raw.exe_ino),
    file_dev: Number(raw.file_dev),
    file_ino: Number(raw.file_ino),
    cgroup_id: Number(raw.cgroup_id),
    matched: Number(raw.matched),
    logged: Number(raw.logged),
    blocked: Number(raw.blocked),
    killed: Number(raw.killed),
    would_act: Number(raw.would_act),
  };
}
