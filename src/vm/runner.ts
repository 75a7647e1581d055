/**
 * Runs a command as root inside a throw-away QEMU VM that boots one of this
 * host's installed Debian kernels, with the host's root file system mounted
 * read-only over 9p.
 * Used by `syscallmon sandbox`, the test harness (test/harness), the
 * stress and DKMS tests and the benchmarks.
 *
 * Inside the guest: the command runs in a chroot of the host root, with
 * proc, sys, devtmpfs, devpts, debugfs and tracefs mounted, tmpfs on /tmp,
 * /run and /dev/shm, and the writable share mounted at the same absolute
 * path as on the host.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { VmError } from './errors.js';
import { CONTROL_DIR, wrapperScript, type WrapperSpec } from './guest-init.js';
import { ensureInitramfs } from './initramfs.js';
import { qemuArgs, runQemu } from './qemu.js';
import { PACKAGE_ROOT } from '../lib/package.js';

export { VmError, type VmErrorCode } from './errors.js';

export interface VmRunOptions {
  /** Shell script text run by /bin/sh, or an argv to exec. */
  command: string | readonly string[];
  /** Extra environment; merged over the defaults (PATH, HOME=/tmp, LANG, SYSCALLMON_IN_VM, SYSCALLMON_VM_SHARE). */
  env?: Readonly<Record<string, string>>;
  /** Working directory in the guest; default process.cwd(). */
  cwd?: string;
  /**
   * Host directories (read-only) to keep visible where the guest mounts
   * tmpfs (/tmp, /run, /dev/shm); cwd is always included. Others are visible anyway.
   */
  hostPaths?: readonly string[];
  /** Writable host directory mounted at the same path in the guest. Default: a new temp dir. */
  shareDir?: string;
  /** vCPUs; default 2. */
  smp?: number;
  /** Guest RAM in MiB; default 2048. */
  memoryMb?: number;
  /** Count instructions for stable timing (benchmarks); forces one vCPU and TCG. */
  icount?: boolean;
  /** QEMU accelerator; default $SYSCALLMON_VM_ACCEL or DEFAULT_ACCEL. */
  accel?: string;
  /**
   * QEMU CPU model (`-cpu`); default `max` under TCG, `host` under KVM.  The
   * benchmarks also measure on QEMU's own default model (`qemu64`), whose
   * missing features change which kernel routines run (no ERMS: no `rep stosb`).
   */
  cpu?: string;
  /** Kernel release to boot; default scripts/kver.sh (the default kernel). */
  kver?: string;
  /** Wall-clock limit for the whole VM run, at most MAX_TIMEOUT_MS; Infinity: none; default 10 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives the serial console as it is written: the command's stdout/stderr, kernel errors and worse. */
  onConsole?: (text: string) => void;
  /** Appended to the kernel command line. */
  kernelArgs?: readonly string[];
  /** Where initramfs images are cached; default <package>/build/vm. */
  cacheDir?: string;
}

export interface VmRunResult {
  /** The command's exit status (125: the guest could not cd to cwd). */
  exitCode: number;
  /** Host path of the serial console log. */
  consoleLog: string;
  /** Full guest dmesg, taken after the command ended. */
  dmesg: string;
  /** Host path of the writable share (the caller removes it when it created none). */
  shareDir: string;
  kver: string;
  /** Guest uptime when the command started: boot time. */
  bootSeconds: number;
  /** Guest time the command took. */
  commandSeconds: number;
  /** Host wall-clock time of the whole run, including initramfs and QEMU start. */
  wallMs: number;
}

