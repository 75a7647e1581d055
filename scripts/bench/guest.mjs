// @ts-check
/**
 * The guest side of `npm run bench`: runs inside the VM (as root, the host's
 * root file system mounted read-only) and writes raw results as JSON.
 *
 *   node scripts/bench/guest.mjs CONFIG.json OUT.json
 *
 * CONFIG (written by run.mjs): { clock, reps, ops: { lean: N, openat: N, read: N },
 * contenders: [id...], workloads: { files, execs, reps, contenders } | null,
 * latency: { samples } | null, drain: { n, overloadN } | null, changes: { n } | null }.
 *
 * Every contender runs the same workload binaries (.cache/bench/hot for the
 * hot loops, .cache/bench/work for the real workloads); they time themselves,
 * so what the driver does around them (loading modules, starting tracers) is
 * never measured. Contenders are interleaved: each rep runs every contender
 * once, in an order rotated per rep.
 */
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BenchError, finish, lastJson, run, scaled, setTimeScale, start, startStopped, waitFor } from './lib/proc.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, '.cache', 'bench');
const HOT = join(BIN, 'hot');
const LAT = join(BIN, 'lat');
const SMONCTL = join(BIN, 'smonctl');
const WORK = join(BIN, 'work');
const NOP = join(BIN, 'nop');
/** The module built for the kernel the guest booted (kernel/Makefile: one folder per release). */
const SMON_KO_DEFAULT = join(ROOT, 'build', 'kernel', readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), 'syscallmon.ko');
const FLOOR_KO = join(BIN, 'kmod', 'kprobe_floor.ko');
const CLI = join(ROOT, 'bin', 'syscallmon');
/** Processes in the tree of the tree2000 contender. */
const TREE_SIZE = 2000;
/** A syscall no contender's workload makes (the "non-targeted" case). */
const OTHER_SYSCALL = 'mknodat';
/** What the real workloads are traced for: the file and process syscalls a user watches. */
const WORKLOAD_SYSCALLS = ['openat', 'read', 'write', 'close', 'newfstatat', 'statx', 'getdents64', 'execve', 'mmap'];
/** Those of them sysdig 0.29 has events of its own for (newfstatat and statx are generic events there). */
const SYSDIG_TYPES = new Set(['openat', 'read', 'write', 'close', 'getdents64', 'execve', 'mmap']);
/** Where the real workloads' files live: tmpfs, like everything they touch. */
const WORK_DIR = '/tmp/bench-work';

const [configPath, outPath] = process.argv.slice(2);
if (!configPath || !outPath) {
  process.stderr.write('usage: node scripts/bench/guest.mjs CONFIG.json OUT.json\n');
  process.exit(2);
}
/** @type {{ clock: string, reps: number, ops: Record<string, number>, contenders: string[],
 *   workloads?: { files: number, execs: number, reps: number, contenders: string[] } | null, changes?: { n: number } | null,
 *   latency: { samples: number, rounds?: number, paths?: string[] } | null, drain: { n: number, overloadN: number } | null, ringSize?: number,
 *   profile?: { id: string, op: string, n?: number }[], countInstructions?: boolean, module?: string, latencyConsumer?: string, formatters?: boolean }} */
const config = JSON.parse(readFileSync(configPath, 'utf8'));
if (config.clock === 'icount') setTimeScale(1000);
/** A variant of the module (e.g. a kernel patch under evaluation) instead of the tree's own build. */
const SMON_KO = config.module ?? SMON_KO_DEFAULT;

/** @param {string} msg */
function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ---- module helpers ---------------------------------------------------------

/** @param {string} name */
function loaded(name) {
  return existsSync(`/sys/module/${name}`);
}

/** @param {string} name */
function rmmod(name) {
  for (let i = 0; i < 50 && loaded(name); i++) {
    if (run('rmmod', [name], { allowFail: true }).status === 0) return;
    spawnWait(100);
  }
  if (loaded(name)) throw new BenchError(`cannot unload ${name}`);
}

