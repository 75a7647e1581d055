/*
 * Running CMD traced: strace -f without ptrace, for `syscallmon run` on a
 * host and for `syscallmon sandbox` in its VM.  CMD starts held at a gate
 * (gate.ts); a process-tree rule on the gate's pid, owned by this monitor's
 * open file, is added before the gate opens, so CMD's first call and every
 * process it forks are in scope from their start, and the module drops the
 * rule when the file closes (even if syscallmon is SIGKILLed).  The file
 * holds the mode the rule needs (LOG, or BLOCK for an enforced block rule),
 * and exit events when asked, for CMD's time: neither another run's end nor
 * a change made meanwhile takes them from CMD, and the module lets go when
 * the file closes.  Records are read as they come and the ones of CMD's
 * tree kept:
 *
 *  - those the rule decided (they name it);
 *  - those another rule or a target decided for a process of the tree, and
 *    exit events (a process is of the tree once the rule decided one of its
 *    calls, or its parent is);
 *  - never the gate's own calls before its exec of CMD (found by the exec
 *    of CMD's file, or by an exec that succeeded).
 *
 * The exec calls are always logged, complete, for the tree, to see that
 * exec; shown only when asked for.  They have a log rule of their own,
 * before the rule, when the rule blocks or kills (it may not cover them: it
 * would stop CMD from starting) or records failures only (a successful exec
 * would go unseen).  Rules come before targets: a syscall with a block
 * target is left out of a log rule, so the target still applies to CMD (its
 * records of CMD's processes are shown).
 */
import { KernelError, SyscallmonError, UsageError } from '../lib/errors.js';
import type { MonitorEvent, SyscallEvent } from '../lib/events.js';
import type { Monitor } from '../lib/monitor.js';
import { familyOf } from '../lib/families.js';
import type { Rule } from '../lib/rules.js';
import type { Mode } from '../lib/status.js';
import type { SyscallTable } from '../lib/syscalls.js';
import type { CommandExit, Gated, GatedStdio, Launch } from './gate.js';

export const EXEC_SYSCALLS = ['execve', 'execveat'] as const;

const isExec = (name: string): boolean => (EXEC_SYSCALLS as readonly string[]).includes(name);

/** The specs (names or @families) that name an exec: a rule that blocks or kills them would stop CMD itself from starting. */
export function execsIn(specs: readonly string[]): string[] {
  return specs.filter((s) => (familyOf(s)?.members ?? [s]).some(isExec));
}

/**
 * What is traced when no syscall is named: every syscall this kernel
 * implements (an entry with no symbol is sys_ni_syscall) that takes a
 * path, or with all every one.
 */
export function defaultSyscalls(table: SyscallTable, all: boolean): string[] {
  return table.entries.filter((e) => e.symbol !== '' && (all || e.pathArg >= 0)).map((e) => e.name);
}

export interface RunRequest {
  /** CMD and its arguments, as the gate's shell execs them */
  command: readonly string[];
  /** CMD's file as the shell will find it, absolute, and as the shell hands it to execve (sandbox/command.ts) */
  file: string;
  execPath: string;
  /** the rule for CMD's tree, without its tree; syscalls: those asked for, or the default set */
  rule: Omit<Rule, 'tree' | 'pids'>;
  /** exit events on for CMD's time (those of CMD's tree are kept) */
  exits?: boolean;
}

export interface RunHooks {
  launch: Launch;
  stdio: GatedStdio;
  /** the kept events, batch by batch; a promise pauses reading */
  onEvents?(events: MonitorEvent[]): void | Promise<void>;
  /** the same batches as the module wrote them, for a reader elsewhere to decode */
  onRecords?(records: Buffer): void | Promise<void>;
  /** called once the gate is open: the caller relays signals to CMD, writes its stdin */
  started?(cmd: Gated): void;
}

