// The spawn tests run bin/syscallmon, i.e. dist/ and the CLI's bundle: make sure they are the code
// under test. Test files run in parallel, so the build is done under a lock.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  const bundle = join(ROOT, 'dist', 'bundle', 'syscallmon.js');
  return !existsSync(bundle) || statSync(bundle).mtimeMs < newestMtime(join(ROOT, 'src'));
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Runs `tsc` and bundles the CLI when the bundle is older than src/. */
export function ensureDist(): void {
  if (!stale()) return;
  const lock = join(ROOT, 'dist', '.test-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 1200) throw new Error(`${lock} held for 2 minutes; remove it if no build is running`);
      pause(100);
    }
  }
  try {
    if (!stale()) return;
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    const bundle = spawnSync('npm', ['run', '--silent', 'build:bundle'], { cwd: ROOT, encoding: 'utf8' });
    if (bundle.status !== 0) throw new Error(`npm run build:bundle failed:\n${bundle.stdout}${bundle.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}
