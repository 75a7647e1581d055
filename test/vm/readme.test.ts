// The README's transcripts, replayed against the real module (as root, in
// the VM): each `$ command` runs in a shell with `syscallmon` on PATH, and
// what it prints (stdout and stderr as one stream) must be what the README
// shows under it, but for the volatile fields of transcripts.ts. So an
// example that stops being true fails the suite. What each run printed is
// kept in $SYSCALLMON_RESULTS/readme-actual.txt for whoever updates the
// README.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, moduleLoaded, ROOT } from './helpers.js';
import { normalize, parseTranscripts, type Step, type Transcript } from './transcripts.js';

const transcripts = parseTranscripts(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const binDir = mkdtempSync(join(tmpdir(), 'smon-readme-'));
symlinkSync(BIN, join(binDir, 'syscallmon'));
const env = { ...process.env, NO_COLOR: '1', TZ: 'UTC', PATH: `${binDir}:${process.env['PATH'] ?? ''}` };
const actualLog = process.env['SYSCALLMON_RESULTS'] ? join(process.env['SYSCALLMON_RESULTS'], 'readme-actual.txt') : undefined;

/** A step may wait on a gate or run until interrupted; none takes this long when it works. */
const STEP_LIMIT_MS = 90_000;

function sh(command: string): void {
  const r = spawnSync('/bin/sh', ['-c', command], { env, cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`replay setup \`${command}\` failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** A pid written in the README, in a command, stands for the real one. */
function substitute(text: string, pids: ReadonlyMap<number, number>): string {
  let out = text;
  for (const [readme, real] of pids) out = out.replace(new RegExp(`\\b${readme}\\b`, 'g'), String(real));
  return out;
}

function unsubstitute(text: string, pids: ReadonlyMap<number, number>): string {
  let out = text;
  for (const [readme, real] of pids) out = out.replace(new RegExp(`\\b${real}\\b`, 'g'), String(readme));
  return out;
}

/** Runs one step; the transcript's triggers fire on what it prints. */
function runStep(step: Step, t: Transcript, pids: ReadonlyMap<number, number>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('/bin/sh', ['-c', `exec 2>&1; ${substitute(step.command, pids)}`], {
      env,
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    const fired = new Set<number>();
    const limit = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`README.md:${step.line}: \`${step.command}\` still running after ${STEP_LIMIT_MS / 1000} s; it printed:\n${text}`));
    }, STEP_LIMIT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      t.when.forEach((w, i) => {
        if (fired.has(i) || !text.includes(w.text)) return;
        fired.add(i);
        if (w.action === 'interrupt') process.kill(-child.pid!, 'SIGINT');
        else if (w.action === 'terminate') process.kill(-child.pid!, 'SIGTERM');
        else sh(substitute(w.action, pids));
      });
    });
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(limit);
      resolve(text);
    });
  });
}

function cleanUp(started: ChildProcess[]): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (moduleLoaded()) spawnSync(BIN, ['unload'], { env });
}

afterAll(() => {
  expect(moduleLoaded()).toBe(false);
});

describe('README transcripts, replayed against the real module', () => {
  it('finds the transcripts', () => {
    expect(transcripts.length).toBeGreaterThan(5);
  });

  for (const t of transcripts) {
    const title = `README.md:${t.line}: $ ${t.steps[0]!.command}`;
    if (t.skip !== undefined) {
      it.skip(`${title} (not replayed: ${t.skip})`, () => {});
      continue;
    }
    it(title, async () => {
      const started: ChildProcess[] = [];
      const pids = new Map<number, number>();
      try {
        if (moduleLoaded()) spawnSync(BIN, ['unload'], { env });
        for (const command of t.run) sh(command);
        for (const p of t.processes) {
          const child = spawn('/bin/sh', ['-c', p.command], { env, stdio: 'ignore' });
          started.push(child);
          pids.set(p.pid, child.pid!);
        }
        const mismatches: string[] = [];
        for (const step of t.steps) {
          const printed = unsubstitute(await runStep(step, t, pids), pids);
          if (actualLog) appendFileSync(actualLog, `$ ${step.command}\n${printed}`);
          const actual = printed.split('\n');
          if (actual.at(-1) === '') actual.pop();
          const want = step.expected.filter((l) => l.trim() !== '^C').map(normalize);
          const got = actual.map(normalize);
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            mismatches.push(`README.md:${step.line}: $ ${step.command}\n  README:\n${step.expected.map((l) => `    ${l}`).join('\n')}\n  printed:\n${actual.map((l) => `    ${l}`).join('\n')}`);
          }
        }
        expect(mismatches.join('\n'), 'the README shows what the commands print').toBe('');
      } finally {
        cleanUp(started);
      }
      // Each command starts node in the VM: a long transcript needs more than one test's time.
    }, Math.max(120_000, 30_000 * t.steps.length));
  }
});

// The transcripts name files the README does not create; they must not leak from one run to the next.
afterAll(() => {
  for (const f of ['/tmp/gate1', '/tmp/gate2', '/tmp/gate3', '/tmp/gate4', '/tmp/gate5', '/tmp/ab', '/tmp/gate6', '/tmp/gate7', '/tmp/hi']) if (existsSync(f)) spawnSync('rm', ['-f', f]);
});
