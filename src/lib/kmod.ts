/*
 * What loading syscallmon.ko needs from the machine: insmod/rmmod/modprobe from kmod,
 * run as child processes (Node has no finit_module), and the facts /proc
 * and /sys give.  This file only runs them and reads those files, so that
 * module.ts (what loading and unloading mean) can be tested with a fake that
 * answers the same questions.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MODULE_NAME = 'syscallmon';

/**
 * The module built for a kernel release: kernel/Makefile builds each release
 * in its own folder, build/kernel/RELEASE/ (dist/lib/kmod.js, or
 * src/lib/kmod.ts, → <package>/build/kernel/...).
 */
export function builtModuleFile(release: string): string {
  return fileURLToPath(new URL(`../../build/kernel/${release}/${MODULE_NAME}.ko`, import.meta.url));
}

/** A failed insmod/rmmod: its exit status and what it printed. */
/** A kmod tool that is not installed: the machine's set-up, not a kernel refusal. */
export class ToolMissing extends Error {
  constructor(readonly tool: string) {
    super(`${tool} not found (install kmod)`);
    this.name = 'ToolMissing';
  }
}

export class ToolFailure extends Error {
  constructor(
    readonly tool: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`${tool} failed${status === null ? '' : ` (exit ${status})`}: ${stderr.trim()}`);
    this.name = 'ToolFailure';
  }
}

export interface Kmod {
  /** absolute path of the built module */
  moduleFile(): string;
  isBuilt(): boolean;
  isLoaded(): boolean;
  /** false when the kernel has no module support or modules are disabled */
  canLoadModules(): { ok: true } | { ok: false; why: string };
  isRoot(): boolean;
  /** the module's parameters as loaded, when /sys shows them */
  loadedParams(): Record<string, string>;
  /** module reference count: > 0 while /dev/syscallmon is open */
  refcount(): number | null;
  insmod(file: string, params: readonly string[]): Promise<void>;
  rmmod(name: string): Promise<void>;
  /** the module installed for the running kernel (DKMS puts it under /lib/modules), as modinfo finds it; null when none */
  installedModule(): Promise<string | null>;
  /** loads the installed module by name */
  modprobe(name: string, params: readonly string[]): Promise<void>;
}

// kmod's tools live in /sbin, which a non-root PATH often lacks.
const TOOL_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findTool(name: string): string {
  for (const dir of TOOL_DIRS) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return name;
}

function run(tool: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(findTool(tool), args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new ToolMissing(tool));
      reject(new ToolFailure(tool, typeof err.code === 'number' ? err.code : null, stderr || err.message));
    });
  });
}

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export const systemKmod: Kmod = {
  moduleFile() {
    return builtModuleFile(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  },
  isBuilt() {
    return existsSync(this.moduleFile());
  },
  isLoaded() {
    return existsSync(`/sys/module/${MODULE_NAME}`);
  },
  canLoadModules() {
    if (!existsSync('/proc/modules')) {
      return { ok: false, why: 'this kernel was built without module support (no /proc/modules)' };
    }
    if (readTrimmed('/proc/sys/kernel/modules_disabled') === '1') {
      return { ok: false, why: 'module loading is disabled (kernel.modules_disabled = 1)' };
    }
    return { ok: true };
  },
  isRoot() {
    return process.getuid?.() === 0;
  },
  loadedParams() {
    const out: Record<string, string> = {};
    for (const name of ['ring_size', 'return_slots', 'clear_on_read']) {
      const v = readTrimmed(`/sys/module/${MODULE_NAME}/parameters/${name}`);
      if (v !== null) out[name] = v;
    }
    return out;
  },
  refcount() {
    const v = readTrimmed(`/sys/module/${MODULE_NAME}/refcnt`);
    return v === null ? null : Number(v);
  },
  async insmod(file, params) {
    await run('insmod', [file, ...params]);
  },
  async rmmod(name) {
    await run('rmmod', [name]);
  },
  async installedModule() {
    try {
      return (await run('modinfo', ['-n', MODULE_NAME])).trim() || null;
    } catch (e) {
      // modinfo exits 1 for a module it does not find: nothing is installed.
      if (e instanceof ToolFailure && e.status !== null) return null;
      throw e;
    }
  },
  async modprobe(name, params) {
    await run('modprobe', [name, ...params]);
  },
};
