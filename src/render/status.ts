/* The human form of `syscallmon status`. */
import type { StatusReport } from '../cli/commands/status.js';
import type { Palette } from './colour.js';
import { renderTable } from './table.js';

function scope(pids: number[] | 'all'): string {
  if (pids === 'all') return 'all';
  return pids.length ? pids.join(',') : 'none (exited)';
}

export function renderStatus(s: StatusReport, colour: Palette): string {
  const mode =
    s.mode === 'block' ? colour.blocked('BLOCK') : s.mode === 'log' ? colour.ok('LOG') : colour.dim('OFF');
  const lines = [
    `mode       ${mode}`,
    `ring       ${s.held}/${s.capacity} records held; ${s.events} written, ${s.overwritten} overwritten, ${s.cleared} cleared` +
      (s.clear_on_read ? '; /proc reads clear' : ''),
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
      { header: 'PIDS' },
      { header: 'ARMED' },
      { header: 'HITS', align: 'right' },
      { header: 'LOGGED', align: 'right' },
      { header: 'BLOCKED', align: 'right' },
      { header: 'MISSED', align: 'right' },
    ],
    s.targets.map((t) => [
      t.syscall,
      String(t.nr),
      t.action === 'block' ? colour.blocked(`block ${t.errno ?? ''}`.trimEnd()) + (t.force ? ' (force)' : '') : 'log',
      scope(t.pids),
      t.armed ? 'yes' : colour.dim('no'),
      String(t.hits),
      String(t.logged),
      t.blocked ? colour.blocked(String(t.blocked)) : '0',
      t.missed ? colour.warn(String(t.missed)) : '0',
    ]),
    colour,
  );
  return out;
}
