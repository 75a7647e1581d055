// A policy document: what a policy file says, in one normal form, so that
// two documents that mean the same are equal (and hash the same) however
// they were written (@families or names, errno names or numbers, defaults
// given or left out), and so that what the module runs reads back as the
// document that made it.
import { createHash } from 'node:crypto';
import { errnoName, errnoNumber, errnoNumberOfAnyName } from '../errnos.js';
import { FAMILIES } from '../families.js';
import { FILE_OPS, type FileOp, type IdSelector, type Rule, type RuleInfo } from '../rules.js';
import type { Mode } from '../status.js';
import type { SyscallTable } from '../syscalls.js';

export const POLICY_API_VERSION = 'syscallmon/v1';
export const POLICY_KIND = 'Policy';

/** A policy's rule: a rule as the library takes it, without what exists only at run time (pid sets, process trees). */
export type PolicyRule = Omit<Rule, 'pids' | 'tree'>;

/** The fields of a policy rule, in the order a document shows them. */
export const POLICY_RULE_KEYS = [
  'name', 'action', 'syscalls', 'file', 'fileOps', 'errno', 'enforce', 'force', 'record', 'failedOnly',
  'uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path',
] as const satisfies readonly (keyof PolicyRule)[];

export interface PolicyDocument {
  apiVersion: typeof POLICY_API_VERSION;
  kind: typeof POLICY_KIND;
  /** a name for people and for the running policy's tag; optional */
  metadata?: { name: string };
  spec: {
    mode: Mode;
    /** exit events on */
    exits: boolean;
    /** evaluated in this order, before rules added by hand and targets */
    rules: PolicyRule[];
  };
}

/**
 * A rule in normal form: syscalls as names in the table's order (families
 * expanded), file ops in FILE_OPS order, an errno by name, ids as one
 * number when the range holds one, defaults (audit, no force, EPERM,
 * complete records, every call) left out, fields in POLICY_RULE_KEYS
 * order. The rule must have passed the library's checks (encodeRule).
 */
export function normalRule(rule: PolicyRule, table: SyscallTable): PolicyRule {
  const out: Record<string, unknown> = {};
  for (const key of POLICY_RULE_KEYS) {
    const value = rule[key];
    if (value === undefined) continue;
    switch (key) {
      case 'syscalls':
        out[key] = syscallNames(value as readonly (string | number)[], table);
        break;
      case 'fileOps':
        out[key] = FILE_OPS.filter((op) => (value as readonly FileOp[]).includes(op));
        break;
      case 'errno': {
        const name = errnoLabel(value as string | number);
        if (name !== 'EPERM') out[key] = name;
        break;
      }
      case 'enforce':
      case 'force':
      case 'failedOnly':
        if (value === true) out[key] = true;
        break;
      case 'record':
        if (value !== 'complete') out[key] = value;
        break;
      case 'uid':
      case 'euid':
      case 'auid':
      case 'gid':
        out[key] = idSelector(value as IdSelector);
        break;
      case 'comm':
      case 'path':
        out[key] = typeof value === 'string' ? value : { prefix: (value as { prefix: string }).prefix };
        break;
      default:
        out[key] = value;
    }
  }
  return out as unknown as PolicyRule;
}

/** A document in normal form (its rules normal, exits given, metadata only with a name). */
export function normalDocument(doc: PolicyDocument, table: SyscallTable): PolicyDocument {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    ...(doc.metadata?.name !== undefined ? { metadata: { name: doc.metadata.name } } : {}),
    spec: { mode: doc.spec.mode, exits: doc.spec.exits === true, rules: doc.spec.rules.map((r) => normalRule(r, table)) },
  };
}

function syscallNames(specs: readonly (string | number)[], table: SyscallTable): string[] {
  const nrs = new Set<number>();
  for (const spec of specs) {
    const family = typeof spec === 'string' && spec.trim().startsWith('@')
      ? FAMILIES.find((f) => f.name === spec.trim().slice(1).toLowerCase())
      : undefined;
    if (family) {
      for (const member of family.members) {
        const e = table.byName(member);
        if (e) nrs.add(e.nr);
      }
    } else {
      nrs.add(table.resolve(spec).nr);
    }
  }
  return [...nrs].sort((a, b) => a - b).map((nr) => table.nameOf(nr));
}

/**
 * An errno by the name the module's listing gives it, so that an alias
 * (EWOULDBLOCK) compares equal to what is read back (EAGAIN). A number
 * without a name a rule may be given stays a number: a kernel-internal
 * code's name (ERESTARTSYS) is printed but not taken, and the normal form
 * is what apply hands the module.
 */
function errnoLabel(value: string | number): string | number {
  const text = String(value).trim();
  const n = errnoNumberOfAnyName(text);
  if (n === undefined) return text.toUpperCase();
  const name = errnoName(n);
  return errnoNumber(name) === n ? name : n;
}

function idSelector(v: IdSelector): IdSelector {
  if (typeof v === 'number') return v;
  return v.min === v.max ? v.min : { min: v.min, max: v.max };
}

/** The policy's rules as the module runs them (class policy, in order), as a document says them. */
export function policyRulesFrom(rules: readonly RuleInfo[], table: SyscallTable): PolicyRule[] {
  return rules.filter((r) => r.rule_class === 'policy').map((r) => {
    const rule: Record<string, unknown> = { name: r.name, action: r.action };
    if (r.file !== null) {
      rule['file'] = r.file;
      rule['fileOps'] = r.file_ops;
    } else {
      rule['syscalls'] = r.syscalls;
    }
    if (r.errno !== null) rule['errno'] = r.errno;
    rule['enforce'] = r.enforce;
    rule['force'] = r.force;
    if (r.action !== 'allow') rule['record'] = r.record;
    rule['failedOnly'] = r.failed_only;
    for (const key of ['uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path'] as const) {
      const value = r[key];
      if (value !== null) rule[key] = value;
    }
    return normalRule(rule as unknown as PolicyRule, table);
  });
}

/** JSON with every object's keys sorted and no spaces: one text per meaning. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The sha256 (hex) of a normal document's canonical JSON: what names the policy in metrics and tags. */
export function policySha256(doc: PolicyDocument): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}

/** Hex digits of the hash a running policy's tag carries (the tag's room is POLICY_TAG_LEN bytes). */
export const TAG_HASH_DIGITS = 16;

/** "NAME sha256:PREFIX", or "sha256:PREFIX" for a policy without a name: what the module's tag says. */
export function policyTag(doc: PolicyDocument, sha256 = policySha256(doc)): string {
  const hash = `sha256:${sha256.slice(0, TAG_HASH_DIGITS)}`;
  return doc.metadata ? `${doc.metadata.name} ${hash}` : hash;
}

/** What a tag written by policyTag says; null for a tag set otherwise (or none). */
export function parsePolicyTag(tag: string): { name: string | null; sha256Prefix: string } | null {
  const m = new RegExp(`^(?:(\\S+) )?sha256:([0-9a-f]{${TAG_HASH_DIGITS}})$`).exec(tag);
  return m ? { name: m[1] ?? null, sha256Prefix: m[2]! } : null;
}
