/*
 * `syscallmon load [--capacity N] [--clear-on-read]`: insmod the built
 * kernel/syscallmon.ko, then open it once to prove the tool and the module
 * speak the same API version.
 */
import { Command } from 'commander';
import type { Ctx } from '../context.js';
import { KernelError, PermissionError, UsageError, type SyscallmonError } from '../../lib/errors.js';
import { MODULE_NAME, ToolFailure, type Kmod } from '../kmod.js';
import { jsonLine } from '../../render/ndjson.js';

export interface LoadRequest {
  /** as typed: validated here against the header's limits */
  capacity?: string;
  clearOnRead: boolean;
}

export interface LoadLimits {
  min: number;
  max: number;
  default: number;
}

export interface LoadResult {
  module: string;
  /** false when it was already loaded and nothing was asked of it */
  loaded: boolean;
  capacity: number | null;
  clear_on_read: boolean | null;
}

export function parseCapacity(text: string, limits: LoadLimits): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  const powerOfTwo = Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n < limits.min || n > limits.max) {
    throw new UsageError(
      `--capacity must be a power of two from ${limits.min} to ${limits.max} records, got ${JSON.stringify(text)}`,
    );
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

export async function loadModule(kmod: Kmod, req: LoadRequest, limits: LoadLimits): Promise<LoadResult> {
  // Bad input first: it is wrong whatever the state of the machine.
  const capacity = req.capacity === undefined ? undefined : parseCapacity(req.capacity, limits);
  const file = kmod.moduleFile();
  const can = kmod.canLoadModules();
  if (!can.ok) {
    throw new KernelError(`${can.why}; run syscallmon in a VM instead: \`syscallmon sandbox -- CMD\``, { code: 'ENOSYS' });
  }
  const asked = capacity !== undefined || req.clearOnRead;
  if (kmod.isLoaded()) {
    const params = kmod.loadedParams();
    if (asked) {
      throw new KernelError(
        `${MODULE_NAME} is already loaded${params.capacity ? ` (capacity ${params.capacity})` : ''}; ` +
          'run `syscallmon unload` first to change its parameters',
        { code: 'EEXIST' },
      );
    }
    return {
      module: file,
      loaded: false,
      capacity: params.capacity === undefined ? null : Number(params.capacity),
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
  if (capacity !== undefined) params.push(`capacity=${capacity}`);
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
  return { module: file, loaded: true, capacity: capacity ?? limits.default, clear_on_read: req.clearOnRead };
}

export function renderLoad(r: LoadResult): string {
  const params =
    r.capacity === null
      ? ''
      : ` (capacity ${r.capacity} records, clear-on-read ${r.clear_on_read ? 'on' : 'off'})`;
  return r.loaded ? `loaded ${r.module}${params}\n` : `${MODULE_NAME} is already loaded${params}; nothing to do\n`;
}

export function loadCommand(ctx: Ctx): Command {
  return new Command('load')
    .description('load kernel/syscallmon.ko (needs root and a kernel that loads modules)')
    .option('--capacity <records>', 'ring size in records: a power of two (default 1024)')
    .option('--clear-on-read', 'drop records once any reader has read them (the first seed\'s behaviour)', false)
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { capacity?: string; clearOnRead: boolean; json?: boolean }) => {
      const limits = {
        min: ctx.constant('CAPACITY_MIN'),
        max: ctx.constant('CAPACITY_MAX'),
        default: ctx.constant('CAPACITY_DEFAULT'),
      };
      const result = await loadModule(ctx.io.kmod, { capacity: opts.capacity, clearOnRead: opts.clearOnRead }, limits);
      if (result.loaded) ctx.openMonitor().close(); // proves the API versions match; throws a version error if not
      await ctx.out(opts.json ? jsonLine(result) : renderLoad(result));
    });
}
