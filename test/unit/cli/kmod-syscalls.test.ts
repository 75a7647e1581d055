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
    expect(lines[0]).toMatch(/^ NR +NAME +PATH ARG +ENTRY$/);
    expect(lines).toHaveLength(fake.syscalls.length + 1);
    expect(lines[1]).toMatch(/^ +0 +read +- +__x64_sys_read$/);
    expect(r.stdout).toMatch(/^257 +openat +1 +__x64_sys_openat$/m);
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
    expect(r.stdout).toBe('{"nr":437,"name":"openat2","symbol":"__x64_sys_openat2","path_arg":1}\n');
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
    const r = await runCli(['load', '--capacity', '4096', '--clear-on-read'], { kmod, fake });
    expect(r.code).toBe(0);
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko capacity=4096 clear_on_read=1']);
    expect(r.stdout).toBe('loaded /repo/kernel/syscallmon.ko (capacity 4096 records, clear-on-read on)\n');
    expect(fake.calls.map((c) => c.method)).toEqual(['open', 'getVersion', 'close']);
  });

  it('defaults: no parameters, capacity reported from the header', async () => {
    const kmod = new FakeKmod();
    const r = await runCli(['load', '--json'], { kmod });
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko']);
    expect(JSON.parse(r.stdout)).toEqual({ module: '/repo/kernel/syscallmon.ko', loaded: true, capacity: 1024, clear_on_read: false });
  });

  it('already loaded and nothing asked: harmless, exit 0', async () => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    kmod.params = { capacity: '2048', clear_on_read: 'N' };
    const r = await runCli(['load'], { kmod });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('syscallmon is already loaded (capacity 2048 records, clear-on-read off); nothing to do\n');
    expect(kmod.calls).toEqual([]);
  });

  it.each([
    ['capacity not a power of two', ['load', '--capacity', '1000'], 2, /--capacity must be a power of two from 16 to 1048576 records, got "1000"/],
    ['capacity not a number', ['load', '--capacity', 'abc'], 2, /got "abc"/],
    ['capacity too small', ['load', '--capacity', '8'], 2, /got "8"/],
    ['capacity too large', ['load', '--capacity', '2097152'], 2, /got "2097152"/],
    ['capacity negative', ['load', '--capacity', '-16'], 2, /got "-16"/],
    ['capacity with junk', ['load', '--capacity', '1024k'], 2, /got "1024k"/],
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
    ['kernel without modules', (k: FakeKmod) => { k.modulesSupported = false; }, 5, /without module support.*syscallmon sandbox/],
    ['loaded, but other parameters asked', (k: FakeKmod) => { k.loaded = true; k.params = { capacity: '1024' }; }, 5, /already loaded \(capacity 1024\); run `syscallmon unload` first/],
    ['EPERM (lockdown)', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module /repo/kernel/syscallmon.ko: Operation not permitted'; }, 4, /refused to load .*Operation not permitted \(EPERM\)/],
    ['wrong kernel', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Invalid module format'; }, 5, /built for another kernel.*ENOEXEC.*npm run build:kmod/],
    ['bad parameter', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Invalid parameters'; }, 5, /refused its parameters.*EINVAL/],
    ['unknown symbol', (k: FakeKmod) => { k.insmodFails = 'insmod: ERROR: could not insert module x.ko: Unknown symbol in module'; }, 5, /Unknown symbol in module \(ENOENT\)/],
  ])('%s -> exit %i', async (_name, init, code, message) => {
    const kmod = new FakeKmod();
    init(kmod);
    const r = await runCli(['load', ...(_name.includes('parameters asked') ? ['--capacity', '2048'] : [])], { kmod });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n')).toHaveLength(2);
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
  ])('%s -> exit %i', async (_name, init, code, message) => {
    const kmod = new FakeKmod();
    kmod.loaded = true;
    init(kmod);
    const r = await runCli(['unload'], { kmod });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
