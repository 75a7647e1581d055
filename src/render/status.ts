/*
 * The module's state for people: `syscallmon status`, and the words every
 * command uses for a mode change, a target and its scope.
 */
import { bytesText } from '../lib/module.js';
import type { Mode, Status, TargetSettings } from '../lib/status.js';
import type { Palette } from './colour.js';
import { renderTable } from './table.js';

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

export function renderStatus(s: Status, colour: Palette): string {
  const mode =
    s.mode === 'block' ? colour.blocked('BLOCK') : s.mode === 'log' ? colour.ok('LOG') : colour.dim('OFF');
  const lines = [
    `mode       ${mode}`,
    `ring       ${s.held_records} records held in ${bytesText(s.held_bytes)} of ${bytesText(s.ring_size)}; ` +
      `${s.events} written, ${s.overwritten} overwritten, ${s.cleared} cleared` +
      (s.clear_on_read ? '; /proc reads clear' : ''),
    `calls      ${s.calls_in_flight} of ${s.return_slots} return slots in use; ${s.no_result} recorded without result`,
    `probes     ${s.probes_armed} armed, ${s.missed} missed`,
    `exits      ${s.exits ? 'on' : 'off'} (${s.exits_seen} seen)`,
    `readers    ${s.readers} other${s.readers === 1 ? '' : 's'}`,
  ];
  let out = lines.join('\n') + '\n';
  if (s.targets.length === 0) {
    return out + 'targets    none (add one: syscallmon --log --syscall NAME)\n';
  }
  out += '\n';
  out += renderTable(
    [
      { header: 'SYSCALL' },
      { header: 'NR', align: 'right' },
      { header: 'ACTION' },
      { header: 'SCOPE' },
      { header: 'RECORD' },
      { header: 'ARMED' },
      { header: 'HITS', align: 'right' },
      { header: 'LOGGED', align: 'right' },
      { header: 'BLOCKED', align: 'right' },
      { header: 'MISSED', align: 'right' },
      { header: 'NO RESULT', align: 'right' },
      { header: 'SKIPPED', align: 'right' },
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
  return out;
}