/** Busy-free wait for synchronous code paths. @param {number} ms */
function spawnWait(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** @param {number} [ringSize] the ring's size in bytes; default config.ringSize, else the module's default */
function loadSmon(ringSize = config.ringSize) {
  if (loaded('syscallmon')) rmmod('syscallmon');
  run('insmod', [SMON_KO, ...(ringSize ? [`ring_size=${ringSize}`] : [])]);
}

/** @param {readonly string[]} args */
function smonctl(...args) {
  return run(SMONCTL, args).stdout;
}

function smonStatus() {
  return JSON.parse(smonctl('status'));
}

// ---- profiling --------------------------------------------------------------

/**
 * Set while a profile is being taken: `perf record -a -g` into file runs
 * exactly while the workload's timed loop may run (from SIGCONT to its
 * exit); or, when insn-count.c counts, the symbols go to kallsyms then.
 * @type {{ file?: string, kallsyms?: string, perf?: import('./lib/proc.mjs').Started } | null}
 */
let profiler = null;

async function profileStart() {
  if (!profiler) return;
  if (profiler.kallsyms) {
    // Counting (insn-count.c) needs no perf, only the symbols of this moment: the contender's modules are loaded.
    run('sh', ['-c', `cat /proc/kallsyms > ${profiler.kallsyms}`]);
    return;
  }
  const ctl = '/tmp/bench-perf-ctl';
  const ack = '/tmp/bench-perf-ack';
  run('sh', ['-c', `rm -f ${ctl} ${ack} && mkfifo ${ctl} ${ack}`]);
  // Start disabled (-D -1) and enable through the control fifo: the ack says
  // it is recording, however long perf took to start.
  profiler.perf = start('perf', ['record', '-D', '-1', '--control', `fifo:${ctl},${ack}`, '-a', '-g', '-e', 'cpu-clock', '-F', '5000', '-o', profiler.file]);
  run('sh', ['-c', `exec 3<>${ack}; echo enable > ${ctl}; head -n 1 <&3`], { timeoutMs: 300_000 });
}

async function profileStop() {
  if (!profiler?.perf) return;
  profiler.perf.child.kill('SIGINT');
  await finish(profiler.perf, 300_000, 'perf record');
  profiler.perf = undefined;
}

// ---- the workloads ----------------------------------------------------------

/**
 * @typedef {object} Sample
 * @property {number} n @property {number} ns @property {number} failed
 * @property {Record<string, unknown>} [extra]
 */

/**
 * What a contender runs: a program that times its own measured part and
 * prints it as one JSON line ({ n, ns, failed }), stopping itself after its
 * warm-up when given --stop; and the syscalls a tracer of it watches.
 * @typedef {object} Workload
 * @property {string} op the row it is measured in
 * @property {string[]} argv the command, without --stop
 * @property {string[]} syscalls
 * @property {'pid' | 'all'} scope whom a LOG target covers: the program's
 *   process (a hot loop), or every process (a workload that forks)
 */

/** The syscall a hot.c loop makes. @param {string} op */
const syscallOf = (op) => (op === 'lean' ? 'openat' : op);

/** A hot.c loop of n iterations. @param {string} op @param {number} n @returns {Workload} */
function hotLoop(op, n, mark = false) {
  return { op, argv: [HOT, op, String(n), ...(mark ? ['--mark'] : [])], syscalls: [syscallOf(op)], scope: 'pid' };
}

/** @param {string} out @returns {Sample} */
function parseTimed(out) {
  const j = lastJson(out, 'the workload');
  return { n: j.n, ns: j.ns, failed: j.failed };
}

/**
 * Runs the workload stopped, lets `scope(pid)` configure, continues it, waits.
 * @param {Workload} w @param {(pid: number) => void | Promise<void>} scope
 */
async function runScoped(w, scope) {
  const [cmd, ...args] = w.argv;
  const s = await startStopped(/** @type {string} */ (cmd), [...args, '--stop']);
  try {
    await scope(s.pid);
  } catch (e) {
    s.child.kill('SIGKILL');
    throw e;
  }
  await profileStart();
  process.kill(s.pid, 'SIGCONT');
  const r = await finish(s, 600_000, w.argv.join(' '));
  await profileStop();
  if (r.code !== 0) throw new BenchError(`${w.argv.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  return parseTimed(r.stdout);
}

/** Runs the workload under a wrapping tracer (strace, perf trace). @param {string[]} wrap @param {Workload} w */
async function runWrapped(wrap, w) {
  const [cmd, ...args] = wrap;
  const s = start(/** @type {string} */ (cmd), [...args, ...w.argv]);
  const r = await finish(s, 900_000, `${cmd} ${w.op}`);
  if (r.code !== 0) throw new BenchError(`${wrap.join(' ')} ${w.argv.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-500)}`);
  return parseTimed(r.stdout);
}

/**
 * LOG targets on the workload's syscalls, scoped as it says (or to every
 * process), recording `record`; then mode LOG.
 * @param {Workload} w @param {number} pid @param {{ everyProcess?: boolean, record?: 'complete' | 'entry' }} [how]
 */
function logTargets(w, pid, how = {}) {
  const scope = how.everyProcess || w.scope === 'all' ? 'all' : String(pid);
  for (const sc of w.syscalls) smonctl('target', sc, 'log', scope, how.record ?? 'complete');
  smonctl('mode', 'log');
}

/**
 * The real workloads, in tmpfs: a root holding sh, tar, cat and their
 * libraries and a tree of `files` C headers (copied from the host's
 * /usr/include, the first in path order), for `tar cf - tree | cat`; and
 * a static binary that `execs` fork+execs start.
 * @param {number} files @param {number} execs
 */
function prepareWorkloads(files, execs) {
  const root = join(WORK_DIR, 'root');
  rmSync(WORK_DIR, { recursive: true, force: true });
  /** @param {string} from @param {string} to */
  const copy = (from, to) => {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  };
  const tools = ['/bin/sh', '/usr/bin/tar', '/usr/bin/cat'];
  const libs = new Set(tools.flatMap((t) => [...run('ldd', [t]).stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => /** @type {string} */ (m[1]))));
  for (const f of [...tools, ...libs]) copy(f, join(root, f));
  for (const f of ['/etc/passwd', '/etc/group', '/etc/nsswitch.conf']) if (existsSync(f)) copy(f, join(root, f));
  /** @type {string[]} */
  const headers = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (headers.length >= files) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.h')) headers.push(p);
    }
  };
  walk('/usr/include');
  if (headers.length < files) throw new BenchError(`/usr/include holds ${headers.length} headers, want ${files}`);
  let bytes = 0;
  for (const h of headers) {
    copy(h, join(root, 'tree', h.slice('/usr/include/'.length)));
    bytes += statSync(h).size;
  }
  copy(NOP, join(WORK_DIR, 'nop'));
  chmodSync(join(WORK_DIR, 'nop'), 0o755);
  /** @type {Workload[]} */
  const list = [
    { op: 'tar', argv: [WORK, 'tar', root], syscalls: WORKLOAD_SYSCALLS, scope: 'all' },
    { op: 'exec', argv: [WORK, 'exec', String(execs), join(WORK_DIR, 'nop')], syscalls: WORKLOAD_SYSCALLS, scope: 'all' },
  ];
  return { list, info: { files: headers.length, bytes, execs, tools: [...tools, ...libs] } };
}

// ---- tail (the CLI) ---------------------------------------------------------

/**
 * Starts `syscallmon tail --json` writing to `stdout` and waits for its ready line.
 * @param {'ignore' | number | import('node:stream').Stream} stdout
 */
async function startTail(stdout) {
  // --perf-basic-prof lets perf name the JIT's frames (/tmp/perf-PID.map).
  const flags = profiler ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : [];
  const s = start(process.execPath, [...flags, CLI, 'tail', '--json'], { stdout });
  const stderr = /** @type {import('node:stream').Readable} */ (s.child.stderr);
  await Promise.race([
    waitFor(stderr, /following/, 120_000, 'the ready line of syscallmon tail'),
    s.done.then((r) => {
      throw new BenchError(`syscallmon tail exited ${r.code ?? r.signal} before it was ready: ${r.stderr.trim()}`);
    }),
  ]);
  return s;
}

/** Stops tail with SIGINT and parses its summary line. @param {import('./lib/proc.mjs').Started} s */
async function stopTail(s) {
  s.child.kill('SIGINT');
  const r = await finish(s, 60_000, 'syscallmon tail');
  const m = /(\d+) shown, (\d+) read, (\d+) lost/.exec(r.stderr);
  if (!m) throw new BenchError(`syscallmon tail printed no summary (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500)}`);
  return { shown: Number(m[1]), read: Number(m[2]), lost: Number(m[3]), exit: r.code };
}

/**
 * Starts `syscallmon daemon` on a policy that only sets the mode (the run
 * targets the workload as tail's runs do), appending NDJSON to `file`, and
 * waits for its ready line.
 * @param {string} file
 */
async function startDaemon(file) {
  mkdirSync(WORK_DIR, { recursive: true });
  const policy = join(WORK_DIR, 'daemon-policy.yaml');
  writeFileSync(policy, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: log\n');
  const flags = profiler ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : [];
  const s = start(process.execPath, [...flags, CLI, 'daemon', '--policy', policy, '--output', file]);
  const stderr = /** @type {import('node:stream').Readable} */ (s.child.stderr);
  await Promise.race([
    waitFor(stderr, /writing events to /, 120_000, 'the ready line of syscallmon daemon'),
    s.done.then((r) => {
      throw new BenchError(`syscallmon daemon exited ${r.code ?? r.signal} before it was ready: ${r.stderr.trim()}`);
    }),
  ]);
  return s;
}

/** Stops the daemon with SIGTERM and parses its summary line, in tail's terms. @param {import('./lib/proc.mjs').Started} s */
async function stopDaemon(s) {
  s.child.kill('SIGTERM');
  const r = await finish(s, 60_000, 'syscallmon daemon');
  const m = /(\d+) records written, (\d+) lost/.exec(r.stderr);
  if (!m) throw new BenchError(`syscallmon daemon printed no summary (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500)}`);
  return { shown: Number(m[1]), read: Number(m[1]), lost: Number(m[2]), exit: r.code };
}

/**
 * The workload twice while a consumer (tail, the daemon) follows every
 * process's calls: the first run also pays for V8 compiling the consumer's
 * hot path; the second shows the steady state a long-running one has.
 * @param {Workload} w
 * @param {() => Promise<import('./lib/proc.mjs').Started>} startConsumer
 * @param {(s: import('./lib/proc.mjs').Started) => Promise<{ shown: number, read: number, lost: number, exit: number | null }>} stopConsumer
 * @returns {Promise<Sample & { also: { cold: Sample } }>}
 */
async function followedRuns(w, startConsumer, stopConsumer) {
  loadSmon();
  /** @type {import('./lib/proc.mjs').Started | undefined} */
  let consumer;
  try {
    consumer = await startConsumer();
    const c = consumer;
    /** @type {Sample[]} */
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const io0 = procIo(c.pid);
      const r = await runScoped(w, (pid) => logTargets(w, pid, { everyProcess: true }));
      await settle();
      const io1 = procIo(c.pid);
      runs.push({ ...r, extra: { status: smonStatus(), tailReadCalls: io1.syscr - io0.syscr, tailWriteCalls: io1.syscw - io0.syscw } });
    }
    const summary = await stopConsumer(c);
    consumer = undefined;
    const [cold, warm] = /** @type {[Sample, Sample]} */ (runs);
    return { ...warm, extra: { ...warm.extra, tail: summary }, also: { cold } };
  } finally {
    if (consumer) consumer.child.kill('SIGKILL');
    await sleep(100);
    rmmod('syscallmon');
  }
}

/** A fresh file for a consumer's NDJSON, in the workloads' tmpfs. @param {string} name */
function freshOutput(name) {
  mkdirSync(WORK_DIR, { recursive: true });
  const file = join(WORK_DIR, name);
  rmSync(file, { force: true });
  return file;
}

/** Gives a consumer time to catch up with what was just produced. */
async function settle(ms = 1500) {
  await sleep(ms);
}

/** Read and write syscall counts of a process (all its threads). @param {number} pid */
function procIo(pid) {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (/** @type {string} */ k) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { syscr: get('syscr'), syscw: get('syscw') };
}

// ---- contenders -------------------------------------------------------------

/** @param {string} syscall */
const sym = (syscall) => `__x64_sys_${syscall}`;

/**
 * @typedef {object} Contender
 * @property {string} label (SYSCALL: the workload's syscalls)
 * @property {boolean} [peer]
 * @property {string[]} [also] other contender ids whose samples this one's run measures too
 * @property {number} [wallScale] run this fraction of the iterations on the wall clock (slow tracers)
 * @property {(w: Workload) => Promise<Sample & { also?: Record<string, Sample> }>} run
 */

/** A contender that runs with the module loaded, unloading it after. @param {() => Promise<Sample & { also?: Record<string, Sample> }>} fn */
async function withSmon(fn) {
  loadSmon();
  try {
    return await fn();
  } finally {
    rmmod('syscallmon');
  }
}

/** A bare kprobe module on the workload's one syscall. @param {Workload} w @param {string[]} params */
async function floorRun(w, params) {
  if (loaded('kprobe_floor')) rmmod('kprobe_floor');
  run('insmod', [FLOOR_KO, `symbol=${sym(/** @type {string} */ (w.syscalls[0]))}`, ...params]);
  try {
    const r = await runScoped(w, () => {});
    return { ...r, extra: { hits: Number(readFileSync('/sys/module/kprobe_floor/parameters/hits', 'utf8')) } };
  } finally {
    rmmod('kprobe_floor');
  }
}

/**
 * A contender that logs the workload's first syscall through a named rule
 * on its pid, after 100 rules that match nothing (`smonctl noise`: keyed or
 * plain) unless noise is null.
 * @param {string} label @param {'keyed' | 'plain' | null} noise @returns {Contender}
 */
function loggedThroughRule(label, noise) {
  return {
    label,
    run: (w) =>
      withSmon(async () => {
        const sc = /** @type {string} */ (w.syscalls[0]);
        const r = await runScoped(w, (pid) => {
          if (noise) smonctl('noise', '100', sc, noise);
          smonctl('rule', 'hot', sc, 'log', 'pid', String(pid));
          smonctl('mode', 'log');
        });
        return { ...r, extra: { status: smonStatus() } };
      }),
  };
}

/** @type {Record<string, Contender>} */
const CONTENDERS = {
  baseline: {
    label: 'baseline (untraced)',
    run: (w) => runScoped(w, () => {}),
  },
  off: {
    label: 'syscallmon OFF (loaded, nothing targeted)',
    run: (w) => withSmon(() => runScoped(w, () => {})),
  },
  log: {
    label: 'syscallmon LOG, complete calls, no reader',
    run: (w) =>
      withSmon(async () => {
        const r = await runScoped(w, (pid) => logTargets(w, pid));
        return { ...r, extra: { status: smonStatus() } };
      }),
  },
  log_entry: {
    label: 'syscallmon LOG, records at entry, no reader',
    run: (w) =>
      withSmon(async () => {
        const r = await runScoped(w, (pid) => logTargets(w, pid, { record: 'entry' }));
        return { ...r, extra: { status: smonStatus() } };
      }),
  },
  log_tail: {
    label: 'syscallmon LOG (every process, complete calls) + `tail --json > /dev/null`',
    also: ['log_tail_cold'],
    async run(w) {
      const { also, ...warm } = await followedRuns(w, () => startTail(openSync('/dev/null', 'w')), stopTail);
      return { ...warm, also: { log_tail_cold: also.cold } };
    },
  },
  log_tail_cold: {
    label: 'syscallmon LOG + `tail --json > /dev/null`, first run after tail started',
    async run() {
      throw new BenchError('measured by log_tail');
    },
  },
  tail_file: {
    label: 'syscallmon LOG (every process, complete calls) + `tail --json > FILE`',
    async run(w) {
      const fd = openSync(freshOutput('tail.ndjson'), 'w');
      try {
        const { also: _cold, ...warm } = await followedRuns(w, () => startTail(fd), stopTail);
        return warm;
      } finally {
        closeSync(fd);
      }
    },
  },
  daemon_file: {
    label: 'syscallmon LOG (every process, complete calls) + `daemon --output FILE`',
    async run(w) {
      const { also: _cold, ...warm } = await followedRuns(w, () => startDaemon(freshOutput('daemon.ndjson')), stopDaemon);
      return warm;
    },
  },
  log_other: {
    label: `syscallmon LOG of a syscall not called (${OTHER_SYSCALL}, all pids)`,
    run: (w) =>
      withSmon(async () => {
        smonctl('target', OTHER_SYSCALL, 'log', 'all');
        smonctl('mode', 'log');
        const r = await runScoped(w, () => {});
        return { ...r, extra: { status: smonStatus() } };
      }),
  },
  block: {
    label: 'syscallmon BLOCK of the hot syscall',
    run: (w) =>
      withSmon(async () => {
        const r = await runScoped(w, (pid) => {
          smonctl('target', /** @type {string} */ (w.syscalls[0]), 'block', String(pid));
          smonctl('mode', 'block');
        });
        if (r.failed !== r.n) throw new BenchError(`BLOCK: ${r.failed} of ${r.n} calls failed, expected all`);
        return { ...r, extra: { status: smonStatus() } };
      }),
  },
  rule1: loggedThroughRule('syscallmon LOG through one named rule (pid)', null),
  rules100: loggedThroughRule('syscallmon LOG through one named rule after 100 on the syscall that match nothing (indexed: comm, uid)', 'keyed'),
  rules100_plain: loggedThroughRule('syscallmon LOG through one named rule after 100 that match nothing and no index holds (uid ranges)', 'plain'),
  tree2000: {
    label: `syscallmon LOG through a process tree of ${TREE_SIZE} processes (joined at fork)`,
    async run(w) {
      loadSmon();
      /** @type {import('./lib/proc.mjs').Started | undefined} */
      let forker;
      try {
        const r = await runScoped(w, async (pid) => {
          // The tree's roots: the loop, and a process that then forks the rest into it.
          forker = await startStopped(SMONCTL, ['forker', String(TREE_SIZE - 2)]);
          const f = forker;
          smonctl('rule', 'hot', /** @type {string} */ (w.syscalls[0]), 'log', 'tree', String(pid), String(f.pid));
          smonctl('mode', 'log');
          process.kill(f.pid, 'SIGCONT');
          await waitFor(/** @type {import('node:stream').Readable} */ (f.child.stdout), /forked/, 600_000, 'the forker');
          const members = Number(smonctl('rule-pids', 'hot'));
          if (members !== TREE_SIZE) throw new BenchError(`the tree holds ${members} processes, want ${TREE_SIZE}`);
        });
        return { ...r, extra: { status: smonStatus() } };
      } finally {
        if (forker) {
          forker.child.kill('SIGTERM');
          await finish(forker, 300_000, 'the forker').catch(() => {});
        }
        rmmod('syscallmon');
      }
    },
  },
  floor: {
    label: 'bare kprobe that only counts (floor)',
    run: (w) => floorRun(w, []),
  },
  floor_post: {
    label: 'bare kprobe + empty post_handler',
    run: (w) => floorRun(w, ['post=1']),
  },
  strace: {
    label: 'strace -f -e trace=SYSCALL -o /dev/null',
    peer: true,
    // Each traced call is two ptrace stops: on the wall clock a full loop takes many minutes.
    wallScale: 0.1,
    run: (w) => runWrapped(['strace', '-f', '-e', `trace=${w.syscalls.join(',')}`, '-o', '/dev/null'], w),
  },
  strace_ty: {
    label: 'strace -f -T -y -e trace=SYSCALL -o /dev/null (durations and fd targets, as complete calls carry)',
    peer: true,
    wallScale: 0.1,
    run: (w) => runWrapped(['strace', '-f', '-T', '-y', '-e', `trace=${w.syscalls.join(',')}`, '-o', '/dev/null'], w),
  },
  perf_trace: {
    label: 'perf trace -e SYSCALL -o /dev/null',
    peer: true,
    run: (w) => runWrapped(['perf', 'trace', '-e', w.syscalls.join(','), '-o', '/dev/null', '--'], w),
  },
  bpftrace: {
    label: 'bpftrace tracepoint counter (sys_enter_SYSCALL)',
    peer: true,
    async run(w) {
      const probes = w.syscalls.map((sc) => `tracepoint:syscalls:sys_enter_${sc}`).join(', ');
      const prog = `BEGIN { printf("ready\\n"); } ${probes} { @hits = count(); }`;
      const bt = start('bpftrace', ['-B', 'line', '-e', prog]);
      try {
        await Promise.race([
          waitFor(/** @type {import('node:stream').Readable} */ (bt.child.stdout), /ready/, 300_000, 'bpftrace to attach'),
          bt.done.then((r) => {
            throw new BenchError(`bpftrace exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
          }),
        ]);
        const r = await runScoped(w, () => {});
        bt.child.kill('SIGINT');
        const out = await finish(bt, 60_000, 'bpftrace');
        const hits = /@hits: (\d+)/.exec(out.stdout);
        return { ...r, extra: { hits: hits ? Number(hits[1]) : null } };
      } finally {
        bt.child.kill('SIGKILL');
      }
    },
  },
  sysdig: {
    label: 'sysdig evt.type=SYSCALL > /dev/null (Falco kernel driver)',
    peer: true,
    async run(w) {
      if (!loaded('scap')) run('modprobe', ['scap']);
      const refcnt = () => Number(readFileSync('/sys/module/scap/refcnt', 'utf8'));
      const types = w.syscalls.filter((sc) => SYSDIG_TYPES.has(sc));
      const filter = types.length === 1 ? `evt.type=${types[0]}` : `evt.type in (${types.join(',')})`;
      const sd = start('sysdig', ['-v', filter], { stdout: openSync('/dev/null', 'w') });
      try {
        const deadline = Date.now() + scaled(300_000);
        while (refcnt() === 0) {
          const state = await Promise.race([sd.done, sleep(20, 'waiting')]);
          if (state !== 'waiting') throw new BenchError(`sysdig exited before capturing: ${JSON.stringify(state)}`);
          if (Date.now() > deadline) throw new BenchError('sysdig did not open the driver within 300 s');
        }
        // The device is open; give it a moment to start the capture itself.
        await sleep(1000);
        const r = await runScoped(w, () => {});
        sd.child.kill('SIGINT');
        const out = await finish(sd, 120_000, 'sysdig');
        const events = /Driver Events:(\d+)/.exec(out.stderr);
        const drops = /Driver Drops:(\d+)/.exec(out.stderr);
        return { ...r, extra: { driverEvents: events ? Number(events[1]) : null, driverDrops: drops ? Number(drops[1]) : null } };
      } finally {
        sd.child.kill('SIGKILL');
        await sleep(200);
        if (loaded('scap')) rmmod('scap');
      }
    },
  },
};

