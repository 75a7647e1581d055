/*
 * `syscallmon status [--json]`: mode, targets with actions and scopes,
 * per-target counters, missed probes, lost and overwritten records.
 */
import { Command } from 'commander';
import type { Monitor, Status } from '../../lib/monitor.js';
import type { Ctx } from '../context.js';
import { jsonLine } from '../../render/ndjson.js';
import { renderStatus } from '../../render/status.js';

/** Status in the shape --json prints: snake_case like the event fields, counters as numbers. */
export interface StatusReport {
  api_version: number;
  mode: Status['mode'];
  exits: boolean;
  clear_on_read: boolean;
  capacity: number;
  held: number;
  readers: number;
  probes_armed: number;
  events: number;
  overwritten: number;
  cleared: number;
  missed: number;
  exits_seen: number;
  head_seq: number;
  tail_seq: number;
  targets: {
    syscall: string;
    nr: number;
    action: 'log' | 'block';
    errno: string | null;
    pids: number[] | 'all';
    force: boolean;
    armed: boolean;
    hits: number;
    logged: number;
    blocked: number;
    missed: number;
  }[];
}

// Counters are u64 in the ABI, but none can pass 2^53 in the life of a machine.
const n = (v: bigint): number => Number(v);

export function statusReport(s: Status): StatusReport {
  return {
    api_version: s.apiVersion,
    mode: s.mode,
    exits: s.exits,
    clear_on_read: s.clearOnRead,
    capacity: s.capacity,
    held: n(s.headSeq - s.tailSeq),
    readers: s.readers,
    probes_armed: s.armed,
    events: n(s.events),
    overwritten: n(s.overwritten),
    cleared: n(s.cleared),
    missed: n(s.missed),
    exits_seen: n(s.exitsSeen),
    head_seq: n(s.headSeq),
    tail_seq: n(s.tailSeq),
    targets: s.targets.map((t) => ({
      syscall: t.syscall,
      nr: t.nr,
      action: t.action,
      errno: t.action === 'block' ? t.errno : null,
      pids: t.pids,
      force: t.force,
      armed: t.armed,
      hits: n(t.hits),
      logged: n(t.logged),
      blocked: n(t.blocked),
      missed: n(t.missed),
    })),
  };
}

export function getStatus(m: Monitor): StatusReport {
  const report = statusReport(m.status());
  // Our own open file is one of the readers; the user asked about the others.
  report.readers = Math.max(0, report.readers - 1);
  return report;
}

export function statusCommand(ctx: Ctx): Command {
  return new Command('status')
    .description('mode, targets and their counters, ring usage, lost and missed events')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const monitor = ctx.openMonitor();
      let report: StatusReport;
      try {
        report = getStatus(monitor);
      } finally {
        monitor.close();
      }
      await ctx.out(opts.json ? jsonLine(report) : renderStatus(report, ctx.colour));
    });
}