export interface RunOutcome {
  exit: CommandExit;
  pid: number;
  /** the rules run added (owned by its open file) */
  rules: number[];
  /** the syscalls the rule covers for CMD (those asked for, less those left to targets) */
  syscalls: string[];
  /** syscall events shown, and of how many processes */
  shown: number;
  processes: number;
  lost: number;
  /** syscalls left out of the rule because a block target decides them */
  leftToTargets: string[];
  /** the processes of CMD's tree still running when CMD exited: unwatched once the rule goes */
  leftRunning: number[];
  /** the mode as it was, as it was raised to (held) for CMD's time, and as it is once the hold ended */
  raisedMode: { from: Mode; to: Mode; now: Mode } | null;
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
    /** the paths the gate's exec of CMD may be recorded with */
    private readonly commandPaths: ReadonlySet<string>,
    /** exec records logged only to see the exec */
    private readonly hidden: (e: SyscallEvent) => boolean,
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
    return !this.hidden(e);
  }

  private isExecOfCommand(e: SyscallEvent): boolean {
    if (!this.execNrs.has(e.nr)) return false;
    if (e.ret !== null && !e.entry) return e.ret === 0n;
    // Recorded at entry, without its result: told by its path, as the gate's shell passed it.
    return e.path !== null && this.commandPaths.has(e.path);
  }

  /** processes seen in CMD's tree */
  get processes(): number {
    return this.tree.size;
  }
}

/**
 * Why CMD's calls could not be followed: the device failed (its error's
 * kind is kept), or a record could not be decoded (module and tool differ:
 * a kernel error).  stopped: CMD was still running and was sent SIGTERM.
 */
function unfollowable(e: unknown, stopped: boolean): SyscallmonError {
  const why = e instanceof Error ? e.message : String(e);
  const message = `cannot follow CMD's calls: ${why}${stopped ? '; CMD was stopped (SIGTERM)' : ''}`;
  if (e instanceof SyscallmonError) return new SyscallmonError(e.kind, message, { cause: e, code: e.code });
  return new KernelError(message, { cause: e });
}

const MODE_ORDER: Readonly<Record<Mode, number>> = { off: 0, log: 1, block: 2 };

/**
 * Raising the mode to BLOCK for CMD would make every other enforced block
 * or kill rule, and every block target, act too, for every process they
 * cover: refused, naming them, rather than done behind the user's back.
 */
function refuseSideEffects(m: Monitor, action: string, mode: Mode, blockTargets: ReadonlySet<string>): void {
  const others = [
    ...[...blockTargets].map((s) => `block target ${s}`),
    ...m.rules().filter((r) => r.enforce && (r.action === 'block' || r.action === 'kill')).map((r) => `rule ${r.name}`),
  ];
  if (others.length === 0) return;
  const named = others.length > 4 ? `${others.slice(0, 4).join(', ')} and ${others.length - 4} more` : others.join(', ');
  throw new UsageError(
    `run --action ${action}: the mode is ${mode.toUpperCase()}, and raising it to BLOCK for CMD would make ${named} act too; ` +
      'raise it yourself (syscallmon --block), or add --audit',
  );
}

/**
 * Runs CMD under a tree rule owned by m, reporting its events as they come;
 * returns once CMD has exited and its records are read.  m stays open
 * (closing it removes the rule).
 */
