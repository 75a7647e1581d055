// syscalls, load and unload: argv -> exit code and output, with a fake kmod.
import { describe, expect, it } from 'vitest';
import { errnoFromToolOutput } from '../../../src/lib/module.js';
import { createFakeBinding } from '../fake-binding.js';
import { FakeKmod, runCli } from './harness.js';

describe('syscalls', () => {
  it('lists every syscall of the generated table by number', async () => {
    const fake = createFakeBinding();
    const r = await runCli(['syscalls'], { fake });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ NR +NAME +PATH ARG +FD ARG +ENTRY$/);
    expect(lines).toHaveLength(fake.syscalls.length + 1);
    expect(lines[1]).toMatch(/^ +0 +read +- +0 +__x64_sys_read$/);
    expect(r.stdout).toMatch(/^257 +openat +1 +0 +__x64_sys_openat$/m);
    expect(r.stdout).toMatch(/^ +39 +getpid +- +- +__x64_sys_getpid$/m);
  });

  it.each([
    ['substring', 'unlink', ['unlink', 'mq_unlink', 'unlinkat']],
    ['glob', 'open*', ['open', 'openat', 'open_by_handle_at', 'open_tree', 'openat2']],
    ['glob with ?', '?fork', ['vfork']],
    ['case-insensitive', 'UNLINKAT', ['unlinkat']],
  ])('PATTERN as a %s', async (_name, pattern, names) => {
    const r = await runCli(['syscalls', pattern, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).name)).toEqual(names);
  });

  it('--json: one object per syscall', async () => {
    const r = await runCli(['syscalls', 'openat2', '--json']);
    expect(r.stdout).toBe('{"nr":437,"name":"openat2","symbol":"__x64_sys_openat2","path_arg":1,"fd_arg":0}\n');
  });

  it('no match: says so on stderr with close names, exit 1 like grep, stdout empty', async () => {
    const r = await runCli(['syscalls', 'opne']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('syscallmon: no syscall matches "opne"; did you mean open?\n');
    const none = await runCli(['syscalls', 'nosuchthing']);
    expect(none).toMatchObject({ code: 1, stdout: '', stderr: 'syscallmon: no syscall matches "nosuchthing"\n' });
  });

  it('a match is exit 0', async () => {
    expect((await runCli(['syscalls', 'open*'])).code).toBe(0);
  });

  it('needs no module: works while it is not loaded', async () => {
    const r = await runCli(['syscalls', 'write'], { fake: createFakeBinding((f) => { f.loaded = false; }) });
    expect(r.code).toBe(0);
  });
});

