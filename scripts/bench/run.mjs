// @ts-check
/**
 * `npm run bench`: builds what the benchmark needs, installs the peers
 * (scripts/bench/setup.sh), boots the VM three times — twice on the
 * instruction clock (-icount, one vCPU), under QEMU's default CPU model and
 * under `-cpu max`, once on the wall clock (two vCPUs) — runs
 * scripts/bench/guest.mjs in each, measures decoding on the host, and writes
 * bench-results/bench-DATE.json (raw) and BENCHMARKS.md.
 *
 *   node scripts/bench/run.mjs [--smoke] [--no-setup] [--no-peers] [--no-build]
 *                              [--only icount|icount_max|wall|decode]... [--reps N] [--contenders ID,...]
 *                              [--profile ID:OP[:N]]... [--count-instructions] [--module KO]
 *                              [--experiment NAME] [--overhead-only]
 *
 * --profile: after the overhead runs, run that contender again (N
 * iterations of OP, default the run's) under `perf record -a -g` in the
 * guest; flat reports land in bench-results/profiles/CLOCK-ID-OP.txt.
 * --count-instructions: take the profiles on the instruction clocks by
 * counting every instruction of the timed loop with a QEMU plugin
 * (insn-count.c) instead of sampling: CLOCK-ID-OP.insn.txt, instructions per
 * iteration by function, next to the baseline's when it is profiled too.
 * --module: measure this build of syscallmon.ko instead of the tree's own (to
 * evaluate a kernel patch before it lands).
 * --experiment: write .cache/bench/experiments/NAME.json instead of
 * BENCHMARKS.md and bench-results/.
 * --overhead-only: the hot loops (and profiles) only: no real workloads,
 * latency, formatting, drain or change timing (for experiments).
 *
 * --smoke: a quick check that the harness works (small loops and workloads,
 * no peers, one wall-clock boot under the default CPU model); writes
 * .cache/bench/smoke.json, not BENCHMARKS.md, and exits non-zero if any
 * measurement failed or the overload accounting is off.
 *
 * Exit codes: 0 done, 1 a measurement or a build failed, 2 usage.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countBySymbol, insnReport } from './lib/insn.mjs';
import { decodeRates, renderMarkdown, goals } from './report.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, '.cache', 'bench');

const PEERS = ['strace', 'strace_ty', 'perf_trace', 'bpftrace', 'sysdig'];
const OWN = ['baseline', 'off', 'log', 'log_entry', 'log_tail', 'log_other', 'block', 'floor', 'floor_post', 'rule1', 'rules100',
  'rules100_plain', 'tree2000', 'tail_file', 'daemon_file'];
/** What the comparison under `-cpu max` runs: the kernel side and tail, no peers. */
const OWN_MAX = ['baseline', 'off', 'log', 'log_entry', 'log_tail', 'log_other', 'block', 'floor'];
/** The real workloads' contenders: untraced, syscallmon without and with a reader, and the peers. */
const WORKLOAD_CONTENDERS = ['baseline', 'log', 'log_tail', 'strace', 'sysdig', 'bpftrace'];
/**
 * QEMU's default CPU model for x86_64, the honest denominator: with `-cpu max`
 * (ERMS) the kernel clears and copies with `rep stosb`/`rep movsb`, which the
 * instruction clock counts per byte.
 */
const DEFAULT_CPU = 'qemu64';
/** The hot loops: N iterations each. */
const OPS = { lean: 20000, openat: 20000, read: 200000 };

