/*
 * The controller, as the root command's own flags:
 *
 *   syscallmon --log --syscall openat               mode LOG, log openat (every process)
 *   syscallmon --block --syscall write --pid 1234   mode BLOCK, block write for pid 1234
 *   syscallmon --off                                mode OFF (targets are kept, probes disarmed)
 *   syscallmon --off --syscall write [--pid N]      remove the target (or only those pids)
 *   syscallmon --log --syscall read --record entry  record reads at entry (a read may wait forever)
 *   syscallmon --log --syscall openat --failed-only record only the openat calls that fail
 *
 * Each run states what a target is (action, errno, scope, record mode), so
 * running one twice changes nothing the second time.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { parseErrno, targetSpecOf, type Monitor } from '../../lib/monitor.js';
import { UNBLOCKABLE } from '../../lib/rules.js';
import { RECORD_MODES, settingsOf, type Mode, type RecordMode, type Status, type TargetSettings } from '../../lib/status.js';
import { FAMILIES, familyOf } from '../../lib/families.js';
import { closestNames, type SyscallTable } from '../../lib/syscalls.js';
import type { Ctx } from '../context.js';
import { stuckText, withStuck } from '../errors.js';
import { collect, collectNames, parsePid, single } from '../options.js';
import { jsonLine } from '../../render/ndjson.js';
import type { Palette } from '../../render/colour.js';
import { modeChangeText, targetText } from '../../render/status.js';
import { applyExits, exitsResult, parseOnOff, renderExits, type ExitsResult } from './exits.js';
import { runFsm } from './fsm.js';
import { renderVersion, versionReport } from './version.js';

export interface ControlRequest {
  mode: Mode;
  syscalls: string[];
  pids: number[];
  errno?: string;
  force: boolean;
  record: RecordMode;
  failedOnly: boolean;
}

export type Change = 'added' | 'updated' | 'unchanged' | 'removed' | 'not_targeted' | 'pids_removed';

export interface TargetChange {
  syscall: string;
  nr: number;
  change: Change;
  /** the target after the change; null once removed */
  target: TargetSettings | null;
}

/** mode and previous_mode are as set; a hold (a run's) may keep another in effect meanwhile. */
export interface ControlResult extends Partial<ExitsResult> {
  mode: Mode;
  previous_mode: Mode;
  targets: TargetChange[];
  /** block targets that only log WOULD_BLOCK because the mode is LOG */
  audit_only: string[];
  /** only where open files (a run) hold the mode above what is set: the mode in effect, and how many hold */
  mode_in_effect?: Mode;
  mode_holders?: number;
}

interface ControlFlags {
  off?: boolean;
  log?: boolean;
  block?: boolean;
  syscall?: string[];
  pid?: number[];
  errno?: string;
  force?: boolean;
  record?: RecordMode;
  failedOnly?: boolean;
  json?: boolean;
  /** --exits on|off */
  exits?: boolean;
  /** --file FSM.json (with --log: the FSM, in the controller's own form) */
  file?: string;
  /** --version: not the controller's, but the root's action is this one */
  version?: boolean;
}

function snapshot(m: Monitor): { status: Status; targets: Map<number, TargetSettings> } {
  const status = m.status();
  return { status, targets: new Map(status.targets.map((t) => [t.nr, settingsOf(t)])) };
}

