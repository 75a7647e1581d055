// @ts-check
// Process plumbing for the guest driver: run, start stopped, wait for lines.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class BenchError extends Error {}

/**
 * Under -icount with sleep=off the guest clock leaps ahead whenever the
 * guest idles (e.g. while the host serves a 9p read), so a guest-side
 * timeout can fire on work that took a second on the host.  There the
 * driver scales every timeout up; the host's VM timeout still bounds a hang.
 */
let timeScale = 1;
/** @param {number} k */
export function setTimeScale(k) {
  timeScale = k;
}
/** @param {number} ms */
export const scaled = (ms) => ms * timeScale;

/**
 * Runs a command to completion; throws with its stderr unless it exits 0.
 * @param {string} cmd @param {readonly string[]} args
 * @param {{ allowFail?: boolean, timeoutMs?: number }} [opts]
 */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: scaled(opts.timeoutMs ?? 120_000) });
  if (r.error) throw new BenchError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) {
    throw new BenchError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** @param {number} pid */
function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

/**
 * @typedef {object} Started
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>} done
 */

/**
 * Spawns a process, collecting its output.
 * @param {string} cmd @param {readonly string[]} args
 * @param {{ stdout?: 'pipe' | 'ignore' | import('node:stream').Stream | number, stdin?: 'pipe' | 'ignore' }} [opts]
 * @returns {Started}
 */
export function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new BenchError(`cannot start ${cmd}`);
  return { child, pid: child.pid, done: /** @type {Started['done']} */ (done) };
}

/**
 * Starts a program that stops itself (SIGSTOP) when it is ready, and waits
 * for the stop, so the caller can scope a target to its pid first.
 * @param {string} cmd @param {readonly string[]} args
 */
export async function startStopped(cmd, args) {
  const s = start(cmd, args);
  const deadline = Date.now() + scaled(60_000);
  for (;;) {
    const state = procState(s.pid);
    if (state === 'T') return s;
    if (state === 'gone' || state === 'Z') {
      const r = await s.done;
      throw new BenchError(`${cmd} ended before stopping: ${r.code ?? r.signal} ${r.stderr.trim()}`);
    }
    if (Date.now() > deadline) throw new BenchError(`${cmd} did not stop within 60 s`);
    await sleep(2);
  }
}

/**
 * Resolves once `test` matches the text a stream has produced so far.
 * @param {import('node:stream').Readable} stream @param {RegExp} test @param {number} timeoutMs @param {string} what
 */
export function waitFor(stream, test, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new BenchError(`timed out waiting for ${what}; got: ${seen.slice(-500)}`));
    }, scaled(timeoutMs));
    /** @param {string | Buffer} d */
    const onData = (d) => {
      seen += d.toString();
      if (test.test(seen)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}

/**
 * Resolves with `done` or, after timeoutMs, kills the process and rejects.
 * @param {Started} s @param {number} timeoutMs @param {string} what
 */
export async function finish(s, timeoutMs, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new BenchError(`${what} did not finish within ${timeoutMs / 1000} s`));
    }, scaled(timeoutMs));
  });
  try {
    return await Promise.race([s.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses the last line of output that is a JSON object. @param {string} text @param {string} what */
export function lastJson(text, what) {
  const line = text.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new BenchError(`${what} printed no JSON: ${text.slice(-300)}`);
  return JSON.parse(line);
}
