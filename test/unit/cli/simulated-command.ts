// A gated command simulated through the fake binding (a Launch for run and
// the sandbox's guest): when its gate opens, its calls, forks and exits are
// made through the fake, in order, and it exits as the script says.
import { PassThrough } from 'node:stream';
import type { CommandExit, Gated, GatedStdio, Launch } from '../../../src/run/gate.js';
import type { FakeBinding, SimulatedCall, SimulatedExit } from '../fake-binding.js';

/** The gate's pid, which the command keeps. */
export const GATE = 5000;

export interface Script {
  /** the calls made once the gate opens, in order; fork: [parent, child]; act: anything else that happens meanwhile */
  steps: ({ call: SimulatedCall } | { fork: [number, number] } | { exit: SimulatedExit } | { act: (fake: FakeBinding) => void })[];
  /** null: the command runs until a signal kills it */
  exit: CommandExit | null;
}

/** What the launch saw: the module as the gate opened, the signals sent, what was written to a piped stdin. */
export interface Seen {
  rulesAtOpen?: FakeBinding['rules'];
  modeAtOpen?: number;
  exitsAtOpen?: boolean;
  stdio?: GatedStdio;
  signals: string[];
  input: string;
}

export function seen(): Seen {
  return { signals: [], input: '' };
}

export function simulated(fake: FakeBinding, script: Script, into: Seen): Launch {
  return (_command, stdio): Gated => {
    into.stdio = stdio;
    let resolve!: (e: CommandExit) => void;
    const exited = new Promise<CommandExit>((r) => (resolve = r));
    const input = stdio.stdin === 'pipe' ? new PassThrough() : undefined;
    input?.on('data', (d: Buffer) => (into.input += d.toString()));
    return {
      pid: GATE,
      output: [],
      ...(input ? { input } : {}),
      exited,
      kill(signal) {
        into.signals.push(signal);
        // Killed at the gate: the shell dies, never having run the command.
        if (into.rulesAtOpen === undefined || script.exit === null) resolve({ code: null, signal });
      },
      open() {
        into.rulesAtOpen = structuredClone(fake.rules);
        into.modeAtOpen = fake.effectiveMode;
        into.exitsAtOpen = fake.exitsEffective;
        for (const s of script.steps) {
          if ('fork' in s) fake.fork(s.fork[0], s.fork[1]);
          else if ('exit' in s) fake.exit(s.exit);
          else if ('act' in s) s.act(fake);
          else fake.syscall(s.call);
        }
        const exit = script.exit;
        if (exit !== null) setTimeout(() => resolve(exit), 5);
      },
    };
  };
}