/** @param {string} msg */
function usage(msg) {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--smoke] [--no-setup] [--no-peers] [--no-build] [--only icount|icount_max|wall|decode]... [--reps N] [--contenders ID,...] [--profile ID:OP[:N]]... [--count-instructions] [--module KO] [--experiment NAME] [--overhead-only]\n`);
  process.exit(2);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const o = { smoke: false, setup: true, peers: true, build: true, only: /** @type {string[]} */ ([]), reps: 0, contenders: /** @type {string[]} */ ([]),
    profile: /** @type {{ id: string, op: string, n?: number }[]} */ ([]), module: /** @type {string | undefined} */ (undefined),
    experiment: /** @type {string | undefined} */ (undefined), overheadOnly: false, countInstructions: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') o.smoke = true;
    else if (a === '--no-setup') o.setup = false;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--no-build') o.build = false;
    else if (a === '--overhead-only') o.overheadOnly = true;
    else if (a === '--count-instructions') o.countInstructions = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (!v || !['icount', 'icount_max', 'wall', 'decode'].includes(v)) usage(`--only takes icount, icount_max, wall or decode, not ${v ?? 'nothing'}`);
      o.only.push(v);
    } else if (a === '--reps') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1 || v > 100) usage(`--reps takes a count from 1 to 100`);
      o.reps = v;
    } else if (a === '--profile') {
      const [id, op, count] = (argv[++i] ?? '').split(':');
      const n = count === undefined ? undefined : Number(count);
      if (!id || ![...OWN, ...PEERS, 'latency_lib'].includes(id) || !op || !(op in OPS) ||
          (n !== undefined && !(Number.isInteger(n) && n > 0))) {
        usage(`--profile takes CONTENDER:OP[:ITERATIONS], OP one of ${Object.keys(OPS).join(', ')} (CONTENDER may be latency_lib: the library consumer of the latency test)`);
      }
      o.profile.push(n === undefined ? { id, op } : { id, op, n });
    } else if (a === '--experiment') {
      const v = argv[++i];
      if (!v || !/^[\w.-]+$/.test(v)) usage('--experiment takes a name ([A-Za-z0-9_.-])');
      o.experiment = v;
    } else if (a === '--module') {
      const v = argv[++i];
      if (!v || !v.endsWith('.ko') || !existsSync(v)) usage('--module takes the path of a built syscallmon.ko');
      o.module = resolve(v);
    } else if (a === '--contenders') {
      const v = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = v.filter((id) => !OWN.includes(id) && !PEERS.includes(id));
      if (v.length === 0 || bad.length) usage(`--contenders takes a comma-separated list of ${[...OWN, ...PEERS].join(', ')}`);
      o.contenders = v;
    } else usage(`unknown argument ${a}`);
  }
  if (o.countInstructions && o.profile.some((p) => p.id === 'latency_lib')) {
    usage('--count-instructions counts hot loops: latency_lib has none');
  }
  if (o.smoke) {
    o.peers = false;
    o.setup = false;
  }
  return o;
}

/** @param {string} msg */
function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Runs a build step with its output shown; exits 1 when it fails. @param {string} what @param {string} cmd @param {string[]} args */
function step(what, cmd, args, { mayFail = false } = {}) {
  log(what);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && !mayFail) {
    log(`${what} failed (${cmd} ${args.join(' ')} exited ${r.status ?? r.signal})`);
    process.exit(1);
  }
  return r.status === 0;
}

function build() {
  step('building the module', 'make', ['-C', 'kernel']);
  step('building the addon', 'npx', ['node-gyp', 'configure', 'build']);
  step('compiling the TypeScript and bundling the CLI', 'npm', ['run', 'build:ts']);
  for (const f of ['dist/bundle/syscallmon.js', 'dist/lib/index.js', 'dist/vm/runner.js']) {
    if (!existsSync(join(ROOT, f))) {
      log(`${f} is missing after tsc`);
      process.exit(1);
    }
  }
  step('building the bench programs and the floor module', 'make', ['-C', 'scripts/bench']);
}

/**
 * Boots the VM once and runs the guest driver with this config.
 * @param {string} name @param {Record<string, unknown>} config @param {{ icount: boolean, smp: number, cpu?: string }} vm
 */
async function guestRun(name, config, vm) {
  const { runInVm } = await import('../../dist/vm/runner.js');
  const share = join(OUT, `share-${name}`);
  rmSync(share, { recursive: true, force: true });
  mkdirSync(share, { recursive: true });
  writeFileSync(join(share, 'config.json'), JSON.stringify(config));
  const resultPath = join(share, 'result.json');
  log(`booting the VM (${name}: ${vm.icount ? 'instruction clock, 1 vCPU' : `wall clock, ${vm.smp} vCPUs`}, CPU model ${vm.cpu ?? 'max'})`);
  const started = Date.now();
  const loadBefore = loadavg();
  // The runner starts $SYSCALLMON_QEMU: a wrapper that loads the counting plugin.
  const qemuBefore = process.env['SYSCALLMON_QEMU'];
  if (config['countInstructions']) {
    const wrapper = join(share, 'qemu-insn-count');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${qemuBefore || 'qemu-system-x86_64'} -plugin ${join(OUT, 'insn-count.so')},out=${join(share, 'insn')} "$@"\n`, { mode: 0o755 });
    process.env['SYSCALLMON_QEMU'] = wrapper;
  }
  const r = await runInVm({
    command: [process.execPath, join(ROOT, 'scripts', 'bench', 'guest.mjs'), join(share, 'config.json'), resultPath],
    cwd: ROOT,
    shareDir: share,
    icount: vm.icount,
    smp: vm.smp,
    cpu: vm.cpu,
    memoryMb: 2048,
    timeoutMs: 90 * 60_000,
    onConsole: (t) => {
      for (const line of t.split('\n')) if (line.startsWith('[bench')) process.stderr.write(`  guest ${line}\n`);
    },
  }).finally(() => {
    if (qemuBefore === undefined) delete process.env['SYSCALLMON_QEMU'];
    else process.env['SYSCALLMON_QEMU'] = qemuBefore;
  });
  if (r.exitCode !== 0 || !existsSync(resultPath)) {
    log(`guest driver exited ${r.exitCode}; console: ${r.consoleLog}`);
    process.exit(1);
  }
  const result = JSON.parse(readFileSync(resultPath, 'utf8'));
  for (const f of readdirSync(share).filter((x) => /^profile-.*\.txt$/.test(x))) {
    mkdirSync(join(ROOT, 'bench-results', 'profiles'), { recursive: true });
    copyFileSync(join(share, f), join(ROOT, 'bench-results', 'profiles', `${name}-${f.slice('profile-'.length)}`));
  }
  if (config['countInstructions']) writeInsnReports(name, share, result.profiles ?? {});
  result.hostWallSeconds = (Date.now() - started) / 1000;
  result.cpuModel = vm.cpu ?? 'max';
  // Other QEMU guests on the host slow the wall clock down; the instruction clock doesn't care.
  result.hostLoad = { before: loadBefore.map((x) => Number(x.toFixed(2))), after: loadavg().map((x) => Number(x.toFixed(2))) };
  result.dmesgWarnings = r.dmesg.split('\n').filter((l) => /WARNING|BUG|Oops|syscallmon|kprobe_floor|scap/.test(l)).slice(0, 40);
  return result;
}

