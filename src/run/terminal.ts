/*
 * Whether this process is in its terminal's foreground process group: the
 * group a terminal sends Ctrl-C's SIGINT and Ctrl-\'s SIGQUIT to.  CMD,
 * started in syscallmon's group, then has such a signal already.
 */
import { readFileSync } from 'node:fs';

/**
 * From a /proc/PID/stat line: whether its pgrp (field 5) is its terminal's
 * foreground group (tpgid, field 8; -1 without a terminal).  comm, field 2,
 * may hold spaces and ')': the fields are counted from its last ')'.
 */
export function statInForeground(stat: string): boolean {
  const end = stat.lastIndexOf(')');
  if (end < 0) return false;
  // From field 3 (state) on.
  const fields = stat.slice(end + 1).trim().split(/\s+/);
  const pgrp = Number(fields[2]);
  const tpgid = Number(fields[5]);
  return Number.isInteger(pgrp) && pgrp > 0 && tpgid === pgrp;
}

/** Whether syscallmon is in its terminal's foreground; false when that can't be told (no /proc). */
export function inTerminalForeground(): boolean {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return false;
  }
  return statInForeground(stat);
}
