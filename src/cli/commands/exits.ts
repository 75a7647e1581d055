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
  /** only where open files (a `run --exits`) hold them on, set off: what is set, and how many hold */
  exits_set?: boolean;
  exits_holders?: number;
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
  const after = m.status();
  const held = after.exits !== after.exits_set ? { exits_set: after.exits_set, exits_holders: after.exits_holders } : {};
  return { exits: after.exits, previous_exits: previous, ...held };
}

export function renderExits(r: ExitsResult): string {
  const state = r.exits ? 'ON' : 'OFF';
  const change = r.exits === r.previous_exits ? 'unchanged' : `was ${r.previous_exits ? 'ON' : 'OFF'}`;
  const hint = r.exits ? '; see them with syscallmon tail or syscallmon log' : '';
  const files = r.exits_holders === 1 ? '1 open file holds them' : `${r.exits_holders} open files hold them`;
  const held = r.exits_set === undefined ? '' : `\nexit events set OFF, but ${files} on (syscallmon run --exits, for its command's time) until it lets go`;
  return `exit events ${state} (${change})${hint}${held}\n`;
}
