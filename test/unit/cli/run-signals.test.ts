// The signals that stop run and sandbox, through the interrupt bin/syscallmon
// installs (signalInterrupt, on an emitter standing in for the process):
// what run passes on to CMD, and that each ends with the mode set back or
// the VM stopped and its share removed.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalInterrupt } from '../../../src/cli/main.js';
import type { VmRunner } from '../../../src/cli/vm.js';
import { VmError } from '../../../src/vm/errors.js';
import { createFakeBinding } from '../fake-binding.js';
import { runCli, until } from './harness.js';
import { GATE, seen as nothingSeen, simulated } from './simulated-command.js';

/** `syscallmon run ARGS -- true`, CMD running until killed; `whileRunning` sends the signals once its gate is open. */
async function runUntilKilled(args: string[], whileRunning: (signals: EventEmitter) => void) {
  const fake = createFakeBinding();
  const seen = nothingSeen();
  const signals = new EventEmitter();
  const launch = simulated(fake, { steps: [{ call: { syscall: 'execve', pid: GATE, comm: 'sh', path: '/usr/bin/true' } }], exit: null }, seen);
  const done = runCli(['run', ...args, '--', 'true'], {
    fake,
    launch,
    env: { PATH: '/usr/bin:/bin' },
    interrupt: () => signalInterrupt(signals, new AbortController().signal),
  });
  await until(() => seen.rulesAtOpen !== undefined, 'the gate to open');
  whileRunning(signals);
  return { ...(await done), fake, seen, signals };
}

describe('run: signals sent to syscallmon', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGTERM', 143],
  ] as const)('%s is passed on to CMD; the mode is set back, exit %i, no handler left', async (signal, code) => {
    const r = await runUntilKilled([], (signals) => signals.emit(signal));
    expect(r.seen.signals).toEqual([signal]);
    expect(r.code).toBe(code);
    expect(r.seen.modeAtOpen).toBe(r.fake.c('MODE_LOG'));
    expect(r.fake.mode).toBe(r.fake.c('MODE_OFF'));
    expect(r.stderr).toContain(`syscallmon: run: true was killed by ${signal}; `);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) expect(r.signals.listenerCount(s)).toBe(0);
  });
});

describe('sandbox: signals sent to syscallmon', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
  ] as const)('%s stops the VM, removes its share, exit %i', async (signal, code) => {
    const signals = new EventEmitter();
    let share = '';
    const vm: VmRunner = {
      run: (opts) =>
        new Promise((_resolve, reject) => {
          share = opts.shareDir;
          opts.signal?.addEventListener('abort', () => reject(new VmError('EABORTED', 'VM run aborted; QEMU killed')));
          signals.emit(signal);
        }),
    };
    const r = await runCli(['sandbox', '--', 'true'], {
      vm,
      env: { PATH: '/usr/bin:/bin' },
      interrupt: () => signalInterrupt(signals, new AbortController().signal),
    });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(new RegExp(`^syscallmon: sandbox: interrupted by ${signal}; the VM was stopped$`, 'm'));
    expect(share).not.toBe('');
    expect(existsSync(share)).toBe(false);
  });
});