/** Checks a peer's binary exists; returns the reason it can't run, or null. @param {string} id */
function peerMissing(id) {
  const bin = { strace: 'strace', strace_ty: 'strace', perf_trace: 'perf', bpftrace: 'bpftrace', sysdig: 'sysdig' }[id];
  if (!bin) return null;
  const r = run('sh', ['-c', `command -v ${bin}`], { allowFail: true });
  return r.status === 0 ? null : `${bin} is not installed (run scripts/bench/setup.sh)`;
}

// ---- phases -----------------------------------------------------------------

/**
 * Runs each contender on each row's workload, reps times, interleaved.
 * @param {{ op: string, n: number, make: (n: number) => Workload }[]} rows
 * @param {string[]} contenderIds @param {number} reps
 */
async function measure(rows, contenderIds, reps) {
  /** @type {Record<string, { n: number, contenders: Record<string, { label: string, labelTemplate: string, samples: Sample[], errors: string[], skipped?: string }> }>} */
  const out = {};
  const ids = contenderIds.filter((id) => {
    if (!CONTENDERS[id]) throw new BenchError(`unknown contender ${id}`);
    return true;
  });
  // Contenders measured by another one's run get a slot but no run of their own.
  const measuredBy = Object.fromEntries(ids.flatMap((id) => (CONTENDERS[id]?.also ?? []).map((a) => [a, id])));
  const slots = [...ids.flatMap((id) => [id, ...(CONTENDERS[id]?.also ?? [])])];
  const runIds = ids.filter((id) => !measuredBy[id]);
  for (const { op, n, make } of rows) {
    const what = make(n).syscalls;
    const named = what.length === 1 ? /** @type {string} */ (what[0]) : `the ${what.length} syscalls`;
    out[op] = { n, contenders: {} };
    for (const id of [...new Set(slots)]) {
      const c = /** @type {Contender} */ (CONTENDERS[id]);
      const missing = peerMissing(id);
      out[op].contenders[id] = { label: c.label.replace('SYSCALL', named), labelTemplate: c.label, samples: [], errors: [], ...(missing ? { skipped: missing } : {}) };
    }
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const { op, n, make } of rows) {
      const row = /** @type {NonNullable<typeof out[string]>} */ (out[op]);
      // Rotate the order per rep so no contender always runs first or after the same one.
      const order = runIds.map((_, i) => runIds[(i + rep) % runIds.length]);
      for (const id of order) {
        const slot = /** @type {NonNullable<typeof row.contenders[string]>} */ (row.contenders[/** @type {string} */ (id)]);
        if (slot.skipped) continue;
        const c = /** @type {Contender} */ (CONTENDERS[/** @type {string} */ (id)]);
        try {
          const iterations = config.clock === 'wall' && c.wallScale ? Math.max(1000, Math.round(n * c.wallScale)) : n;
          const { also, ...s } = await c.run(make(iterations));
          slot.samples.push(s);
          for (const [other, sample] of Object.entries(also ?? {})) row.contenders[other]?.samples.push(sample);
          log(`rep ${rep + 1}/${reps} ${op} ${id}: ${(s.ns / s.n).toFixed(0)} ns/iter`);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          slot.errors.push(msg);
          log(`rep ${rep + 1}/${reps} ${op} ${id}: FAILED ${msg}`);
        }
      }
    }
  }
  return out;
}

