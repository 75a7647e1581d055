/*
 * The module's state for people: `syscallmon status`, and the words every
 * command uses for a mode change, a target and its scope.
 */
import { bytesText } from '../lib/module.js';
import type { RuleInfo, TextSelector } from '../lib/rules.js';
import type { Mode, Status, TargetSettings } from '../lib/status.js';
import type { Palette } from './colour.js';
import { sanitize } from './sanitize.js';
import { numberColumn, renderTable } from './table.js';

/** "every process", "pid 1234", "pids 12, 34", "no pid" (a scope that is empty, or whose processes exited). */
export function scopeText(pids: number[] | 'all'): string {
  if (pids === 'all') return 'every process';
  if (pids.length === 0) return 'no pid';
  return `pid${pids.length === 1 ? '' : 's'} ${pids.join(', ')}`;
}

/** "log", "block with EPERM" */
export function actionText(t: Pick<TargetSettings, 'action' | 'errno'>): string {
  return t.action === 'block' ? `block with ${t.errno ?? 'EPERM'}` : 'log';
}

/** "complete", "complete, failures only", "entry", "both": what a call makes. */
export function recordText(t: Pick<TargetSettings, 'record' | 'failed_only'>): string {
  return t.record + (t.failed_only ? ', failures only' : '');
}

/** ", failures only", ", recorded at entry", ...: a record mode other than the default, complete. */
function recordNote(t: Partial<Pick<TargetSettings, 'record' | 'failed_only'>>): string {
  if (t.record === 'entry') return ', recorded at entry';
  if (t.record === 'both') return ', recorded at entry and return';
  return t.failed_only ? ', failures only' : '';
}

/** "block with EPERM, pid 1234, forced, recorded at entry": what a target does to whom. */
export function targetText(
  t: Pick<TargetSettings, 'action' | 'errno' | 'pids'> & Partial<Pick<TargetSettings, 'force' | 'record' | 'failed_only'>>,
): string {
  return `${actionText(t)}, ${scopeText(t.pids)}${t.force ? ', forced' : ''}${recordNote(t)}`;
}

/** "mode LOG (was OFF)", "mode LOG (unchanged)" */
export function modeChangeText(mode: Mode, previous: Mode): string {
  const now = mode.toUpperCase();
  return mode === previous ? `mode ${now} (unchanged)` : `mode ${now} (was ${previous.toUpperCase()})`;
}

function idText(name: string, r: { min: number; max: number } | null): string[] {
  if (r === null) return [];
  return [`${name} ${r.min === r.max ? r.min : `${r.min}-${r.max}`}`];
}

function textSel(name: string, t: TextSelector | null): string[] {
  if (t === null) return [];
  return [typeof t === 'string' ? `${name} ${sanitize(t)}` : `${name} ${sanitize(t.prefix)}*`];
}

/** "block with EACCES (audit)", "kill, forced", "log, failures only", "allow" */
export function ruleActionText(r: RuleInfo): string {
  let text = r.action === 'block' ? `block with ${r.errno ?? 'EPERM'}` : r.action;
  if ((r.action === 'block' || r.action === 'kill') && !r.enforce) text += ' (audit)';
  if (r.force) text += ', forced';
  return r.action === 'allow' ? text : text + recordNote(r);
}

/** "openat, openat2", "open, exec of /etc/shadow", the first few of a long list. */
export function ruleCoversText(r: RuleInfo): string {
  if (r.file !== null) return `${r.file_ops.join(', ')} of ${sanitize(r.file)}`;
  const shown = r.syscalls.slice(0, 4).join(', ');
  return r.syscalls.length > 4 ? `${shown}, … (+${r.syscalls.length - 4})` : shown;
}

/** "uid 1000-1999, comm sshd*, tree of 3": who a rule applies to; "every process" without selectors. */
export function ruleSelectorsText(r: RuleInfo): string {
  const parts = [
    ...(r.scope === 'pids' ? [`pids (${r.processes})`] : r.scope === 'tree' ? [`tree (${r.processes})`] : []),
    ...idText('uid', r.uid),
    ...idText('euid', r.euid),
    ...idText('auid', r.auid),
    ...idText('gid', r.gid),
    ...textSel('comm', r.comm),
    ...(r.exe !== null ? [`exe ${sanitize(r.exe)}`] : []),
    ...(r.cgroup !== null ? [`cgroup ${sanitize(r.cgroup)}`] : []),
    ...textSel('path', r.path),
  ];
  return parts.length ? parts.join(', ') : 'every process';
}

const CLASS_TEXT: Record<RuleInfo['rule_class'], string> = { policy: 'policy', hand: 'hand', file: 'owned' };

