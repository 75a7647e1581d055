/*
 * Loading and unloading syscallmon.ko: the parameters checked against the
 * header's limits before anything runs, and insmod's and rmmod's failures
 * turned into errors that say what to do.  The machine is reached through
 * a Kmod (kmod.ts), so all of this runs against a fake in tests.
 */
import { KernelError, PermissionError, UsageError, type SyscallmonError } from './errors.js';
import { MODULE_NAME, ToolFailure, type Kmod } from './kmod.js';
import { need } from './records.js';

export interface LoadRequest {
  /** the ring's size in bytes: as typed ("1M", "65536"; checked against the header's limits), or a number */
  ringSize?: string | number;
  /** calls followed to their return at once: as typed, or a number */
  returnSlots?: string | number;
  clearOnRead: boolean;
}

/** What the module accepts: SYSCALLMON_RING_SIZE_* and SYSCALLMON_RETURN_SLOTS_* of the header. */
export interface ModuleLimits {
  ringSize: { min: number; max: number; default: number };
  returnSlots: { max: number; default: number };
}

export function moduleLimits(constants: Record<string, number>): ModuleLimits {
  return {
    ringSize: { min: need(constants, 'RING_SIZE_MIN'), max: need(constants, 'RING_SIZE_MAX'), default: need(constants, 'RING_SIZE_DEFAULT') },
    returnSlots: { max: need(constants, 'RETURN_SLOTS_MAX'), default: need(constants, 'RETURN_SLOTS_DEFAULT') },
  };
}

