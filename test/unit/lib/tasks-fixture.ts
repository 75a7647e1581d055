// /proc/syscallmon/{tasks,task_detail,task_stats} text exactly as
// kernel/tasks.c prints it (same printf widths, comm as raw bytes), as a
// latin1 string: one char per byte, which is how the parser reads the files.

export interface Row {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  vm: number;
  rss: number;
  threads: number;
  uid: number;
  gid: number;
}

/** comm as the kernel stores it: UTF-8 bytes, one latin1 char each. */
const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const left = (s: string, w: number): string => s.padEnd(w);
const right = (s: string | number, w: number): string => String(s).padStart(w);

export function tasksFile(rows: readonly Row[]): string {
  // "%-8s %-8s %-16s %-5s %12s %12s %8s %8s %8s\n"
  let out = `${left('PID', 8)} ${left('PPID', 8)} ${left('COMMAND', 16)} ${left('STATE', 5)} ${right('VM(KB)', 12)} ${right('RSS(KB)', 12)} ${right('THREADS', 8)} ${right('UID', 8)} ${right('GID', 8)}\n`;
  for (const r of rows) {
    // "%-8d %-8d %-16s %-5c %12lu %12lu %8d %8u %8u\n"
    out += `${left(String(r.pid), 8)} ${left(String(r.ppid), 8)} ${left(bytes(r.comm), 16)} ${left(r.state, 5)} ${right(r.vm, 12)} ${right(r.rss, 12)} ${right(r.threads, 8)} ${right(r.uid, 8)} ${right(r.gid, 8)}\n`;
  }
  return out;
}

const STATE_NAMES: Record<string, string> = {
  R: 'running', S: 'sleeping', D: 'disk sleep', T: 'stopped', t: 'tracing stop', X: 'dead', Z: 'zombie', P: 'parked', I: 'idle',
};

/** Detail values derived from the row: pid 245 gets nice -5 and CPU time, the rest 0. */
export function detailFile(rows: readonly Row[]): string {
  let out = '';
  for (const r of rows) {
    const nice = r.pid === 245 ? -5 : 0;
    const tids = Array.from({ length: r.threads }, (_, i) => r.pid + i);
    out +=
      `PID: ${r.pid}\nPPID: ${r.ppid}\nCOMMAND: ${bytes(r.comm)}\nSTATE: ${r.state} (${STATE_NAMES[r.state] ?? 'unknown'})\n` +
      `VM(KB): ${r.vm}\nRSS(KB): ${r.rss}\nTHREADS: ${r.threads}\nUID: ${r.uid}\nGID: ${r.gid}\n` +
      `NICE: ${nice}\nPRIORITY: ${120 + nice}\nSTART_TIME_NS: ${12_345_678_901n + BigInt(r.pid)}\n` +
      `UTIME_NS: ${r.pid === 245 ? 2_500_000_000 : 0}\nSTIME_NS: ${r.pid === 245 ? 1_000_000 : 0}\nTIDS:` +
      tids.map((t) => ` ${t}`).join('') +
      '\n\n';
  }
  return out;
}

export function statsFile(states: Record<string, number>, threads: number, vmMb: number, rssMb: number): string {
  const total = Object.values(states).reduce((a, b) => a + b, 0);
  return (
    Object.entries(states).map(([k, v]) => `${k}: ${v}\n`).join('') +
    `total_tasks: ${total}\ntotal_threads: ${threads}\ntotal_vm_mb: ${vmMb}\ntotal_rss_mb: ${rssMb}\n`
  );
}
