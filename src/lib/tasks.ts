// The task lister's /proc files (kernel/tasks.c) as typed rows.
//
// The kernel prints a task's comm as is, and a comm is whatever the process
// set with prctl(PR_SET_NAME): up to 15 bytes, spaces and newlines included.
// So these parsers never split on whitespace or lines around it: `tasks`
// prints it in a fixed 16-byte field, `task_detail` between fixed keys.
// Files are read as latin1 (one char per byte) so widths are byte counts;
// comm bytes are decoded as UTF-8 afterwards, like event comms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotLoadedError, PermissionError, SyscallmonError, VersionError } from './errors.js';

/** One row of /proc/syscallmon/tasks: a process (thread group). */
export interface TaskRow {
  pid: number;
  ppid: number;
  comm: string;
  /** the letter ps shows: R, S, D, T, t, Z, X, P, I */
  state: string;
  vm_kb: number;
  rss_kb: number;
  threads: number;
  uid: number;
  gid: number;
}

/** One block of /proc/syscallmon/task_detail. */
export interface TaskDetail extends TaskRow {
  /** "sleeping", "zombie", … as the kernel names the state */
  state_name: string;
  nice: number;
  priority: number;
  /** CLOCK_BOOTTIME when it started, ns (decimal string in JSON: may pass 2^53) */
  start_time_ns: bigint;
  /** user and system CPU time of the whole process, ns */
  utime_ns: bigint;
  stime_ns: bigint;
  /** thread ids, the leader first */
  tids: number[];
}

/** /proc/syscallmon/task_stats: one walk, so the totals agree with each other. */
export interface TaskStats {
  /** processes per state, in the kernel's order (running, sleeping, …, other) */
  states: Record<string, number>;
  total_tasks: number;
  total_threads: number;
  total_vm_mb: number;
  total_rss_mb: number;
}

export type TaskFile = 'tasks' | 'task_detail' | 'task_stats';

export class TaskFormatError extends VersionError {}

/** How a file is read (readFileSync; tests pass their own). */
export type ReadText = (path: string, encoding: 'latin1') => string;

const readText: ReadText = (path, encoding) => readFileSync(path, encoding);

