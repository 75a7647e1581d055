// The README's transcripts as the doc test reads them (readme.test.ts), and
// the one list of what may differ between a README and a run: the volatile
// fields, masked alike on both sides before they are compared.
//
// A transcript is a fenced block with `$ command` lines, each followed by
// the output shown for it. An HTML comment right before the block (hidden
// on GitHub) says what the block needs that it does not show:
//
//   <!-- replay
//   run: mkfifo /tmp/gate1                  a shell command run first, unseen
//   process 359: sh -c 'read g < /tmp/gate1; ...'
//                                          started first; the README's 359
//                                          stands for its real pid
//   when "Ctrl-C to stop": echo go > /tmp/gate1
//                                          run once the output shows the text
//   when "cycle 1 complete": interrupt      Ctrl-C (SIGINT) to the command
//   when "duration_ns": terminate           SIGTERM to the command
//   skip: why                               not replayed, and why
//   -->
//
// A `^C` line in the expected output stands for the interrupt and is not
// compared.

export interface Step {
  /** README line of the `$ ` */
  line: number;
  command: string;
  expected: string[];
}

export interface Trigger {
  text: string;
  /** a shell command, or 'interrupt' */
  action: string;
}

export interface Transcript {
  /** README line of the opening fence */
  line: number;
  skip?: string;
  run: string[];
  processes: { pid: number; command: string }[];
  when: Trigger[];
  steps: Step[];
}

function directives(comment: string[], t: Transcript, first: number): void {
  comment.forEach((raw, k) => {
    const d = raw.trim();
    const line = first + k;
    if (d === '') return;
    let m: RegExpMatchArray | null;
    if ((m = d.match(/^skip:\s*(.+)$/))) t.skip = m[1];
    else if ((m = d.match(/^run:\s*(.+)$/))) t.run.push(m[1]!);
    else if ((m = d.match(/^process (\d+):\s*(.+)$/))) t.processes.push({ pid: Number(m[1]), command: m[2]! });
    else if ((m = d.match(/^when "([^"]+)":\s*(.+)$/))) t.when.push({ text: m[1]!, action: m[2]! });
    else throw new Error(`README.md:${line}: unknown replay directive: ${d}`);
  });
}

/** Every transcript of the README, with its directives. */
export function parseTranscripts(readme: string): Transcript[] {
  const lines = readme.split('\n');
  const out: Transcript[] = [];
  let comment: { at: number; body: string[] } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '<!-- replay') {
      const at = i + 2;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '-->'; i++) body.push(lines[i]!);
      comment = { at, body };
      continue;
    }
    if (!text.startsWith('```')) {
      if (text.trim() !== '') comment = null;
      continue;
    }
    const fence = i + 1;
    const block: { line: number; text: string }[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) block.push({ line: i + 1, text: lines[i]! });
    const t: Transcript = { line: fence, run: [], processes: [], when: [], steps: [] };
    for (const b of block) {
      if (b.text.startsWith('$ ')) t.steps.push({ line: b.line, command: b.text.slice(2), expected: [] });
      else t.steps.at(-1)?.expected.push(b.text);
    }
    if (comment) directives(comment.body, t, comment.at);
    comment = null;
    if (t.steps.length) out.push(t);
  }
  return out;
}

/**
 * What may differ between the README and a run, and nothing else: times,
 * durations, pids, counts that depend on what else the machine did, ring
 * positions and bytes held, calls in flight, memory sizes and CPU times, the repository's path and the
 * kernel release in the module's (a machine may have a newer 6.1). Each
 * pattern names what it hides.
 */
