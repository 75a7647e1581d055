// The pieces of the VM runner that don't need QEMU: archive format, module
// ordering, generated scripts, QEMU arguments.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCpio } from '../../../src/vm/cpio.js';
import { devLinks, INIT_SCRIPT, wrapperScript } from '../../../src/vm/guest-init.js';
import { resolveBootModules } from '../../../src/vm/initramfs.js';
import { qemuArgs, runQemu, type QemuSpec } from '../../../src/vm/qemu.js';
import { MAX_TIMEOUT_MS, runInVm } from '../../../src/vm/runner.js';

describe('buildCpio', () => {
  it('writes a newc archive that cpio(1) lists, with a device node', () => {
    const archive = buildCpio([
      { kind: 'dir', path: 'dev' },
      { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'file', path: '/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink', path: 'sh', target: 'busybox' },
    ]);
    expect(archive.length % 4).toBe(0);
    const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: archive, encoding: 'utf8' });
    const lines = listing.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^crw------- .* 5,\s+1 .* dev\/console$/);
    expect(lines[2]).toMatch(/^-rwxr-xr-x .* 10 .* init$/);
    expect(lines[3]).toMatch(/ sh -> busybox$/);
  });
});

describe('buildCpio: what newc cannot hold is refused, not written as a corrupt archive', () => {
  it.each([
    ['a device number past 32 bits', { kind: 'chardev', path: 'dev/x', major: 2 ** 32, minor: 0 }],
    ['a negative device number', { kind: 'chardev', path: 'dev/x', major: 5, minor: -1 }],
    ['a mode that is no integer', { kind: 'file', path: 'f', data: Buffer.alloc(0), mode: 0.5 }],
    ['a mode with type bits', { kind: 'file', path: 'f', data: Buffer.alloc(0), mode: 0o40755 }],
    ['a NUL in a name', { kind: 'file', path: 'a\0b', data: Buffer.alloc(0) }],
    ['an empty name', { kind: 'dir', path: '/' }],
    ['a NUL in a symlink target', { kind: 'symlink', path: 'l', target: 'a\0b' }],
  ] as const)('%s', (_name, entry) => {
    expect(() => buildCpio([entry])).toThrow(RangeError);
  });

  it('names, sizes and padding as cpio(1) reads them back, a name of a multi-byte character included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smvm-cpio-'));
    const names = ['a', 'bb', 'ccc', 'dddd', 'é'];
    const archive = buildCpio(names.map((name, i) => ({ kind: 'file' as const, path: name, data: Buffer.alloc(i * 3 + 1, name) })));
    execFileSync('cpio', ['-id', '--quiet'], { input: archive, cwd: dir });
    for (const [i, name] of names.entries()) expect(readFileSync(join(dir, name))).toEqual(Buffer.alloc(i * 3 + 1, name));
  });
});