export { PACKAGE_ROOT };

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function resolveKver(): string {
  const script = join(PACKAGE_ROOT, 'scripts', 'kver.sh');
  try {
    return execFileSync('sh', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new VmError('ENOKERNEL', stderr !== undefined && stderr !== '' ? stderr : `${script} failed`);
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) throw new VmError('EBADOPT', `${name} must be a positive integer, got ${v}`);
  return v;
}

/** The longest a timer can wait: setTimeout fires at once for anything longer. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function timeoutOf(value: number | undefined): number {
  const v = value ?? 10 * 60_000;
  if (v === Infinity) return v;
  if (!Number.isInteger(v) || v <= 0 || v > MAX_TIMEOUT_MS) {
    throw new VmError('EBADOPT', `timeoutMs must be a positive integer up to ${MAX_TIMEOUT_MS} (24.8 days), or Infinity for no limit, got ${v}`);
  }
  return v;
}

function checkEnv(env: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(env)) {
    if (!ENV_NAME.test(key)) throw new VmError('EBADOPT', `invalid environment variable name: ${JSON.stringify(key)}`);
  }
}

function prepareShare(shareDir: string | undefined): string {
  if (shareDir === undefined) return mkdtempSync(join(tmpdir(), 'syscallmon-vm-'));
  const dir = resolve(shareDir);
  // The guest reads the path from a one-line file.
  if (/[\n\0]/.test(dir)) throw new VmError('EBADOPT', `share dir path must be one line: ${JSON.stringify(dir)}`);
  if (dir === '/') throw new VmError('EBADOPT', 'share dir cannot be /');
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new VmError('EBADOPT', `share dir ${dir} is not a writable directory (${(err as Error).message})`);
  }
  return dir;
}

/** The guest mounts fresh tmpfs here, hiding the host's contents. */
const GUEST_TMPFS = ['/tmp', '/run', '/dev/shm'];

function hiddenInGuest(path: string): boolean {
  return GUEST_TMPFS.some((mount) => path === mount || path.startsWith(`${mount}/`));
}

/** The host paths the guest must bind back over its tmpfs, one per line for the init. */
function pathsToExpose(paths: readonly string[]): string[] {
  const exposed = new Set<string>();
  for (const path of paths) {
    const abs = resolve(path);
    if (/[\n\0]/.test(abs)) throw new VmError('EBADOPT', `host path must be one line: ${JSON.stringify(abs)}`);
    if (!hiddenInGuest(abs)) continue;
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new VmError('EBADOPT', `host path ${abs} is not a directory`);
    exposed.add(abs);
  }
  // Parents first, so a child's bind is not hidden by its parent's.
  return [...exposed].sort((a, b) => a.length - b.length);
}

/** Writes the control files the guest init reads; clears what an earlier run left. */
function prepareControl(shareDir: string, wrapper: WrapperSpec, expose: readonly string[]): string {
  const controlDir = join(shareDir, CONTROL_DIR);
  // Stale results from an earlier run in the same share would read as this run's.
  rmSync(controlDir, { recursive: true, force: true });
  mkdirSync(controlDir);
  writeFileSync(join(controlDir, 'path'), shareDir);
  writeFileSync(join(controlDir, 'run.sh'), wrapperScript(wrapper));
  writeFileSync(join(controlDir, 'expose'), expose.map((path) => `${path}\n`).join(''));
  return controlDir;
}

interface Settings {
  accel: string;
  cpu: string | undefined;
  icount: boolean;
  smp: number;
  memoryMb: number;
  timeoutMs: number;
  cwd: string;
  env: Readonly<Record<string, string>>;
}

/**
 * Single-threaded TCG.  With QEMU's multi-threaded TCG a vCPU can run a stale
 * translation of kernel text that another vCPU has just patched (text_poke_bp,
 * as kprobes are armed and disarmed): the guest Oopses at RIP 0 in the probed
 * syscall, bare kprobe modules included.  The guest keeps its vCPUs, interleaved.
 */
export const DEFAULT_ACCEL = 'tcg,thread=single';

/** Validates the caller's options and fills in defaults, before anything is started. */
function settingsFrom(opts: VmRunOptions): Settings {
  const accel = opts.accel ?? (process.env['SYSCALLMON_VM_ACCEL'] || DEFAULT_ACCEL);
  const icount = opts.icount ?? false;
  if (icount && accel.split(',')[0] !== 'tcg') throw new VmError('EBADOPT', `icount needs TCG, not accel ${accel}`);
  const cwd = opts.cwd ?? process.cwd();
  if (!isAbsolute(cwd)) throw new VmError('EBADOPT', `cwd must be absolute, got ${cwd}`);
  const env = opts.env ?? {};
  checkEnv(env);
  if (typeof opts.command !== 'string' && opts.command.length === 0) throw new VmError('EBADOPT', 'empty command');
  if (opts.kver !== undefined && !/^[\w.+~-]+$/.test(opts.kver)) throw new VmError('EBADOPT', `invalid kernel release ${JSON.stringify(opts.kver)}`);
  if (opts.cpu !== undefined && !/^[\w.+-]+(,[\w.+=-]+)*$/.test(opts.cpu)) throw new VmError('EBADOPT', `invalid CPU model ${JSON.stringify(opts.cpu)}`);
  return {
    accel,
    cpu: opts.cpu,
    icount,
    smp: positiveInt('smp', opts.smp, 2),
    memoryMb: positiveInt('memoryMb', opts.memoryMb, 2048),
    timeoutMs: timeoutOf(opts.timeoutMs),
    cwd,
    env,
  };
}

function readControl(controlDir: string, name: string): string | undefined {
  const path = join(controlDir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function lastLines(path: string, count: number): string {
  if (!existsSync(path)) return '(no console output)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
}

/** Reads what the guest reported; a missing status means the guest died before the end. */
function collectResult(controlDir: string, consoleLog: string): { exitCode: number; dmesg: string; uptime: [number, number] } {
  const status = readControl(controlDir, 'status');
  if (status === undefined || !/^\d+\s*$/.test(status)) {
    const initError = readControl(controlDir, 'init-error')?.trim();
    const why = initError !== undefined ? `guest init failed: ${initError}` : 'guest powered off without reporting an exit status';
    throw new VmError('ENOSTATUS', `${why}; console log: ${consoleLog}\n${lastLines(consoleLog, 20)}`, consoleLog);
  }
  const [start = 0, end = 0] = (readControl(controlDir, 'uptime') ?? '').trim().split(/\s+/).map(Number);
  return { exitCode: Number(status), dmesg: readControl(controlDir, 'dmesg') ?? '', uptime: [start, end] };
}

export async function runInVm(opts: VmRunOptions): Promise<VmRunResult> {
  const started = Date.now();
  const settings = settingsFrom(opts);
  const kver = opts.kver ?? resolveKver();
  const kernel = `/boot/vmlinuz-${kver}`;
  if (!existsSync(kernel)) throw new VmError('ENOKERNEL', `no ${kernel}: install linux-image-${kver}`);
  const initramfs = ensureInitramfs(kver, opts.cacheDir ?? join(PACKAGE_ROOT, 'build', 'vm'));

  const shareDir = prepareShare(opts.shareDir);
  const env = {
    PATH: DEFAULT_PATH,
    HOME: '/tmp',
    LANG: 'C.UTF-8',
    SYSCALLMON_IN_VM: '1',
    SYSCALLMON_VM_SHARE: shareDir,
    ...settings.env,
  };
  const expose = pathsToExpose([settings.cwd, ...(opts.hostPaths ?? [])]);
  const controlDir = prepareControl(shareDir, { command: opts.command, env, cwd: settings.cwd }, expose);
  const consoleLog = join(controlDir, 'console.log');

  await runQemu({
    binary: process.env['SYSCALLMON_QEMU'] || 'qemu-system-x86_64',
    args: qemuArgs({ ...settings, kernel, initramfs, shareDir, consoleLog, kernelArgs: opts.kernelArgs ?? [] }),
    consoleLog,
    timeoutMs: settings.timeoutMs,
    signal: opts.signal,
    onConsole: opts.onConsole,
  });

  const { exitCode, dmesg, uptime } = collectResult(controlDir, consoleLog);
  return {
    exitCode,
    consoleLog,
    dmesg,
    shareDir,
    kver,
    bootSeconds: uptime[0],
    commandSeconds: uptime[1] - uptime[0],
    wallMs: Date.now() - started,
  };
}
