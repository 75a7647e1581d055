/*
 * The VM runner as the CLI sees it: one function, loaded only when
 * `sandbox` runs (it pulls in QEMU and initramfs code nothing else needs).
 */
import type { VmRunOptions, VmRunResult } from '../vm/runner.js';

export type { VmRunOptions, VmRunResult };

export interface VmRunner {
  run(opts: VmRunOptions): Promise<VmRunResult>;
}

export const qemuRunner: VmRunner = {
  async run(opts) {
    const { runInVm } = await import('../vm/runner.js');
    return runInVm(opts);
  },
};
