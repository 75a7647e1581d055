// `syscallmon daemon` as the command runs it: its refusals (each a one-line
// error, exit 2, before the module is loaded or anything in it changes), a
// start that fails, and the signals of a start-up.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Monitor } from '../../../src/lib/monitor.js';
import { createFakeBinding, createFakeWithStatusFile } from '../fake-binding.js';
import { Collector, FakeKmod, runCli } from '../cli/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-daemon-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'good.yaml');
writeFileSync(good, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: log\n  rules: []\n');
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: lgo\n  rules: []\n');

describe('syscallmon daemon: refusals', () => {
  it.each([
    [['--policy', bad], new RegExp(`^syscallmon: ${bad}:4: spec\\.mode: `)],
    [['--policy', join(dir, 'none.yaml')], /^syscallmon: .*none\.yaml.*(ENOENT|no such file)/i],
    [['--policy', good, '--metrics', '9737'], /^syscallmon: invalid metrics address "9737"/],
    [['--policy', good, '--on-stop', 'maybe'], /^syscallmon: option '--on-stop <what>' argument 'maybe' is invalid/],
    [['--policy', good, '--ring-size', '3M'], /^syscallmon: the ring size must be a power of two/],
    [['--policy', good, '--output', join(dir, 'no-dir', 'events.ndjson')], /^syscallmon: cannot open the output file .*no-dir\/events\.ndjson: ENOENT$/m],
    [[], /^syscallmon: required option '--policy <file>' not specified/],
  ])('daemon %j', async (args, message) => {
    const fake = createFakeBinding();
    const kmod = new FakeKmod();
    const r = await runCli(['daemon', ...args], { fake, kmod });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(kmod.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});

describe('syscallmon daemon: a start that fails leaves the output as it was', () => {
  const noModule = (): FakeKmod => Object.assign(new FakeKmod(), { built: false, loaded: false });

  it('a file it created is removed again', async () => {
    const output = join(dir, 'new.ndjson');
    const r = await runCli(['daemon', '--policy', good, '--output', output], { fake: createFakeBinding(), kmod: noModule() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^syscallmon: .*syscallmon\.ko is not built; build it with `npm run build:kmod`\n$/);
    expect(existsSync(output)).toBe(false);
  });

  it('a file that was there is kept, with what it held', async () => {
    const output = join(dir, 'old.ndjson');
    writeFileSync(output, '{"type":"exit"}\n');
    const r = await runCli(['daemon', '--policy', good, '--output', output], { fake: createFakeBinding(), kmod: noModule() });
    expect(r.code).toBe(1);
    expect(readFileSync(output, 'utf8')).toBe('{"type":"exit"}\n');
  });
});

describe('syscallmon daemon: a start that fails leaves the module as it was', () => {
  /** A port something else listens on, for as long as use runs. */
  async function withPortTaken<T>(use: (port: number) => Promise<T>): Promise<T> {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      return await use((taken.address() as { port: number }).port);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }
  const logsOpens = join(dir, 'logs-opens.yaml');
  writeFileSync(
    logsOpens,
    'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: block\n  rules:\n    - {name: log-opens, action: log, syscalls: [openat]}\n',
  );

  it('a metrics port in use: exit 1 before the policy is applied, and the module it loaded unloaded again', async () => {
    const fake = createFakeWithStatusFile();
    const kmod = new FakeKmod();
    const output = join(dir, 'busy.ndjson');
    const r = await withPortTaken((port) =>
      runCli(['daemon', '--policy', logsOpens, '--output', output, '--metrics', `127.0.0.1:${port}`], { fake, kmod }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\nsyscallmon: daemon: unloaded \/repo\/kernel\/syscallmon\.ko again\nsyscallmon: cannot serve metrics on 127\.0\.0\.1:\d+: EADDRINUSE\n$/);
    expect(kmod.calls).toEqual(['insmod /repo/kernel/syscallmon.ko', 'rmmod syscallmon']);
    expect(kmod.loaded).toBe(false);
    const after = Monitor.open({ binding: fake });
    expect(after.status().mode).toBe('off');
    expect(after.rules()).toEqual([]);
    after.close();
    expect(existsSync(output)).toBe(false);
  });

  it('a policy the module refuses: exit 5, and the module it loaded unloaded again', async () => {
    const fake = createFakeWithStatusFile();
    fake.existingPaths = new Set();
    const kmod = new FakeKmod();
    const noSuchExe = join(dir, 'no-such-exe.yaml');
    writeFileSync(
      noSuchExe,
      'apiVersion: syscallmon/v1\nkind: Policy\nspec:\n  mode: block\n  rules:\n    - {name: nc, action: log, syscalls: [openat], exe: /no/such/nc}\n',
    );
    const r = await runCli(['daemon', '--policy', noSuchExe, '--output', join(dir, 'refused.ndjson')], { fake, kmod });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/syscallmon: daemon: unloaded \/repo\/kernel\/syscallmon\.ko again\nsyscallmon: .*ENOENT/);
    expect(kmod.loaded).toBe(false);
  });

  it('a module loaded before stays loaded', async () => {
    const kmod = Object.assign(new FakeKmod(), { loaded: true });
    const r = await withPortTaken((port) =>
      runCli(['daemon', '--policy', logsOpens, '--output', join(dir, 'kept.ndjson'), '--metrics', `127.0.0.1:${port}`], {
        fake: createFakeWithStatusFile(), kmod,
      }),
    );
    expect(r.code).toBe(1);
    expect(kmod.calls).toEqual([]);
    expect(kmod.loaded).toBe(true);
  });

  it('a module that cannot be unloaded again is said; the error is the start\'s', async () => {
    const kmod = Object.assign(new FakeKmod(), { rmmodFails: 'rmmod: ERROR: Module syscallmon is in use' });
    const r = await withPortTaken((port) =>
      runCli(['daemon', '--policy', logsOpens, '--output', join(dir, 'stuck.ndjson'), '--metrics', `127.0.0.1:${port}`], {
        fake: createFakeWithStatusFile(), kmod,
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\nsyscallmon: daemon: cannot unload \/repo\/kernel\/syscallmon\.ko again: .*in use.*\nsyscallmon: cannot serve metrics on .*: EADDRINUSE\n$/,
    );
    expect(kmod.loaded).toBe(true);
  });
});

describe('syscallmon daemon: SIGHUP and SIGUSR1', () => {
  /** The daemon in-process on a fake, with `during` run while it loads the module; stopped by SIGTERM once it writes events. */
  async function runDaemon(during: (signals: EventEmitter) => void) {
    const signals = new EventEmitter();
    const kmod = new (class extends FakeKmod {
      override async insmod(file: string, params: readonly string[]): Promise<void> {
        during(signals);
        await new Promise((r) => setImmediate(r));
        return super.insmod(file, params);
      }
    })();
    const stderr = new (class extends Collector {
      override write(chunk: string): void {
        super.write(chunk);
        if (chunk.includes('syscallmon: daemon: writing events to')) setImmediate(() => signals.emit('SIGTERM'));
      }
    })();
    const output = join(dir, `signals-${Math.random()}.ndjson`);
    const r = await runCli(['daemon', '--policy', good, '--output', output], { fake: createFakeWithStatusFile(), kmod, signals, stderr });
    return { ...r, signals, output };
  }

  it('during start-up are neither the default action nor lost: acted on once the daemon has started', async () => {
    const delivered: boolean[] = [];
    const r = await runDaemon((signals) => {
      // emit() is false when no listener took it: a process would have met the default action.
      delivered.push(signals.emit('SIGHUP'), signals.emit('SIGUSR1'), signals.emit('SIGHUP'));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(delivered).toEqual([true, true, true]);
    const notes = r.stderr.split('\n');
    const started = notes.findIndex((l) => l.startsWith('syscallmon: daemon: writing events to'));
    expect(started).toBeGreaterThan(0);
    // Two SIGHUPs before it listened are one request, as the kernel merges a signal pending twice.
    expect(notes.slice(started).filter((l) => l.startsWith(`syscallmon: daemon: policy ${good} reloaded`))).toHaveLength(1);
    expect(notes.slice(started)).toContain(`syscallmon: daemon: reopened ${r.output}`);
    expect(r.stderr).toMatch(/daemon stopped \(SIGTERM\): .*1 policy reloads, 0 failed/);
  });

  it('after it stopped still have a listener, and change nothing', async () => {
    const r = await runDaemon(() => {});
    expect(r.code, r.stderr).toBe(0);
    const before = readFileSync(r.output, 'utf8');
    expect(r.signals.emit('SIGUSR1')).toBe(true);
    expect(r.signals.emit('SIGHUP')).toBe(true);
    expect(readFileSync(r.output, 'utf8')).toBe(before);
  });
});