describe('load', () => {
  it('insmods the built module with the parameters asked for, then checks the API version', async () => {
    const kmod = new FakeKmod();
    const fake = createFakeBinding();
    const r = await runCli(['load', '--ring-size', '4M', '--return-slots', '100', '--clear-on-read'], { kmod, fake });
    expect(r.code).toBe(0);
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko ring_size=4194304 return_slots=100 clear_on_read=1']);
    expect(r.stdout).toBe('loaded /repo/kernel/syscallmon.ko (ring 4 MiB, 100 return slots, clear-on-read on)\n');
    expect(fake.calls.map((c) => c.method)).toEqual(['open', 'getVersion', 'close']);
  });

  it('defaults: no parameters, the ring size and return slots reported from the header', async () => {
    const kmod = new FakeKmod();
    const r = await runCli(['load', '--json'], { kmod });
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko']);
    expect(JSON.parse(r.stdout)).toEqual({
      module: '/repo/kernel/syscallmon.ko', loaded: true, ring_size: 1048576, return_slots: 4096, clear_on_read: false,
    });
    expect((await runCli(['load'], { kmod: new FakeKmod() })).stdout).toBe(
      'loaded /repo/kernel/syscallmon.ko (ring 1 MiB, 4096 return slots, clear-on-read off)\n',
    );
  });

  it.each([
    ['65536', 65536],
    ['64K', 65536],
    ['64k', 65536],
    ['2M', 2097152],
    ['1G', 1073741824],
  ])('--ring-size %s is %i bytes', async (size, bytes) => {
    const kmod = new FakeKmod();
    expect((await runCli(['load', '--ring-size', size], { kmod })).code).toBe(0);
    expect(kmod.calls).toEqual([`insmod /repo/kernel/syscallmon.ko ring_size=${bytes}`]);
  });

  it('--return-slots 0: every call is recorded at entry, without its result', async () => {
    const kmod = new FakeKmod();
    expect((await runCli(['load', '--return-slots', '0'], { kmod })).code).toBe(0);
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko return_slots=0']);
  });

  it('already loaded and nothing asked: harmless, exit 0', async () => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    kmod.params = { ring_size: '2097152', return_slots: '4096', clear_on_read: 'N' };
    const r = await runCli(['load'], { kmod });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('syscallmon is already loaded (ring 2 MiB, 4096 return slots, clear-on-read off); nothing to do\n');
    expect(kmod.calls).toEqual([]);
  });

  it.each([
    ['ring size not a power of two', ['load', '--ring-size', '100000'], 2, /^syscallmon: the ring size must be a power of two from 64 KiB to 1 GiB \(bytes, or with K, M or G\), got "100000"\n$/],
    ['ring size not a number', ['load', '--ring-size', 'abc'], 2, /got "abc"/],
    ['ring size too small', ['load', '--ring-size', '32K'], 2, /got "32K"/],
    ['ring size too large', ['load', '--ring-size', '2G'], 2, /got "2G"/],
    ['ring size negative', ['load', '--ring-size', '-64K'], 2, /got "-64K"/],
    ['ring size with junk', ['load', '--ring-size', '1MiB'], 2, /got "1MiB"/],
    ['ring size in records', ['load', '--capacity', '1024'], 2, /unknown option '--capacity'/],
    ['return slots not a number', ['load', '--return-slots', 'many'], 2, /^syscallmon: the return slots must be a whole number from 0 to 1048576, got "many"\n$/],
    ['return slots too many', ['load', '--return-slots', '1048577'], 2, /got "1048577"/],
  ])('%s -> exit 2 before touching the kernel', async (_name, argv, code, message) => {
    const kmod = new FakeKmod();
    kmod.root = false; // usage errors come first, even for a user who could not load anyway
    const r = await runCli(argv, { kmod });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(kmod.calls).toEqual([]);
  });

  it.each([
    ['not built', (k: FakeKmod) => { k.built = false; }, 1, /kernel\/syscallmon.ko is not built; build it with `npm run build:kmod`/],
    ['not root', (k: FakeKmod) => { k.root = false; }, 4, /needs root; try `sudo syscallmon load`/],
    ['kernel without modules', (k: FakeKmod) => { k.modulesSupported = false; }, 5, /without module support \(no \/proc\/modules\), ENOSYS; .*syscallmon sandbox/],
    ['loaded, but other parameters asked', (k: FakeKmod) => { k.loaded = true; k.params = { ring_size: '1048576' }; }, 5, /already loaded \(ring 1 MiB\); run `syscallmon unload` first/],
    ['EPERM (lockdown)', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module /repo/kernel/syscallmon.ko: Operation not permitted'; }, 4, /refused to load .*Operation not permitted \(EPERM\)/],
    ['wrong kernel', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Invalid module format'; }, 5, /built for another kernel.*ENOEXEC.*npm run build:kmod/],
    ['bad parameter', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Invalid parameters'; }, 5, /refused its parameters.*EINVAL/],
    ['unknown symbol', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Unknown symbol in module'; }, 5, /Unknown symbol in module \(ENOENT\)/],
  ])('%s -> exit %i', async (_name, init, code, message) => {
    const kmod = new FakeKmod();
    init(kmod);
    const r = await runCli(['load', ...(_name.includes('parameters asked') ? ['--ring-size', '2M'] : [])], { kmod });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('already loaded, of another API version (left from before an upgrade): exit 5 saying to reload it', async () => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    const fake = createFakeBinding((f) => { f.apiVersion = 7; });
    const r = await runCli(['load'], { kmod, fake });
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^syscallmon: syscallmon module speaks API version 7 .*`syscallmon unload && syscallmon load`\)\n$/);
    expect(kmod.calls).toEqual([]);
    // Without root the device cannot be opened to tell: loading nothing stays harmless.
    kmod.root = false;
    const user = await runCli(['load'], { kmod, fake: createFakeBinding((f) => { f.apiVersion = 7; }) });
    expect(user.code).toBe(0);
    expect(user.stdout).toMatch(/already loaded.*nothing to do/);
  });

  it('a module of another API version: exit 5 naming both', async () => {
    const r = await runCli(['load'], { kmod: new FakeKmod(), fake: createFakeBinding((f) => { f.apiVersion = 7; }) });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`API version 7.*expects version ${createFakeBinding().c('API_VERSION')}`));
  });

  it.each([
    ['insmod: ERROR: could not insert module a.ko: File exists', 'EEXIST'],
    ['rmmod: ERROR: Module syscallmon is in use', 'EBUSY'],
    ['rmmod: ERROR: Module syscallmon is not currently loaded', 'ENOENT'],
    ['insmod: ERROR: could not insert module a.ko: Key was rejected by service', 'EKEYREJECTED'],
    ['something new', undefined],
  ])('errno of %j', (text, code) => {
    expect(errnoFromToolOutput(text)).toBe(code);
  });
});

