/*
 * `syscallmon run -- CMD`: strace -f without ptrace.  CMD starts held at a
 * gate (gate.ts); a process-tree rule on the gate's pid, owned by this
 * monitor's open file, is added before the gate opens, so CMD's first call
 * and every process it forks are in scope from their start, and the module
 * drops the rule when the file closes (even if syscallmon is SIGKILLed).
 * Records are read as they come and the ones of CMD's tree kept:
 *
 *  - those the rule decided (they name it);
 *  - those another rule or a target decided for a process of the tree (a
 *    process is of the tree once the rule decided one of its calls, or its
 *    parent is);
 *  - never the gate's own calls before its exec of CMD (found by the exec
 *    of CMD's file, or by an exec that succeeded).
 *
 * The exec calls are always logged for the tree, to see that exec (by a log
 * rule of their own before a block or kill rule, which may not cover them:
 * it would stop CMD from starting); shown only when asked for.  Rules come
 * before targets: a syscall with a block target is left out of a log rule,
 * so the target still applies to CMD (its records of CMD's processes are
 * shown).
 */
import type { MonitorEvent, SyscallEvent } from '../lib/events.js';
import type { Monitor } from '../lib/monitor.js';
import { familyOf } from '../lib/families.js';
import type { Rule } from '../lib/rules.js';
import type { Mode } from '../lib/status.js';
import type { CommandExit, Gated, GatedStdio, Launch } from './gate.js';

export const EXEC_SYSCALLS = ['execve', 'execveat'] as const;

export interface RunRequest {
  /** CMD and its arguments, as the gate's shell execs them */
  command: readonly string[];
  /** CMD's file as the shell will find it */
  file: string;
  /** the rule for CMD's tree, without its tree; syscalls: those asked for, or the default set */
  rule: Omit<Rule, 'tree' | 'pids'>;
}

export interface RunHooks {
  launch: Launch;
  stdio: GatedStdio;
  /** the kept events, batch by batch; a promise pauses reading */
  onEvents(events: MonitorEvent[]): void | Promise<void>;
  /** called once the gate is open: the caller relays signals to CMD */
  started?(cmd: Gated): void;
}

export interface RunOutcome {
  exit: CommandExit;
  pid: number;
  /** the rules run added (owned by its open file) */
  rules: number[];
  /** syscall events shown, and of how many processes */
  shown: number;
  processes: number;
  lost: number;
  /** syscalls left out of the rule because a block target decides them */
  leftToTargets: string[];
  /** the mode run raised from OFF to LOG for CMD's time, restored after */
  raisedMode: Mode | null;
}

/** CMD could not be run: exits with status (126, 127) instead of CMD's. */
export class RunError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/** Which records of the ring are CMD's, and which of those are shown. */
export class RunSelection {
  private readonly tree = new Set<number>();
  private execed = false;

  constructor(
    private readonly ruleIds: ReadonlySet<number>,
    private readonly gatePid: number,
    private readonly file: string,
    /** syscall numbers in the rule only to see the exec */
    private readonly hidden: ReadonlySet<number>,
    private readonly execNrs: ReadonlySet<number>,
  ) {
    this.tree.add(gatePid);
  }

  private member(e: { tgid: number; ppid: number }, decidedByUs: boolean): boolean {
    if (this.tree.has(e.tgid)) return true;
    if (decidedByUs || this.tree.has(e.ppid)) {
      this.tree.add(e.tgid);
      return true;
    }
    return false;
  }

  /** Whether e is shown. */
  keep(e: MonitorEvent): boolean {
    if (e.type === 'lost') return true;
    if (e.type === 'config') return false;
    if (e.type === 'exit') return this.member(e, false) && (e.tgid !== this.gatePid || this.execed);
    if (!this.member(e, e.rule !== null && this.ruleIds.has(e.rule))) return false;
    if (e.tgid === this.gatePid && !this.execed) {
      if (!this.isExecOfCommand(e)) return false;
      this.execed = true;
    }
    return !this.hidden.has(e.nr);
  }

