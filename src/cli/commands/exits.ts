/*
 * `syscallmon --exits on|off`: process-exit events, a
 * root control flag like --off/--log/--block and combinable with them.
 * Exit records then stream through the same ring as syscalls: `log` and
 * `tail` show them (type "exit" in NDJSON, with exit_code, signal,
 * utime_ns and stime_ns).
 */
import { InvalidArgumentError } from 'commander';
import type { Monitor } from '../../lib/index.js';
import type { Status } from '../../lib/status.js';

/** exits and previous_exits are as set; a hold (a `run --exits`) may keep them on meanwhile. */
export interface ExitsResult {
  exits: boolean;
  previous_exits: boolean;
  /** only where open files hold them on while set off: true, and how many hold */
  exits_in_effect?: boolean;
  exits_holders?: number;
}

export function parseOnOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new InvalidArgumentError('expected on or off');
}

export function applyExits(m: Monitor, on: boolean): ExitsResult {
  const before = m.status();
  m.setExits(on);
  return exitsResult(before, m.status());
}

export function exitsResult(before: Status, after: Status): ExitsResult {
  const held = after.exits !== after.exits_set ? { exits_in_effect: after.exits, exits_holders: after.exits_holders } : {};
  return { exits: after.exits_set, previous_exits: before.exits_set, ...held };
}

export function renderExits(r: ExitsResult): string {
  const state = r.exits ? 'ON' : 'OFF';
  const change = r.exits === r.previous_exits ? 'unchanged' : `was ${r.previous_exits ? 'ON' : 'OFF'}`;
  const on = r.exits_in_effect ?? r.exits;
  const hint = on ? '; see them with syscallmon tail or syscallmon log' : '';
  const files = r.exits_holders === 1 ? '1 open file holds them' : `${r.exits_holders} open files hold them`;
  const held = r.exits_in_effect === undefined ? '' :
    `\nexit events ON while ${files} (syscallmon run --exits, for its command's time); OFF once ${r.exits_holders === 1 ? 'it lets' : 'they let'} go`;
  return `exit events ${state} (${change})${hint}${held}\n`;
}
