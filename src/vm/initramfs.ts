/**
 * Builds (and caches) the initramfs: static busybox, the /init from
 * guest-init.ts, and the kernel modules needed to reach the host over
 * virtio-9p, for one kernel release.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildCpio, type CpioEntry } from './cpio.js';
import { VmError } from './errors.js';
import { INIT_SCRIPT } from './guest-init.js';

/**
 * What the guest needs before it can mount the host: the virtio PCI
 * transport and 9p over virtio. Their dependencies (virtio_ring, netfs,
 * fscache, ...) come from modules.dep, so newer kernels that move or merge
 * modules still work.
 */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p'] as const;

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

export interface KernelModule {
  name: string;
  /** Absolute path of the (possibly compressed) module file. */
  file: string;
}

function moduleName(relPath: string): string {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

interface ModuleIndex {
  deps: Map<string, { file: string; deps: string[] }>;
  builtin: Set<string>;
}

function readModuleIndex(kver: string, dir: string): ModuleIndex {
  const depFile = join(dir, 'modules.dep');
  if (!existsSync(depFile)) {
    throw new VmError('ENOKERNEL', `no ${depFile}: install linux-image-${kver}`);
  }
  const deps = new Map<string, { file: string; deps: string[] }>();
  for (const line of readFileSync(depFile, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const rel = line.slice(0, colon);
    const depList = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleName);
    deps.set(moduleName(rel), { file: join(dir, rel), deps: depList });
  }
  const builtinFile = join(dir, 'modules.builtin');
  const builtin = new Set(
    existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8').split('\n').filter(Boolean).map(moduleName) : [],
  );
  return { deps, builtin };
}

/** The boot modules and their dependencies, each after everything it needs. */
export function resolveBootModules(kver: string, modulesDir = `/lib/modules/${kver}`): KernelModule[] {
  const index = readModuleIndex(kver, modulesDir);
  const ordered: KernelModule[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const entry = index.deps.get(name);
    if (entry === undefined) {
      if (index.builtin.has(name)) return;
      throw new VmError('ENOKERNEL', `kernel ${kver} has no module ${name} (needed for virtio-9p)`);
    }
    entry.deps.forEach(visit);
    ordered.push({ name, file: entry.file });
  };
  BOOT_MODULES.forEach(visit);
  return ordered;
}

/** True when the ELF file has no PT_INTERP, i.e. runs without a dynamic loader. */
function isStaticElf(data: Buffer): boolean {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46 || data[4] !== 2) return false;
  const phoff = Number(data.readBigUInt64LE(0x20));
  const phentsize = data.readUInt16LE(0x36);
  const phnum = data.readUInt16LE(0x38);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const offset = phoff + i * phentsize;
    if (offset + 4 > data.length) return false;
    if (data.readUInt32LE(offset) === PT_INTERP) return false;
  }
  return true;
}

function findBusybox(): { path: string; data: Buffer } {
  const override = process.env['SYSCALLMON_VM_BUSYBOX'];
  const candidates = override !== undefined && override !== '' ? [override] : BUSYBOX_CANDIDATES;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const data = readFileSync(path);
    if (isStaticElf(data)) return { path, data };
  }
  throw new VmError('ENOKERNEL', `no static busybox at ${candidates.join(' or ')}: install busybox-static`);
}

function decompressModule(file: string): Buffer {
  if (file.endsWith('.ko')) return readFileSync(file);
  if (file.endsWith('.gz')) return gunzipSync(readFileSync(file));
  // busybox insmod cannot read compressed modules, so unpack them here.
  const tool = file.endsWith('.xz') ? 'xz' : 'zstd';
  try {
    return execFileSync(tool, ['-dc', file], { maxBuffer: 64 << 20 });
  } catch {
    throw new VmError('ENOKERNEL', `cannot decompress ${file} (is ${tool} installed?)`);
  }
}

function cacheKey(kver: string, busybox: Buffer, modules: readonly KernelModule[]): string {
  const hash = createHash('sha256');
  hash.update(`${kver}\0`);
  hash.update(createHash('sha256').update(busybox).digest());
  hash.update(INIT_SCRIPT);
  for (const mod of modules) {
    // Size and mtime are enough: a reinstalled package rewrites the file.
    const st = statSync(mod.file);
    hash.update(`\0${mod.file}\0${st.size}\0${st.mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 16);
}

function archiveEntries(busybox: Buffer, modules: readonly KernelModule[]): CpioEntry[] {
  const entries: CpioEntry[] = ['bin', 'dev', 'proc', 'sys', 'modules', 'newroot', 'hostroot', 'share'].map((path) => ({
    kind: 'dir',
    path,
  }));
  // Without /dev/console the kernel starts /init with no stdout or stderr.
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  entries.push({ kind: 'symlink', path: 'bin/sh', target: 'busybox' });
  entries.push({ kind: 'file', path: 'init', data: Buffer.from(INIT_SCRIPT), mode: 0o755 });
  modules.forEach((mod, i) => {
    const order = String(i).padStart(2, '0');
    entries.push({ kind: 'file', path: `modules/${order}-${mod.name}.ko`, data: decompressModule(mod.file) });
  });
  return entries;
}

/** Returns the path of the initramfs for kver, building it into cacheDir if needed. */
export function ensureInitramfs(kver: string, cacheDir: string): string {
  const busybox = findBusybox();
  const modules = resolveBootModules(kver);
  const path = join(cacheDir, `initramfs-${kver}-${cacheKey(kver, busybox.data, modules)}.cpio`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename, so a concurrent run never boots a half-written file.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, buildCpio(archiveEntries(busybox.data, modules)));
  renameSync(tmp, path);
  return path;
}