  private isExecOfCommand(e: SyscallEvent): boolean {
    if (!this.execNrs.has(e.nr)) return false;
    if (e.ret !== null && !e.entry) return e.ret === 0n;
    return e.path === this.file;
  }

  /** processes seen in CMD's tree */
  get processes(): number {
    return this.tree.size;
  }
}

/**
 * Runs CMD under a tree rule owned by m, reporting its events as they come;
 * returns once CMD has exited and its records are read.  m stays open
 * (closing it removes the rule).
 */
export async function runTraced(m: Monitor, req: RunRequest, hooks: RunHooks): Promise<RunOutcome> {
  const acts = req.rule.action === 'block' || req.rule.action === 'kill';
  const blockTargets = new Set(m.status().targets.filter((t) => t.action === 'block').map((t) => t.syscall));
  const asked = (req.rule.syscalls ?? []).flatMap((s) => {
    if (typeof s === 'string' && s.trim().startsWith('@')) return [...(familyOf(s)?.members ?? [])].filter((n) => m.syscalls.byName(n));
    return [m.syscalls.resolve(s).name];
  });
  const isExec = (s: string): boolean => (EXEC_SYSCALLS as readonly string[]).includes(s);
  const leftToTargets = acts ? [] : asked.filter((s) => blockTargets.has(s) && !isExec(s));
  const covered = [...new Set(asked.filter((s) => !leftToTargets.includes(s)))];
  const execs = EXEC_SYSCALLS.filter((s) => m.syscalls.byName(s));
  const execNrs = new Set(execs.map((s) => m.syscalls.resolve(s).nr));
  const hidden = new Set([...execNrs].filter((nr) => !covered.includes(m.syscalls.nameOf(nr))));

  const cmd = hooks.launch(req.command, hooks.stdio);
  let raisedMode: Mode | null = null;
  const ruleIds = new Set<number>();
  try {
    const tree = [cmd.pid];
    if (acts) {
      // Blocking or killing CMD's own exec is refused earlier; a rule before the acting one shows the exec.
      ruleIds.add(m.addRule({ name: `${req.rule.name}:exec`, action: 'log', syscalls: execs, tree }, { owned: true }));
      ruleIds.add(m.addRule({ ...req.rule, syscalls: covered, tree }, { owned: true }));
    } else {
      ruleIds.add(m.addRule({ ...req.rule, syscalls: [...new Set([...covered, ...execs])], tree }, { owned: true }));
    }
    const mode = m.status().mode;
    if (mode === 'off') {
      m.setMode('log');
      raisedMode = mode;
    }
  } catch (e) {
    // The gate's shell exits, never having run CMD.
    cmd.kill('SIGKILL');
    await cmd.exited.catch(() => undefined);
    throw e;
  }
  const selection = new RunSelection(ruleIds, cmd.pid, req.file, hidden, execNrs);
  let shown = 0;
  let lost = 0;
  const take = async (raw: Buffer): Promise<void> => {
    const kept = m.decoder.decode(raw).filter((e) => selection.keep(e));
    for (const e of kept) {
      if (e.type === 'lost') lost += e.count;
      else if (e.type === 'syscall') shown++;
    }
    if (kept.length) await hooks.onEvents(kept);
  };
  m.seek('head');
  const stop = new AbortController();
  const pump = (async () => {
    for await (const raw of m.rawBatches({ signal: stop.signal })) await take(raw);
  })();
  cmd.open();
  hooks.started?.(cmd);
  let exit: CommandExit;
  try {
    exit = await cmd.exited;
  } finally {
    stop.abort();
    await pump;
  }
  // Records of calls CMD made before it exited are all in the ring by now.
  for (let raw = m.readRaw(); raw.length; raw = m.readRaw()) await take(raw);
  if (raisedMode !== null && m.status().mode === 'log') m.setMode(raisedMode);
  return { exit, pid: cmd.pid, rules: [...ruleIds], shown, processes: selection.processes, lost, leftToTargets, raisedMode };
}
