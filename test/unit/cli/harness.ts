// Runs the CLI in-process with fakes for everything outside: the addon (the
// lib's FakeBinding), insmod/rmmod, the VM runner and the stop signal.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Interrupt } from '../../../src/cli/context.js';
import { main, type MainOptions } from '../../../src/cli/main.js';
import type { Kmod } from '../../../src/lib/kmod.js';
import { ToolFailure, ToolMissing } from '../../../src/lib/kmod.js';
import type { VmRunner } from '../../../src/cli/vm.js';
import { createFakeBinding, type FakeBinding } from '../fake-binding.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A sink that keeps what is written to it. Like stdout it has a file
 * descriptor (a temporary file) for what the addon writes itself (tail
 * --json); text is what came either way.
 */
export class Collector {
  written = '';
  writes = 0;
  #dir: string | undefined;
  #fd: number | undefined;

  write(chunk: string): void {
    this.written += chunk;
    this.writes++;
  }

  async fd(): Promise<number> {
    if (this.#fd === undefined) {
      this.#dir = mkdtempSync(join(tmpdir(), 'smon-out-'));
      this.#fd = openSync(join(this.#dir, 'fd'), 'w+');
    }
    return this.#fd;
  }

  get text(): string {
    return this.written + (this.#dir === undefined ? '' : readFileSync(join(this.#dir, 'fd'), 'utf8'));
  }

  /** Removes the temporary file (its text is kept). */
  dispose(): void {
    if (this.#dir === undefined) return;
    this.written = this.text;
    if (this.#fd !== undefined) closeSync(this.#fd);
    rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = this.#fd = undefined;
  }
}

export interface RunOptions extends Partial<Omit<MainOptions, 'argv' | 'stdout' | 'stderr'>> {
  fake?: FakeBinding;
  stdout?: Collector;
  stderr?: Collector;
}

export async function runCli(argv: string[], opts: RunOptions = {}): Promise<CliRun & { out: Collector; err: Collector }> {
  const { fake, stdout, stderr, ...rest } = opts;
  const out = stdout ?? new Collector();
  const err = stderr ?? new Collector();
  const code = await main({
    argv,
    stdout: out,
    stderr: err,
    env: {},
    binding: fake ?? createFakeBinding(),
    kmod: new FakeKmod(),
    vm: noVm,
    ...rest,
  });
  out.dispose();
  err.dispose();
  return { code, stdout: out.text, stderr: err.text, out, err };
}

/** The line tail prints on stderr once it follows the device. */
export const TAIL_READY = /^syscallmon: following \/dev\/syscallmon.*; Ctrl-C to stop$/m;

/**
 * Starts `syscallmon tail ARGS` in-process; `whenReady` runs once the ready
 * line is out (the events it makes must show), and `stop()` is the Ctrl-C.
 */
export function startTail(fake: FakeBinding, argv: string[], whenReady: () => void) {
  const controller = new AbortController();
  const interrupt = (): Interrupt => ({ signal: controller.signal, dispose: () => {} });
  const out = new Collector();
  const err = new (class extends Collector {
    override write(chunk: string): void {
      super.write(chunk);
      if (TAIL_READY.test(chunk)) whenReady();
    }
  })();
  const done = runCli(['tail', ...argv], { fake, interrupt, stdout: out, stderr: err });
  return { out, err, done, stop: (reason = 'SIGINT') => controller.abort(reason) };
}

/** Resolves once `pred` holds, checking after each turn of the event loop. */
export async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (pred()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A fake whose openat and read are logged for every process (set through the CLI). */
export async function armedFake(): Promise<FakeBinding> {
  const fake = createFakeBinding();
  expect((await runCli(['--log', '--syscall', 'openat,read'], { fake })).code).toBe(0);
  return fake;
}

export const noVm: VmRunner = {
  run: () => Promise.reject(new Error('test: no VM here')),
};

/** insmod/rmmod and the /proc, /sys facts they depend on, as plain state. */
export class FakeKmod implements Kmod {
  built = true;
  loaded = false;
  root = true;
  modulesSupported = true;
  refs = 0;
  params: Record<string, string> = {};
  /** stderr insmod/rmmod print when they fail */
  insmodFails: string | null = null;
  rmmodFails: string | null = null;
  /** insmod and rmmod are not installed */
  toolsMissing = false;
  /** the module modinfo finds for the running kernel (a DKMS install); null: none */
  installed: string | null = null;
  calls: string[] = [];

  moduleFile(): string {
    return '/repo/kernel/syscallmon.ko';
  }
  isBuilt(): boolean {
    return this.built;
  }
  isLoaded(): boolean {
    return this.loaded;
  }
  canLoadModules(): { ok: true } | { ok: false; why: string } {
    return this.modulesSupported ? { ok: true } : { ok: false, why: 'this kernel was built without module support (no /proc/modules)' };
  }
  isRoot(): boolean {
    return this.root;
  }
  loadedParams(): Record<string, string> {
    return this.params;
  }
  refcount(): number | null {
    return this.loaded ? this.refs : null;
  }
  async insmod(file: string, params: readonly string[]): Promise<void> {
    this.calls.push(['insmod', file, ...params].join(' '));
    if (this.toolsMissing) throw new ToolMissing('insmod');
    if (this.insmodFails !== null) throw new ToolFailure('insmod', 1, this.insmodFails);
    this.loaded = true;
    for (const p of params) {
      const [k, v] = p.split('=');
      this.params[k ?? ''] = v === '1' ? 'Y' : (v ?? '');
    }
  }
  async rmmod(name: string): Promise<void> {
    this.calls.push(`rmmod ${name}`);
    if (this.toolsMissing) throw new ToolMissing('rmmod');
    if (this.rmmodFails !== null) throw new ToolFailure('rmmod', 1, this.rmmodFails);
    this.loaded = false;
  }
  async installedModule(): Promise<string | null> {
    return this.installed;
  }
  async modprobe(name: string, params: readonly string[]): Promise<void> {
    this.calls.push(['modprobe', name, ...params].join(' '));
    if (this.installed === null) throw new ToolFailure('modprobe', 1, `modprobe: FATAL: Module ${name} not found`);
    this.loaded = true;
    for (const p of params) {
      const [k, v] = p.split('=');
      this.params[k ?? ''] = v ?? '';
    }
  }
}