export const VOLATILE: readonly { what: string; pattern: RegExp; mask: string }[] = [
  { what: 'repository path and kernel release', pattern: /\S*\/build\/kernel\/[^/\s]+\/syscallmon\.ko/g, mask: 'REPO/build/kernel/RELEASE/syscallmon.ko' },
  { what: 'ISO time', pattern: /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, mask: 'ISO' },
  { what: 'time of day', pattern: /\b\d\d:\d\d:\d\d(\.\d{6})?\b/g, mask: 'HH:MM:SS' },
  { what: 'nanoseconds (JSON strings)', pattern: /"\d+"/g, mask: '"NS"' },
  { what: 'duration', pattern: /\b\d+(\.\d+)? (s|ms|µs)\b/g, mask: 'DURATION' },
  { what: 'duration in seconds (a table\'s DURATION)', pattern: /\b\d+\.\d{6}\b/g, mask: 'SECONDS' },
  { what: 'duration (JSON)', pattern: /"seconds":\d+(\.\d+)?/g, mask: '"seconds":DURATION' },
  { what: 'pid (JSON)', pattern: /"(pid|tgid|ppid)":\d+/g, mask: '"$1":PID' },
  { what: 'pid (FSM line)', pattern: /\(pid \d+(\/\d+)?\)/g, mask: '(pid PID)' },
  { what: 'pid and tgid (log table row)', pattern: /^(HH:MM:SS) \d+ \d+ /g, mask: '$1 PID PID ' },
  { what: 'tgid (tail line)', pattern: /^(HH:MM:SS) \d+(\/\d+)? /g, mask: '$1 PID ' },
  { what: 'ring position (JSON)', pattern: /"seq":\d+/g, mask: '"seq":SEQ' },
  {
    what: 'ring counts and bytes held, not the size',
    pattern: /\d+ records held in [\d.]+ (?:B|KiB|MiB|GiB) of ([\d.]+ (?:B|KiB|MiB|GiB)); \d+ written(?: \(\d+ config\))?, \d+ overwritten, \d+ cleared/g,
    mask: 'N records held in SIZE of $1; N written, N overwritten, N cleared',
  },
  { what: 'calls in flight, not the slots', pattern: /^calls \d+ of (\d+) return slots in use/g, mask: 'calls N of $1 return slots in use' },
  { what: 'exits seen', pattern: /\(\d+ seen\)/g, mask: '(N seen)' },
  { what: 'counters of a status row', pattern: /^(\S+ \d+ .* (?:yes|no))( \d+){6}$/g, mask: '$1 N N N N N N' },
  { what: 'events read by tail', pattern: /\d+ read, \d+ lost/g, mask: 'N read, N lost' },
  { what: 'memory and CPU time (JSON)', pattern: /"(vm_kb|rss_kb|total_vm_mb|total_rss_mb)":\d+/g, mask: '"$1":N' },
  { what: 'user-space address (a strace line\'s buffer)', pattern: /\b0x[0-9a-f]{9,}\b/g, mask: 'ADDRESS' },
  { what: "the fd the CLI's own open of the device returned (how many node already had open)", pattern: /\b\d+ (SECONDS) \/dev\/syscallmon$/g, mask: 'FD $1 /dev/syscallmon' },
  { what: 'pipe and socket inode', pattern: /\b(pipe|socket):\[\d+\]/g, mask: '$1:[INODE]' },
  {
    what: 'share of the time and µs per call (a summary row), not the counts',
    pattern: /^\d+\.\d\d (SECONDS) \d+ (SECONDS) /g,
    mask: 'PERCENT $1 USECS $2 ',
  },
  { what: 'who made a configuration change, and who had opened the device', pattern: /\bby (pid )?\d+\b/g, mask: 'by $1PID' },
  { what: 'process counts (ps --stats --json)', pattern: /"(running|sleeping|disk_sleep|stopped|tracing_stop|zombie|dead|parked|idle|other|total_tasks|total_threads)":\d+/g, mask: '"$1":N' },
];

/** A line as compared: runs of blanks folded (column widths follow the numbers), volatile fields masked. */
export function normalize(line: string): string {
  let s = line.replace(/\s+/g, ' ').trim();
  for (const v of VOLATILE) s = s.replace(v.pattern, v.mask);
  return s;
}
