// SLOW (some ten seconds per VM under emulation): `syscallmon sandbox` for real, from the
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

  it('sandbox -- /bin/cat /etc/hostname: a table with cat\'s openat of /etc/hostname and no other process', async () => {
    const r = await sandbox(['--', '/bin/cat', '/etc/hostname']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME +PID +TGID +UID +COMM +SYSCALL +VERDICT +RET +DURATION +PATH$/);
    const cells = rows.map((l) => l.trim().split(/ +/));
    // cat's open of its file returned fd 3, after a measured time.
    expect(cells).toContainEqual([
      expect.any(String), expect.any(String), expect.any(String), '0', 'cat', 'openat', 'ALLOWED', '3',
      expect.stringMatching(/^\d+\.\d{6}$/), '/etc/hostname',
    ]);
    // One process: CMD (the gate shell that became cat; its execve shows comm sh).
    const tgids = new Set(cells.map((c) => c[2]));
    expect(tgids.size).toBe(1);
    expect(new Set(cells.map((c) => c[4]))).toEqual(new Set(['sh', 'cat']));
    // cat's output came back on stderr, the summary too
    expect(r.stderr).toContain(`${readHostname()}\n`);
    expect(r.stderr).toMatch(/sandbox: \/bin\/cat \/etc\/hostname exited with 0; \d+ events from 1 process, 0 lost/);
  }, TEN_MINUTES);

  it('control flags before `sandbox` are refused before any VM; after it, --block in the VM blocks, in a child too, and rm\'s status comes back', async () => {
    const script = 'cd /tmp && touch x && /bin/rm x && echo ok; test -e x && echo kept; /bin/rm x';
    const before = await cli(['--block', '--syscall', 'unlinkat', 'sandbox', '--json', '--', '/bin/sh', '-c', script]);
    expect(before.code).toBe(2);
    expect(before.stdout).toBe('');
    expect(before.stderr).toBe(
      "syscallmon: --block --syscall before 'sandbox' would be ignored: write them after the command (syscallmon sandbox --block --syscall …)\n",
    );
    const r = await sandbox(['--block', '--syscall', 'unlinkat', '--json', '--', '/bin/sh', '-c', script]);
    // the last rm is refused too: its status, 1, is the script's and so syscallmon's
    expect(r.code, r.stderr).toBe(1);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // rm is a child of the shell, and both its unlinkat calls were blocked
    const blocked = expect.objectContaining({
      type: 'syscall', comm: 'rm', syscall: 'unlinkat', verdict: 'blocked', block_errno: 'EPERM', path: 'x', target: null,
      ret: -1, errno: 'EPERM', duration_ns: '0',
    });
    expect(events).toEqual([blocked, blocked]);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stderr).not.toContain('ok\n');
    expect(r.stderr).toContain('kept\n');
    expect(r.stderr).toContain(`sandbox: /bin/sh -c '${script}' exited with 1;`);
  }, TEN_MINUTES);

  it('CMD reads syscallmon\'s stdin, --exits on shows its exit, and its status 3 is syscallmon\'s', async () => {
    const r = await cli(['sandbox', '--exits', 'on', '--syscall', 'execve', '--json', '--', '/bin/sh', '-c', 'read line; echo "got $line"; exit 3'], {
      input: 'hello from the host\n',
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('got hello from the host\n');
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ type: 'exit', comm: 'sh', exit_code: 3, signal: 0 }));
    expect(r.stderr).toMatch(/sandbox: \/bin\/sh -c 'read line; echo "got \$line"; exit 3' exited with 3;/);
  }, TEN_MINUTES);

  it('CMD killed by SIGTERM is 143; its stdout and stderr come back in the order it wrote them; --failed-only keeps only the failures', async () => {
    const script = 'echo out1; echo err1 >&2; echo out2; echo err2 > /dev/stderr; echo out3; : < /etc/hostname; cat /no/such/file 2>/dev/null; kill -TERM $$';
    const r = await sandbox(['--syscall', 'openat', '--failed-only', '--json', '--', '/bin/sh', '-c', script]);
    expect(r.code, r.stderr).toBe(143);
    // err2 opens stderr again (/dev/stderr), as scripts do, and truncates nothing
    expect(r.stderr).toContain('out1\nerr1\nout2\nerr2\nout3\n');
    expect(r.stderr).toMatch(/ was killed by SIGTERM; /);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ syscall: 'openat', path: '/no/such/file', errno: 'ENOENT' }));
    expect(events.filter((e) => e.errno === null)).toEqual([]);
    expect(events.filter((e) => e.path === '/etc/hostname')).toEqual([]);
  }, TEN_MINUTES);

  it('a CMD that is not there: 127 before any VM, in syscallmon\'s words', async () => {
    const r = await sandbox(['--', '/no/such/cmd']);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('syscallmon: sandbox: /no/such/cmd: no such file\n');
  }, TEN_MINUTES);
});

function readHostname(): string {
  return spawnSync('cat', ['/etc/hostname'], { encoding: 'utf8' }).stdout.trim();
}
