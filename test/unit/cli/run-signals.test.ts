// The signals that stop run and sandbox, through the interrupt bin/syscallmon
// installs (signalInterrupt, on an emitter standing in for the process):
// what run passes on to CMD, and that each ends with the mode set back or
// the VM stopped and its share removed.  Whether syscallmon is in its
// terminal's foreground is the test's to say.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { signalInterrupt } from '../../../src/cli/main.js';
import { statInForeground } from '../../../src/run/terminal.js';
import type { VmRunner } from '../../../src/cli/vm.js';
import { VmError } from '../../../src/vm/errors.js';
import { createFakeBinding } from '../fake-binding.js';
import { runCli, until } from './harness.js';
import { GATE, seen as nothingSeen, simulated } from './simulated-command.js';

const terminal = vi.hoisted(() => ({ foreground: false }));
vi.mock('../../../src/run/terminal.js', async (original) => ({
  ...(await original<typeof import('../../../src/run/terminal.js')>()),
  inTerminalForeground: () => terminal.foreground,
}));

beforeEach(() => void (terminal.foreground = false));

/** A terminal as stdin, without an fd: CMD's stdin is /dev/null. */
const terminalStdin = (): NodeJS.ReadableStream => Object.assign(new PassThrough(), { isTTY: true });

/** `syscallmon run ARGS -- true`, CMD running until killed; `whileRunning` sends the signals once its gate is open. */
async function runUntilKilled(args: string[], whileRunning: (signals: EventEmitter) => void, stdin?: () => NodeJS.ReadableStream) {
  const fake = createFakeBinding();
  const seen = nothingSeen();
  const signals = new EventEmitter();
  const launch = simulated(fake, { steps: [{ call: { syscall: 'execve', pid: GATE, comm: 'sh', path: '/usr/bin/true' } }], exit: null }, seen);
  const done = runCli(['run', ...args, '--', 'true'], {
    fake,
    launch,
    env: { PATH: '/usr/bin:/bin' },
    interrupt: () => signalInterrupt(signals, new AbortController().signal),
    ...(stdin ? { stdin } : {}),
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

describe('run: a keyboard signal is passed on unless the terminal sent it to CMD too', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGQUIT', 131],
  ] as const)('%s, syscallmon not in the foreground, stdin a terminal: passed on (sent by kill, or to a job in the background)', async (signal, code) => {
    const r = await runUntilKilled([], (signals) => signals.emit(signal), terminalStdin);
    expect(r.seen.signals).toEqual([signal]);
    expect(r.code).toBe(code);
  });

  it.each(['SIGINT', 'SIGQUIT'] as const)('%s, syscallmon in the foreground, stdin not a terminal: CMD had it from the terminal, not again', async (signal) => {
    terminal.foreground = true;
    const r = await runUntilKilled([], (signals) => {
      signals.emit(signal);
      // CMD took no notice of it; SIGTERM ends it.
      setImmediate(() => signals.emit('SIGTERM'));
    });
    expect(r.seen.signals).toEqual(['SIGTERM']);
    expect(r.code).toBe(143);
    expect(r.fake.mode).toBe(r.fake.c('MODE_OFF'));
  });

  it('SIGHUP, syscallmon in the foreground: passed on all the same', async () => {
    terminal.foreground = true;
    const r = await runUntilKilled([], (signals) => signals.emit('SIGHUP'), terminalStdin);
    expect(r.seen.signals).toEqual(['SIGHUP']);
    expect(r.code).toBe(129);
  });
});

describe('statInForeground: a /proc/PID/stat line', () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags …
  it.each([
    ['the foreground group', '4242 (node) S 4100 4242 4100 34816 4242 4194304 1021 0 0 0', true],
    ['a background job', '4242 (node) S 4100 4242 4100 34816 4300 4194304 1021 0 0 0', false],
    ['no terminal (tpgid -1)', '4242 (node) S 1 4242 4242 0 -1 4194304 1021 0 0 0', false],
    ['a comm with spaces and ")"', '4242 (a) b (c d) S 4100 4242 4100 34816 4242 4194304 1021 0 0 0', true],
    ['a comm that reads as fields, in the background', '4242 (x) S 1 7 1 1 7) S 4100 4242 4100 34816 5 4194304 1021 0 0 0', false],
    ['a line cut short', '4242 (node) S 4100', false],
    ['no line at all', '', false],
  ])('%s', (_what, stat, foreground) => {
    expect(statInForeground(stat)).toBe(foreground);
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
          share = opts.shareDir ?? '';
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
