// The judge of "the kernel log shows a problem" (smon_kernel_problem() in
// test/vm/kmod/smon_test.c), through `smon_util check`, which reads a log as
// text: the same judge the suite applies to each test's log and to the
// whole run's.
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const util = join(root, 'build/test/kmod/smon_util');

beforeAll(() => {
  execFileSync('make', ['-s', '-C', join(root, 'test/vm/kmod'), util], { stdio: ['ignore', 'ignore', 'inherit'] });
});

function check(log: string): { status: number | null; findings: string[] } {
  const r = spawnSync(util, ['check'], { input: log, encoding: 'utf8' });
  return { status: r.status, findings: r.stdout.split('\n').filter(Boolean) };
}

// Lines seen on a clean boot of Debian's 6.1 kernel in the TCG guest.
const CLEAN_BOOT = `[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)
[    0.154996] \tRCU CPU stall warnings timeout set to 60 (rcu_cpu_stall_timeout).
[    0.729359] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug
[    0.747558] acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended PCI configuration space under this bridge.
[    0.958485] AMD-Vi: AMD IOMMUv2 functionality not available on this system - This is not a bug.
[    0.224494] x86/fpu: Supporting XSAVE feature 0x200: 'Protection Keys User registers'
[    0.000000] NX (Execute Disable) protection: active
[    0.530972] ..MP-BIOS bug: 8254 timer not connected to IO-APIC
[    0.200000] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!
[    1.000000] DEBUG_LOCKS_WARN_ON is not set; CONFIG_DEBUG_BUGVERBOSE=y
[    3.000000] syscallmon: loading out-of-tree module taints kernel.
[    3.000001] syscallmon: module verification failed: signature and/or required key missing - tainting kernel`;

describe('the kernel log judge', () => {
  it('passes a clean boot: lower-case "bug", DEBUG, and the CPU vulnerability notices', () => {
    expect(check(CLEAN_BOOT)).toEqual({ status: 0, findings: [] });
  });

  it.each([
    ['warning', '[   12.1] WARNING: CPU: 1 PID: 230 at kernel/kprobes.c:1234 arm_kprobe+0x5/0x10'],
    ['bug', '[   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000008'],
    ['bug', '[   12.1] kernel BUG at mm/slub.c:379!'],
    ['oops', '[   12.1] Oops: 0000 [#1] PREEMPT SMP NOPTI'],
    ['general protection', '[   12.1] general protection fault, probably for non-canonical address 0xdead000000000100'],
    ['soft lockup', '[   40.1] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [t5:301]'],
    ['hard lockup', '[   40.1] watchdog: Watchdog detected hard LOCKUP on cpu 1'],
    ['bug', '[   12.1] BUG: sleeping function called from invalid context at mm/slab.h:723'],
    ['hung task', '[  243.1] INFO: task t8:412 blocked for more than 120 seconds.'],
    ['rcu stall', '[  100.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'],
    ['panic', '[  100.1] Kernel panic - not syncing: Fatal exception'],
    ['sanitizer', '[   12.1] UBSAN: array-index-out-of-bounds in kernel/foo.c:12:3'],
    ['list corruption', '[   12.1] list_del corruption. prev->next should be ffff888003f1e0c8'],
    ['refcount', '[   12.1] refcount_t: underflow; use-after-free.'],
    ['call trace', '[   12.1] Call Trace:'],
  ])('fails on %s: %s', (rule, line) => {
    expect(check(`${CLEAN_BOOT}\n${line}\n`)).toEqual({ status: 1, findings: [`[${rule}] ${line}`] });
  });
});