export async function runTraced(m: Monitor, req: RunRequest, hooks: RunHooks): Promise<RunOutcome> {
  const acts = req.rule.action === 'block' || req.rule.action === 'kill';
  const failedOnly = req.rule.failedOnly === true;
  const before = m.status();
  const blockTargets = new Set(before.targets.filter((t) => t.action === 'block').map((t) => t.syscall));
  // What the rule needs to act: an enforced block or kill only blocks or kills in BLOCK; else it would_block.
  const wanted: Mode = acts && req.rule.enforce === true ? 'block' : 'log';
  if (wanted === 'block' && MODE_ORDER[before.mode] < MODE_ORDER.block) refuseSideEffects(m, req.rule.action!, before.mode, blockTargets);
  const asked = (req.rule.syscalls ?? []).flatMap((s) => {
    if (typeof s === 'string' && s.trim().startsWith('@')) return [...(familyOf(s)?.members ?? [])].filter((n) => m.syscalls.byName(n));
    return [m.syscalls.resolve(s).name];
  });
  const leftToTargets = acts ? [] : asked.filter((s) => blockTargets.has(s) && !isExec(s));
  const covered = [...new Set(asked.filter((s) => !leftToTargets.includes(s)))];
  const coveredNrs = new Set(covered.map((s) => m.syscalls.resolve(s).nr));
  const execs = EXEC_SYSCALLS.filter((s) => m.syscalls.byName(s));
  const execNrs = new Set(execs.map((s) => m.syscalls.resolve(s).nr));
  // A failed exec asked for with failures only is shown; any other that was not asked for is not.
  const hidden = (e: SyscallEvent): boolean => execNrs.has(e.nr) && (!coveredNrs.has(e.nr) || (failedOnly && e.errno === null));

  const cmd = hooks.launch(req.command, hooks.stdio);
  let raisedMode: RunOutcome['raisedMode'] = null;
  const restore = (): void => {
    m.hold({});
    if (raisedMode !== null) raisedMode.now = m.status().mode;
  };
  const ruleIds = new Set<number>();
  try {
    const tree = [cmd.pid];
    if (acts || failedOnly) {
      ruleIds.add(m.addRule({ name: `${req.rule.name}:exec`, action: 'log', syscalls: execs, tree }, { owned: true }));
      const rest = covered.filter((s) => !isExec(s));
      if (rest.length) ruleIds.add(m.addRule({ ...req.rule, syscalls: rest, tree }, { owned: true }));
    } else {
      ruleIds.add(m.addRule({ ...req.rule, syscalls: [...new Set([...covered, ...execs])], tree }, { owned: true }));
    }
    const status = m.status();
    // Held even where they are as needed already: what keeps them so now may let go while CMD runs.
    m.hold({ mode: wanted, exits: req.exits === true });
    if (MODE_ORDER[status.mode] < MODE_ORDER[wanted]) raisedMode = { from: status.mode, to: wanted, now: wanted };
  } catch (e) {
    // The gate's shell exits, never having run CMD.
    cmd.kill('SIGKILL');
    await cmd.exited.catch(() => undefined);
    restore();
    throw e;
  }
  const selection = new RunSelection(ruleIds, cmd.pid, new Set([req.file, req.execPath]), hidden, execNrs);
  let shown = 0;
  let lost = 0;
  /** Takes raw's records, those before seq end when given; whether it met end. */
  const take = async (raw: Buffer, end = Infinity): Promise<boolean> => {
    const kept: MonitorEvent[] = [];
    const records: Buffer[] = [];
    let ended = false;
    for (let at = 0, size = 0; at < raw.length; at += size) {
      size = m.decoder.recordSize(raw, at);
      if (m.decoder.isPad(raw, at)) continue;
      const e = m.decoder.decodeAt(raw, at);
      if (e.seq >= end) {
        ended = true;
        break;
      }
      if (!selection.keep(e)) continue;
      if (e.type === 'lost') lost += e.count;
      else if (e.type === 'syscall') shown++;
      kept.push(e);
      if (hooks.onRecords) records.push(raw.subarray(at, at + size));
    }
    if (records.length) await hooks.onRecords?.(Buffer.concat(records));
    if (kept.length) await hooks.onEvents?.(kept);
    return ended;
  };
  let exit: CommandExit;
  let leftRunning: number[];
  try {
    m.seek('head');
    const stop = new AbortController();
    let running = true;
    // Set in the reading loop's handler: the cast keeps the compiler, which does not follow that
    // assignment, from taking it for null (and so for never where it is read).
    let failure = null as { error: unknown; stopped: boolean } | null;
    const pump = (async () => {
      for await (const raw of m.rawBatches({ signal: stop.signal })) await take(raw);
    })().catch((error: unknown) => {
      // Taken at once: CMD would run on unwatched, with the mode raised, until it exits.
      failure = { error, stopped: running };
      if (running) cmd.kill('SIGTERM');
    });
    cmd.open();
    hooks.started?.(cmd);
    try {
      exit = await cmd.exited;
    } finally {
      running = false;
      stop.abort();
      await pump;
    }
    if (failure !== null) {
      const { error, stopped } = failure;
      throw unfollowable(error, stopped);
    }
    // The tree outlives CMD in what CMD left running (`cmd &`): the same members in each rule.
    leftRunning = m.rulePids([...ruleIds][0]!).filter((pid) => pid !== cmd.pid);
    // Records of calls CMD made before it exited are all in the ring by now, before its head: what
    // the processes left running write from now on is not read, or a busy ring would keep this going.
    const end = m.status().head_seq;
    try {
      for (;;) {
        const raw = m.readRaw();
        if (raw.length === 0 || (await take(raw, end))) break;
      }
    } catch (e) {
      throw unfollowable(e, false);
    }
  } finally {
    restore();
  }
  return {
    exit,
    pid: cmd.pid,
    rules: [...ruleIds],
    syscalls: covered,
    shown,
    processes: selection.processes,
    lost,
    leftToTargets,
    leftRunning,
    raisedMode,
  };
}
