// @ts-check
/**
 * Renders BENCHMARKS.md from the raw results of run.mjs, and judges the
 * performance goals against them. Re-render without re-measuring:
 *
 *   node scripts/bench/report.mjs bench-results/bench-DATE.json > BENCHMARKS.md
 *
 * The hand-written analysis (profiles, proposals) lives in
 * scripts/bench/analysis.md and is appended as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencySummary, median, summary } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What a monitor that polls dmesg took on average: the latency the library is to beat 100×. */
const DMESG_POLL_LATENCY_MS = 45.55;

/** @typedef {{ n: number, ns: number, failed: number, extra?: any }} Sample */
/** @typedef {{ label: string, samples: Sample[], errors: string[], skipped?: string }} Slot */

/** Per-iteration costs of a contender, in ns. @param {Slot | undefined} slot */
const perIter = (slot) => (slot ? slot.samples.map((s) => s.ns / s.n) : []);

/**
 * Ratio to the baseline: median over reps of (contender / baseline of the
 * same rep), and the range of those per-rep ratios.
 * @param {any} row @param {string} id
 */
export function ratio(row, id) {
  const base = perIter(row?.contenders?.baseline);
  const mine = perIter(row?.contenders?.[id]);
  const pairs = mine.map((v, i) => (base[i] !== undefined ? v / /** @type {number} */ (base[i]) : NaN)).filter((x) => !Number.isNaN(x));
  if (pairs.length === 0) return null;
  return summary(pairs);
}

/**
 * What `a` costs over the untraced run, per what `b` costs over it, per rep:
 * the ratio of their costs per event when both follow the same calls.
 * @param {any} row @param {string} a @param {string} b
 */
function costRatio(row, a, b) {
  const base = perIter(row?.contenders?.baseline);
  const xs = perIter(row?.contenders?.[a]);
  const ys = perIter(row?.contenders?.[b]);
  const pairs = xs
    .map((v, i) => (ys[i] !== undefined && base[i] !== undefined ? (v - /** @type {number} */ (base[i])) / (/** @type {number} */ (ys[i]) - /** @type {number} */ (base[i])) : NaN))
    .filter((x) => Number.isFinite(x));
  return pairs.length ? summary(pairs) : null;
}

/** @param {any} row @param {string} a @param {string} b  a / b per rep */
function pairRatio(row, a, b) {
  const xs = perIter(row?.contenders?.[a]);
  const ys = perIter(row?.contenders?.[b]);
  const pairs = xs.map((v, i) => (ys[i] !== undefined ? v / /** @type {number} */ (ys[i]) : NaN)).filter((x) => !Number.isNaN(x));
  return pairs.length ? summary(pairs) : null;
}