function sameTarget(a: TargetSettings | undefined, b: TargetSettings | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Names with each @family replaced by its members this kernel has (a target per syscall). */
export function withFamilies(names: readonly string[], table: SyscallTable): string[] {
  return names.flatMap((name) => {
    if (!name.trim().startsWith('@')) return [name];
    const family = familyOf(name);
    if (!family) {
      const near = closestNames(name.trim().slice(1), FAMILIES.map((f) => f.name));
      throw new UsageError(`unknown syscall family '${name}'${near.length ? `; did you mean ${near.map((n) => '@' + n).join(', ')}?` : ''} (see syscallmon syscalls @)`);
    }
    return family.members.filter((m) => table.byName(m));
  });
}

/** Validates flag combinations that commander cannot express; returns the request. */
export function controlRequest(flags: ControlFlags): ControlRequest | null {
  const mode: Mode | undefined = flags.off ? 'off' : flags.log ? 'log' : flags.block ? 'block' : undefined;
  const syscalls = flags.syscall ?? [];
  const pids = flags.pid ?? [];
  const recordFlags = flags.record !== undefined || flags.failedOnly;
  if (mode === undefined) {
    if (syscalls.length || pids.length || flags.errno !== undefined || flags.force || recordFlags) {
      throw new UsageError('say what to do with it: --off, --log or --block');
    }
    return null;
  }
  if (pids.length && !syscalls.length) {
    throw new UsageError('--pid scopes a target: give --syscall NAME too');
  }
  if (flags.errno !== undefined && mode !== 'block') throw new UsageError('--errno goes with --block');
  if (flags.force && mode !== 'block') throw new UsageError('--force goes with --block');
  const blockFlags = [...(flags.errno !== undefined ? ['--errno'] : []), ...(flags.force ? ['--force'] : [])];
  if (blockFlags.length && !syscalls.length) {
    throw new UsageError(`${blockFlags.join(' and ')} say${blockFlags.length === 1 ? 's' : ''} how a target blocks: give --syscall NAME`);
  }
  if (recordFlags && (mode === 'off' || !syscalls.length)) {
    throw new UsageError('--record and --failed-only say what a target records: give --log or --block with --syscall NAME');
  }
  const record = flags.record ?? 'complete';
  if (flags.failedOnly && record !== 'complete') {
    throw new UsageError(`--failed-only needs complete records (a call's failure is known when it returns), not --record ${record}`);
  }
  return { mode, syscalls, pids, errno: flags.errno, force: flags.force === true, record, failedOnly: flags.failedOnly === true };
}

/**
 * Does the work, with exit events set too when exits is given; returns what
 * changed.  Every name is resolved before the first change, and the change
 * is whole: when the kernel refuses one target, the exit events or the mode,
 * what was changed before it is put back as it was, and the refusal is
 * thrown.
 */
export function applyControl(m: Monitor, req: ControlRequest, exits?: boolean): ControlResult {
  const entries = [...new Map(req.syscalls.map((name) => {
    const e = m.syscalls.resolve(name);
    return [e.nr, e] as const;
  })).values()];
  const before = snapshot(m);
  const changes: TargetChange[] = [];
  const changed: number[] = [];
  let exitsChanged = false;

  try {
    if (req.mode === 'off' && entries.length) {
      // --off with --syscall: remove targets (or pids from them); the mode stays.
      for (const e of entries) {
        const had = before.targets.get(e.nr);
        if (!had) {
          changes.push({ syscall: e.name, nr: e.nr, change: 'not_targeted', target: null });
        } else if (req.pids.length) {
          m.removePids(e.nr, req.pids);
          changed.push(e.nr);
          changes.push({ syscall: e.name, nr: e.nr, change: 'pids_removed', target: null });
        } else {
          m.removeTarget(e.nr);
          changed.push(e.nr);
          changes.push({ syscall: e.name, nr: e.nr, change: 'removed', target: null });
        }
      }
    } else {
      for (const e of entries) {
        m.addTarget({
          syscall: e.nr,
          action: req.mode === 'block' ? 'block' : 'log',
          errno: req.mode === 'block' ? req.errno : undefined,
          pids: req.pids.length ? req.pids : 'all',
          force: req.force,
          record: req.record,
          failedOnly: req.failedOnly,
        });
        changed.push(e.nr);
      }
    }
    if (exits !== undefined && exits !== before.status.exits_set) {
      m.setExits(exits);
      exitsChanged = true;
    }
    // The mode last: what is refused before it leaves the mode as it was.
    if (!(req.mode === 'off' && entries.length)) m.setMode(req.mode);
  } catch (e) {
    const stuck: string[] = [];
    if (exitsChanged) {
      try {
        m.setExits(before.status.exits_set);
      } catch (again) {
        stuck.push(stuckText('exit events', again));
      }
    }
    throw restoreTargets(m, changed, before.targets, e, stuck);
  }

  const after = snapshot(m);
  for (const c of changes) {
    c.target = after.targets.get(c.nr) ?? null;
    // Pids that were not in the scope: nothing was removed.
    if (c.change === 'pids_removed' && sameTarget(before.targets.get(c.nr), c.target ?? undefined)) c.change = 'unchanged';
  }
  if (!(req.mode === 'off' && entries.length)) {
    for (const e of entries) {
      const was = before.targets.get(e.nr);
      const now = after.targets.get(e.nr);
      changes.push({
        syscall: e.name,
        nr: e.nr,
        change: !was ? 'added' : sameTarget(was, now) ? 'unchanged' : 'updated',
        target: now ?? null,
      });
    }
  }
  const auditOnly =
    after.status.mode === 'log'
      ? [...after.targets.values()].filter((t) => t.action === 'block').map((t) => t.syscall)
      : [];
  const s = after.status;
  const held = s.mode_set !== s.mode ? { mode_in_effect: s.mode, mode_holders: s.mode_holders } : {};
  return {
    mode: s.mode_set,
    previous_mode: before.status.mode_set,
    targets: changes,
    audit_only: auditOnly,
    ...held,
    ...(exits !== undefined ? exitsResult(before.status, s) : {}),
  };
}

/**
 * Puts each target in nrs back as `was` holds it (removed when it was not
 * there), newest change first; returns the refusal to throw: `refused` as
 * it is, or, when a target could not be put back, the same kind of error
 * saying which, so a half-applied change is never silent.
 */
function restoreTargets(
  m: Monitor,
  nrs: readonly number[],
  was: ReadonlyMap<number, TargetSettings>,
  refused: unknown,
  stuck: string[] = [],
): unknown {
  for (const nr of [...nrs].reverse()) {
    const old = was.get(nr);
    try {
      if (old) m.addTarget(targetSpecOf(old));
      else m.removeTarget(nr);
    } catch (e) {
      stuck.push(stuckText(m.syscalls.nameOf(nr), e));
    }
  }
  return withStuck(refused, stuck);
}

export function renderControl(r: ControlResult, colour: Palette): string {
  const lines: string[] = [];
  lines.push(modeChangeText(r.mode, r.previous_mode));
  if (r.mode_in_effect !== undefined) {
    const files = r.mode_holders === 1 ? '1 open file holds it' : `${r.mode_holders} open files hold it`;
    lines.push(
      `mode ${r.mode_in_effect.toUpperCase()} in effect while ${files} (syscallmon run, for its command's time); ` +
        `${r.mode.toUpperCase()} once ${r.mode_holders === 1 ? 'it lets' : 'they let'} go`,
    );
  }
  for (const c of r.targets) {
    const name = `${c.syscall} (${c.nr})`;
    switch (c.change) {
      case 'removed':
        lines.push(`${name}: target removed`);
        break;
      case 'not_targeted':
        lines.push(`${name}: not targeted; nothing to remove`);
        break;
      case 'pids_removed':
        lines.push(`${name}: ${c.target ? targetText(c.target) : 'target gone'} (pids removed)`);
        break;
      default: {
        const text = c.target ? targetText(c.target) : '';
        const line = `${name}: ${text} (${c.change})`;
        lines.push(c.target?.action === 'block' ? colour.blocked(line) : line);
      }
    }
  }
  if ((r.mode_in_effect ?? r.mode) === 'off') lines.push(colour.dim('every probe is disarmed; targets are kept for the next --log/--block'));
  if (r.audit_only.length) {
    lines.push(colour.warn(`mode LOG: ${r.audit_only.join(', ')} only log WOULD_BLOCK; use --block to enforce`));
  }
  return lines.join('\n') + '\n';
}

/** Adds the controller flags and action to the root command. */
export function addControl(program: Command, ctx: Ctx): void {
  program
    .addOption(new Option('--off', 'mode OFF: disarm every probe (with --syscall: remove those targets)').conflicts(['log', 'block']))
    .addOption(new Option('--log', 'mode LOG: log targeted calls; block targets only log WOULD_BLOCK').conflicts(['block']))
    .addOption(new Option('--block', 'mode BLOCK: targeted calls fail with --errno (default EPERM)'))
    .option('--syscall <name>', 'target this syscall, or each of a family such as @stat (repeatable, or comma-separated); see `syscallmon syscalls`', collectNames)
    .option('--pid <pid>', 'scope the targets to this process (repeatable); default: every process', collect(parsePid))
    .addOption(single(new Option('--errno <name>', 'errno a blocked call returns, e.g. EACCES (default EPERM)')))
    .option('--force', 'with --block: may also block pid 1 and syscallmon\'s own readers')
    .addOption(
      single(new Option('--record <mode>', 'what a targeted call records: complete (one record at its return, with result and duration), entry (one at once: for calls that may wait forever), both (linked by call_id)')
        .choices(RECORD_MODES)),
    )
    .option('--failed-only', 'record only targeted calls that return an error (complete records)')
    .addOption(single(new Option('--exits <on|off>', 'process-exit events on or off (shown by log and tail)').argParser(parseOnOff)))
    .addOption(single(new Option('--file <json>', 'with --log: run the FSM in this JSON file until Ctrl-C (see syscallmon fsm --help)')))
    .option('--json', 'print the result as one JSON object')
    .action(async (flags: ControlFlags, cmd: Command) => {
      const rest = cmd.args;
      if (rest.length) {
        // `syscallmon version`, `syscallmon log`…: a root flag typed as a command.
        const flag = cmd.options.find((o) => !o.hidden && o.long === `--${rest[0]}`)?.long;
        const near = flag ? [flag] : closestNames(rest[0] ?? '', cmd.commands.map((c) => c.name()), 2);
        const hint = near.length ? `; did you mean ${near.join(' or ')}?` : '';
        throw new UsageError(`unknown command '${rest[0]}'${hint} (see syscallmon --help)`);
      }
      if (flags.version) {
        const others = cmd.options.filter(
          (o) => !['version', 'json', 'color', 'verbose'].includes(o.attributeName()) && cmd.getOptionValueSource(o.attributeName()) === 'cli',
        );
        if (others.length) throw new UsageError(`--version goes alone (or with --json), not with ${others.map((o) => o.long).join(' ')}`);
        await ctx.report(versionReport(ctx), flags.json, renderVersion);
        return;
      }
      if (flags.file !== undefined) {
        if (
          !flags.log || flags.syscall?.length || flags.errno !== undefined || flags.force || flags.exits !== undefined ||
          flags.record !== undefined || flags.failedOnly
        ) {
          throw new UsageError('--file runs an FSM: syscallmon --log --file FILE.json [--pid N]... [--json]');
        }
        await runFsm(ctx, { file: flags.file, pids: flags.pid ?? [], json: flags.json === true, mode: 'log' });
        return;
      }
      const req = controlRequest(flags);
      if (req === null && flags.exits === undefined) throw new UsageError('no command or flag given; try syscallmon --help');
      // Bad names are usage errors whether or not the module is loaded.
      if (req) req.syscalls = withFamilies(req.syscalls, ctx.syscalls());
      const entries = (req?.syscalls ?? []).map((name) => ctx.syscalls().resolve(name));
      const never = [...new Set(entries.map((e) => e.name).filter((name) => UNBLOCKABLE.has(name)))];
      if (req?.mode === 'block' && never.length) throw new UsageError(`${never.join(', ')} can't be blocked`);
      if (req?.errno !== undefined) parseErrno(req.errno);
      const monitor = ctx.openMonitor();
      try {
        // With the mode flags, exit events are part of the one change, refused whole.
        const result = req ? applyControl(monitor, req, flags.exits) : null;
        const exits: ExitsResult | null = !req && flags.exits !== undefined ? applyExits(monitor, flags.exits) : null;
        if (flags.json) await ctx.out(jsonLine(result ?? exits));
        else await ctx.out(result ? renderControl(result, ctx.colour) + (result.exits !== undefined ? renderExits(result as ExitsResult) : '') : renderExits(exits!));
      } finally {
        monitor.close();
      }
    });
}
