// SLOW (about a minute per test): `syscallmon sandbox` for real, from the
// host: builds nothing, boots QEMU with the default kernel (scripts/kver.sh),
// loads the module built for it in the guest and runs the command there.
// Needs what `npm run build` makes (module, addon, dist) and QEMU; without
// them it is skipped with the reason. SYSCALLMON_SKIP_SANDBOX=1 skips it on
// purpose.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtModuleFile } from '../../../src/lib/kmod.js';
import { resolveKver } from '../../../src/vm/runner.js';
import { cli, type CliResult } from '../../vm/helpers.js';
import { ensureDist, ROOT } from './built.js';

function missing(): string | null {
  if (process.env['SYSCALLMON_SKIP_SANDBOX'] === '1') return 'SYSCALLMON_SKIP_SANDBOX=1';
  if (process.env['SYSCALLMON_IN_VM'] === '1') return 'already inside the VM';
  // The sandbox boots the default kernel and loads the module built for it.
  let kver: string;
  try {
    kver = resolveKver();
  } catch (err) {
    return (err as Error).message;
  }
  for (const f of [builtModuleFile(kver), join(ROOT, 'build/Release/syscallmon.node')]) {
    if (!existsSync(f)) return `${f} is not built (npm run build)`;
  }
  const qemu = spawnSync(process.env['SYSCALLMON_QEMU'] || 'qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (qemu.status !== 0) return 'no qemu-system-x86_64';
  return null;
}

const why = missing();
if (why) console.warn(`sandbox VM tests skipped: ${why}`);

/** `syscallmon sandbox ARGS` through the real bin, as the VM suite runs the CLI. */
function sandbox(args: string[]): Promise<CliResult> {
  return cli(['sandbox', ...args]);
}

const TEN_MINUTES = 10 * 60_000;

describe.skipIf(why !== null)('sandbox in a real VM (slow)', () => {
  beforeAll(ensureDist, 120_000);

  it('5: sandbox -- /bin/cat /etc/hostname: a table with cat\'s openat of /etc/hostname and no other process', async () => {
    const r = await sandbox(['--', '/bin/cat', '/etc/hostname']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME +PID +TGID +UID +COMM +SYSCALL +ACTION +PATH$/);
    const cells = rows.map((l) => l.trim().split(/ +/));
    expect(cells).toContainEqual([expect.any(String), expect.any(String), expect.any(String), '0', 'cat', 'openat', 'ALLOWED', '/etc/hostname']);
    // One process: CMD (the gate shell that became cat; its execve shows comm sh).
    const tgids = new Set(cells.map((c) => c[2]));
    expect(tgids.size).toBe(1);
    expect(new Set(cells.map((c) => c[4]))).toEqual(new Set(['sh', 'cat']));
    // cat's output came back on stderr, the summary too
    expect(r.stderr).toContain(`${readHostname()}\n`);
    expect(r.stderr).toMatch(/sandbox: \/bin\/cat \/etc\/hostname exited with 0; \d+ events from 1 process, 0 lost/);
  }, TEN_MINUTES);

  it('follows children, and --block in the VM blocks', async () => {
    const r = await sandbox([
      '--json', '--block', '--syscall', 'unlinkat', '--',
      '/bin/sh', '-c', 'cd /tmp && : > f && /bin/rm f; test -e f && echo kept',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // rm is a child of the shell, and its unlinkat was blocked
    expect(events).toEqual([
      expect.objectContaining({ type: 'syscall', comm: 'rm', syscall: 'unlinkat', action: 'blocked', errno: 'EPERM', path: 'f' }),
    ]);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stderr).toContain('kept\n');
  }, TEN_MINUTES);
});

function readHostname(): string {
  return spawnSync('cat', ['/etc/hostname'], { encoding: 'utf8' }).stdout.trim();
}
