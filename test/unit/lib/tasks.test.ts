// Parsing the task lister's /proc files (kernel/tasks.c formats).
import { describe, expect, it } from 'vitest';
import { NotLoadedError, PermissionError, VersionError } from '../../../src/lib/errors.js';
import {
  parseTaskDetail,
  parseTasks,
  parseTaskStats,
  readTaskFile,
  TaskFormatError,
  type ReadText,
} from '../../../src/lib/tasks.js';
import { detailFile, statsFile, tasksFile, type Row } from './tasks-fixture.js';

const rows: Row[] = [
  { pid: 1, ppid: 0, comm: 'init', state: 'S', vm: 2440, rss: 1012, threads: 1, uid: 0, gid: 0 },
  { pid: 245, ppid: 1, comm: 'node', state: 'R', vm: 1134560, rss: 98304, threads: 11, uid: 0, gid: 0 },
  { pid: 4194303, ppid: 245, comm: 'with space', state: 'T', vm: 0, rss: 0, threads: 1, uid: 65534, gid: 65534 },
  // a comm may hold anything prctl(PR_SET_NAME) was given, a newline and UTF-8 included
  { pid: 300, ppid: 245, comm: 'two\nlines', state: 'Z', vm: 0, rss: 0, threads: 1, uid: 1000, gid: 100 },
  { pid: 301, ppid: 245, comm: 'héllo 15 bytes', state: 'I', vm: 5, rss: 4, threads: 3, uid: 1, gid: 2 },
  { pid: 302, ppid: 245, comm: 'exactly15bytes!', state: 'D', vm: 999999999999, rss: 1, threads: 1, uid: 4294967294, gid: 0 },
];

describe('/proc/syscallmon/tasks', () => {
  it('parses every row, whatever the comm holds', () => {
    expect(parseTasks(tasksFile(rows))).toEqual(
      rows.map((r) => ({
        pid: r.pid, ppid: r.ppid, comm: r.comm, state: r.state, vm_kb: r.vm, rss_kb: r.rss, threads: r.threads, uid: r.uid, gid: r.gid,
      })),
    );
  });

  it('a header alone is an empty list', () => {
    expect(parseTasks(tasksFile([]))).toEqual([]);
  });

  it.each([
    ['no header', (t: string) => t.slice(t.indexOf('\n') + 1)],
    ['a cut row', (t: string) => t.slice(0, -20)],
    ['garbage in a number', (t: string) => t.replace('98304', '98x04')],
  ])('%s: a format error naming the file and line (exit 5 as a version mismatch)', (_name, corrupt) => {
    const err = (() => {
      try {
        parseTasks(corrupt(tasksFile(rows)));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TaskFormatError);
    expect(err).toBeInstanceOf(VersionError);
    expect((err as Error).message).toMatch(/^\/proc\/syscallmon\/tasks: unexpected text on line \d+ /);
  });
});

describe('/proc/syscallmon/task_detail', () => {
  it('parses every block with CPU times, start time and thread ids', () => {
    const parsed = parseTaskDetail(detailFile(rows));
    expect(parsed).toHaveLength(rows.length);
    expect(parsed[1]).toEqual({
      pid: 245, ppid: 1, comm: 'node', state: 'R', state_name: 'running', vm_kb: 1134560, rss_kb: 98304, threads: 11,
      uid: 0, gid: 0, nice: -5, priority: 115, start_time_ns: 12_345_678_901n + 245n, utime_ns: 2_500_000_000n,
      stime_ns: 1_000_000n, tids: [245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255],
    });
    // toEqual ignores key order; JSON output (ps --detail --json) keeps the block's.
    expect(Object.keys(parsed[1]!)).toEqual(['pid', 'ppid', 'comm', 'state', 'state_name', 'vm_kb', 'rss_kb', 'threads',
      'uid', 'gid', 'nice', 'priority', 'start_time_ns', 'utime_ns', 'stime_ns', 'tids']);
    expect(parsed[3]).toMatchObject({ comm: 'two\nlines', state: 'Z', state_name: 'zombie', tids: [300] });
    expect(parsed[2]?.comm).toBe('with space');
  });

  it('a broken block is a format error', () => {
    expect(() => parseTaskDetail(detailFile(rows).replace('NICE: -5', 'NICE: x'))).toThrow(TaskFormatError);
  });
});

describe('/proc/syscallmon/task_stats', () => {
  it('states and totals, in the kernel\'s order', () => {
    const s = parseTaskStats(statsFile({ running: 2, sleeping: 80, disk_sleep: 0, stopped: 1, tracing_stop: 0, zombie: 1, dead: 0, parked: 0, idle: 12, other: 0 }, 1234, 10, 3));
    expect(Object.keys(s.states)).toEqual(['running', 'sleeping', 'disk_sleep', 'stopped', 'tracing_stop', 'zombie', 'dead', 'parked', 'idle', 'other']);
    expect(s).toMatchObject({ total_tasks: 96, total_threads: 1234, total_vm_mb: 10, total_rss_mb: 3 });
    expect(Object.values(s.states).reduce((a, b) => a + b, 0)).toBe(s.total_tasks);
  });

  it.each([
    ['a total missing', 'running: 1\ntotal_tasks: 1\n'],
    ['a bad line', 'running: 1\nfoo bar\n'],
    ['no states', 'total_tasks: 0\ntotal_threads: 0\ntotal_vm_mb: 0\ntotal_rss_mb: 0\n'],
  ])('%s: format error', (_name, text) => {
    expect(() => parseTaskStats(text)).toThrow(TaskFormatError);
  });
});

describe('reading the files', () => {
  const fail = (code: string, alsoStatus = false): ReadText => (path) => {
    if (path.endsWith('/status') && !alsoStatus) return 'mode: OFF\n';
    throw Object.assign(new Error(`${code}: ${path}`), { code });
  };

  it('no /proc/syscallmon: not loaded (exit 3), says how to load', () => {
    expect(() => readTaskFile('/proc/syscallmon', 'tasks', fail('ENOENT', true))).toThrow(NotLoadedError);
    expect(() => readTaskFile('/proc/syscallmon', 'tasks', fail('ENOENT', true))).toThrow(/not loaded .*syscallmon load/);
  });

  it('the directory but not the file: an older module (version error)', () => {
    expect(() => readTaskFile('/proc/syscallmon', 'task_stats', fail('ENOENT'))).toThrow(VersionError);
  });

  it('EACCES (not root; the files are 0400): permission (exit 4)', () => {
    expect(() => readTaskFile('/proc/syscallmon', 'tasks', fail('EACCES'))).toThrow(PermissionError);
  });

  it('reads latin1, so a comm\'s bytes survive to be decoded as UTF-8', () => {
    const text = tasksFile(rows);
    const read: ReadText = (_p, enc) => Buffer.from(text, 'latin1').toString(enc);
    expect(readTaskFile('/x', 'tasks', read)).toBe(text);
  });
});