export interface LoadResult {
  module: string;
  /** false when it was already loaded and nothing was asked of it */
  loaded: boolean;
  /** bytes */
  ring_size: number | null;
  return_slots: number | null;
  clear_on_read: boolean | null;
}

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "64 KiB", "1 MiB", "86.8 KiB", "528 B": a size as people read it (exact when it is a whole number of units). */
export function bytesText(n: number): string {
  for (const [unit, name] of [[1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const) {
    if (n >= unit) return `${n % unit === 0 ? n / unit : (n / unit).toFixed(1)} ${name}`;
  }
  return `${n} B`;
}

/** A ring size: bytes, or K, M, G (binary multiples); a power of two within the module's limits. */
export function parseRingSize(value: string | number, limits: ModuleLimits): number {
  const text = String(value).trim();
  const m = /^([0-9]+)([KMG]?)$/i.exec(text);
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? NaN) : NaN;
  const { min, max } = limits.ringSize;
  const powerOfTwo = Number.isSafeInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
  if (!powerOfTwo || n < min || n > max) {
    throw new UsageError(
      `the ring size must be a power of two from ${bytesText(min)} to ${bytesText(max)} (bytes, or with K, M or G), got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** A number of return slots: a whole number from 0 to the module's limit. */
export function parseReturnSlots(value: string | number, limits: ModuleLimits): number {
  const text = String(value).trim();
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n > limits.returnSlots.max) {
    throw new UsageError(`the return slots must be a whole number from 0 to ${limits.returnSlots.max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

// strerror() text as insmod/rmmod print it → errno name.
const STRERROR: readonly [RegExp, string][] = [
  [/Operation not permitted/i, 'EPERM'],
  [/Permission denied/i, 'EACCES'],
  [/File exists/i, 'EEXIST'],
  [/Invalid module format/i, 'ENOEXEC'],
  [/Invalid parameters|Invalid argument/i, 'EINVAL'],
  [/Unknown symbol/i, 'ENOENT'],
  [/No such file or directory/i, 'ENOENT'],
  [/Function not implemented/i, 'ENOSYS'],
  [/Key was rejected by service/i, 'EKEYREJECTED'],
  [/Required key not available/i, 'ENOKEY'],
  [/Resource temporarily unavailable|is in use|Device or resource busy/i, 'EBUSY'],
  [/Cannot allocate memory/i, 'ENOMEM'],
  [/is not currently loaded|not found/i, 'ENOENT'],
];

export function errnoFromToolOutput(stderr: string): string | undefined {
  return STRERROR.find(([re]) => re.test(stderr))?.[1];
}

/** The last line insmod/rmmod printed, without their "insmod: ERROR: " prefix. */
function toolReason(f: ToolFailure): string {
  const lines = f.stderr.trim().split('\n');
  return (lines[lines.length - 1] ?? '').replace(/^\S+:\s*(ERROR:\s*)?/, '').trim() || `${f.tool} failed`;
}

export function insmodError(f: ToolFailure, file: string): SyscallmonError {
  const code = errnoFromToolOutput(f.stderr);
  const reason = toolReason(f);
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new PermissionError(
        `the kernel refused to load ${file}: ${reason} (${code}); loading modules needs root, ` +
          'and lockdown or Secure Boot may forbid unsigned modules',
      );
    case 'ENOEXEC':
      return new KernelError(
        `${file} was built for another kernel (${reason}, ENOEXEC); rebuild it with \`npm run build:kmod\``,
        { code },
      );
    case 'ENOSYS':
      return new KernelError(`this kernel cannot load modules (${reason}, ENOSYS); use \`syscallmon sandbox\``, { code });
    case 'EINVAL':
      return new KernelError(`the module refused its parameters (${reason}, EINVAL); see \`dmesg\``, { code });
    case undefined:
      return new KernelError(`insmod ${file} failed: ${reason}`);
    default:
      return new KernelError(`insmod ${file} failed: ${reason} (${code}); see \`dmesg\``, { code });
  }
}

/** This kernel can load no module at all (why: what showed it). */
function cannotLoadHere(why: string): KernelError {
  return new KernelError(`${why}, ENOSYS; run syscallmon in a VM instead: \`syscallmon sandbox -- CMD\``, { code: 'ENOSYS' });
}

export async function loadModule(kmod: Kmod, req: LoadRequest, limits: ModuleLimits): Promise<LoadResult> {
  // Bad input first: it is wrong whatever the state of the machine.
  const ringSize = req.ringSize === undefined ? undefined : parseRingSize(req.ringSize, limits);
  const returnSlots = req.returnSlots === undefined ? undefined : parseReturnSlots(req.returnSlots, limits);
  const file = kmod.moduleFile();
  const can = kmod.canLoadModules();
  if (!can.ok) {
    throw cannotLoadHere(can.why);
  }
  const asked = ringSize !== undefined || returnSlots !== undefined || req.clearOnRead;
  if (kmod.isLoaded()) {
    const params = kmod.loadedParams();
    const number = (v: string | undefined): number | null => (v === undefined ? null : Number(v));
    if (asked) {
      throw new KernelError(
        `${MODULE_NAME} is already loaded${params.ring_size ? ` (ring ${bytesText(Number(params.ring_size))})` : ''}; ` +
          'run `syscallmon unload` first to change its parameters',
        { code: 'EEXIST' },
      );
    }
    return {
      module: file,
      loaded: false,
      ring_size: number(params.ring_size),
      return_slots: number(params.return_slots),
      clear_on_read: params.clear_on_read === undefined ? null : params.clear_on_read === 'Y',
    };
  }
  if (!kmod.isBuilt()) {
    // Not a refusal of anyone's: the build is missing (exit 1, like a missing addon).
    throw new Error(`${file} is not built; build it with \`npm run build:kmod\``);
  }
  if (!kmod.isRoot()) {
    throw new PermissionError('loading a kernel module needs root; try `sudo syscallmon load`');
  }
  const params: string[] = [];
  if (ringSize !== undefined) params.push(`ring_size=${ringSize}`);
  if (returnSlots !== undefined) params.push(`return_slots=${returnSlots}`);
  if (req.clearOnRead) params.push('clear_on_read=1');
  try {
    await kmod.insmod(file, params);
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    if (errnoFromToolOutput(e.stderr) === 'EEXIST') {
      // Someone else loaded it between our check and insmod: the state asked for may not hold.
      throw new KernelError(`${MODULE_NAME} was loaded concurrently; run \`syscallmon status\` to see its state`, { code: 'EEXIST' });
    }
    throw insmodError(e, file);
  }
  return {
    module: file,
    loaded: true,
    ring_size: ringSize ?? limits.ringSize.default,
    return_slots: returnSlots ?? limits.returnSlots.default,
    clear_on_read: req.clearOnRead,
  };
}

/**
 * Loads the module unless it is loaded, as a service does: the one installed
 * for the running kernel (DKMS) through modprobe, else the build, as `load`
 * does. A module already loaded is used as it is, provided its ring has the
 * size asked for (none asked: any).
 */
export async function ensureModule(kmod: Kmod, ringSize: string | number | undefined, limits: ModuleLimits): Promise<LoadResult> {
  const size = ringSize === undefined ? undefined : parseRingSize(ringSize, limits);
  if (kmod.isLoaded()) {
    const loaded = kmod.loadedParams().ring_size;
    if (size !== undefined && loaded !== undefined && Number(loaded) !== size) {
      throw new KernelError(
        `${MODULE_NAME} is loaded with a ring of ${bytesText(Number(loaded))}, not ${bytesText(size)}; ` +
          'run `syscallmon unload` first to change it',
        { code: 'EEXIST' },
      );
    }
    return loadModule(kmod, { clearOnRead: false }, limits);
  }
  const installed = await kmod.installedModule();
  if (installed === null) return loadModule(kmod, { ringSize: size, clearOnRead: false }, limits);
  const can = kmod.canLoadModules();
  if (!can.ok) throw cannotLoadHere(can.why);
  if (!kmod.isRoot()) throw new PermissionError('loading a kernel module needs root; run the daemon as root');
  try {
    await kmod.modprobe(MODULE_NAME, size === undefined ? [] : [`ring_size=${size}`]);
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    throw insmodError(e, installed);
  }
  return {
    module: installed,
    loaded: true,
    ring_size: size ?? limits.ringSize.default,
    return_slots: limits.returnSlots.default,
    clear_on_read: false,
  };
}

export interface UnloadResult {
  /** false when it was not loaded: unloading twice is harmless */
  unloaded: boolean;
}

function inUse(count: number | null): KernelError {
  const holders = count === null ? '' : ` (${count} reference${count === 1 ? '' : 's'})`;
  return new KernelError(
    `${MODULE_NAME} is in use${holders}: /dev/syscallmon is open, e.g. by a running \`syscallmon tail\`; stop it and retry`,
    { code: 'EBUSY' },
  );
}

export async function unloadModule(kmod: Kmod): Promise<UnloadResult> {
  if (!kmod.isLoaded()) return { unloaded: false };
  if (!kmod.isRoot()) throw new PermissionError('unloading a kernel module needs root; try `sudo syscallmon unload`');
  const refs = kmod.refcount();
  if (refs !== null && refs > 0) throw inUse(refs);
  try {
    await kmod.rmmod(MODULE_NAME);
  } catch (e) {
    if (!(e instanceof ToolFailure)) throw e;
    const code = errnoFromToolOutput(e.stderr);
    if (code === 'EBUSY') throw inUse(kmod.refcount());
    if (code === 'EPERM' || code === 'EACCES') {
      throw new PermissionError(`the kernel refused to unload ${MODULE_NAME} (${code})`);
    }
    // Unloaded by someone else between the check and rmmod: the state asked for holds.
    if (!kmod.isLoaded()) return { unloaded: false };
    throw new KernelError(`rmmod ${MODULE_NAME} failed: ${toolReason(e)}${code ? ` (${code})` : ''}`, { code });
  }
  return { unloaded: true };
}
