// scripts/gen-syscalls.sh against the headers of every tested kernel that is
// installed: each implemented entry of each of the kernel's tables comes out,
// whatever macro the table writes it with.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const kver = (...args: string[]): string | undefined => {
  const r = spawnSync('sh', [join(root, 'scripts/kver.sh'), ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
const lines = (kver('--lines') ?? '').split('\n').filter((l) => l !== '');
const out = mkdtempSync(join(tmpdir(), 'syscallmon-gen-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * The implemented entries a table lists: "__SYSCALL*(nr, sym)" lines whose
 * symbol, the compat one where there are two (what a 64-bit kernel calls), is
 * not sys_ni_syscall.
 */
function implemented(table: string): number {
  return readFileSync(table, 'utf8')
    .split('\n')
    .filter((l) => /^__SYSCALL\w*\(\d+, /.test(l) && !/ sys_ni_syscall\)$/.test(l)).length;
}

describe('the generated syscall table', () => {
  it('has tested kernel lines to check', () => {
    expect(lines.length).toBeGreaterThanOrEqual(2);
  });

  describe.each(lines)('on the %s line', (line) => {
    const release = kver('--line', line);
    it.skipIf(release === undefined)(`lists every implemented entry point of each ABI (${release ?? 'not installed'})`, () => {
      const kdir = execFileSync('sh', [join(root, 'scripts/kdir.sh'), release!], { encoding: 'utf8' }).trim();
      const output = join(out, `${release}.h`);
      execFileSync('sh', [join(root, 'scripts/gen-syscalls.sh'), kdir, output]);
      const text = readFileSync(output, 'utf8');
      ['64', '32', 'x32'].forEach((abiFile, abi) => {
        const entries = text.split('\n').filter((l) => l.startsWith(`SYSCALLMON_ENTRY(${abi}, `)).length;
        expect(entries, `syscalls_${abiFile}.h`).toBe(implemented(join(kdir, `arch/x86/include/generated/asm/syscalls_${abiFile}.h`)));
      });
      // 6.10 and later write these two with __SYSCALL_NORETURN.
      expect(text).toContain('SYSCALLMON_ENTRY(0, 60, exit, "__x64_sys_exit", 60)');
      expect(text).toContain('SYSCALLMON_ENTRY(1, 252, exit_group, "__ia32_sys_exit_group", 231)');
      // The i386 entries that take an operation's path or fd elsewhere, and no other.
      expect(text.split('\n').filter((l) => l.startsWith('SYSCALLMON_ENTRY_ARGS(')).sort()).toEqual([
        'SYSCALLMON_ENTRY_ARGS(1, 339, 5, 0)',
        'SYSCALLMON_ENTRY_ARGS(1, 90, -1, -1)',
      ]);
    });
  });
});
