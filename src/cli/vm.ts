/*
 * The VM runner as the CLI hands it to the sandbox: loaded only when
 * `sandbox` runs (it pulls in QEMU and initramfs code nothing else needs).
 */
import type { VmRunner } from '../sandbox/host.js';

export type { VmRunner };

export const qemuRunner: VmRunner = {
  async run(opts) {
    const { runInVm } = await import('../vm/runner.js');
    return runInVm(opts);
  },
};