/**
 * bench-results/profiles/CLOCK-ID-OP.insn.txt for each counted profile, the
 * baseline's counts of the same loop beside it when it was counted too.
 * @param {string} name @param {string} share @param {Record<string, any>} profiles
 */
function writeInsnReports(name, share, profiles) {
  /** @type {Map<string, Map<string, number>>} */
  const counted = new Map();
  for (const [key, p] of Object.entries(profiles)) {
    if (typeof p?.window !== 'number') continue;
    counted.set(key, countBySymbol(join(share, `insn-${p.window}.txt`), join(share, `kallsyms-${key}.txt`), p.n));
  }
  mkdirSync(join(ROOT, 'bench-results', 'profiles'), { recursive: true });
  for (const [key, counts] of counted) {
    const op = key.slice(key.lastIndexOf('-') + 1);
    const baseline = key === `baseline-${op}` ? null : counted.get(`baseline-${op}`) ?? null;
    const p = profiles[key];
    const title = `${key.replace(/-(\w+)$/, ' / $1')}: ${p.n} iterations, ${p.nsPerIter.toFixed(0)} ns/iter (${name} clock)`;
    writeFileSync(join(ROOT, 'bench-results', 'profiles', `${name}-${key}.insn.txt`), insnReport(title, counts, baseline));
  }
}

