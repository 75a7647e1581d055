// Where a flag is written: every flag of syscallmon itself (the controller's
// and the rest) before every command.  Each is either applied there (the
// ones every command has: --no-color, --verbose) or refused with a usage
// error that says where it belongs, before anything is done: never dropped.
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandChain, commandPath } from '../../../src/cli/main.js';
import { Ctx, type Interrupt } from '../../../src/cli/context.js';
import type { VmRunner } from '../../../src/sandbox/host.js';
import { createFakeBinding, createFakeWithStatusFile } from '../fake-binding.js';
import { FakeKmod, noVm, runCli } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-placement-'));
const fsmFile = join(dir, 'fsm.json');
writeFileSync(fsmFile, '{"states": ["open", "read"]}');
const policyFile = join(dir, 'policy.yaml');
writeFileSync(policyFile, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: log\n  rules:\n    - {name: opens, action: log, syscalls: [openat]}\n');
/** The module's status file (where policy show reads the running policy's tag), the same for every run. */
const procDir = mkdtempSync(join(tmpdir(), 'smon-placement-proc-'));

/** A context that prints nothing and reaches nothing real. */
function quietCtx(): Ctx {
  return new Ctx({
    stdout: { write: () => {} },
    stderr: { write: () => {} },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    binding: () => createFakeBinding(),
    kmod: new FakeKmod(),
    vm: noVm,
    signals: new EventEmitter(),
    interrupt: stopped,
    launch: () => {
      throw new Error('test: no command is run');
    },
  });
}

/** The program as main() builds it, to list its flags and commands. */
const program = buildProgram(quietCtx());

function stopped(): Interrupt {
  return { signal: AbortSignal.abort('SIGINT'), dispose: () => {} };
}

/**
 * A value for each flag and each required argument that takes one, by flag
 * (`--pid`) or by argument name (`syscall`); a new one without a value fails
 * the walk until it gets one here.  Choices take their first.
 */
const SAMPLE: Readonly<Record<string, string>> = {
  '--syscall': 'openat',
  '--pid': '1',
  '--errno': 'EACCES',
  '--exits': 'on',
  '--file': fsmFile,
  '--share': join(dir, 'no-such-share'),
  // A policy file that is not there: the daemon stops at once, the same way whatever the flags.
  '--policy': join(dir, 'no-such-policy.yaml'),
  syscall: 'openat',
  file: fsmFile,
  'policy-file': policyFile,
  cmd: 'true',
};

function sample(key: string, choices: readonly string[] | undefined): string {
  const value = choices?.[0] ?? SAMPLE[key];
  if (value === undefined) throw new Error(`no sample value for ${key}: add one to SAMPLE`);
  return value;
}

function flagArgs(o: Option): string[] {
  const long = o.long ?? o.flags;
  if (!o.required && !o.optional) return [long];
  return [long, sample(long, o.argChoices)];
}

/**
 * What a command needs to get as far as running, from its definition: its
 * required flags, then its required arguments (a variadic one after `--`).
 * `opts` is where another flag may still go.
 */
function baseArgs(c: Command): { opts: string[]; rest: string[] } {
  const opts = c.options.filter((o) => o.mandatory).flatMap(flagArgs);
  const rest: string[] = [];
  for (const a of c.registeredArguments.filter((a) => a.required)) {
    const value = sample(a.name(), a.argChoices);
    rest.push(...(a.variadic ? ['--', value] : [value]));
  }
  return { opts, rest };
}

/** Every command that runs, and every level above it: `rule add` under `rule`, under the program. */
function leaves(c: Command): Command[] {
  return c.commands.length ? c.commands.flatMap(leaves) : [c];
}
const levels = [program, ...program.commands.flatMap(function below(c: Command): Command[] {
  return c.commands.length ? [c, ...c.commands.flatMap(below)] : [];
})];
const commands = leaves(program);

/** argv for flags written at `level`, before `leaf`, with what the leaf needs after it. */
function written(level: Command, flags: string[], leaf: Command, after: string[] = []): string[] {
  const base = baseArgs(leaf);
  const down = commandChain(leaf).slice(commandChain(level).length).map((c) => c.name());
  const up = commandPath(level);
  return [...(up === '' ? [] : up.split(' ')), ...flags, ...down, ...base.opts, ...after, ...base.rest];
}

const ANY_LEVEL = new Set(['--no-color', '--verbose']);
/** Each level's own flags (not those it has from the level above: none but these two) with every command under it. */
const placements = levels.flatMap((level) =>
  level.options
    .filter((o) => o.long !== '--help')
    .flatMap((o) => leaves(level).filter((leaf) => leaf !== level).map((leaf) => ({ level, o, leaf }))),
);

/** A VM that counts boots and leaves nothing: a run that got that far would fail loudly. */
function countingVm(): VmRunner & { boots: number } {
  return {
    boots: 0,
    run() {
      this.boots++;
      return Promise.reject(new Error('test: no VM'));
    },
  };
}

async function run(argv: string[]) {
  const fake = createFakeWithStatusFile(procDir);
  const kmod = new FakeKmod();
  kmod.loaded = true;
  const vm = countingVm();
  const r = await runCli(argv, { fake, kmod, vm, interrupt: stopped, stdoutIsTTY: true });
  return { ...r, fake, kmod, vm };
}

describe('every flag of syscallmon itself, before every command', () => {
  it('the walk covers every command and every flag', () => {
    expect(commands.map((c) => commandPath(c))).toEqual(expect.arrayContaining(['status', 'sandbox', 'monitor', '__sandbox-guest']));
    expect(program.options.length).toBeGreaterThan(10);
    for (const c of commands) expect(() => baseArgs(c), commandPath(c)).not.toThrow();
    expect(new Set(placements.map((p) => p.o.long))).toEqual(new Set(program.options.map((o) => o.long).filter((l) => l !== '--help')));
  });

  const refused = placements
    .filter(({ o }) => !ANY_LEVEL.has(o.long ?? ''))
    .map((p) => [p.o.long ?? p.o.flags, commandPath(p.leaf), p] as const);

  it.each(refused)('%s before %s: usage error naming where it belongs, nothing done', async (long, name, { level, o, leaf }) => {
    const r = await run(written(level, flagArgs(o), leaf));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`syscallmon: ${long} before '${name}' would be ignored: `);
    // nothing was done: no call to the module, no insmod/rmmod, no VM
    expect(r.fake.calls).toEqual([]);
    expect(r.kmod.calls).toEqual([]);
    expect(r.vm.boots).toBe(0);

    const commandHasIt = leaf.options.some((a) => a.long === long && !a.hidden);
    if (commandHasIt) {
      expect(lines[0]).toContain(`write it after the command (syscallmon ${name} ${long} …)`);
      // and the advice works: after the command the flag is taken
      const after = await run(written(leaf, [], leaf, flagArgs(o)));
      expect(after.stderr).not.toMatch(/would be ignored|unknown option/);
    } else {
      const owner = commandPath(level);
      expect(lines[0]).toContain(
        owner === ''
          ? `it is a flag of syscallmon without a command (syscallmon ${long} …), not of ${name}`
          : `it is a flag of syscallmon ${owner} (syscallmon ${owner} ${long} …), not of ${name}`,
      );
    }
  });

  it('several misplaced flags are named together', async () => {
    const r = await run(['--block', '--syscall', 'unlinkat', 'sandbox', '--', 'sh', '-c', 'rm /tmp/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "syscallmon: --block --syscall before 'sandbox' would be ignored: write them after the command (syscallmon sandbox --block --syscall …)\n",
    );
    const mixed = await run(['--log', '--syscall', 'openat', 'status']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe(
      "syscallmon: --log --syscall before 'status' would be ignored: they are flags of syscallmon without a command (syscallmon --log --syscall …), not of status\n",
    );
  });

  const applied = placements
    .filter(({ o }) => ANY_LEVEL.has(o.long ?? ''))
    .map((p) => [p.o.long ?? p.o.flags, commandPath(p.leaf), p] as const);

  it.each(applied)('%s before %s is applied as if written after it', async (long, _name, { level, leaf }) => {
    const before = await run(written(level, [long], leaf));
    const after = await run(written(leaf, [], leaf, [long]));
    expect(before.stderr).not.toMatch(/would be ignored/);
    // a --verbose stack differs only in this file's own line
    const seen = (r: typeof before) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/^.*flag-placement\.test\.ts.*$/gm, '') });
    expect(seen(before)).toEqual(seen(after));
  });

  it('--no-color before a command turns colour off on a terminal', async () => {
    const coloured = await run(['status']);
    expect(coloured.stdout).toMatch(/\x1b\[/);
    const before = await run(['--no-color', 'status']);
    expect(before.code).toBe(0);
    expect(before.stdout).not.toMatch(/\x1b\[/);
    expect(before.stdout).toBe(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
  });

  it('--verbose before a command adds the stack to its error', async () => {
    const fake = createFakeBinding();
    fake.loaded = false;
    const r = await runCli(['--verbose', 'status'], { fake });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')[0]).toMatch(/^syscallmon: syscallmon module is not loaded/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('a command of commands (`syscallmon nest add`)', () => {
  /** The program with a two-level command grafted on, to walk what the real one may grow. */
  function withNested(): { program: Command; ran: string[] } {
    const ran: string[] = [];
    const p = buildProgram(quietCtx());
    const nest = new Command('nest').option('--table <name>', 'a flag of the middle level');
    nest.addCommand(new Command('add').option('--json').action(() => void ran.push('add')));
    nest.addCommand(new Command('list').action(() => void ran.push('list')));
    p.addCommand(nest);
    return { program: p, ran };
  }

  it.each([
    [['--log', 'nest', 'add'], "--log before 'nest add' would be ignored: it is a flag of syscallmon without a command (syscallmon --log …), not of nest add"],
    [['--json', 'nest', 'add'], "--json before 'nest add' would be ignored: write it after the command (syscallmon nest add --json …)"],
    [['nest', '--table', 'x', 'list'], "--table before 'nest list' would be ignored: it is a flag of syscallmon nest (syscallmon nest --table …), not of nest list"],
  ])('%j: refused, nothing run', async (argv, message) => {
    const { program: p, ran } = withNested();
    await expect(p.parseAsync(argv, { from: 'user' })).rejects.toThrow(message);
    expect(ran).toEqual([]);
  });

  it('written after the command, the same flag is taken', async () => {
    const { program: p, ran } = withNested();
    await p.parseAsync(['nest', 'add', '--json'], { from: 'user' });
    expect(ran).toEqual(['add']);
  });
});
