// Where a flag is written: every flag of syscallmon itself (the controller's
// and the rest) before every command.  Each is either applied there (the
// ones every command has: --no-color, --verbose) or refused with a usage
// error that says where it belongs, before anything is done: never dropped.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { Ctx, type Interrupt } from '../../../src/cli/context.js';
import type { VmRunner } from '../../../src/sandbox/host.js';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, noVm, runCli } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-placement-'));
const fsmFile = join(dir, 'fsm.json');
writeFileSync(fsmFile, '{"states": ["open", "read"]}');

/** The program as main() builds it, to list its flags and commands. */
const program = buildProgram(
  new Ctx({
    stdout: { write: () => {} },
    stderr: { write: () => {} },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    binding: () => createFakeBinding(),
    kmod: new FakeKmod(),
    vm: noVm,
    interrupt: stopped,
  }),
);

function stopped(): Interrupt {
  return { signal: AbortSignal.abort('SIGINT'), dispose: () => {} };
}

/** A value for each root flag that takes one; a new flag without one fails the walk until it gets one. */
const SAMPLE: Readonly<Record<string, string>> = {
  '--syscall': 'openat',
  '--pid': '1',
  '--errno': 'EACCES',
  '--exits': 'on',
  '--file': fsmFile,
};

function flagArgs(o: Option): string[] {
  const long = o.long ?? o.flags;
  if (!o.required && !o.optional) return [long];
  const value = SAMPLE[long] ?? o.argChoices?.[0];
  if (value === undefined) throw new Error(`no sample value for ${long}: add one to SAMPLE`);
  return [long, value];
}

/** Arguments each command accepts, split where a flag may still go (before `--`). */
const BASE: Readonly<Record<string, { opts: string[]; rest: string[] }>> = {
  status: { opts: [], rest: [] },
  log: { opts: [], rest: [] },
  tail: { opts: [], rest: [] },
  syscalls: { opts: [], rest: ['open'] },
  load: { opts: [], rest: [] },
  unload: { opts: [], rest: [] },
  sandbox: { opts: ['--syscall', 'openat'], rest: ['--', 'true'] },
  ps: { opts: [], rest: [] },
  intercept: { opts: [], rest: ['openat'] },
  release: { opts: [], rest: ['openat'] },
  monitor: { opts: ['--syscall', 'openat', '--pid', '1'], rest: ['start'] },
  fsm: { opts: [], rest: [fsmFile] },
  '__sandbox-guest': { opts: ['--share', join(dir, 'no-such-share')], rest: ['--', 'true'] },
};

const rootFlags = program.options.filter((o) => o.long !== '--help');
const commands: readonly Command[] = program.commands;
const ANY_LEVEL = new Set(['--no-color', '--verbose']);

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
  const fake = createFakeBinding();
  const kmod = new FakeKmod();
  kmod.loaded = true;
  const vm = countingVm();
  const r = await runCli(argv, { fake, kmod, vm, interrupt: stopped, stdoutIsTTY: true });
  return { ...r, fake, kmod, vm };
}

describe('every flag of syscallmon itself, before every command', () => {
  it('the walk covers every command and every flag', () => {
    expect(commands.map((c) => c.name()).sort()).toEqual(Object.keys(BASE).sort());
    expect(rootFlags.length).toBeGreaterThan(10);
  });

  const refused = rootFlags.filter((o) => !ANY_LEVEL.has(o.long ?? ''));
  const cases = refused.flatMap((o) => commands.map((c) => [o.long ?? o.flags, c.name(), o, c] as const));

  it.each(cases)('%s before %s: usage error naming where it belongs, nothing done', async (long, name, o, c) => {
    const base = BASE[name]!;
    const r = await run([...flagArgs(o), name, ...base.opts, ...base.rest]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`syscallmon: ${long} before '${name}' would be ignored: `);
    // nothing was done: no call to the module, no insmod/rmmod, no VM
    expect(r.fake.calls).toEqual([]);
    expect(r.kmod.calls).toEqual([]);
    expect(r.vm.boots).toBe(0);

    const commandHasIt = c.options.some((a) => a.long === long && !a.hidden);
    if (commandHasIt) {
      expect(lines[0]).toContain(`write it after the command (syscallmon ${name} ${long} …)`);
      // and the advice works: after the command the flag is taken
      const after = await run([name, ...base.opts, ...flagArgs(o), ...base.rest]);
      expect(after.stderr).not.toMatch(/would be ignored|unknown option/);
    } else {
      expect(lines[0]).toContain(`it is a flag of syscallmon without a command (syscallmon ${long} …), not of ${name}`);
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

  const anyLevel = rootFlags.filter((o) => ANY_LEVEL.has(o.long ?? ''));
  const applied = anyLevel.flatMap((o) => commands.map((c) => [o.long ?? o.flags, c.name()] as const));

  it.each(applied)('%s before %s is applied as if written after it', async (long, name) => {
    const base = BASE[name]!;
    const before = await run([long, name, ...base.opts, ...base.rest]);
    const after = await run([name, ...base.opts, long, ...base.rest]);
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