/** The hot loops. */
function overhead() {
  return measure(Object.entries(config.ops).map(([op, n]) => ({ op, n, make: (/** @type {number} */ k) => hotLoop(op, k) })), config.contenders, config.reps);
}

/** The real workloads, each run whole (its n: one tar, or the number of execs). */
async function workloads() {
  const wc = /** @type {NonNullable<typeof config.workloads>} */ (config.workloads);
  const { list, info } = prepareWorkloads(wc.files, wc.execs);
  log(`workloads: ${info.files} headers (${info.bytes} bytes) in tmpfs, ${info.execs} execs`);
  const rows = list.map((w) => ({ op: w.op, n: w.op === 'exec' ? wc.execs : 1, make: () => w }));
  return { info, rows: await measure(rows, wc.contenders, wc.reps) };
}

/**
 * The library consumer runs in its own node process, like a real user of the API.
 * @param {number} samples @param {string} prefix @param {'subscribe' | 'iterator'} how
 */
async function latencyLib(samples, prefix, how) {
  loadSmon();
  const flags = profiler ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : [];
  // config.latencyConsumer: a variant consumer to compare against (experiments only).
  const script = config.latencyConsumer ?? join(ROOT, 'scripts', 'bench', 'lat-lib.mjs');
  const consumer = start(process.execPath, [...flags, script, String(samples), prefix, how]);
  try {
    await Promise.race([
      waitFor(/** @type {import('node:stream').Readable} */ (consumer.child.stderr), /ready/, 120_000, 'the library consumer'),
      consumer.done.then((r) => {
        throw new BenchError(`library consumer exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
      }),
    ]);
    const prod = await startStopped(LAT, ['produce', String(samples), prefix, '--stop']);
    smonctl('target', 'openat', 'log', String(prod.pid));
    smonctl('mode', 'log');
    await profileStart();
    process.kill(prod.pid, 'SIGCONT');
    await finish(prod, 600_000, 'lat produce');
    await settle(2000);
    await profileStop();
    consumer.child.kill('SIGTERM');
    const r = await finish(consumer, 60_000, 'library consumer');
    return lastJson(r.stdout, 'library consumer');
  } finally {
    consumer.child.kill('SIGKILL');
    await sleep(100);
    rmmod('syscallmon');
  }
}

/** @param {number} samples @param {string} prefix */
async function latencyTail(samples, prefix) {
  loadSmon();
  const sink = start(LAT, ['sink-latency', String(samples), prefix], { stdin: 'pipe' });
  let tail;
  try {
    tail = await startTail(/** @type {import('node:stream').Writable} */ (sink.child.stdin));
    sink.child.stdin?.destroy();
    const prod = await startStopped(LAT, ['produce', String(samples), prefix, '--stop']);
    smonctl('target', 'openat', 'log', String(prod.pid));
    smonctl('mode', 'log');
    process.kill(prod.pid, 'SIGCONT');
    await finish(prod, 600_000, 'lat produce');
    await settle(2000);
    const summary = await stopTail(tail);
    tail = undefined;
    const r = await finish(sink, 60_000, 'lat sink-latency');
    return { ...lastJson(r.stdout, 'lat sink-latency'), tail: summary };
  } finally {
    tail?.child.kill('SIGKILL');
    sink.child.kill('SIGKILL');
    await sleep(100);
    rmmod('syscallmon');
  }
}

/** @param {number} samples */
async function latencyPipe(samples) {
  const r = await finish(start(LAT, ['pipe', String(samples)]), 600_000, 'lat pipe');
  if (r.code !== 0) throw new BenchError(`lat pipe exited ${r.code}: ${r.stderr}`);
  return lastJson(r.stdout, 'lat pipe');
}

/** The pipe floor again, with a node reader: what any node consumer pays to wake up. @param {number} samples */
async function latencyPipeNode(samples) {
  const reader = start(process.execPath, [join(ROOT, 'scripts', 'bench', 'lat-pipe-node.mjs'), String(samples)], { stdin: 'pipe' });
  try {
    await waitFor(/** @type {import('node:stream').Readable} */ (reader.child.stderr), /ready/, 120_000, 'the node pipe reader');
    const writer = start(LAT, ['pipe-write', String(samples)], { stdout: /** @type {import('node:stream').Writable} */ (reader.child.stdin) });
    reader.child.stdin?.destroy();
    const w = await finish(writer, 600_000, 'lat pipe-write');
    if (w.code !== 0) throw new BenchError(`lat pipe-write exited ${w.code}: ${w.stderr}`);
    const r = await finish(reader, 60_000, 'node pipe reader');
    return lastJson(r.stdout, 'node pipe reader');
  } finally {
    reader.child.kill('SIGKILL');
  }
}

async function latency() {
  const { samples, rounds = 2, paths = ['pipe', 'pipe_node', 'lib', 'lib_iter', 'tail'] } = /** @type {NonNullable<typeof config.latency>} */ (config.latency);
  /** @type {Record<string, unknown>} */
  const out = {};
  // Rounds interleave the paths, so a slow spell of the host hits all of them alike.
  const per = Math.ceil(samples / rounds);
  for (let round = 0; round < rounds; round++) {
    for (const [id, fn] of /** @type {[string, () => Promise<any>][]} */ ([
      ['pipe', () => latencyPipe(per)],
      ['pipe_node', () => latencyPipeNode(per)],
      ['lib', () => latencyLib(per, `/tmp/smon-lat-lib-${round}/`, 'subscribe')],
      ['lib_iter', () => latencyLib(per, `/tmp/smon-lat-iter-${round}/`, 'iterator')],
      ['tail', () => latencyTail(per, `/tmp/smon-lat-tail-${round}/`)],
    ].filter(([id]) => paths.includes(/** @type {string} */ (id))))) {
      try {
        const r = await fn();
        const prev = /** @type {any} */ (out[id]) ?? { expected: 0, samples_ns: [], extra: [] };
        const { expected, samples_ns, ...rest } = r;
        out[id] = { expected: prev.expected + expected, samples_ns: [...prev.samples_ns, ...samples_ns], extra: [...prev.extra, rest] };
        log(`latency ${id} round ${round + 1}: ${samples_ns.length}/${expected} samples`);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        out[`${id}_error`] = msg;
        log(`latency ${id}: FAILED ${msg}`);
      }
    }
  }
  return out;
}

/**
 * One producer at full speed while tail --json drains; with stall=true the
 * tail is stopped (SIGSTOP) for the whole run, forcing the ring to overwrite.
 * @param {number} n @param {boolean} stall
 */
async function drainRun(n, stall, ringSize = config.ringSize) {
  loadSmon(ringSize);
  const sink = start(LAT, ['sink-count'], { stdin: 'pipe' });
  let tail;
  try {
    tail = await startTail(/** @type {import('node:stream').Writable} */ (sink.child.stdin));
    sink.child.stdin?.destroy();
    if (stall) tail.child.kill('SIGSTOP');
    const r = await runScoped(hotLoop('openat', n), (pid) => {
      smonctl('target', 'openat', 'log', String(pid));
      smonctl('mode', 'log');
    });
    const status = smonStatus();
    if (stall) tail.child.kill('SIGCONT');
    // Let tail catch up: wait until what it wrote stops growing for a while.
    await settle(stall ? 3000 : 5000);
    const summary = await stopTail(tail);
    tail = undefined;
    const counted = lastJson((await finish(sink, 60_000, 'lat sink-count')).stdout, 'lat sink-count');
    const target = status.targets.find((/** @type {{ syscall: string, logged: number }} */ t) => t.syscall === 'openat');
    return { n, loopNs: r.ns, produced: target?.logged ?? null, ringSize: status.ring_size, sink: counted, tail: summary };
  } finally {
    tail?.child.kill('SIGCONT');
    tail?.child.kill('SIGKILL');
    sink.child.kill('SIGKILL');
    await sleep(100);
    rmmod('syscallmon');
  }
}

async function drain() {
  const d = /** @type {{ n: number, overloadN: number, reps?: number, largeRingSize?: number }} */ (config.drain);
  /** @type {Record<string, unknown>} */
  const out = {};
  // Full speed is repeated: a loss there comes from one stall of the
  // consumer longer than the ring holds, which one run may or may not see.
  const reps = d.n > 0 ? (d.reps ?? 1) : 0;
  for (const [id, fn] of /** @type {[string, () => Promise<unknown>][]} */ ([
    ...Array.from({ length: reps }, (_, i) => [i === 0 ? 'full_speed' : `full_speed_${i + 1}`, () => drainRun(d.n, false)]),
    ...(d.n > 0 && d.largeRingSize ? [['full_speed_large', () => drainRun(d.n, false, d.largeRingSize)]] : []),
    ...(d.overloadN > 0 ? [['overload', () => drainRun(d.overloadN, true)]] : []),
  ])) {
    try {
      out[id] = await fn();
      log(`drain ${id}: ${JSON.stringify(out[id])}`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      out[`${id}_error`] = msg;
      log(`drain ${id}: FAILED ${msg}`);
    }
  }
  return out;
}

/**
 * How long a change takes to take effect: a change is published whole before
 * its ioctl returns, so its duration is that time.  The target of the hot
 * syscall goes from {block the loop} to {log everyone} and back, n times,
 * idle and while the loop runs (a storm of that very syscall, every call
 * decided by one configuration or the other).
 */
async function changes() {
  const { n } = /** @type {{ n: number }} */ (config.changes);
  /** @type {Record<string, unknown>} */
  const out = {};
  loadSmon();
  try {
    smonctl('mode', 'block');
    const idle = start(HOT, ['openat', '1', '--stop']);
    out.idle = JSON.parse(smonctl('changes', String(n), 'openat', String(idle.pid)));
    idle.child.kill('SIGKILL');
    await idle.done;
    const storm = start(HOT, ['openat', String(config.ops.openat * 1000)]);
    try {
      await sleep(500);
      out.storm = JSON.parse(smonctl('changes', String(n), 'openat', String(storm.pid)));
    } finally {
      storm.child.kill('SIGKILL');
      await storm.done;
    }
    log(`changes: ${JSON.stringify(out)}`);
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
    log(`changes: FAILED ${out.error}`);
  } finally {
    rmmod('syscallmon');
  }
  return out;
}

/**
 * perf finds a module's symbols only under /lib/modules/$(uname -r), where
 * ours are not, and the host root is read-only in the guest.  A tmpfs over an
 * existing directory there (updates/, else kernel/) holding copies of the
 * bench's modules gives perf their symbols while profiles are taken.
 * Returns the mount point to unmount afterwards.
 */
function exposeModulesToPerf() {
  const kver = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const dir = [`/lib/modules/${kver}/updates`, `/lib/modules/${kver}/kernel`].find((d) => existsSync(d));
  if (!dir) return null;
  run('mount', ['-t', 'tmpfs', 'tmpfs', dir]);
  for (const ko of [SMON_KO, FLOOR_KO]) if (existsSync(ko)) copyFileSync(ko, join(dir, basename(ko)));
  return dir;
}

/** The numbers of the windows insn-count.c has written into dir (insn-K.txt). @param {string} dir */
function countedWindows(dir) {
  return readdirSync(dir).map((f) => /^insn-(\d+)\.txt$/.exec(f)?.[1]).filter((k) => k !== undefined).map(Number);
}

/** Profiles contenders (`perf record -a -g` in the guest) and saves flat reports in the share. */
async function profiles() {
  const dir = dirname(outPath);
  run('sh', ['-c', 'echo 0 > /proc/sys/kernel/kptr_restrict; echo -1 > /proc/sys/kernel/perf_event_paranoid']);
  const modulesDir = exposeModulesToPerf();
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const p of config.profile ?? []) {
    // latency_lib: the library consumer of the latency test, profiled while the producer runs.
    const c = p.id === 'latency_lib'
      ? { run: async (/** @type {Workload} */ w) => ({ n: Number(w.argv[2]), ns: 0, failed: 0, lat: await latencyLib(Number(w.argv[2]), '/tmp/smon-lat-prof/', 'subscribe') }) }
      : CONTENDERS[p.id];
    if (!c) throw new BenchError(`unknown contender ${p.id}`);
    const key = `${p.id}-${p.op}`;
    const n = p.n ?? config.ops[p.op] ?? 2000;
    if (config.countInstructions) {
      // The plugin counts the timed loop between hot's markers; the symbols
      // are the ones of this moment (the contender's modules are loaded).
      try {
        // To tmpfs first: writing the share is I/O the guest would still be doing while the loop runs.
        profiler = { kallsyms: `/tmp/kallsyms-${key}.txt` };
        const before = countedWindows(dir);
        const sample = await c.run(hotLoop(p.op, n, true));
        profiler = null;
        copyFileSync(`/tmp/kallsyms-${key}.txt`, join(dir, `kallsyms-${key}.txt`));
        // The plugin writes a window's file (into the share) as the loop ends;
        // a contender that runs the loop twice (tail: first and steady) made two: the last counts.
        const made = countedWindows(dir).filter((w) => !before.includes(w));
        if (made.length === 0) throw new BenchError('no counted window: is the insn-count plugin loaded?');
        out[key] = { nsPerIter: sample.ns / sample.n, n: sample.n, window: Math.max(...made) };
        log(`profile ${key}: counted, ${(sample.ns / sample.n).toFixed(0)} ns/iter`);
      } catch (e) {
        profiler = null;
        out[`${key}_error`] = e instanceof Error ? e.message : String(e);
        log(`profile ${key}: FAILED ${out[`${key}_error`]}`);
      }
      continue;
    }
    profiler = { file: `/tmp/perf-${key}.data` };
    try {
      const sample = await c.run(hotLoop(p.op, n));
      profiler = null;
      const report = (/** @type {string[]} */ sort, /** @type {string[]} */ more = []) =>
        run('perf', ['report', '-i', `/tmp/perf-${key}.data`, '--stdio', '--no-children', '--sort', ...sort, '--percent-limit', '0.3', ...more], { timeoutMs: 600_000 }).stdout;
      const text = [
        `# perf profile of ${p.id} / ${p.op}: ${(sample.ns / sample.n).toFixed(0)} ns/iter over ${sample.n} iterations (${config.clock} clock)`,
        report(['comm'], ['-g', 'none']),
        report(['comm,dso'], ['-g', 'none']),
        report(['comm,dso,sym'], ['-g', 'none']),
        '# The consumer (node) alone, percentages of its own samples:',
        report(['dso,sym'], ['-g', 'none', '--comms', 'node', '--percentage', 'relative']),
        report(['comm,dso,sym'], ['-g', 'caller,0.5,callee', '--max-stack', '12']),
      ].join('\n');
      writeFileSync(join(dir, `profile-${key}.txt`), text);
      out[key] = { nsPerIter: sample.ns / sample.n, file: `profile-${key}.txt` };
      log(`profile ${key} saved`);
    } catch (e) {
      profiler = null;
      out[`${key}_error`] = e instanceof Error ? e.message : String(e);
      log(`profile ${key}: FAILED ${out[`${key}_error`]}`);
    }
  }
  if (modulesDir) run('umount', [modulesDir], { allowFail: true });
  return out;
}

/** What formatting one NDJSON line costs: the addon's formatter (what tail --json runs), the JS encoder, a byte-level JS prototype, C. */
async function formatters() {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [id, cmd, args] of /** @type {[string, string, string[]][]} */ ([
    ['native', process.execPath, [join(ROOT, 'scripts', 'bench', 'fmt-js.mjs'), 'native']],
    ['js_cli', process.execPath, [join(ROOT, 'scripts', 'bench', 'fmt-js.mjs'), 'cli']],
    ['js_bytes', process.execPath, [join(ROOT, 'scripts', 'bench', 'fmt-js.mjs'), 'bytes']],
    ['c', join(BIN, 'fmt'), []],
  ])) {
    try {
      const r = await finish(start(cmd, args), 600_000, `formatter ${id}`);
      if (r.code !== 0) throw new BenchError(`exited ${r.code}: ${r.stderr.trim()}`);
      out[id] = lastJson(r.stdout, `formatter ${id}`);
      log(`formatter ${id}: ${JSON.stringify(out[id])}`);
    } catch (e) {
      out[`${id}_error`] = e instanceof Error ? e.message : String(e);
    }
  }
  return out;
}

function machine() {
  const cpu = cpus();
  return {
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    vcpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    node: process.version,
    cmdline: readFileSync('/proc/cmdline', 'utf8').trim(),
  };
}

const started = Date.now();
for (const m of ['syscallmon', 'kprobe_floor', 'scap']) if (loaded(m)) rmmod(m);
/** @type {Record<string, unknown>} */
const result = { clock: config.clock, config, guest: machine() };
if (config.contenders.length) result.overhead = await overhead();
if (config.workloads) result.workloads = await workloads();
if (config.formatters) result.formatters = await formatters();
if (config.latency) result.latency = await latency();
if (config.drain) result.drain = await drain();
if (config.changes) result.changes = await changes();
if (config.profile?.length) result.profiles = await profiles();
result.guestSeconds = (Date.now() - started) / 1000;
writeFileSync(outPath, JSON.stringify(result, null, 1));
log(`done in ${result.guestSeconds} s (guest clock)`);
