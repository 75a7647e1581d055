/*
 * `syscallmon fsm FILE.json [--pid N]... [--json]`, and the controller's own
 * form `syscallmon --log --file FILE.json [--pid N]...`.
 *
 * Arms what the states need (log targets, scoped to the pids when given),
 * follows the event stream (Monitor.events(): poll-driven, no sleeping),
 * prints each transition and each completed cycle, and on Ctrl-C/SIGTERM
 * prints a summary and takes back exactly what it added: targets it
 * created, pids it put into targets that were already there, and the mode
 * if it had to turn it on.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  FsmEngine,
  OPEN_FAMILY,
  parseFsmSpec,
  resolveStates,
  type CycleDone,
  type FsmState,
  type FsmSummary,
  type Transition,
} from '../../lib/fsm.js';
import { KernelError, SyscallmonError, UsageError, type Mode, type Monitor } from '../../lib/index.js';
import type { Ctx } from '../context.js';
import { collect, parsePid } from '../options.js';
import { localTimeOfDay } from '../../render/fields.js';
import { jsonLine } from '../../render/ndjson.js';
import { sanitize } from '../../render/sanitize.js';
import type { Palette } from '../../render/colour.js';

export interface FsmRunOptions {
  file: string;
  /** tgids to watch; empty: every process */
  pids: number[];
  json: boolean;
  /**
   * fsm: 'auto' turns LOG on only when the mode is OFF, and back to OFF on
   * exit.  The controller's --log --file: 'log' sets LOG as asked and leaves it.
   */
  mode: 'auto' | 'log';
}