/** @param {number} seconds */
function decodeBench(seconds) {
  log('measuring decode throughput on the host (scripts/bench/decode.ts)');
  const script = join(ROOT, 'scripts', 'bench', 'decode.ts');
  if (!existsSync(script)) return { error: 'scripts/bench/decode.ts is missing' };
  const r = spawnSync('npx', ['vite-node', script, String(seconds)], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return { error: `decode.ts exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(-800)}` };
  return { ...decodeRates(r.stdout), output: r.stdout.trim() };
}

function hostInfo() {
  const c = cpus();
  let qemu = 'unknown';
  try {
    qemu = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? qemu;
  } catch {}
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpuModel: c[0]?.model ?? 'unknown',
    cpus: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    hostKernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    qemu,
    node: process.version,
    commit,
  };
}

const opts = parseArgs(process.argv.slice(2));
const wants = (/** @type {string} */ what) => opts.only.length === 0 || opts.only.includes(what);
const t0 = Date.now();
mkdirSync(OUT, { recursive: true });
if (opts.build) build();
if (opts.setup && opts.peers) step('installing the peers (scripts/bench/setup.sh)', 'sh', ['scripts/bench/setup.sh']);

if (opts.smoke) {
  const wall = await guestRun('smoke', {
    clock: 'wall',
    reps: 1,
    ops: { lean: 1000, openat: 1000, read: 10000 },
    contenders: ['baseline', 'off', 'log', 'log_entry', 'log_tail', 'log_other', 'block', 'floor', 'rule1', 'rules100', 'tree2000'],
    workloads: { files: 50, execs: 20, reps: 1, contenders: ['baseline', 'log', 'log_tail'] },
    latency: { samples: 50, rounds: 1, paths: ['pipe', 'lib'] },
    changes: { n: 20 },
    // More than the default 1 MiB ring holds, so that the accounting of what it overwrote is checked.
    drain: { n: 0, overloadN: 16384 },
  }, { icount: false, smp: 2, cpu: DEFAULT_CPU });
  const results = { date: new Date().toISOString(), host: hostInfo(), smoke: true, wall };
  writeFileSync(join(OUT, 'smoke.json'), JSON.stringify(results, null, 1));
  const problems = smokeProblems(wall);
  log(`smoke: ${problems.length ? `FAILED:\n  ${problems.join('\n  ')}` : 'harness OK'} (${((Date.now() - t0) / 1000).toFixed(0)} s); raw: .cache/bench/smoke.json`);
  process.exit(problems.length ? 1 : 0);
}

const contenders = opts.contenders.length ? opts.contenders : opts.peers ? [...OWN, ...PEERS] : OWN;
/** @type {Record<string, unknown>} */
const results = { date: new Date().toISOString(), host: hostInfo() };
/** What every guest run is given; each run adds its clock and what it measures. */
const runBase = { reps: opts.reps || 3, ops: OPS, profile: opts.profile, module: opts.module };
if (wants('icount')) {
  results.icount = await guestRun('icount', {
    ...runBase,
    clock: 'icount',
    contenders,
    workloads: opts.overheadOnly ? null : { files: 800, execs: 300, reps: opts.reps || 3, contenders: WORKLOAD_CONTENDERS.filter((id) => contenders.includes(id)) },
    // Diagnostics: what each latency path and the NDJSON formatting cost in instructions.
    latency: opts.overheadOnly ? null : { samples: 1000 },
    formatters: !opts.overheadOnly,
    drain: null,
    changes: opts.overheadOnly ? null : { n: 200 },
    countInstructions: opts.countInstructions,
  }, { icount: true, smp: 1, cpu: DEFAULT_CPU });
}
if (wants('icount_max')) {
  results.icount_max = await guestRun('icount_max', {
    ...runBase,
    clock: 'icount',
    contenders: OWN_MAX.filter((id) => contenders.includes(id)),
    latency: null,
    drain: null,
    changes: null,
    countInstructions: opts.countInstructions,
  }, { icount: true, smp: 1, cpu: 'max' });
}
if (wants('wall')) {
  results.wall = await guestRun('wall', {
    ...runBase,
    clock: 'wall',
    contenders,
    latency: opts.overheadOnly ? null : { samples: 2000 },
    drain: opts.overheadOnly ? null : { n: 200000, overloadN: 16384, reps: 3, largeRingSize: 4 * 1024 * 1024 },
    changes: opts.overheadOnly ? null : { n: 200 },
  }, { icount: false, smp: 2 });
}
if (wants('decode')) results.decode = decodeBench(3);
results.benchSeconds = (Date.now() - t0) / 1000;

