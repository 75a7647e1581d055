/*
 * `syscallmon ps [--detail] [--stats] [--sort FIELD] [--json]`: the task
 * lister from /proc/syscallmon/{tasks,task_detail,task_stats},
 * which the module fills in one walk of the process list each.  Needs the
 * module and root (the files are 0400); not the device.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { closestNames } from '../../lib/syscalls.js';
import {
  readTaskDetail,
  readTasks,
  readTaskStats,
  type ReadText,
  type TaskDetail,
  type TaskRow,
  type TaskStats,
} from '../../lib/tasks.js';
import type { Ctx } from '../context.js';
import { jsonLine } from '../../render/ndjson.js';
import { sanitize } from '../../render/sanitize.js';
import { numberColumn, renderTable, type Column } from '../../render/table.js';
import type { Palette } from '../../render/colour.js';
import { single } from '../options.js';

/** Sort keys: ids and names ascending, sizes biggest first (what one looks for). */
const SORTS = {
  pid: { order: 'asc', key: (t: TaskRow) => t.pid },
  ppid: { order: 'asc', key: (t: TaskRow) => t.ppid },
  uid: { order: 'asc', key: (t: TaskRow) => t.uid },
  command: { order: 'asc', key: (t: TaskRow) => t.comm },
  rss: { order: 'desc', key: (t: TaskRow) => t.rss_kb },
  vm: { order: 'desc', key: (t: TaskRow) => t.vm_kb },
  threads: { order: 'desc', key: (t: TaskRow) => t.threads },
} as const;

export type SortField = keyof typeof SORTS;
export const SORT_FIELDS = Object.keys(SORTS) as SortField[];

export function parseSort(value: string): SortField {
  const v = value.trim().toLowerCase();
  if ((SORT_FIELDS as string[]).includes(v)) return v as SortField;
  const near = closestNames(v, SORT_FIELDS, 1);
  throw new InvalidArgumentError(
    `unknown field '${value}'${near.length ? `; did you mean ${near[0]}?` : ''} (one of ${SORT_FIELDS.join(', ')})`,
  );
}

export function sortTasks<T extends TaskRow>(rows: readonly T[], field: SortField): T[] {
  const { order, key } = SORTS[field];
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    // Ties in pid order, so output is stable whatever the field.
    return c !== 0 ? c * sign : a.pid - b.pid;
  });
}

const TASK_COLUMNS: readonly Column[] = [
  numberColumn('PID'), numberColumn('PPID'), { header: 'COMMAND' }, { header: 'STATE' },
  numberColumn('VM(KB)'), numberColumn('RSS(KB)'), numberColumn('THREADS'), numberColumn('UID'),
  numberColumn('GID'),
];

function stateText(state: string, colour: Palette): string {
  if (state === 'R') return colour.ok(state);
  if (state === 'Z' || state === 'D') return colour.warn(state);
  return state;
}

export function renderTasks(rows: readonly TaskRow[], colour: Palette): string {
  return renderTable(
    TASK_COLUMNS,
    rows.map((t) => [
      String(t.pid), String(t.ppid), sanitize(t.comm), stateText(t.state, colour),
      String(t.vm_kb), String(t.rss_kb), String(t.threads), String(t.uid), String(t.gid),
    ]),
    colour,
  );
}

/** CPU time in seconds, two decimals. */
function seconds(ns: bigint): string {
  return (Number(ns / 10_000_000n) / 100).toFixed(2);
}