function decodeComm(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function formatError(file: TaskFile, text: string, at: number, expected: string): TaskFormatError {
  const line = text.slice(0, at).split('\n').length;
  const near = JSON.stringify(text.slice(at, at + 40));
  return new TaskFormatError(
    `/proc/syscallmon/${file}: unexpected text on line ${line} (${expected}), near ${near}; ` +
      'module and tool versions differ? rebuild and reload the module',
  );
}

const TASKS_HEADER = /^PID +PPID +COMMAND +STATE +VM\(KB\) +RSS\(KB\) +THREADS +UID +GID *\n/;
// "%-8d %-8d %-16s %-5c %12lu %12lu %8d %8u %8u\n".  Pids have at most 7
// digits (PID_MAX_LIMIT), so the pid fields are exactly 8 wide and the comm
// field starts at a fixed column; the comm is 16 bytes, padding included.
const TASK_LINE =
  /(?<pid>[0-9][0-9 ]{7}) (?<ppid>[0-9][0-9 ]{7}) (?<comm>[^]{16}) (?<state>\S) {4} +(?<vm_kb>\d+) +(?<rss_kb>\d+) +(?<threads>-?\d+) +(?<uid>\d+) +(?<gid>\d+)\n/y;

/** The fields a task row and a task's block share, from their regexes' named groups. */
function taskRow(g: Record<string, string>): TaskRow {
  return {
    pid: Number(g.pid),
    ppid: Number(g.ppid),
    comm: decodeComm(g.comm!),
    state: g.state!,
    vm_kb: Number(g.vm_kb),
    rss_kb: Number(g.rss_kb),
    threads: Number(g.threads),
    uid: Number(g.uid),
    gid: Number(g.gid),
  };
}

export function parseTasks(text: string): TaskRow[] {
  const header = TASKS_HEADER.exec(text);
  if (!header) throw formatError('tasks', text, 0, 'the header row');
  const rows: TaskRow[] = [];
  let at = header[0].length;
  while (at < text.length) {
    TASK_LINE.lastIndex = at;
    const g = TASK_LINE.exec(text)?.groups;
    if (!g || !/^\d+ *$/.test(g.pid!) || !/^\d+ *$/.test(g.ppid!)) throw formatError('tasks', text, at, 'a task row');
    rows.push(taskRow({ ...g, comm: g.comm!.replace(/ +$/, '') })); // the padding of a fixed-width column
    at = TASK_LINE.lastIndex;
  }
  return rows;
}

// One block per task; the comm is at most 15 bytes and is followed by the
// fixed "\nSTATE: ", so a newline inside it cannot end it early.
const DETAIL_BLOCK = new RegExp(
  [
    'PID: (?<pid>\\d+)',
    'PPID: (?<ppid>\\d+)',
    'COMMAND: (?<comm>[^]{0,15}?)',
    'STATE: (?<state>\\S) \\((?<state_name>[^)\\n]*)\\)',
    'VM\\(KB\\): (?<vm_kb>\\d+)',
    'RSS\\(KB\\): (?<rss_kb>\\d+)',
    'THREADS: (?<threads>-?\\d+)',
    'UID: (?<uid>\\d+)',
    'GID: (?<gid>\\d+)',
    'NICE: (?<nice>-?\\d+)',
    'PRIORITY: (?<priority>-?\\d+)',
    'START_TIME_NS: (?<start_time_ns>\\d+)',
    'UTIME_NS: (?<utime_ns>\\d+)',
    'STIME_NS: (?<stime_ns>\\d+)',
    'TIDS:(?<tids>(?: \\d+)*)',
    '\\n',
  ].join('\\n'),
  'y',
);

export function parseTaskDetail(text: string): TaskDetail[] {
  const out: TaskDetail[] = [];
  let at = 0;
  while (at < text.length) {
    DETAIL_BLOCK.lastIndex = at;
    const g = DETAIL_BLOCK.exec(text)?.groups;
    if (!g) throw formatError('task_detail', text, at, 'a task block');
    const tids = g.tids!.trim();
    // In the block's order, which is what JSON shows: the state's name follows the state.
    const { pid, ppid, comm, state, ...rest } = taskRow(g);
    out.push({
      pid,
      ppid,
      comm,
      state,
      state_name: g.state_name!,
      ...rest,
      nice: Number(g.nice),
      priority: Number(g.priority),
      start_time_ns: BigInt(g.start_time_ns!),
      utime_ns: BigInt(g.utime_ns!),
      stime_ns: BigInt(g.stime_ns!),
      tids: tids === '' ? [] : tids.split(' ').map(Number),
    });
    at = DETAIL_BLOCK.lastIndex;
  }
  return out;
}

const TOTALS = ['total_tasks', 'total_threads', 'total_vm_mb', 'total_rss_mb'] as const;

export function parseTaskStats(text: string): TaskStats {
  const states: Record<string, number> = {};
  const totals: Partial<Record<(typeof TOTALS)[number], number>> = {};
  let at = 0;
  for (const line of text.split('\n')) {
    if (line !== '') {
      const m = /^([a-z_]+): (\d+)$/.exec(line);
      if (!m) throw formatError('task_stats', text, at, '"key: number"');
      const key = m[1]!;
      const value = Number(m[2]);
      if ((TOTALS as readonly string[]).includes(key)) totals[key as (typeof TOTALS)[number]] = value;
      else states[key] = value;
    }
    at += line.length + 1;
  }
  const missing = TOTALS.filter((k) => totals[k] === undefined);
  if (missing.length || Object.keys(states).length === 0) {
    throw formatError('task_stats', text, text.length, `missing ${missing.length ? missing.join(', ') : 'state counts'}`);
  }
  return {
    states,
    total_tasks: totals.total_tasks!,
    total_threads: totals.total_threads!,
    total_vm_mb: totals.total_vm_mb!,
    total_rss_mb: totals.total_rss_mb!,
  };
}

/**
 * Reads one task file from procDir (SYSCALLMON_PROC_DIR): typed errors for a
 * module that is not loaded (3), a user who is not root (4, the files are
 * 0400), and a module too old to have the file (5).
 */
export function readTaskFile(procDir: string, file: TaskFile, read: ReadText = readText): string {
  const path = join(procDir, file);
  try {
    return read(path, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      let dirThere = true;
      try {
        read(join(procDir, 'status'), 'latin1');
      } catch (inner) {
        dirThere = (inner as NodeJS.ErrnoException).code !== 'ENOENT';
      }
      if (!dirThere) throw new NotLoadedError(`no ${path}`, { cause: e });
      throw new VersionError(`the loaded module has no ${path}; rebuild and reload it (syscallmon unload && syscallmon load)`, { cause: e });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`permission denied: cannot read ${path} (${code}); syscallmon needs root`, { cause: e });
    }
    throw e instanceof SyscallmonError ? e : new Error(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export function readTasks(procDir: string, read: ReadText = readText): TaskRow[] {
  return parseTasks(readTaskFile(procDir, 'tasks', read));
}

export function readTaskDetail(procDir: string, read: ReadText = readText): TaskDetail[] {
  return parseTaskDetail(readTaskFile(procDir, 'task_detail', read));
}

export function readTaskStats(procDir: string, read: ReadText = readText): TaskStats {
  return parseTaskStats(readTaskFile(procDir, 'task_stats', read));
}
