// A policy document as a file (YAML or JSON: what `policy show` prints and
// `apply` reads back), and a diff as lines for people.
import { lazy } from '../lazy.js';
import type { PolicyDocument, PolicyRule } from './document.js';
import type { PolicyDiff } from './apply.js';

const yamlLib = lazy<typeof import('yaml')>('yaml');

/** Fields whose lists and { min, max } or { prefix } a file shows on one line. */
const ONE_LINE = new Set(['syscalls', 'fileOps', 'uid', 'euid', 'auid', 'gid', 'comm', 'path']);

/** The document as a policy file: YAML, short lists and selectors on one line; or JSON. */
export function renderPolicy(doc: PolicyDocument, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const { Document, isMap, isScalar, isSeq, visit } = yamlLib();
  const yaml = new Document(doc);
  visit(yaml, {
    Pair(_, pair) {
      if (isScalar(pair.key) && ONE_LINE.has(String(pair.key.value)) && (isMap(pair.value) || isSeq(pair.value))) {
        pair.value.flow = true;
      }
    },
  });
  return yaml.toString({ flowCollectionPadding: false, lineWidth: 0 });
}

/** A value on one line, as YAML's flow style writes it. */
function inline(value: unknown): string {
  if (value === undefined) return '(none)';
  return new (yamlLib().Document)(value).toString({ collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function ruleLine(rule: PolicyRule): string {
  const { name: _name, ...rest } = rule;
  return inline(rest);
}

const SELECTORS: ReadonlySet<string> = new Set(['uid', 'euid', 'auid', 'gid', 'comm', 'exe', 'cgroup', 'path']);

/** A rule's field as a diff shows it: what a field left out means (the normal form leaves defaults out). */
function fieldText(rule: PolicyRule, field: string): string {
  const value = rule[field as keyof PolicyRule];
  if (value !== undefined) return inline(value);
  if (field === 'errno') return rule.action === 'block' ? 'EPERM' : '(none)';
  if (field === 'record') return rule.action === 'allow' ? '(none)' : 'complete';
  if (field === 'enforce' || field === 'force' || field === 'failedOnly') return 'false';
  return SELECTORS.has(field) ? '(any)' : '(none)';
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');

/** What applying changes (or changed), one line each, and a summary line. */
export function renderDiff(diff: PolicyDiff): string {
  const lines: string[] = [];
  lines.push(`policy ${diff.tag}${diff.previous_tag && diff.previous_tag !== diff.tag ? ` (running: ${diff.previous_tag})` : ''}`);
  if (diff.mode) lines.push(`  mode: ${diff.mode.before} -> ${diff.mode.after}`);
  if (diff.exits) lines.push(`  exit events: ${onOff(diff.exits.before)} -> ${onOff(diff.exits.after)}`);
  for (const r of diff.added) lines.push(`+ rule ${r.name}: ${ruleLine(r)}`);
  for (const c of diff.changed) {
    const fields = c.fields.map((f) => `${f} ${fieldText(c.before, f)} -> ${fieldText(c.after, f)}`);
    lines.push(`~ rule ${c.name}: ${fields.join('; ')}`);
  }
  for (const r of diff.removed) lines.push(`- rule ${r.name}: ${ruleLine(r)}`);
  for (const name of diff.stale) lines.push(`! rule ${name}: its file was replaced since it was made (stale); made again, it holds the one there now`);
  if (diff.reordered) lines.push(`  order: ${diff.reordered.before.join(', ') || '(none)'} -> ${diff.reordered.after.join(', ')}`);
  const remade = diff.stale.length ? `, ${diff.stale.length} made again` : '';
  const counts = `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed${remade}`;
  if (!diff.changes) lines.push('unchanged: the running policy is this one');
  else if (diff.applied) lines.push(`applied: ${counts}`);
  else lines.push(`dry run, nothing applied: ${counts}`);
  return `${lines.join('\n')}\n`;
}
