// The daemon's loading of the module: modprobe of an installed (DKMS)
// module, else insmod of the build; a loaded module is used as it is.
import { describe, expect, it } from 'vitest';
import { ensureModule, moduleLimits } from '../../../src/lib/module.js';
import { FakeBinding } from '../fake-binding.js';
import { FakeKmod } from '../cli/harness.js';

const limits = moduleLimits(new FakeBinding().constants);

describe('ensureModule', () => {
  it('modprobes the installed module, with the ring size asked for', async () => {
    const kmod = new FakeKmod();
    kmod.installed = '/lib/modules/6.1.0-57-amd64/updates/dkms/syscallmon.ko';
    const r = await ensureModule(kmod, '4M', limits);
    expect(kmod.calls).toEqual(['modprobe syscallmon ring_size=4194304']);
    expect(r).toMatchObject({ module: kmod.installed, loaded: true, ring_size: 4194304 });
  });

  it('insmods the build when nothing is installed', async () => {
    const kmod = new FakeKmod();
    const r = await ensureModule(kmod, undefined, limits);
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko']);
    expect(r).toMatchObject({ module: '/repo/kernel/syscallmon.ko', loaded: true });
  });

  it('uses a loaded module as it is; one with another ring size is refused', async () => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    kmod.params = { ring_size: '1048576' };
    expect(await ensureModule(kmod, '1M', limits)).toMatchObject({ loaded: false, ring_size: 1048576 });
    expect(await ensureModule(kmod, undefined, limits)).toMatchObject({ loaded: false });
    await expect(ensureModule(kmod, '4M', limits)).rejects.toThrow(
      'syscallmon is loaded with a ring of 1 MiB, not 4 MiB; run `syscallmon unload` first to change it',
    );
    expect(kmod.calls).toEqual([]);
  });

  it('a bad ring size, or a modprobe the kernel refuses, is an error that says so', async () => {
    const kmod = new FakeKmod();
    kmod.installed = '/lib/modules/x/updates/dkms/syscallmon.ko';
    await expect(ensureModule(kmod, '3M', limits)).rejects.toThrow(/the ring size must be a power of two/);
    kmod.root = false;
    await expect(ensureModule(kmod, undefined, limits)).rejects.toThrow('loading a kernel module needs root; run the daemon as root');
    expect(kmod.calls).toEqual([]);
  });
});