if (opts.experiment) {
  const file = join(OUT, 'experiments', `${opts.experiment}.json`);
  mkdirSync(join(OUT, 'experiments'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  log(`experiment results: ${file} (BENCHMARKS.md untouched)`);
  process.exit(0);
}
mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
const day = String(results.date).slice(0, 10);
const rawName = `bench-results/bench-${day}.json`;
writeFileSync(join(ROOT, rawName), `${JSON.stringify(results, null, 1)}\n`);
writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(results, rawName));
for (const g of goals(results)) log(`${g.met === null ? 'n/a ' : g.met ? 'MET ' : 'MISS'} ${g.goal}: ${g.evidence}`);
log(`wrote BENCHMARKS.md and ${rawName} in ${((Date.now() - t0) / 60000).toFixed(1)} min`);

/** What makes a smoke run fail: the harness, not the goals. @param {any} wall */
function smokeProblems(wall) {
  const problems = [];
  for (const [op, row] of Object.entries(wall.overhead ?? {})) {
    for (const [id, c] of Object.entries(/** @type {any} */ (row).contenders)) {
      if (c.errors.length) problems.push(`${op} ${id}: ${c.errors.join('; ')}`);
      else if (c.samples.length === 0) problems.push(`${op} ${id}: no sample`);
    }
  }
  for (const [op, row] of Object.entries(wall.workloads?.rows ?? {})) {
    for (const [id, c] of Object.entries(/** @type {any} */ (row).contenders)) {
      if (c.errors.length) problems.push(`workload ${op} ${id}: ${c.errors.join('; ')}`);
      else if (c.samples.length === 0) problems.push(`workload ${op} ${id}: no sample`);
    }
  }
  for (const [k, v] of Object.entries(wall.latency ?? {})) if (k.endsWith('_error')) problems.push(`latency ${k}: ${v}`);
  for (const [k, v] of Object.entries(wall.drain ?? {})) if (k.endsWith('_error')) problems.push(`drain ${k}: ${v}`);
  if (wall.changes?.error) problems.push(`changes: ${wall.changes.error}`);
  for (const [op, row] of Object.entries(wall.overhead ?? {})) {
    const r = /** @type {any} */ (row);
    const log = r.contenders.log?.samples?.[0];
    const logged = log?.extra?.status?.targets?.[0]?.logged;
    if (log && logged !== r.n) problems.push(`${op} log: the target logged ${logged} calls, the loop made ${r.n}`);
    const floor = r.contenders.floor?.samples?.[0];
    if (floor && !(floor.extra?.hits >= r.n)) problems.push(`${op} floor: counted ${floor.extra?.hits} hits for ${r.n} calls`);
  }
  const o = wall.drain?.overload;
  // The lost markers also count the configuration records the reader missed (the targets and mode set before the loop).
  if (o && o.produced - o.sink.syscalls !== o.sink.lost - o.sink.lost_config) {
    problems.push(`overload accounting: produced ${o.produced} - delivered ${o.sink.syscalls} != lost ${o.sink.lost} - of them configuration records ${o.sink.lost_config}`);
  }
  return problems;
}