const fx = (/** @type {number} */ x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const range = (/** @type {{ n: number, median: number, min: number, max: number } | null} */ s, d = 2) =>
  s ? (s.min === s.max || s.n === 1 ? `${fx(s.median, d)}×` : `${fx(s.median, d)}× (${fx(s.min, d)}–${fx(s.max, d)})`) : '—';

/**
 * Rates from decode.ts's output: events per wall-clock second and, when it
 * prints them, per CPU-second of the process (what host load can't stretch).
 * @param {string} text
 */
export function decodeRates(text) {
  /** @type {Record<string, number>} */
  const eventsPerSecond = {};
  /** @type {Record<string, number>} */
  const eventsPerCpuSecond = {};
  for (const m of text.matchAll(/^(\S+)\s+([\d.]+) M events\/s(?: wall, ([\d.]+) M events\/CPU-s)?/gm)) {
    const name = /** @type {string} */ (m[1]);
    eventsPerSecond[name] = Number(m[2]) * 1e6;
    if (m[3] !== undefined) eventsPerCpuSecond[name] = Number(m[3]) * 1e6;
  }
  if (Object.keys(eventsPerSecond).length === 0) return { error: `decode.ts printed no rate: ${text.trim().slice(-400)}` };
  return { eventsPerSecond, eventsPerCpuSecond };
}

/**
 * The last full run before complete calls, variable-length records and the
 * mapped reader (fixed 416-byte records written at entry, read with read(),
 * under `-cpu max`): what "before" means in the goals and the before/after table.
 */
export const BEFORE_RAW = 'bench-results/bench-2026-11-23.json';

/** The before run's results, or null when its file is not in the tree. */
function loadBefore() {
  const file = join(ROOT, BEFORE_RAW);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

/** Tail's lost events over a contender's samples. @param {any} row @param {string} id */
function tailLost(row, id = 'log_tail') {
  const lost = row?.contenders?.[id]?.samples?.map((/** @type {Sample} */ s) => s.extra?.tail?.lost ?? 0) ?? [];
  return { runs: lost.length, total: lost.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0) };
}

/** Within the instruction clock's repeatability of 1. @param {{ median: number } | null} r */
const isOne = (r) => (r ? Math.abs(r.median - 1) <= 0.005 : null);

/**
 * The comparable ratios of the before run and this one: same loop, same CPU
 * model (`-cpu max`), the same meaning (LOG at entry then is LOG at entry now).
 * @param {any} results @param {any} before
 */
export function beforeAfter(results, before) {
  const now = results.icount_max?.overhead;
  const then = before?.icount?.overhead;
  /** @type {{ what: string, op: string, before: number | null, after: number | null }[]} */
  const rows = [];
  for (const op of ['openat', 'read']) {
    for (const [what, idThen, idNow] of [
      ['OFF (loaded, nothing targeted)', 'off', 'off'],
      ['LOG of a syscall not called', 'log_other', 'log_other'],
      ['BLOCK', 'block', 'block'],
      ['bare kprobe floor', 'floor', 'floor'],
      ['LOG, no reader: records at entry', 'log', 'log_entry'],
      ['LOG, no reader: complete calls (before: at entry)', 'log', 'log'],
      ['LOG + `tail --json` (before: the loop\'s pid; now every process, complete calls)', 'log_tail', 'log_tail'],
    ]) {
      rows.push({ what: /** @type {string} */ (what), op, before: ratio(then?.[op], /** @type {string} */ (idThen))?.median ?? null, after: ratio(now?.[op], /** @type {string} */ (idNow))?.median ?? null });
    }
  }
  return rows;
}

/** @param {any} results @param {any} [before] the before run (default: BEFORE_RAW) */
export function goals(results, before = loadBefore()) {
  const ic = results.icount?.overhead;
  const lean = ic?.lean;
  const wall = results.wall;
  /** @type {{ area: string, goal: string, met: boolean | null, evidence: string }[]} */
  const out = [];

  // Enforcement: nothing the kernel side did before got dearer.
  {
    const rows = beforeAfter(results, before).filter((r) => ['OFF (loaded, nothing targeted)', 'BLOCK', 'LOG, no reader: records at entry'].includes(r.what));
    const measured = rows.filter((r) => r.before !== null && r.after !== null);
    const off = measured.filter((r) => Math.abs(/** @type {number} */ (r.after) / /** @type {number} */ (r.before) - 1) > 0.02);
    out.push({
      area: 'enforcement',
      goal: 'LOG, BLOCK and OFF ratios within 2% of the run before (instruction clock, `-cpu max` as then, hot.c loops)',
      met: measured.length === 6 ? off.length === 0 : null,
      evidence: measured.length
        ? measured.map((r) => `${r.op} ${r.what.replace(', no reader: records at entry', ' (at entry)')} ${fx(/** @type {number} */ (r.before), 3)}→${fx(/** @type {number} */ (r.after), 3)}× (${pct(/** @type {number} */ (r.after) / /** @type {number} */ (r.before) - 1)})`).join('; ')
        : before ? 'not measured' : `${BEFORE_RAW} is missing`,
    });
  }
  {
    const c = results.icount?.changes;
    const storm = c?.storm;
    out.push({
      area: 'enforcement',
      goal: 'Time for a change to take effect while a storm of the changed syscall runs: measured',
      met: storm ? true : c ? false : null,
      evidence: storm
        ? `instruction clock: median ${fx(storm.median_ns / 1e3, 1)} k instructions, max ${fx(storm.max_ns / 1e3, 1)} k (${storm.n} changes); idle: median ${fx(c.idle.median_ns / 1e3, 1)} k` +
          (wall?.changes?.storm ? `; wall clock during the storm: median ${fx(wall.changes.storm.median_ns / 1e6, 2)} ms` : '')
        : c?.error ?? 'not measured',
    });
  }

  // Complete calls, judged on the lean loop under QEMU's default CPU model.
  /** @param {string} id @param {string} goal @param {number} limit */
  const ownOverhead = (id, goal, limit) => {
    const r = ratio(lean, id);
    out.push({
      area: 'complete calls',
      goal,
      met: r ? r.max <= limit : null,
      evidence: r ? `${range(r, 3)}; hot.c loop ${range(ratio(ic?.openat, id), 3)}; \`-cpu max\`: lean ${range(ratio(results.icount_max?.overhead?.lean, id), 3)}, hot.c ${range(ratio(results.icount_max?.overhead?.openat, id), 3)}` : 'not measured',
    });
  };
  ownOverhead('log', 'LOG with complete calls, no reader ≤ 1.10× untraced (lean loop, default CPU model)', 1.1);
  ownOverhead('log_entry', '`entry` records ≤ 1.07× untraced (lean loop, default CPU model)', 1.07);
  {
    const cells = [];
    let ok = /** @type {boolean | null} */ (true);
    for (const [clockId, clockName] of [['icount', 'default model'], ['icount_max', '`-cpu max`']]) {
      for (const op of ['lean', 'openat', 'read']) {
        for (const id of ['off', 'log_other']) {
          const r = ratio(results[/** @type {string} */ (clockId)]?.overhead?.[op], id);
          if (!r) continue;
          if (!isOne(r)) ok = false;
          cells.push(`${clockName} ${op} ${id === 'off' ? 'OFF' : 'untargeted'} ${range(r, 3)}`);
        }
      }
    }
    out.push({
      area: 'complete calls',
      goal: "OFF and an untargeted syscall 1.000× (within the instruction clock's 0.5%), every loop, both CPU models",
      met: cells.length ? ok : null,
      evidence: cells.length ? cells.join('; ') : 'not measured',
    });
  }
  {
    const r = ratio(lean, 'strace_ty');
    const plain = ratio(lean, 'strace');
    out.push({
      area: 'complete calls',
      goal: 'A row for `strace -T -y` (what complete calls carry: durations and fd targets)',
      met: r ? true : ic ? false : null,
      evidence: r ? `lean loop: strace -T -y ${range(r, 2)}, plain strace ${range(plain, 2)}, syscallmon LOG complete ${range(ratio(lean, 'log'), 3)}` : 'not measured',
    });
  }
  {
    const r = pairRatio(lean, 'log', 'floor');
    out.push({
      area: 'complete calls',
      goal: 'LOG kernel side ≤ 1.10× the bare-kprobe floor (lean loop, default CPU model)',
      met: r ? r.max <= 1.1 : null,
      evidence: r ? `LOG complete / floor = ${range(r, 3)}; at entry / floor = ${range(pairRatio(lean, 'log_entry', 'floor'), 3)}` : 'not measured',
    });
  }

  // Rules.
  {
    const r = pairRatio(lean, 'rules100', 'rule1');
    const plain = pairRatio(lean, 'rules100_plain', 'rule1');
    out.push({
      area: 'rules',
      goal: 'One syscall with 100 named rules that match nothing costs ≤ 1.05× one rule (lean loop)',
      met: r ? r.max <= 1.05 : null,
      evidence: r ? `100 indexed rules (comm, uid) / one rule = ${range(r, 3)}; 100 rules no index holds (uid ranges): ${range(plain, 3)}; hot.c loop: ${range(pairRatio(ic?.openat, 'rules100', 'rule1'), 3)}` : 'not measured',
    });
  }
  {
    const r = pairRatio(lean, 'tree2000', 'rule1');
    out.push({
      area: 'rules',
      goal: "A process tree of 2,000 costs the same per hit as one pid (within the instruction clock's 0.5%, lean loop)",
      met: r ? isOne(r) : null,
      evidence: r ? `tree of 2,000 / pid set of one = ${range(r, 3)}; hot.c loop: ${range(pairRatio(ic?.openat, 'tree2000', 'rule1'), 3)}` : 'not measured',
    });
  }

  // Ring v2.
  {
    const r = ratio(lean, 'log_tail');
    const lost = tailLost(lean);
    out.push({
      area: 'ring v2',
      goal: 'LOG (every process, complete calls) + `tail --json > /dev/null` ≤ 1.25× untraced, nothing lost (lean loop, default CPU model)',
      met: r ? r.max <= 1.25 && lost.total === 0 : null,
      evidence: r ? `${range(r, 3)}; tail lost ${lost.total} events over ${lost.runs} runs; hot.c loop ${range(ratio(ic?.openat, 'log_tail'), 3)}; \`-cpu max\` lean ${range(ratio(results.icount_max?.overhead?.lean, 'log_tail'), 3)}` : 'not measured',
    });
  }
  {
    const r = ratio(ic?.read, 'log_tail');
    const lost = tailLost(ic?.read);
    const then = ratio(before?.icount?.overhead?.read, 'log_tail');
    out.push({
      area: 'ring v2',
      goal: 'The 1-byte read loop: tail loses nothing and LOG + tail ≤ 2.5× untraced',
      met: r ? r.max <= 2.5 && lost.total === 0 : null,
      evidence: r ? `${range(r, 3)} (before: ${range(then, 3)}); tail lost ${lost.total} events over ${lost.runs} runs of 2 × ${ic?.read?.n} reads` : 'not measured',
    });
  }
  const d = wall?.drain;
  if (d?.full_speed) {
    const runs = fullSpeedRuns(d).map(([, r]) => r);
    const clean = runs.filter((r) => r.sink.lost === 0 && r.sink.syscalls === r.produced).length;
    const f = d.full_speed;
    const large = d.full_speed_large;
    out.push({
      area: 'ring v2',
      goal: 'Drain with the default settings: 0 lost in 3 of 3 runs of 200,000 events from one producer at full speed',
      met: runs.length >= 3 && clean === runs.length,
      evidence:
        `${clean} of ${runs.length} runs lost nothing (lost ${runs.map((r) => r.sink.lost).join(', ')} of ${f.produced} each, ` +
        `producer at ${runs.map((r) => fx(r.produced / (r.loopNs / 1e9) / 1e3, 1)).join(', ')} k events/s) with the default ${mib(f.ringSize)} ring` +
        (large ? `; with a ${mib(large.ringSize)} ring: lost ${large.sink.lost}` : ''),
    });
  } else out.push({ area: 'ring v2', goal: 'Drain: 0 lost at full speed', met: null, evidence: d?.full_speed_error ?? 'not measured' });
  for (const [op, name] of [['tar', '`tar cf - tree | cat` of the header tree'], ['exec', 'fork+exec of a static binary']]) {
    const row = results.icount?.workloads?.rows?.[op];
    const r = ratio(row, 'log_tail');
    const lost = tailLost(row);
    const peers = ['strace', 'sysdig', 'bpftrace'].map((id) => `${id} ${range(ratio(row, id), 2)}`).join(', ');
    out.push({
      area: 'ring v2',
      goal: `Real workload: ${name}, LOG on its 9 syscalls (complete calls) + \`tail --json\` ≤ 1.05× untraced`,
      met: r ? r.max <= 1.05 && lost.total === 0 : null,
      evidence: r ? `${range(r, 3)} (no reader: ${range(ratio(row, 'log'), 3)}); tail lost ${lost.total}; ${peers}` : 'not measured',
    });
  }
  if (d?.overload) {
    const o = d.overload;
    out.push({
      area: 'ring v2',
      goal: 'Overload (stalled reader): calls lost == produced − delivered exactly',
      met: o.produced - o.sink.syscalls === o.sink.lost - (o.sink.lost_config ?? 0) && o.sink.lost > 0,
      evidence: `produced ${o.produced}, delivered ${o.sink.syscalls}, lost ${o.sink.lost} records, ${o.sink.lost_config ?? 0} of them configuration records (produced − delivered = ${o.produced - o.sink.syscalls})`,
    });
  } else out.push({ area: 'ring v2', goal: 'Overload accounting', met: null, evidence: d?.overload_error ?? 'not measured' });

  // The service.
  {
    const r = costRatio(lean, 'daemon_file', 'tail_file');
    const lost = tailLost(lean, 'daemon_file').total + tailLost(lean, 'tail_file').total;
    out.push({
      area: 'service',
      goal: "The daemon's cost per event writing NDJSON to a file ≤ 1.2× that of `tail --json > FILE` (cost over untraced, lean loop)",
      met: r ? r.max <= 1.2 && lost === 0 : null,
      evidence: r
        ? `${range(r, 3)}; daemon ${range(ratio(lean, 'daemon_file'), 3)} and tail ${range(ratio(lean, 'tail_file'), 3)} of untraced; ` +
          `lost ${lost}; hot.c loop ${range(costRatio(ic?.openat, 'daemon_file', 'tail_file'), 3)}`
        : 'not measured',
    });
  }

  // Clean-up: every comparable ratio unchanged.
  {
    const rows = beforeAfter(results, before).filter((r) => !r.what.startsWith('LOG, no reader: complete') && !r.what.startsWith('LOG + '));
    const measured = rows.filter((r) => r.before !== null && r.after !== null);
    const moved = measured.filter((r) => Math.abs(/** @type {number} */ (r.after) / /** @type {number} */ (r.before) - 1) > 0.02);
    out.push({
      area: 'clean-up',
      goal: 'Every ratio whose meaning did not change unchanged within 2% of the run before (`-cpu max`, hot.c loops)',
      met: measured.length ? moved.length === 0 : null,
      evidence: measured.length
        ? moved.length
          ? `moved: ${moved.map((r) => `${r.op} ${r.what} ${fx(/** @type {number} */ (r.before), 3)}→${fx(/** @type {number} */ (r.after), 3)}× (${pct(/** @type {number} */ (r.after) / /** @type {number} */ (r.before) - 1)})`).join('; ')}; the other ${measured.length - moved.length} within 2% (table below)`
          : `all ${measured.length} within 2% (table below)`
        : 'not measured',
    });
  }

  // Latency and decoding.
  const lat = wall?.latency;
  if (lat?.lib && lat?.pipe) {
    const lib = latencySummary(lat.lib.samples_ns);
    const pipe = latencySummary(lat.pipe.samples_ns);
    out.push({
      area: 'latency',
      goal: 'Library latency p50 and p99 each ≤ 2× the pipe+poll floor',
      met: lib.p50 <= 2 * pipe.p50 && lib.p99 <= 2 * pipe.p99 && lib.n >= 1000,
      evidence: `library p50 ${fx(lib.p50, 3)} ms / p99 ${fx(lib.p99, 3)} ms vs floor p50 ${fx(pipe.p50, 3)} ms / p99 ${fx(pipe.p99, 3)} ms (${fx(lib.p50 / pipe.p50)}×, ${fx(lib.p99 / pipe.p99)}×), ${lib.n} samples` +
        (lat.pipe_node ? `; a node pipe reader alone: p50 ${fx(latencySummary(lat.pipe_node.samples_ns).p50, 3)} ms` : ''),
    });
    out.push({
      area: 'latency',
      goal: `Library latency p50 ≥ 100× better than a dmesg-polling monitor's ${DMESG_POLL_LATENCY_MS} ms`,
      met: lib.p50 * 100 <= DMESG_POLL_LATENCY_MS,
      evidence: `p50 ${fx(lib.p50, 3)} ms = ${fx(DMESG_POLL_LATENCY_MS / lib.p50, 0)}× better`,
    });
  } else {
    out.push({ area: 'latency', goal: 'Library latency vs pipe floor and dmesg polling', met: null, evidence: lat?.lib_error ?? lat?.pipe_error ?? 'not measured' });
  }
  {
    const d = results.decode?.output ? decodeRates(results.decode.output) : results.decode ?? {};
    const wallRate = d.eventsPerSecond?.decode;
    // Judged per CPU-second: other VMs on the host stretch wall time, not the CPU time decoding takes.
    const cpuRate = d.eventsPerCpuSecond?.decode;
    const rate = cpuRate ?? wallRate;
    out.push({
      area: 'decode',
      goal: 'Decode ≥ 2 M events/s (host, per CPU-second of the decoding process)',
      met: rate === undefined ? null : rate >= 2e6,
      evidence: rate === undefined ? results.decode?.error ?? 'not measured'
        : `${fx(rate / 1e6)} M events/${cpuRate !== undefined ? 'CPU-s' : 's'}${cpuRate !== undefined && wallRate !== undefined ? ` (${fx(wallRate / 1e6)} M per wall-clock second under the host's load)` : ''}`,
    });
  }
  return out;
}

/** Text for a table cell: a pipe would end the cell. @param {string} text */
const cell = (text) => text.replace(/(?<!\\)\|/g, '\\|');

/** A signed percentage. @param {number} x */
const pct = (x) => `${x >= 0 ? '+' : '−'}${fx(Math.abs(x) * 100, 1)}%`;

/** What each row of the overhead and workload tables is. */
const OP_NAMES = /** @type {Record<string, string>} */ ({ lean: 'lean openat', openat: 'openat (hot.c)', read: 'read', tar: 'tar \\| cat', exec: 'fork+exec' });

/**
 * The unit a row's numbers are shown in: per iteration for the hot loops,
 * per run (tar) or per exec for the workloads.
 * @param {string} op @param {string} clock
 */
function unitOf(op, clock) {
  if (clock !== 'icount') return { unit: op === 'tar' ? 'ms/run' : op === 'exec' ? 'µs/exec' : 'µs/iter', k: op === 'tar' ? 1e-6 : 1e-3, d: 2 };
  if (op === 'tar') return { unit: 'M instr./run', k: 1e-6, d: 1 };
  if (op === 'exec') return { unit: 'k instr./exec', k: 1e-3, d: 1 };
  return { unit: 'instructions/iter', k: 1, d: 0 };
}

/** @param {any} row @param {string} clock */
function overheadTable(row, clock) {
  const ops = Object.keys(row ?? {});
  if (ops.length === 0) return '_not measured_\n';
  const ids = Object.keys(row[/** @type {string} */ (ops[0])].contenders);
  const head = ['contender', ...ops.flatMap((op) => [`${OP_NAMES[op] ?? op}: ${unitOf(op, clock).unit}`, `${OP_NAMES[op] ?? op}: × baseline`])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const id of ids) {
    const cells = [];
    let label = '';
    for (const op of ops) {
      const slot = row[op].contenders[id];
      // One label for the row: the contender's own when every column's is the same, else its template.
      label ||= ops.every((o) => row[o].contenders[id].label === slot.label) ? slot.label : slot.labelTemplate ?? slot.label;
      if (slot.skipped) {
        cells.push('skipped', '—');
        continue;
      }
      const s = summary(perIter(slot));
      const { k, d } = unitOf(op, clock);
      const abs = s.n === 0 ? (slot.errors.length ? 'failed' : '—') : s.n === 1 || s.min === s.max ? fx(s.median * k, d) : `${fx(s.median * k, d)} (${fx(s.min * k, d)}–${fx(s.max * k, d)})`;
      cells.push(abs, id === 'baseline' ? '1' : range(ratio(row[op], id), clock === 'icount' ? 3 : 2));
    }
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Notes per contender: lost events, failures, peer drops. @param {any} row */
function overheadNotes(row) {
  const notes = [];
  for (const [op, r] of Object.entries(row ?? {})) {
    const name = OP_NAMES[op] ?? op;
    for (const [id, slot] of Object.entries(/** @type {any} */ (r).contenders)) {
      const s = /** @type {Slot} */ (slot);
      if (s.skipped) notes.push(`- ${name} / ${id}: skipped — ${s.skipped}`);
      const ns = [...new Set(s.samples.map((x) => x.n))];
      if (ns.length && ns[0] !== /** @type {any} */ (r).n) notes.push(`- ${name} / ${id}: ran ${ns.join(', ')} iterations instead of ${/** @type {any} */ (r).n} (a full loop would take minutes)`);
      for (const e of new Set(s.errors)) notes.push(`- ${name} / ${id}: failed — ${e.slice(0, 300)}`);
      if (id === 'log_tail') {
        const t = s.samples.map((x) => x.extra?.tail).filter(Boolean);
        const behind = t.some((x) => x.lost > 0)
          ? ": it can't keep up on one CPU, so its ratio counts only the events it got to"
          : ': it kept up with every event';
        if (t.length) notes.push(`- ${name} / tail --json: over its two runs (first and steady), tail read ${t.map((x) => x.read).join(', ')} records and lost ${t.map((x) => x.lost).join(', ')} (per rep; ring ${mib(s.samples[0]?.extra?.status?.ring_size)})${behind}`);
      }
      if (id === 'sysdig') {
        const t = s.samples.map((x) => x.extra).filter(Boolean);
        if (t.length) notes.push(`- ${name} / sysdig: driver events ${t.map((x) => x.driverEvents).join(', ')}; driver drops ${t.map((x) => x.driverDrops).join(', ')} per run`);
      }
      if (id === 'bpftrace' || id === 'floor') {
        const t = s.samples.map((x) => x.extra?.hits).filter((x) => x !== undefined);
        if (t.length) notes.push(`- ${name} / ${id}: counted ${t.join(', ')} hits per run`);
      }
    }
  }
  return notes.length ? `\n${notes.join('\n')}\n` : '';
}

/** The before/after table. @param {any} results @param {any} before */
function beforeAfterTable(results, before) {
  if (!before) return `_${BEFORE_RAW} is missing_\n`;
  const rows = beforeAfter(results, before);
  const lines = ['| loop | contender | before × baseline | after × baseline | change |', '|---|---|---:|---:|---:|'];
  for (const r of rows) {
    const change = r.before !== null && r.after !== null ? pct(r.after / r.before - 1) : '—';
    lines.push(`| ${OP_NAMES[r.op] ?? r.op} | ${r.what} | ${r.before === null ? '—' : fx(r.before, 3)} | ${r.after === null ? '—' : fx(r.after, 3)} | ${change} |`);
  }
  const lostThen = tailLost(before.icount?.overhead?.read);
  const lostNow = tailLost(results.icount_max?.overhead?.read);
  const drainThen = before.wall?.drain ? fullSpeedRuns(before.wall.drain).map(([, x]) => x.sink.lost).join(', ') : '—';
  const drainNow = results.wall?.drain ? fullSpeedRuns(results.wall.drain).map(([, x]) => x.sink.lost).join(', ') : '—';
  lines.push(`| read | events tail lost over the rep's two runs (sum over reps) | ${lostThen.total} | ${lostNow.total} | |`);
  lines.push(`| openat (hot.c) | drain at full speed, default ring: lost per run (wall clock) | ${drainThen} | ${drainNow} | |`);
  return `${lines.join('\n')}\n`;
}

/** @param {any} results */
function changesTable(results) {
  const lines = ['| clock | while | changes | median | p90 | max |', '|---|---|---:|---:|---:|---:|'];
  for (const [clock, name, unit, k] of /** @type {[string, string, string, number][]} */ ([
    ['wall', 'wall clock', 'ms', 1e-6],
    ['icount', 'instruction clock', 'k instr.', 1e-3],
  ])) {
    const c = results[clock]?.changes;
    if (!c) continue;
    if (c.error) {
      lines.push(`| ${name} | failed: ${String(c.error).slice(0, 200)} | | | | |`);
      continue;
    }
    for (const [when, label] of [['idle', 'idle'], ['storm', 'a storm of the syscall']]) {
      const r = c[when];
      if (r) lines.push(`| ${name} | ${label} | ${r.n} | ${fx(r.median_ns * k, 2)} ${unit} | ${fx(r.p90_ns * k, 2)} ${unit} | ${fx(r.max_ns * k, 2)} ${unit} |`);
    }
  }
  return lines.length > 2 ? `${lines.join('\n')}\n` : '_not measured_\n';
}

/** @param {any} lat @param {'ms' | 'kinsn'} unit */
function latencyTable(lat, unit = 'ms') {
  if (!lat) return '_not measured_\n';
  const rows = [
    ['pipe', 'pipe + poll() floor (C writer → C reader)'],
    ['pipe_node', 'pipe floor with a node reader (C writer → node `data` event)'],
    ['lib', 'syscallmon → library `Monitor.subscribe()` (node)'],
    ['lib_iter', 'syscallmon → library `for await` over `Monitor.events()` (node)'],
    ['tail', 'syscallmon → `tail --json` → pipe → C reader'],
  ];
  // On the instruction clock 1 ms is a million instructions: show thousands of instructions.
  const u = unit === 'ms' ? 'ms' : 'k instr.';
  const k = unit === 'ms' ? 1 : 1000;
  const lines = [`| path | samples | p50 ${u} | p90 ${u} | p99 ${u} | max ${u} | p50 × floor | p99 × floor |`, '|---|---:|---:|---:|---:|---:|---:|---:|'];
  const pipe = lat.pipe ? latencySummary(lat.pipe.samples_ns) : null;
  for (const [id, label] of rows) {
    const r = lat[/** @type {string} */ (id)];
    if (!r) {
      lines.push(`| ${label} | failed: ${String(lat[`${id}_error`] ?? 'not measured').slice(0, 200)} | | | | | | |`);
      continue;
    }
    const s = latencySummary(r.samples_ns);
    const d = unit === 'ms' ? 3 : 1;
    lines.push(`| ${label} | ${s.n}/${r.expected} | ${fx(s.p50 * k, d)} | ${fx(s.p90 * k, d)} | ${fx(s.p99 * k, d)} | ${fx(s.max * k, unit === 'ms' ? 2 : 0)} | ${pipe ? fx(s.p50 / pipe.p50) : '—'} | ${pipe ? fx(s.p99 / pipe.p99) : '—'} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** A ring's size as MiB ("1 MiB", "0.06 MiB"). @param {number | undefined} bytes */
function mib(bytes) {
  return bytes === undefined ? 'unknown' : `${Number((bytes / 2 ** 20).toFixed(2))} MiB`;
}

/** The default-ring full-speed runs, in order: [id, result]. @param {any} d @returns {[string, any][]} */
function fullSpeedRuns(d) {
  return Object.entries(d).filter(([id]) => /^full_speed(_\d+)?$/.test(id));
}

/** @param {any} d */
function drainTable(d) {
  if (!d) return '_not measured_\n';
  const lines = ['| run | produced | delivered | lost (markers) | produced − delivered | producer events/s | delivered events/s | tail summary |', '|---|---:|---:|---:|---:|---:|---:|---|'];
  const rows = [
    ...fullSpeedRuns(d).map(([id], i, all) => [id, `full speed, tail draining${all.length > 1 ? ` (run ${i + 1})` : ''}`]),
    ...(d.full_speed_large ? [['full_speed_large', `full speed, ring of ${mib(d.full_speed_large.ringSize)}`]] : []),
    ['overload', 'overload: tail stopped (SIGSTOP) while producing'],
  ];
  for (const [id, label] of rows) {
    const r = d[/** @type {string} */ (id)];
    if (!r) {
      lines.push(`| ${label} | failed: ${String(d[`${id}_error`] ?? 'not measured').slice(0, 200)} | | | | | | |`);
      continue;
    }
    const secs = r.loopNs / 1e9;
    lines.push(`| ${label} | ${r.produced} | ${r.sink.syscalls} | ${r.sink.lost}${r.sink.lost_config ? `, ${r.sink.lost_config} config` : ''} (${r.sink.lost_markers}) | ${r.produced - r.sink.syscalls} | ${fx(r.produced / secs / 1e3, 1)} k | ${id === 'overload' ? '—' : `${fx(r.sink.syscalls / secs / 1e3, 1)} k`} | ${r.tail.read} read, ${r.tail.lost} lost |`);
  }
  return `${lines.join('\n')}\n`;
}

/** What the real workloads are. @param {any} w */
function workloadsIntro(w) {
  if (!w) return '_not measured_';
  const i = w.info ?? {};
  return `\`scripts/bench/c/work.c\` runs each whole, after one untimed run: \`tar cf - tree | cat\` (cat writing to /dev/null) of ${i.files} C headers from /usr/include (${fx((i.bytes ?? 0) / 2 ** 20, 1)} MiB), chrooted in a tmpfs root holding sh, tar, cat and their libraries; and ${i.execs} × (fork + execve of a static binary in tmpfs + wait). Nothing they touch is on the VM's 9p root: a lookup there makes the guest wait for the host, and idle time warps the instruction clock. syscallmon logs the 9 syscalls ${'openat, read, write, close, newfstatat, statx, getdents64, execve, mmap'} of every process, as complete calls; strace follows the same 9 with -f; bpftrace counts their sys_enter tracepoints; sysdig filters them (7: newfstatat and statx are generic events in sysdig 0.29, which its driver captures anyway).`;
}

/** @param {any} f @param {any} lean the lean loop's row, for its cost per iteration */
function formattersText(f, lean) {
  if (!f) return '_not measured_';
  const row = (/** @type {string} */ id, /** @type {string} */ label) => {
    const r = f[id];
    if (!r) return `| ${label} | failed: ${cell(String(f[`${id}_error`] ?? '—').replace(/\s+/g, ' ').slice(0, 200))} |`;
    const v = Array.isArray(r.ns_per_event) ? r.ns_per_event : [r.ns_per_event];
    return `| ${label} | ${fx(/** @type {number} */ (v[v.length - 1]) / 1000, 1)} |`;
  };
  return [
    `Instructions per event to turn a raw openat record into tail's NDJSON line and write it (batches of 256, one write per batch, steady state). Compare with the ~${fx(summary(perIter(lean?.contenders?.baseline)).median / 1000, 1)} k instructions of one lean openat+close iteration: a consumer that spends more per event than the producer cannot keep up on a shared CPU.`,
    '',
    '| encoder | k instructions / event |',
    '|---|---:|',
    row('native', 'the addon\'s formatter, what `tail --json` runs (`scripts/bench/fmt-js.mjs native`)'),
    row('js_cli', 'the JS `RawNdjsonEncoder`, the fallback (`fmt-js.mjs cli`)'),
    row('js_bytes', 'byte-level JS prototype, no per-event strings (`fmt-js.mjs bytes`)'),
    row('c', 'C (`scripts/bench/c/fmt.c`)'),
  ].join('\n');
}

/** @param {any} results @param {string} rawName @param {any} [before] the before run (default: BEFORE_RAW) */
export function renderMarkdown(results, rawName, before = loadBefore()) {
  const g = goals(results, before);
  const guest = results.icount?.guest ?? results.wall?.guest ?? {};
  const h = results.host ?? {};
  const mark = (/** @type {boolean | null} */ m) => (m === null ? 'not measured' : m ? '**met**' : '**missed**');
  const analysisPath = join(ROOT, 'scripts', 'bench', 'analysis.md');
  const analysis = existsSync(analysisPath) ? readFileSync(analysisPath, 'utf8').trim() : '';
  const decode = results.decode;
  const parts = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${String(results.date).slice(0, 16).replace('T', ' ')} UTC (commit ${h.commit}); raw data: [\`${rawName}\`](${rawName}).`,
    '',
    `- **Guest kernel:** Debian ${guest.kernel}, booted in QEMU with TCG (no KVM on this host): ${h.qemu}.`,
    `- **Machine:** ${h.cpuModel}, ${h.cpus} cores, ${h.memGiB} GiB; host kernel ${h.hostKernel}; node ${h.node}.`,
    '- **Instruction clock:** one vCPU, `-icount shift=0,sleep=off`: guest time is the count of instructions executed (kernel, user, tracers and consumers alike) and repeats within 0.5%. It undercounts what context switches really cost, so tracers that stop the workload (strace) look cheaper there than on the wall clock.',
    `- **CPU models:** the instruction clock runs twice: under QEMU's default model (\`${results.icount?.cpuModel ?? 'qemu64'}\`), which the goals are judged on, and under \`-cpu max\` for comparison with earlier runs (all of which used it). With \`max\` the CPU has ERMS, so the kernel clears and copies with \`rep stosb\`/\`rep movsb\`, and the instruction clock counts every byte of those as an instruction: the 4 KiB clear of \`names_cache\` in each openat weighs ~4 k instructions there, which hardware does in ~100 cycles. The wall clock runs under \`${results.wall?.cpuModel ?? 'max'}\`.`,
    `- **Wall clock:** ${results.wall?.guest?.vcpus ?? 2} vCPUs under TCG; timings swing (±40% is normal), so contenders are interleaved and repeated (${results.wall?.config?.reps ?? '—'} reps): median and min–max.`,
    `- Host load average (1 min) before → after each boot: instruction clock ${results.icount?.hostLoad ? `${results.icount.hostLoad.before[0]} → ${results.icount.hostLoad.after[0]}` : '—'}, wall clock ${results.wall?.hostLoad ? `${results.wall.hostLoad.before[0]} → ${results.wall.hostLoad.after[0]}` : '—'} on ${h.cpus} cores. Above ${h.cpus}, other work (other VMs) shared the host and stretched the wall-clock numbers.`,
    `- Whole run took ${fx((results.benchSeconds ?? 0) / 60, 1)} min.`,
    '',
    '## Goals',
    '',
    '| area | goal | result | evidence |',
    '|---|---|---|---|',
    ...g.map((x) => `| ${x.area} | ${cell(x.goal)} | ${mark(x.met)} | ${cell(x.evidence)} |`),
    '',
    '## Overhead on a hot syscall',
    '',
    'The workload (`scripts/bench/c/hot.c`) times its own loop after a warm-up: `lean` = N × (openat(AT_FDCWD, "/dev/null", O_RDONLY) of a string literal + close), the leanest open a program makes; `openat` = the same with O_CLOEXEC and the path copied on the stack (the loop of earlier runs); `read` = N × 1-byte read of /dev/zero. ' +
      `N = ${Object.entries(results.icount?.config?.ops ?? results.wall?.config?.ops ?? {}).map(([k, v]) => `${v} (${k})`).join(', ')}. ` +
      'syscallmon\'s LOG and BLOCK targets without a reader are scoped to the workload\'s pid (the workload stops itself after its warm-up, the driver adds the target, then continues it), so they record exactly the measured calls; with `tail --json` draining, LOG covers every process. LOG records complete calls (one record at the return, with the result, the duration and the fd target) unless the row says "at entry". The floor, bpftrace and sysdig probe every process (nothing else runs in the guest meanwhile); strace and perf trace trace the workload they start. Each ratio is the median over reps of contender ÷ baseline of the same rep, with the range.',
    '',
    `### Instruction clock, QEMU's default CPU model (1 vCPU, ${results.icount?.config?.reps ?? '—'} reps)`,
    '',
    overheadTable(results.icount?.overhead, 'icount'),
    overheadNotes(results.icount?.overhead),
    `### Instruction clock, \`-cpu max\` (1 vCPU, ${results.icount_max?.config?.reps ?? '—'} reps)`,
    '',
    overheadTable(results.icount_max?.overhead, 'icount'),
    overheadNotes(results.icount_max?.overhead),
    `### Wall clock (${results.wall?.guest?.vcpus ?? 2} vCPUs, ${results.wall?.config?.reps ?? '—'} reps)`,
    '',
    overheadTable(results.wall?.overhead, 'wall'),
    overheadNotes(results.wall?.overhead),
    '## Real workloads (instruction clock, default CPU model)',
    '',
    workloadsIntro(results.icount?.workloads),
    '',
    overheadTable(results.icount?.workloads?.rows, 'icount'),
    overheadNotes(results.icount?.workloads?.rows),
    '## Before and after',
    '',
    `"Before" is the last run before complete calls, variable-length records and the mapped reader ([\`${BEFORE_RAW}\`](${BEFORE_RAW}), ${String(before?.date ?? '—').slice(0, 10)}, guest ${before?.icount?.guest?.kernel ?? '—'}): every record 416 bytes, written at entry, read with read(); its instruction clock ran under \`-cpu max\`, so "after" here is this run's \`-cpu max\` table. Its \`tail\` row followed the loop's pid; this one follows every process.`,
    '',
    beforeAfterTable(results, before),
    '## Reaction latency (wall clock)',
    '',
    `Time from just before a syscall in one process to the event reaching a consumer in another. The producer (\`lat produce\`) writes its CLOCK_MONOTONIC reading into the path it opens, spaced 1–3 ms apart; each consumer subtracts it from its own clock when the event arrives. The floor is the same message sent through a pipe to a process blocked in poll(). The reference is a dmesg-polling monitor's ${DMESG_POLL_LATENCY_MS} ms average.`,
    '',
    latencyTable(results.wall?.latency),
    ...(results.icount?.latency
      ? [
          '',
          'The same paths on the instruction clock (one vCPU, so producer and consumer share it): what each costs in instructions, which is what the wall-clock numbers are made of.',
          '',
          latencyTable(results.icount.latency, 'kinsn'),
        ]
      : []),
    '## Drain (wall clock)',
    '',
    'One producer (the openat loop, LOG scoped to it) at full speed while `syscallmon tail --json` writes to a pipe read by a C line counter (`lat sink-count`). "produced" is the target\'s `logged` counter in the module; "lost" is the sum of tail\'s `{"type":"lost"}` markers, configuration records among them (the target and mode set before the loop) counted apart. The overload run stops tail (SIGSTOP) for the whole production, then continues it.',
    '',
    drainTable(results.wall?.drain),
    '## Time for a change to take effect',
    '',
    'A change is published whole before its ioctl returns: from then on every call is decided by it. The openat target goes from {block the loop} to {log everyone} and back, idle and while the loop makes openat calls as fast as it can (every one decided by one configuration or the other).',
    '',
    changesTable(results),
    '## NDJSON formatting cost (instruction clock)',
    '',
    formattersText(results.icount?.formatters, results.icount?.overhead?.lean),
    '',
    '## Decode (host)',
    '',
    decode?.output
      ? `Raw records → JS event objects, \`scripts/bench/decode.ts\` (owned by the library), its output:\n\n\`\`\`\n${decode.output}\n\`\`\``
      : `_not measured: ${decode?.error ?? 'skipped'}_`,
    '',
    '## How to reproduce',
    '',
    '```sh',
    'npm ci',
    'npm run bench            # as root: builds, installs the peers (scripts/bench/setup.sh: apt + DKMS), boots the VM three times, writes this file',
    'npm run bench -- --smoke # a quick harness check (about a minute): small loops, no peers, one boot; exits 1 if the harness breaks',
    '```',
    '',
    '`npm run bench` is `node scripts/bench/run.mjs`; how long the run above took is at the top.',
    '',
    'Options: `--no-setup` (peers already installed), `--no-peers`, `--only icount|icount_max|wall|decode`, `--reps N`. Re-render this file from raw data: `node scripts/bench/report.mjs bench-results/bench-DATE.json > BENCHMARKS.md`.',
    'Where the instructions go: `npm run bench -- --only icount --overhead-only --contenders baseline,log --count-instructions --profile baseline:lean --profile log:lean --experiment NAME` counts every instruction of each profiled loop with a QEMU plugin (`scripts/bench/insn-count.c`) and writes `bench-results/profiles/icount-ID-OP.insn.txt`: instructions per iteration by function, beside the baseline\'s (`--profile` without `--count-instructions` samples with perf in the guest instead).',
    'Absolute numbers depend on the host (TCG emulates every instruction); the ratios are what carries over.',
    '',
    analysis,
    '',
  ];
  return parts.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node scripts/bench/report.mjs bench-results/bench-DATE.json\n');
    process.exit(2);
  }
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(file, 'utf8')), file));
}

export { median };