/** Wall-clock start from boot-relative ns, given the boot-relative now (null: unknown). */
export function startedText(startNs: bigint, uptimeNs: bigint | null, nowMs: number): string {
  if (uptimeNs === null) return `boot+${seconds(startNs)}s`;
  const ageMs = Number((uptimeNs > startNs ? uptimeNs - startNs : 0n) / 1_000_000n);
  const d = new Date(nowMs - ageMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (ageMs >= 86_400_000) return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function tidsText(tids: readonly number[]): string {
  const shown = tids.slice(0, 6).join(',');
  return tids.length > 6 ? `${shown},… (+${tids.length - 6})` : shown;
}

const DETAIL_COLUMNS: readonly Column[] = [
  numberColumn('PID'), numberColumn('PPID'), { header: 'COMMAND' }, { header: 'STATE' }, numberColumn('NI'),
  numberColumn('PRI'), { header: 'STARTED' }, numberColumn('USER(s)'), numberColumn('SYS(s)'),
  numberColumn('VM(KB)'), numberColumn('RSS(KB)'), numberColumn('UID'), numberColumn('GID'),
  { header: 'TIDS' },
];

export function renderTaskDetail(rows: readonly TaskDetail[], colour: Palette, uptimeNs: bigint | null, nowMs: number): string {
  return renderTable(
    DETAIL_COLUMNS,
    rows.map((t) => [
      String(t.pid), String(t.ppid), sanitize(t.comm), stateText(t.state, colour) + ` (${t.state_name})`,
      String(t.nice), String(t.priority), startedText(t.start_time_ns, uptimeNs, nowMs),
      seconds(t.utime_ns), seconds(t.stime_ns), String(t.vm_kb), String(t.rss_kb),
      String(t.uid), String(t.gid), tidsText(t.tids),
    ]),
    colour,
  );
}

export function renderTaskStats(s: TaskStats, colour: Palette): string {
  const rows: string[][] = Object.entries(s.states).map(([state, n]) => [state.replace(/_/g, ' '), String(n)]);
  rows.push(
    [colour.bold('total tasks'), colour.bold(String(s.total_tasks))],
    ['total threads', String(s.total_threads)],
    ['total VM (MB)', String(s.total_vm_mb)],
    ['total RSS (MB)', String(s.total_rss_mb)],
  );
  return renderTable([{ header: 'STATE' }, numberColumn('TASKS')], rows, colour);
}

/** NDJSON shape of a detail row: bigints as decimal strings, like ts_ns in events. */
export function detailJson(t: TaskDetail): Record<string, unknown> {
  return {
    ...t,
    start_time_ns: t.start_time_ns.toString(),
    utime_ns: t.utime_ns.toString(),
    stime_ns: t.stime_ns.toString(),
  };
}

/** CLOCK_BOOTTIME now, as /proc/uptime gives it (what start_time_ns counts from); null when unreadable. */
export function bootNs(read: ReadText): bigint | null {
  try {
    const m = /^(\d+)\.(\d{2})/.exec(read('/proc/uptime', 'latin1'));
    return m ? BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!) * 10_000_000n : null;
  } catch {
    return null;
  }
}

interface PsOptions {
  detail?: boolean;
  stats?: boolean;
  sort?: SortField;
  json?: boolean;
}

export function psCommand(ctx: Ctx, read: ReadText = (p, enc) => readFileSync(p, enc)): Command {
  return new Command('ps')
    .description('list processes from the module\'s task lister (/proc/syscallmon/tasks)')
    .option('--detail', 'more per process: nice, priority, start, CPU times, thread ids')
    .addOption(new Option('--stats', 'counts by state and totals instead of a list').conflicts(['detail', 'sort']))
    .addOption(
      single(new Option('--sort <field>', `sort by ${SORT_FIELDS.join(', ')} (sizes biggest first; default pid)`).argParser(parseSort)),
    )
    .option('--json', 'NDJSON: one process per line (--stats: one object)')
    .action(async (opts: PsOptions) => {
      const procDir = ctx.io.binding().procDir;
      if (opts.stats) {
        const s = readTaskStats(procDir, read);
        await ctx.out(opts.json ? jsonLine(s) : renderTaskStats(s, ctx.colour));
        return;
      }
      const sort = opts.sort ?? 'pid';
      if (opts.detail) {
        const rows = sortTasks(readTaskDetail(procDir, read), sort);
        await ctx.out(
          opts.json
            ? rows.map((t) => jsonLine(detailJson(t))).join('')
            : renderTaskDetail(rows, ctx.colour, bootNs(read), Date.now()),
        );
        return;
      }
      const rows = sortTasks(readTasks(procDir, read), sort);
      await ctx.out(opts.json ? rows.map((t) => jsonLine(t)).join('') : renderTasks(rows, ctx.colour));
    });
}