describe('resolveBootModules', () => {
  function fakeModules(dep: string, builtin = ''): string {
    const dir = mkdtempSync(join(tmpdir(), 'smvm-mods-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'modules.dep'), dep);
    writeFileSync(join(dir, 'modules.builtin'), builtin);
    return dir;
  }

  it('orders dependencies first, each once, and skips built-ins', () => {
    const dir = fakeModules(
      [
        'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
        'kernel/drivers/virtio/virtio_ring.ko: kernel/drivers/virtio/virtio.ko',
        'kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko',
        'kernel/net/9p/9pnet.ko:',
        'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko',
        '',
      ].join('\n'),
      'kernel/drivers/virtio/virtio.ko\nkernel/fs/netfs/netfs.ko\n',
    );
    const mods = resolveBootModules('test', dir);
    expect(mods.map((m) => m.name)).toEqual(['virtio_ring', 'virtio_pci', '9pnet', '9pnet_virtio', '9p']);
    expect(mods[3]?.file).toBe(join(dir, 'kernel/net/9p/9pnet_virtio.ko.xz'));
  });

  it('names the missing module', () => {
    const dir = fakeModules('kernel/drivers/virtio/virtio_pci.ko:\n');
    expect(() => resolveBootModules('test', dir)).toThrow(/no module 9pnet_virtio/);
  });
});

describe('wrapperScript', () => {
  it('exports the environment quoted, changes directory and runs the command', () => {
    const script = wrapperScript({
      command: ['printf', '%s|%s|%s\\n', "it's", '$HOME', '$(pwd)'],
      env: { HOME: '/tmp', ODD: "a'b c" },
      cwd: '/',
    });
    const out = execFileSync('env', ['-i', '/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(out).toBe("it's|$HOME|$(pwd)\n");
    const env = execFileSync('env', ['-i', '/bin/sh', '-c', wrapperScript({ command: 'echo "$ODD:$HOME:$(pwd)"', env: { HOME: '/tmp', ODD: "a'b c" }, cwd: '/usr' })], { encoding: 'utf8' });
    expect(env).toBe("a'b c:/tmp:/usr\n");
  });

  it('exits 125 with a message when the directory does not exist', () => {
    const script = wrapperScript({ command: 'echo never', env: {}, cwd: '/nonexistent/dir' });
    expect(() => execFileSync('/bin/sh', ['-c', script], { stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 125 }));
  });
});

describe('the init\'s /dev', () => {
  it('has /dev/fd, stdin, stdout and stderr, as udev makes them: a script writing to /dev/stderr reaches stderr', () => {
    expect(INIT_SCRIPT).toContain(`mount -t devtmpfs devtmpfs /newroot/dev || die "cannot mount /dev"\n${devLinks('/newroot/dev')}\n`);
    const dev = mkdtempSync(join(tmpdir(), 'smvm-dev-'));
    execFileSync('/bin/sh', ['-c', `die() { exit 1; }\n${devLinks(dev)}`]);
    expect(['fd', 'stdin', 'stdout', 'stderr'].map((name) => readlinkSync(join(dev, name)))).toEqual([
      '/proc/self/fd', '/proc/self/fd/0', '/proc/self/fd/1', '/proc/self/fd/2',
    ]);
    // Through pipes, as the guest gives CMD its stdio (node's own are sockets, which /proc won't open again).
    const r = spawnSync('/bin/sh', ['-c', `{ echo to-stderr > ${dev}/stderr; } 2>&1 | cat; { echo to-stdout > ${dev}/stdout; } | cat; echo in | cat ${dev}/fd/0`], {
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('to-stderr\nto-stdout\nin\n');
  });
});

describe('qemuArgs', () => {
  const spec: QemuSpec = {
    kernel: '/boot/vmlinuz-x',
    initramfs: '/c/i.cpio',
    shareDir: '/tmp/a,b',
    consoleLog: '/tmp/a,b/.vm/console.log',
    accel: 'tcg',
    smp: 2,
    memoryMb: 2048,
    icount: false,
    kernelArgs: ['quiet'],
  };
  const value = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];

  it('boots with the stall timeout, panic=-1, extra args, and escapes commas in paths', () => {
    const args = qemuArgs(spec);
    expect(value(args, '-append')).toMatch(/console=ttyS0 .*rcupdate\.rcu_cpu_stall_timeout=60 .*panic=-1.* quiet$/);
    expect(value(args, '-smp')).toBe('2');
    expect(args).toContain('-nographic');
    expect(args.filter((a) => a.startsWith('local,path=/tmp/a,,b,'))).toHaveLength(1);
    expect(args).not.toContain('-icount');
  });

  it('emulates every feature under TCG, the host CPU under KVM, unless given a CPU model', () => {
    expect(value(qemuArgs(spec), '-cpu')).toBe('max');
    expect(value(qemuArgs({ ...spec, accel: 'kvm' }), '-cpu')).toBe('host');
    expect(value(qemuArgs({ ...spec, cpu: 'qemu64' }), '-cpu')).toBe('qemu64');
  });

  it('icount forces one vCPU', () => {
    const args = qemuArgs({ ...spec, icount: true, smp: 4 });
    expect(value(args, '-smp')).toBe('1');
    expect(value(args, '-icount')).toBe('shift=0,sleep=off');
  });
});

describe('the wall-clock limit', () => {
  /** QEMU as a shell that sleeps, so only the limit can end it early. */
  const sleeper = (seconds: number, timeoutMs: number) =>
    runQemu({
      binary: '/bin/sh',
      args: ['-c', `exec sleep ${seconds}`],
      consoleLog: join(mkdtempSync(join(tmpdir(), 'smvm-log-')), 'console.log'),
      timeoutMs,
      signal: undefined,
      onConsole: undefined,
    });

  it('Infinity is no limit: QEMU runs to its end', async () => {
    await expect(sleeper(0.3, Infinity)).resolves.toBeUndefined();
  });

  it('a finite limit still kills QEMU when it is reached', async () => {
    await expect(sleeper(5, 100)).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it.each([MAX_TIMEOUT_MS + 1, 30 * 24 * 3600_000, 1.5, 0])('%s ms, which no timer can wait, is refused before anything starts', async (timeoutMs) => {
    await expect(runInVm({ command: ['true'], kver: 'no-such-release', timeoutMs })).rejects.toMatchObject({
      code: 'EBADOPT',
      message: expect.stringMatching(/^timeoutMs must be a positive integer up to 2147483647/),
    });
  });
});
