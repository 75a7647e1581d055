/*
 * `syscallmon --exits on|off`: process-exit events, a
 * root control flag like --off/--log/--block and combinable with them.
 * Exit records then stream through the same ring as syscalls: `log` and
 * `tail` show them (type "exit" in NDJSON, with exit_code, signal,
 * utime_ns and stime_ns).
 */
import { InvalidArgumentError } from 'commander';
import type { Monitor } from '../../lib/index.js';

export interface ExitsResult {
  exits: boolean;
  previous_exits: boolean;
}

export function parseOnOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new InvalidArgumentError('expected on or off');
}

export function applyExits(m: Monitor, on: boolean): ExitsResult {
  const previous = m.status().exits;
  m.setExits(on);
  return { exits: on, previous_exits: previous };
}

export function renderExits(r: ExitsResult): string {
  const state = r.exits ? 'ON' : 'OFF';
  const change = r.exits === r.previous_exits ? 'unchanged' : `was ${r.previous_exits ? 'ON' : 'OFF'}`;
  const hint = r.exits ? '; see them with syscallmon tail or syscallmon log' : '';
  return `exit events ${state} (${change})${hint}\n`;
}