/** The file → states, all checks done before the device is touched. */
export function loadFsm(ctx: Ctx, file: string, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): FsmState[] {
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot read FSM file ${file}: ${code}${code === 'ENOENT' ? ' (no such file)' : ''}`);
  }
  return resolveStates(parseFsmSpec(text, file), ctx.syscalls(), file);
}

/** What arming did, to be undone in reverse order. */
interface Undo {
  what: string;
  run(): void;
}

export interface Armed {
  undo: Undo[];
  /** human notes about what was armed and reused */
  notes: string[];
  mode: Mode;
}

function scopeConflict(name: string, pids: number[]): KernelError {
  return new KernelError(
    `${name} is already targeted for pid${pids.length === 1 ? '' : 's'} ${pids.join(', ') || '(none)'}; ` +
      `the FSM needs it for every process: give --pid, or remove that target first (syscallmon release ${name})`,
  );
}

/**
 * Arms every syscall the states need.  A syscall already targeted for every
 * process is used as it is; one targeted for some pids gets ours added.  On
 * failure, what was done so far is undone before the error propagates.
 */
export function arm(m: Monitor, engine: FsmEngine, pids: readonly number[], mode: 'auto' | 'log' = 'auto'): Armed {
  const armed: Armed = { undo: [], notes: [], mode: 'off' };
  const family = new Set(OPEN_FAMILY);
  try {
    const status = m.status();
    armed.mode = status.mode;
    const existing = new Map(status.targets.map((t) => [t.nr, t]));
    for (const nr of engine.nrs()) {
      const name = m.syscalls.nameOf(nr);
      const t = existing.get(nr);
      if (!t) {
        try {
          m.addTarget({ syscall: nr, action: 'log', pids: pids.length ? [...pids] : 'all', exclusive: true });
        } catch (e) {
          // An open-family member this kernel lacks (e.g. openat2 before 5.6) is skipped, not fatal.
          if (e instanceof SyscallmonError && e.code === 'ENOENT' && family.has(name)) {
            armed.notes.push(`${name}: this kernel has no entry point for it; not watched`);
            continue;
          }
          throw e;
        }
        armed.undo.push({ what: `remove target ${name}`, run: () => m.removeTarget(nr) });
      } else if (t.pids === 'all') {
        armed.notes.push(`${name}: already targeted for every process; used as it is`);
      } else if (pids.length === 0) {
        throw scopeConflict(name, t.pids);
      } else if (t.action === 'block' && pids.some((p) => !(t.pids as number[]).includes(p))) {
        // Our pids in someone's block target would have their calls blocked: not ours to decide.
        throw new KernelError(
          `${name} is a block target for pid${t.pids.length === 1 ? '' : 's'} ${t.pids.join(', ') || '(none)'}; ` +
            `adding ${pids.join(', ')} would block their calls: remove it first (syscallmon release ${name})`,
        );
      } else {
        const missing = pids.filter((p) => !(t.pids as number[]).includes(p));
        if (missing.length) {
          m.addPids(nr, missing);
          armed.undo.push({ what: `remove pids ${missing.join(', ')} from ${name}`, run: () => m.removePids(nr, missing) });
        }
        armed.notes.push(`${name}: already targeted for pids ${t.pids.join(', ') || '(none)'}; ${missing.length ? 'added ours' : 'ours are in it'}`);
      }
    }
    // As set: a run's hold on LOG ends with the run, and LOG is to stay on.
    if (mode === 'log' && status.mode_set !== 'log') {
      m.setMode('log');
      armed.notes.push(`mode LOG (was ${status.mode_set.toUpperCase()})`);
      armed.mode = 'log';
    } else if (mode === 'auto') {
      // Held, not set: another holder letting go or a mode set meanwhile can't disarm the FSM's probes.
      m.hold({ mode: 'log' });
      if (armed.mode === 'off') {
        armed.mode = 'log';
        armed.notes.push('mode LOG (was OFF): probes are armed only while the mode is not OFF; OFF again when the FSM stops');
      }
    }
    return armed;
  } catch (e) {
    disarm(armed);
    throw e;
  }
}

/** Undoes arming, newest first; returns what could not be undone (never throws). */
export function disarm(armed: Armed): string[] {
  const failed: string[] = [];
  for (const u of armed.undo.reverse()) {
    try {
      u.run();
    } catch (e) {
      // The target may have gone meanwhile (someone released it): nothing left to undo.
      if (e instanceof SyscallmonError && e.code === 'EINVAL') continue;
      failed.push(`${u.what}: ${(e as Error).message}`);
    }
  }
  armed.undo = [];
  return failed;
}

export function describeStates(states: readonly FsmState[]): string {
  const chain = states.map((s) => s.name).join(' → ');
  const family = states.find((s) => s.name === 'open' && s.syscalls.length > 1);
  return `${chain} (loops back)` + (family ? `; open = ${family.syscalls.join(', ')}` : '');
}

export function formatNs(ns: bigint): string {
  const n = Number(ns);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} µs`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(3)} ms`;
  return `${(n / 1_000_000_000).toFixed(3)} s`;
}

function stateLabel(engine: FsmEngine, index: number): string {
  return `${index + 1}/${engine.states.length} ${engine.states[index]!.name}`;
}

export function transitionLine(t: Transition, engine: FsmEngine): string {
  const e = t.event;
  const next = (t.index + 1) % engine.states.length;
  const who = `${sanitize(e.comm)} (pid ${e.tgid}${e.pid === e.tgid ? '' : `/${e.pid}`})`;
  const path = e.path ? ` ${sanitize(e.path)}` : '';
  return `${localTimeOfDay(e.ts_ns)}  [FSM] state ${stateLabel(engine, t.index)}: observed ${e.syscall} by ${who}${path} → state ${stateLabel(engine, next)}\n`;
}

export function cycleLine(c: CycleDone, engine: FsmEngine, colour: Palette): string {
  const chain = engine.states.map((s) => s.name).join(' → ');
  return `${localTimeOfDay(c.ended_ts_ns)}  ${colour.ok(`[FSM] cycle ${c.cycle} complete: ${chain} in ${formatNs(c.duration_ns)}`)}\n`;
}

export function transitionJson(t: Transition): string {
  const e = t.event;
  return jsonLine({
    type: 'transition', cycle: t.cycle, index: t.index, from: t.from, to: t.to,
    syscall: e.syscall, nr: e.nr, seq: e.seq, ts_ns: e.ts_ns, pid: e.pid, tgid: e.tgid, comm: e.comm, path: e.path,
  });
}

export function cycleJson(c: CycleDone): string {
  return jsonLine({ type: 'cycle', cycle: c.cycle, duration_ns: c.duration_ns, started_ts_ns: c.started_ts_ns, ended_ts_ns: c.ended_ts_ns });
}

export interface FsmReport extends FsmSummary {
  seconds: number;
  reason: string;
}

export function summaryJson(r: FsmReport): string {
  return jsonLine({
    type: 'summary', reason: r.reason, seconds: Number(r.seconds.toFixed(3)), cycles: r.cycles, transitions: r.transitions,
    events: r.events, ignored: r.ignored, lost: r.lost, index: r.index, state: r.state,
    cycle_ns: r.cycle_ns, min_ns: r.min_ns, mean_ns: r.mean_ns, max_ns: r.max_ns,
  });
}

export function summaryText(r: FsmReport, engine: FsmEngine): string {
  const lines = [
    `syscallmon: fsm stopped (${r.reason}) after ${r.seconds.toFixed(1)} s: ` +
      `${r.cycles} cycle${r.cycles === 1 ? '' : 's'} completed, ${r.transitions} transition${r.transitions === 1 ? '' : 's'}, ` +
      `${r.events} events seen (${r.ignored} not matching the state they came in)`,
  ];
  if (r.mean_ns !== null) {
    lines.push(
      `syscallmon: time per cycle: mean ${formatNs(r.mean_ns)}, min ${formatNs(r.min_ns!)}, max ${formatNs(r.max_ns!)}`,
    );
  }
  lines.push(`syscallmon: stopped in state ${stateLabel(engine, r.index)}`);
  if (r.lost) lines.push(`syscallmon: ${r.lost} events were lost (the reader was overtaken): transitions may have been missed`);
  return lines.join('\n');
}

/** Runs until interrupted (or the device goes away); the report is printed here too. */
export async function runFsm(ctx: Ctx, opts: FsmRunOptions): Promise<FsmReport> {
  const states = loadFsm(ctx, opts.file);
  const engine = new FsmEngine(states);
  const pids = new Set(opts.pids);
  const m = ctx.openMonitor();
  const interrupt = ctx.io.interrupt();
  const started = performance.now();
  let armed: Armed | null = null;
  let report: FsmReport;
  try {
    // Only what happens from now on; the ring's history is not this run's.
    m.seek('head');
    armed = arm(m, engine, opts.pids, opts.mode);
    for (const n of armed.notes) await ctx.note(`syscallmon: ${n}`);
    await ctx.note(`syscallmon: fsm: ${describeStates(states)}`);
    const scope = opts.pids.length ? `pid${opts.pids.length === 1 ? '' : 's'} ${opts.pids.join(', ')}` : 'every process';
    await ctx.note(`syscallmon: fsm: watching ${scope}, waiting for state ${stateLabel(engine, 0)}; Ctrl-C to stop`);
    try {
      for await (const batch of m.events({ signal: interrupt.signal })) {
        let text = '';
        for (const e of batch) {
          if (e.type === 'lost') {
            engine.noteLost(e.count);
            text += opts.json ? jsonLine({ type: 'lost', count: e.count }) : ctx.colour.warn(`[FSM] ${e.count} events lost: the reader was overtaken`) + '\n';
            continue;
          }
          // A call recorded at entry and at return is one call: its entry half goes.
          if (e.type !== 'syscall' || e.entry) continue;
          // A target that was already there may cover more than our pids.
          if (pids.size && !pids.has(e.tgid)) continue;
          for (const step of engine.feed(e)) {
            if (step.type === 'transition') text += opts.json ? transitionJson(step) : transitionLine(step, engine);
            else text += opts.json ? cycleJson(step) : cycleLine(step, engine, ctx.colour);
          }
        }
        if (text) await ctx.out(text);
      }
    } catch (e) {
      if (!interrupt.signal.aborted) throw e;
    }
    const reason = interrupt.signal.aborted ? String(interrupt.signal.reason ?? 'aborted') : 'end';
    report = { ...engine.summary(), seconds: (performance.now() - started) / 1000, reason };
  } finally {
    interrupt.dispose();
    if (armed) {
      for (const f of disarm(armed)) await ctx.note(`syscallmon: could not undo: ${f}`);
      if (opts.mode === 'auto') {
        try {
          m.hold({});
        } catch (e) {
          await ctx.note(`syscallmon: could not let go of mode LOG: ${(e as Error).message}`);
        }
      }
    }
    m.close();
  }
  if (opts.json) await ctx.out(summaryJson(report));
  await ctx.note(summaryText(report, engine));
  return report;
}

export function fsmCommand(ctx: Ctx): Command {
  return new Command('fsm')
    .description('follow a cycle of syscalls from a JSON file, e.g. {"states": ["open", "read", "write"]}; "open" = open, openat, openat2, creat')
    .argument('<file>', 'the FSM: {"states": [syscall names]}')
    .option('--pid <pid>', 'watch only this process (repeatable); default: every process', collect(parsePid))
    .option('--json', 'NDJSON: transition, cycle, lost and a final summary object')
    .action(async (file: string, opts: { pid?: number[]; json?: boolean }) => {
      await runFsm(ctx, { file, pids: opts.pid ?? [], json: opts.json === true, mode: 'auto' });
    });
}
