/**
 * Starts QEMU for one run and waits for it, enforcing the wall-clock limit
 * and the caller's abort signal. Knows nothing about what runs inside.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { VmError } from './errors.js';
import { HOST_ROOT_TAG, SHARE_TAG } from './guest-init.js';

export interface QemuSpec {
  kernel: string;
  initramfs: string;
  shareDir: string;
  consoleLog: string;
  accel: string;
  smp: number;
  memoryMb: number;
  icount: boolean;
  /** The CPU model; default: `max` under TCG, `host` under KVM. */
  cpu?: string;
  kernelArgs: readonly string[];
}

/**
 * rcu_cpu_stall_timeout: TCG can stall a vCPU for many seconds, which is not
 * a kernel bug. panic=-1 with -no-reboot turns a panic into a QEMU exit
 * instead of a hang. loglevel=4 keeps boot chatter off the console (a
 * sandboxed command's output stays readable) while errors, oopses, lockups
 * and panics still show; callers may append a higher loglevel, the last one
 * wins. The full log is always saved via dmesg.
 */
const BASE_KERNEL_ARGS = ['console=ttyS0', 'rcupdate.rcu_cpu_stall_timeout=60', 'panic=-1', 'loglevel=4'];

/** QEMU's option parser treats ',' as a separator; ',,' is a literal comma. */
function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

export function qemuArgs(spec: QemuSpec): string[] {
  const args = [
    '-accel', spec.accel,
    // TCG: emulate every feature it can (node wants modern SSE); KVM: pass the host CPU.
    '-cpu', spec.cpu ?? (spec.accel.split(',')[0] === 'kvm' ? 'host' : 'max'),
    '-m', String(spec.memoryMb),
    '-smp', String(spec.icount ? 1 : spec.smp),
    '-nodefaults',
    '-nographic',
    '-no-reboot',
    '-monitor', 'none',
    '-chardev', `file,id=console,path=${qemuEscape(spec.consoleLog)}`,
    '-serial', 'chardev:console',
    '-kernel', spec.kernel,
    '-initrd', spec.initramfs,
    '-append', [...BASE_KERNEL_ARGS, ...spec.kernelArgs].join(' '),
    '-virtfs', `local,path=/,mount_tag=${HOST_ROOT_TAG},security_model=none,readonly=on,multidevs=remap`,
    '-virtfs', `local,path=${qemuEscape(spec.shareDir)},mount_tag=${SHARE_TAG},security_model=none,multidevs=remap`,
  ];
  if (spec.icount) {
    // Instruction counting makes guest time a function of instructions run,
    // so benchmark numbers don't depend on host load; needs a single vCPU.
    args.push('-icount', 'shift=0,sleep=off');
  }
  return args;
}

export interface QemuRunOptions {
  binary: string;
  args: readonly string[];
  consoleLog: string;
  /** Infinity: no limit */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onConsole: ((text: string) => void) | undefined;
}

/** Follows the console file so callers can stream guest output live. */
function followFile(path: string, onText: (text: string) => void): () => void {
  let offset = 0;
  // Reads can split a multi-byte character; the decoder carries it over.
  const decoder = new StringDecoder('utf8');
  const pump = (): void => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return; // QEMU has not created it yet
    }
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const fd = openSync(path, 'r');
    try {
      offset += readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    onText(decoder.write(buf));
  };
  const timer = setInterval(pump, 200);
  return () => {
    clearInterval(timer);
    pump();
  };
}

const STDERR_KEEP = 8192;

/** Runs QEMU to completion; rejects on spawn failure, timeout, abort or a QEMU error exit. */
export function runQemu(opts: QemuRunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new VmError('EABORTED', 'VM run aborted before start'));
      return;
    }
    const child = spawn(opts.binary, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-STDERR_KEEP);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);

    let failure: VmError | undefined;
    const kill = (error: VmError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    // A QEMU left behind would keep burning both cores after we are gone.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    // setTimeout takes Infinity (and anything past 2^31-1 ms) as 1 ms: no limit is no timer.
    const timer = Number.isFinite(opts.timeoutMs)
      ? setTimeout(
          () => kill(new VmError('ETIMEOUT', `VM timed out after ${Math.round(opts.timeoutMs / 1000)} s; QEMU killed; console log: ${opts.consoleLog}`, opts.consoleLog)),
          opts.timeoutMs,
        )
      : undefined;
    const onAbort = (): void => kill(new VmError('EABORTED', `VM run aborted; QEMU killed; console log: ${opts.consoleLog}`, opts.consoleLog));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const stopFollowing = opts.onConsole === undefined ? undefined : followFile(opts.consoleLog, opts.onConsole);

    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', killOnExit);
      stopFollowing?.();
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      const hint = err.code === 'ENOENT' ? ': not found, install qemu-system-x86' : `: ${err.message}`;
      reject(new VmError('EQEMU', `cannot start ${opts.binary}${hint}`));
    });
    child.once('close', (code, signal) => {
      cleanup();
      if (failure !== undefined) reject(failure);
      else if (code === 0) resolve();
      else {
        const how = signal !== null ? `signal ${signal}` : `status ${code}`;
        const detail = output.trim().split('\n').slice(-5).join(' | ');
        reject(new VmError('EQEMU', `QEMU exited with ${how}${detail ? `: ${detail}` : ''}`, opts.consoleLog));
      }
    });
  });
}
