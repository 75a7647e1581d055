// Helpers for the CLI's end-to-end tests against the real module (run as
// root inside the VM by test/vm/guest-suite.sh, or on a host that can load
// modules). Everything goes through the real bin/syscallmon.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'syscallmon');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
  /** written to its stdin, which then ends; none: an empty stdin */
  input?: string;
}

/** Runs bin/syscallmon to completion. */
export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      uid: opts.uid,
      gid: opts.gid,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Like cli(), but fails the test with everything printed when the exit code differs. */
export async function cliOk(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await cli(args, opts);
  if (r.code !== 0) {
    throw new Error(`syscallmon ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r;
}

/** Whether syscallmon.ko is loaded now (listed in /proc/modules). */
export const moduleLoaded = (): boolean => readFileSync('/proc/modules', 'utf8').split('\n').some((l) => l.startsWith('syscallmon '));

export interface FreshModuleOptions {
  /** `syscallmon load`'s flags */
  load?: string[];
  /** runs once the module is loaded, before the test */
  afterLoad?: () => void | Promise<void>;
  /** runs after the test, before the unload: closes what holds the device open */
  beforeUnload?: () => void | Promise<void>;
  /** runs after the unload: removes what the module's rules protected */
  afterUnload?: () => void | Promise<void>;
}

/**
 * Gives each test of the file a module loaded for it alone (no rules, no
 * targets, an empty ring), unloaded after it. A module loaded before the
 * file is unloaded first; none may be left after it.
 */
export function freshModuleForEachTest(opts: FreshModuleOptions = {}): void {
  beforeAll(async () => {
    if (moduleLoaded()) await cliOk(['unload']);
  });
  beforeEach(async () => {
    await cliOk(['load', ...(opts.load ?? [])]);
    await opts.afterLoad?.();
  });
  afterEach(async () => {
    await opts.beforeUnload?.();
    await cliOk(['unload']);
    await opts.afterUnload?.();
  });
  afterAll(() => {
    expect(moduleLoaded()).toBe(false);
  });
}

export interface Gated {
  /** the process's pid, which is also the script's (exec keeps it) */
  pid: number;
  /** lets the script run */
  release(): void;
  /** resolves when it has exited */
  done: Promise<CliResult>;
}

/**
 * A shell that waits on stdin before running script, so a test can scope a
 * target to its pid first and count exactly what the script does. The
 * script runs in the same process (dash runs builtins and redirections
 * itself; use `exec` for a program).
 */
export function gated(script: string): Gated {
  const child: ChildProcessWithoutNullStreams = spawn('/bin/sh', ['-c', `read -r _gate || exit 125\n${script}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error('could not start /bin/sh');
  return {
    pid: child.pid,
    release: () => child.stdin.end('\n'),
    done,
  };
}

/** A running bin/syscallmon (tail): its output so far, and a way to wait for a line. */
export interface Running {
  child: ReturnType<typeof spawn>;
  stdout(): string;
  stderr(): string;
  /** resolves when `re` matches the stream's text (no time limit: the test's timeout is the bound) */
  waitFor(stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpMatchArray>;
  done: Promise<CliResult>;
}

export function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = text[w.stream].match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    text.stdout += d;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    text.stderr += d;
    check();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: text.stdout, stderr: text.stderr }));
  });
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (stream, re) =>
      new Promise((resolve, reject) => {
        const m = text[stream].match(re);
        if (m) return resolve(m);
        waiters.push({ stream, re, resolve });
        void done.then((r) => reject(new Error(`exited (${r.code ?? r.signal}) before ${stream} matched ${re}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)));
      }),
    done,
  };
}

/** Resolves once pid is blocked in read(0, …): /proc/<pid>/syscall shows syscall 0 on fd 0. */
export async function blockedInRead(pid: number): Promise<void> {
  for (;;) {
    const s = readFileSync(`/proc/${pid}/syscall`, 'utf8');
    if (/^0 0x0 /.test(s)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** NDJSON text -> objects (every line must parse). */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
