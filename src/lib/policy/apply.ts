// The running policy and a document compared, and a document applied: one
// REPLACE_POLICY that swaps the mode, exit events and every policy rule at
// once (there is no moment with neither policy), keeping rules made by
// hand or owned by open files; a rule kept by name keeps its id and
// counters. A rule whose file was replaced since (stale) is a difference:
// the replacement makes it again, and the kernel resolves its path anew.
import type { Monitor } from '../monitor.js';
import type { Mode } from '../status.js';
import {
  canonicalJson, normalDocument, parsePolicyTag, policyRulesFrom, policySha256, policyTag, POLICY_API_VERSION, POLICY_KIND,
  POLICY_RULE_KEYS, type PolicyDocument, type PolicyRule,
} from './document.js';

/** A rule kept by name whose fields change. */
export interface RuleChange {
  name: string;
  before: PolicyRule;
  after: PolicyRule;
  /** the fields that differ, in document order */
  fields: string[];
}

/** What applying a document changes in the running policy. */
export interface PolicyDiff {
  /** the document's name (null without one), hash of its canonical form, and the tag the module gets */
  name: string | null;
  sha256: string;
  tag: string;
  /** the running policy's tag, as it was ('' when none was applied) */
  previous_tag: string;
  mode: { before: Mode; after: Mode } | null;
  exits: { before: boolean; after: boolean } | null;
  added: PolicyRule[];
  removed: PolicyRule[];
  changed: RuleChange[];
  /** the policy's rules in order, before and after, when rules kept change places */
  reordered: { before: string[]; after: string[] } | null;
  /** rules kept whose file (or exe) was replaced since they were made: made again, they hold the one there now */
  stale: string[];
  /** anything differs, the tag included */
  changes: boolean;
  /** the replacement was made (something differed, and not a dry run) */
  applied: boolean;
}

/**
 * The policy the module runs: its mode, exit events and policy rules, named
 * by its tag when apply set it.  The mode and exit events are as set: a
 * hold (a run's, for its command's time) is no part of the policy.
 */
export function runningPolicy(mon: Monitor): PolicyDocument {
  return readRunning(mon).doc;
}

/** The running policy, and the names of its rules that are stale, from one reading of the module. */
function readRunning(mon: Monitor): { doc: PolicyDocument; stale: string[] } {
  const status = mon.status();
  const tag = parsePolicyTag(mon.policyTag());
  const doc: PolicyDocument = {
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    ...(tag?.name ? { metadata: { name: tag.name } } : {}),
    spec: { mode: status.mode_set, exits: status.exits_set, rules: policyRulesFrom(status.rules, mon.syscalls) },
  };
  const stale = status.rules.filter((r) => r.rule_class === 'policy' && r.stale).map((r) => r.name);
  return { doc, stale };
}

/**
 * The running mode, exit events or policy rules (their fields or order)
 * differ from the document's, or a policy rule is stale: it no longer
 * decides the file its path names.
 */
export function policyDrift(mon: Monitor, doc: PolicyDocument): boolean {
  const running = readRunning(mon);
  return running.stale.length > 0 || canonicalJson(running.doc.spec) !== canonicalJson(normalDocument(doc, mon.syscalls).spec);
}

/**
 * What would change from running to doc (both normal documents); stale:
 * the running policy's rules whose file was replaced since they were made.
 */
export function diffPolicies(running: PolicyDocument, runningTag: string, doc: PolicyDocument, stale: readonly string[] = []): PolicyDiff {
  const sha256 = policySha256(doc);
  const tag = policyTag(doc, sha256);
  const before = new Map(running.spec.rules.map((r) => [r.name, r]));
  const after = new Map(doc.spec.rules.map((r) => [r.name, r]));
  const changed: RuleChange[] = [];
  for (const rule of doc.spec.rules) {
    const old = before.get(rule.name);
    if (!old) continue;
    const fields = POLICY_RULE_KEYS.filter((k) => canonicalJson(old[k] ?? null) !== canonicalJson(rule[k] ?? null));
    if (fields.length) changed.push({ name: rule.name, before: old, after: rule, fields });
  }
  const keptBefore = running.spec.rules.map((r) => r.name).filter((n) => after.has(n));
  const keptAfter = doc.spec.rules.map((r) => r.name).filter((n) => before.has(n));
  const diff: PolicyDiff = {
    name: doc.metadata?.name ?? null,
    sha256,
    tag,
    previous_tag: runningTag,
    mode: running.spec.mode !== doc.spec.mode ? { before: running.spec.mode, after: doc.spec.mode } : null,
    exits: running.spec.exits !== doc.spec.exits ? { before: running.spec.exits, after: doc.spec.exits } : null,
    added: doc.spec.rules.filter((r) => !before.has(r.name)),
    removed: running.spec.rules.filter((r) => !after.has(r.name)),
    changed,
    reordered: keptBefore.join('\n') !== keptAfter.join('\n')
      ? { before: running.spec.rules.map((r) => r.name), after: doc.spec.rules.map((r) => r.name) }
      : null,
    stale: stale.filter((n) => after.has(n)),
    changes: false,
    applied: false,
  };
  diff.changes = diff.mode !== null || diff.exits !== null || diff.added.length > 0 || diff.removed.length > 0 ||
    diff.changed.length > 0 || diff.reordered !== null || diff.stale.length > 0 || runningTag !== tag;
  return diff;
}

/**
 * Compares doc with the running policy and, unless dryRun or nothing
 * differs (a stale rule differs), replaces it in one step, tagged
 * "NAME sha256:…". Nothing
 * changes when the module refuses any rule (an exe or cgroup that names
 * nothing, a name taken by a rule made by hand).
 */
export function applyPolicy(mon: Monitor, doc: PolicyDocument, opts: { dryRun?: boolean } = {}): PolicyDiff {
  const normal = normalDocument(doc, mon.syscalls);
  const running = readRunning(mon);
  const diff = diffPolicies(running.doc, mon.policyTag(), normal, running.stale);
  if (opts.dryRun || !diff.changes) return diff;
  mon.replacePolicy({ mode: normal.spec.mode, exits: normal.spec.exits, tag: diff.tag, rules: normal.spec.rules });
  return { ...diff, applied: true };
}