describe('unload', () => {
  it('rmmods a loaded module', async () => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    const r = await runCli(['unload'], { kmod });
    expect(r).toMatchObject({ code: 0, stdout: 'unloaded syscallmon\n' });
    expect(kmod.calls).toEqual(['rmmod syscallmon']);
  });

  it('not loaded: harmless, exit 0', async () => {
    const kmod = new FakeKmod();
    const r = await runCli(['unload', '--json'], { kmod });
    expect(r).toMatchObject({ code: 0, stdout: '{"unloaded":false}\n' });
    expect(kmod.calls).toEqual([]);
  });

  it.each([
    ['in use (a tail holds the device)', (k: FakeKmod) => { k.refs = 1; }, 5, /in use \(1 reference\).*stop it and retry/],
    ['rmmod says busy', (k: FakeKmod) => { k.rmmodFails = 'rmmod: ERROR: Module syscallmon is in use'; }, 5, /is in use/],
    ['not root', (k: FakeKmod) => { k.root = false; }, 4, /needs root/],
    ['rmmod refused', (k: FakeKmod) => { k.rmmodFails = 'rmmod: ERROR: could not remove module syscallmon: Operation not permitted'; }, 4, /refused to unload syscallmon \(EPERM\)/],
    [
      'rmmod prints two lines',
      (k: FakeKmod) => {
        k.rmmodFails = "rmmod: ERROR: ../libkmod/libkmod-module.c:799 kmod_module_remove_module() could not remove 'syscallmon': Interrupted system call\n" +
          'rmmod: ERROR: could not remove module syscallmon: Interrupted system call';
      },
      5,
      /^syscallmon: rmmod syscallmon failed: could not remove module syscallmon: Interrupted system call\n$/,
    ],
    ['rmmod not installed', (k: FakeKmod) => { k.toolsMissing = true; }, 1, /^syscallmon: rmmod not found \(install kmod\)\n$/],
  ])('%s -> exit %i', async (_name, init, code, message) => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    init(kmod);
    const r = await runCli(['unload'], { kmod });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('load without insmod installed: exit 1, an environment problem, not a kernel refusal', async () => {
    const kmod = new FakeKmod();
    kmod.toolsMissing = true;
    const r = await runCli(['load'], { kmod });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/insmod not found \(install kmod\)/);
    expect(r.stderr).not.toMatch(/dmesg/);
  });
});