/** "none", "3 (1 policy, 2 hand); 8 file hooks, 0 missed": the rules line of status. */
function rulesLine(s: Status): string {
  const n = s.rules.length;
  let text = 'none';
  if (n > 0) {
    const counts = (['policy', 'hand', 'file'] as const)
      .map((c) => [CLASS_TEXT[c], s.rules.filter((r) => r.rule_class === c).length] as const)
      .filter(([, k]) => k > 0)
      .map(([name, k]) => `${k} ${name}`);
    text = `${n} (${counts.join(', ')})`;
  }
  if (s.file_hooks > 0 || s.file_hooks_missed > 0) text += `; ${s.file_hooks} file hooks, ${s.file_hooks_missed} missed`;
  if (s.tree_missed > 0) text += `; ${s.tree_missed} forks could not join their tree`;
  return text;
}

/** The rules in evaluation order with their counters. */
export function renderRules(rules: readonly RuleInfo[], colour: Palette): string {
  return renderTable(
    [
      numberColumn('ID'), { header: 'RULE' }, { header: 'CLASS' }, { header: 'ACTION' }, { header: 'COVERS' },
      { header: 'SELECTORS' }, numberColumn('MATCHED'), numberColumn('LOGGED'), numberColumn('BLOCKED'),
      numberColumn('KILLED'), numberColumn('WOULD ACT'),
    ],
    rules.map((r) => [
      String(r.id),
      sanitize(r.name),
      CLASS_TEXT[r.rule_class],
      (r.action === 'block' || r.action === 'kill') && r.enforce ? colour.blocked(ruleActionText(r)) : ruleActionText(r),
      ruleCoversText(r) + (r.stale ? ' ' + colour.warn('(stale)') : ''),
      ruleSelectorsText(r),
      String(r.matched),
      String(r.logged),
      r.blocked ? colour.blocked(String(r.blocked)) : '0',
      r.killed ? colour.blocked(String(r.killed)) : '0',
      r.would_act ? colour.wouldBlock(String(r.would_act)) : '0',
    ]),
    colour,
  );
}

export function renderStatus(s: Status, colour: Palette): string {
  const mode =
    s.mode === 'block' ? colour.blocked('BLOCK') : s.mode === 'log' ? colour.ok('LOG') : colour.dim('OFF');
  const files = s.mode_holders === 1 ? '1 open file holds' : `${s.mode_holders} open files hold`;
  const lines = [
    `mode       ${mode}` + (s.mode_holders > 0 ? ` (set ${s.mode_set.toUpperCase()}; ${files} a mode: syscallmon run)` : ''),
    `ring       ${s.held_records} records held in ${bytesText(s.held_bytes)} of ${bytesText(s.ring_size)}; ` +
      `${s.events} written (${s.config_records} config), ${s.overwritten} overwritten, ${s.cleared} cleared` +
      (s.clear_on_read ? '; /proc reads clear' : ''),
    `calls      ${s.calls_in_flight} of ${s.return_slots} return slots in use; ${s.no_result} recorded without result`,
    `probes     ${s.probes_armed} armed, ${s.missed} missed`,
    `exits      ${s.exits ? 'on' : 'off'} (${s.exits_seen} seen` +
      (s.exits_holders > 0 ? `; set ${s.exits_set ? 'on' : 'off'}, held on by ${s.exits_holders === 1 ? '1 open file' : `${s.exits_holders} open files`})` : ')'),
    `readers    ${s.readers} other${s.readers === 1 ? '' : 's'}`,
    `rules      ${rulesLine(s)}`,
  ];
  let out = lines.join('\n') + '\n';
  const rules = s.rules.length ? '\n' + renderRules(s.rules, colour) : '';
  if (s.targets.length === 0) {
    return out + 'targets    none (add one: syscallmon --log --syscall NAME)\n' + rules;
  }
  out += '\n';
  out += renderTable(
    [
      { header: 'SYSCALL' }, numberColumn('NR'), { header: 'ACTION' }, { header: 'SCOPE' },
      { header: 'RECORD' }, { header: 'ARMED' }, numberColumn('HITS'), numberColumn('LOGGED'),
      numberColumn('BLOCKED'), numberColumn('MISSED'), numberColumn('NO RESULT'), numberColumn('SKIPPED'),
    ],
    s.targets.map((t) => [
      t.syscall,
      String(t.nr),
      t.action === 'block' ? colour.blocked(actionText(t)) + (t.force ? ' (forced)' : '') : 'log',
      scopeText(t.pids),
      recordText(t),
      t.armed ? 'yes' : colour.dim('no'),
      String(t.hits),
      String(t.logged),
      t.blocked ? colour.blocked(String(t.blocked)) : '0',
      t.missed ? colour.warn(String(t.missed)) : '0',
      t.no_result ? colour.warn(String(t.no_result)) : '0',
      String(t.failed_skipped),
    ]),
    colour,
  );
  return out + rules;
}
