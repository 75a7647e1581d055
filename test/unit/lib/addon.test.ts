// The real addon on the host (it builds here; the module never loads here).
// Its ABI exports are checked against independent sources: a C program
// compiled now against the uapi header, the header text itself, and the
// kernel's unistd_64.h. Streaming is exercised on FIFOs, which have the
// device's poll/read contract.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { addonCandidates, loadBinding, loadBindingFrom, type BatchCallback, type Binding, type StreamHandle } from '../../../src/lib/binding.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { RECORD_FIELDS } from '../../../src/lib/records.js';
import { SyscallTable } from '../../../src/lib/syscalls.js';

const root = resolve(import.meta.dirname, '../../..');
const header = join(root, 'kernel/include/uapi/syscallmon.h');
const binding = loadBinding();
const tmp = mkdtempSync(join(tmpdir(), 'smon-addon-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const start = (fd: number, max: number, cb: BatchCallback): StreamHandle => binding.startStream(fd, max, cb);

/** Integer SYSCALLMON_* names in the header, found by a different parser than native/gen-abi.sh. */
function headerConstantNames(): string[] {
  const text = readFileSync(header, 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/^#define\s+SYSCALLMON_(\w+)\s+(.+)$/gm)) {
    if (!m[2]?.trim().startsWith('"')) names.add(m[1] as string);
  }
  for (const m of text.matchAll(/^\s*SYSCALLMON_(\w+)\s*=/gm)) names.add(m[1] as string);
  return [...names].sort();
}

describe('addon exports match the header (checked by cc)', () => {
  const names = headerConstantNames();
  const fields = Object.keys(RECORD_FIELDS);
  const src = join(tmp, 'abi.c');
  writeFileSync(
    src,
    [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "uapi/syscallmon.h"',
      'int main(void) {',
      '  printf("RECORD_SIZE %zu\\n", sizeof(struct syscallmon_event));',
      ...names.map((n) => `  printf("${n} %lld\\n", (long long)(SYSCALLMON_${n}));`),
      ...fields.map((f) => `  printf("offset.${f} %zu\\n", offsetof(struct syscallmon_event, ${f}));`),
      ...fields.map((f) => `  printf("size.${f} %zu\\n", sizeof(((struct syscallmon_event *)0)->${f}));`),
      '  return 0;',
      '}',
    ].join('\n'),
  );
  execFileSync('cc', ['-I', join(root, 'kernel/include'), '-o', join(tmp, 'abi'), src]);
  const facts = new Map(
    execFileSync(join(tmp, 'abi'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  const fact = (k: string): number => Number(facts.get(k));

  it('has the documented record size and path offset', () => {
    expect(fact('RECORD_SIZE')).toBe(416);
    expect(binding.constants.RECORD_SIZE).toBe(416);
    expect(binding.offsets.path).toBe(160);
  });

  it('exports every integer constant of the header, and nothing else', () => {
    expect(names.length).toBeGreaterThan(50);
    expect(Object.keys(binding.constants).sort()).toEqual([...names, 'RECORD_SIZE'].sort());
    for (const n of [...names, 'RECORD_SIZE']) expect([n, binding.constants[n]]).toEqual([n, fact(n)]);
  });

  it('exports offsetof and sizeof of every event field', () => {
    expect(Object.keys(binding.offsets).sort()).toEqual([...fields].sort());
    for (const f of fields) {
      expect([f, binding.offsets[f], binding.sizes[f]]).toEqual([f, fact(`offset.${f}`), fact(`size.${f}`)]);
    }
  });

  it('exports the two string constants', () => {
    const text = readFileSync(header, 'utf8');
    expect(text).toContain(`#define SYSCALLMON_DEVICE_PATH\t\t"${binding.devicePath}"`);
    expect(text).toContain(`#define SYSCALLMON_PROC_DIR\t\t"${binding.procDir}"`);
  });
});

describe('addon syscall table', () => {
  it('holds every __NR_ of the unistd_64.h of the kernel it was generated from', () => {
    const kdir = execFileSync('sh', [join(root, 'scripts/kdir.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const unistd = join(kdir, 'arch/x86/include/generated/uapi/asm/unistd_64.h');
    const want = [...readFileSync(unistd, 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)$/gm)]
      .filter((m) => m[1] !== 'syscalls') // __NR_syscalls is the table size
      .map((m) => [m[1], Number(m[2])]);
    expect(want.length).toBeGreaterThan(300);
    expect(binding.syscalls.map((s) => [s.name, s.nr])).toEqual(want);
    expect(binding.syscalls.find((s) => s.name === 'openat')).toEqual({ nr: 257, name: 'openat', symbol: '__x64_sys_openat', pathArg: 1 });
    // The entry symbol comes from the kernel's own table, not from the name.
    expect(binding.syscalls.find((s) => s.name === 'uname')?.symbol).toBe('__x64_sys_newuname');
    expect(binding.syscalls.find((s) => s.name === 'umount2')?.symbol).toBe('__x64_sys_umount');
  });
});

describe('addon errors', () => {
  it('loads from build/Release or build/Debug', () => {
    expect(addonCandidates().map((p) => p.slice(root.length))).toEqual(['/build/Release/syscallmon.node', '/build/Debug/syscallmon.node']);
    expect(addonCandidates().some((p) => existsSync(p))).toBe(true);
  });

  it('fails to load with one error naming every path and the build command', () => {
    const broken = join(tmp, 'broken.node');
    writeFileSync(broken, 'not an ELF file');
    const missing = join(tmp, 'missing.node');
    expect(() => loadBindingFrom([missing, broken])).toThrow(
      new RegExp(`^syscallmon native addon not loadable \\(.*\\); tried ${missing}, ${broken}; build it with \`npm run build:addon\`$`),
    );
    expect(() => loadBindingFrom([missing])).toThrow(`syscallmon native addon not loadable; tried ${missing}; build it with \`npm run build:addon\``);
  });

  it.skipIf(existsSync('/dev/syscallmon'))('without the module, Monitor.open is not_loaded (ENOENT)', () => {
    expect(() => binding.open(binding.devicePath, true)).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: 2, syscall: 'open' }),
    );
    expect(() => Monitor.open()).toThrow(expect.objectContaining({ kind: 'not_loaded', code: 'ENOENT' }));
  });

  it('throws errno errors from ioctls and close', () => {
    const fd = binding.open('/dev/null', true);
    try {
      expect(() => binding.getVersion(fd)).toThrow(expect.objectContaining({ code: 'ENOTTY', errno: 25, syscall: 'ioctl:GET_VERSION' }));
      expect(() => binding.addTarget(fd, { nr: 257, action: 0, err: 0, flags: 0, pids: [1, 2] })).toThrow(
        expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:ADD_TARGET' }),
      );
      expect(() => binding.getStatus(fd)).toThrow(expect.objectContaining({ message: 'ENOTTY: Inappropriate ioctl for device, ioctl:GET_STATUS' }));
      expect(binding.read(fd, 4).length).toBe(0); // /dev/null: EOF reads as nothing
    } finally {
      binding.close(fd);
    }
    expect(() => binding.close(fd)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
  });

  it('rejects wrong argument types instead of guessing', () => {
    const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => b.open?.(42, true)).toThrow(TypeError);
    expect(() => b.setMode?.('3', 1)).toThrow(/fd must be a number/);
    expect(() => b.addTarget?.(0, { nr: 1, action: 0, err: 0, flags: 0, pids: ['x'] })).toThrow(/pids must hold numbers/);
    expect(() => b.read?.(0, 0)).toThrow(RangeError);
  });
});

function fifo(name: string): { path: string; fd: number } {
  const path = join(tmp, name);
  execFileSync('mkfifo', [path]);
  // O_RDWR: a FIFO opened so never blocks and never reads EOF.
  return { path, fd: openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK) };
}

const R = 416;
function records(n: number, first = 0): Buffer {
  const b = Buffer.alloc(n * R);
  for (let i = 0; i < n; i++) b.writeUInt32LE(first + i, i * R);
  return b;
}
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await tick(5);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('addon read', () => {
  it('returns whole records, and an empty buffer when none are ready', () => {
    const { fd } = fifo('read');
    try {
      expect(binding.read(fd, 8).length).toBe(0);
      writeSync(fd, records(3));
      const got = binding.read(fd, 2);
      expect(got.length).toBe(2 * R);
      expect(got.readUInt32LE(R)).toBe(1);
      expect(binding.read(fd, 8).length).toBe(R);
    } finally {
      closeSync(fd);
    }
  });
});

describe('addon streaming', () => {
  it('delivers batches on the JS thread, and none after stop()', async () => {
    const { fd } = fifo('s-a');
    const seen: number[] = [];
    const h = start(fd, 4, (err, buf) => {
      expect(err).toBeNull();
      for (let at = 0; at < (buf?.length ?? 0); at += R) seen.push(buf?.readUInt32LE(at) ?? -1);
    });
    writeSync(fd, records(10));
    await until(() => seen.length === 10, 'ten records');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    h.stop();
    h.stop(); // idempotent
    writeSync(fd, records(2, 10));
    await tick(30);
    expect(seen).toHaveLength(10);
    expect(binding.read(fd, 8).length).toBe(2 * R); // nothing read them after stop
    closeSync(fd);
  });

  it('closing the fd through the addon stops its streams first', async () => {
    const { fd } = fifo('s-b');
    let batches = 0;
    const h = start(fd, 4, () => batches++);
    writeSync(fd, records(1));
    await until(() => batches === 1, 'a batch');
    binding.close(fd);
    h.stop(); // after close: still harmless
    await tick(20);
    expect(batches).toBe(1);
  });

  it('stop() from inside the callback is safe', async () => {
    const { fd } = fifo('s-c');
    let batches = 0;
    const h: StreamHandle = start(fd, 1, () => {
      batches++;
      h.stop();
    });
    writeSync(fd, records(5));
    await tick(50);
    expect(batches).toBe(1);
    binding.close(fd);
  });

  it('needs a non-blocking fd', () => {
    const { path, fd } = fifo('s-d');
    const blocking = openSync(path, fsc.O_RDWR);
    try {
      expect(() => start(blocking, 4, () => {})).toThrow(/needs an fd opened with nonblock/);
    } finally {
      closeSync(blocking);
      closeSync(fd);
    }
  });
});

describe('addon stream errors', () => {
  it('a read error arrives once as an errno Error, then the stream is over', async () => {
    // A FIFO whose writer came and went: poll says readable, read() says
    // end of file, which the device never does (ENODATA).
    const path = join(tmp, 'eof');
    execFileSync('mkfifo', [path]);
    const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    closeSync(openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK));
    const got: (Error | null)[] = [];
    const h = binding.startStream(fd, 4, (err) => got.push(err));
    await until(() => got.length > 0, 'the error');
    await tick(20);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ code: 'ENODATA', syscall: 'read' });
    h.stop();
    binding.close(fd);
  });

  it('an fd epoll cannot watch is refused up front', () => {
    const fd = openSync(tmp, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NONBLOCK);
    try {
      expect(() => binding.startStream(fd, 4, () => {})).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'uv_poll_init' }));
    } finally {
      binding.close(fd);
    }
  });
});

describe('addon shutdown', () => {
  const addonPath = addonCandidates().find((p) => existsSync(p)) as string;
  const script = (impl: string): string => `
    const b = require(${JSON.stringify(addonPath)});
    const { execFileSync } = require('child_process');
    const fs = require('fs');
    const p = ${JSON.stringify(tmp)} + '/exit-' + process.pid + '-${impl}';
    execFileSync('mkfifo', [p]);
    const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    b.${impl}(fd, 4, () => {});
    setTimeout(() => process.exit(7), 20);`;

  it.each(['startStream'])('process.exit with an active %s exits cleanly', (impl) => {
    const r = spawnSync(process.execPath, ['-e', script(impl)], { encoding: 'utf8', timeout: 20000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
  });

  it.each(['startStream'])('terminating a worker with an active %s', async (impl) => {
    const w = new Worker(script(impl).replace('process.exit(7)', "require('worker_threads').parentPort.postMessage('up')"), { eval: true });
    await new Promise((r) => w.once('message', r));
    expect(await w.terminate()).toBe(1);
  });
});

describe('Monitor over the real addon', () => {
  it('reports the device as not a syscallmon device when it is something else', () => {
    expect(() => Monitor.open({ binding: loadBinding() as Binding, devicePath: '/dev/null' })).toThrow(
      expect.objectContaining({ kind: 'kernel', code: 'ENOTTY' }),
    );
  });
});

describe('addon streaming: coalescing and transient batches', () => {
  it('waits coalesceMs after a short batch, so what arrives meanwhile comes as one batch', async () => {
    const { fd } = fifo('co-a');
    const batches: number[] = [];
    const h = binding.startStream(fd, 64, (err, buf) => {
      expect(err).toBeNull();
      batches.push((buf?.length ?? 0) / R);
    }, 200);
    try {
      writeSync(fd, records(1));
      await until(() => batches.length === 1, 'the first batch'); // an idle stream wakes at once
      for (let i = 0; i < 5; i++) writeSync(fd, records(1, i + 1)); // within the window
      await tick(50);
      expect(batches).toEqual([1]);
      await until(() => batches.length === 2, 'the coalesced batch');
      expect(batches).toEqual([1, 5]);
    } finally {
      h.stop();
      closeSync(fd);
    }
  });

  it('reads again at once after a full batch', async () => {
    const { fd } = fifo('co-b');
    const batches: number[] = [];
    const h = binding.startStream(fd, 4, (_err, buf) => batches.push((buf?.length ?? 0) / R), 1000);
    try {
      writeSync(fd, records(10));
      await until(() => batches.reduce((a, b) => a + b, 0) >= 8, 'two full batches');
      expect(batches.slice(0, 2)).toEqual([4, 4]); // no 1 s wait between full batches
    } finally {
      h.stop();
      closeSync(fd);
    }
  });

  it('transient batches are views the next read overwrites', async () => {
    const { fd } = fifo('tr-a');
    const kept: Buffer[] = [];
    const firsts: number[] = [];
    const h = binding.startStream(fd, 1, (_err, buf) => {
      firsts.push(buf!.readUInt32LE(0));
      kept.push(buf!);
    }, 0, true);
    try {
      writeSync(fd, records(3, 7));
      await until(() => firsts.length === 3, 'three batches');
      expect(firsts).toEqual([7, 8, 9]); // right while the callback ran
      expect(kept.map((b) => b.readUInt32LE(0))).toEqual([9, 9, 9]); // one buffer, overwritten
    } finally {
      h.stop();
      closeSync(fd);
    }
  });
});

describe('addon NDJSON stream', () => {
  const syscallNames = new SyscallTable(binding.syscalls).namesByNumber();
  const names: string[] = [];
  for (let e = 1; e <= binding.constants.MAX_ERRNO!; e++) names[e] = `E${e}`;
  const c = binding.constants;
  const lines = (n: number, first: number): Buffer => {
    const b = Buffer.alloc(n * R);
    for (let i = 0; i < n; i++) {
      b.writeUInt16LE(c.RECORD_SYSCALL!, i * R + binding.offsets.type!);
      b.writeUInt32LE(257, i * R + binding.offsets.nr!);
      b.writeUInt32LE(first + i, i * R + binding.offsets.seq!);
    }
    return b;
  };

  it('writes the formatter\'s lines to outFd and reports counts, lost records included', async () => {
    const format = binding.ndjsonFormatter(names, syscallNames);
    const { fd } = fifo('nd-a');
    const outPath = join(tmp, 'nd-a.out');
    const out = openSync(outPath, 'w');
    const progress: [number, number, number, boolean][] = [];
    const h = binding.startNdjsonStream(fd, 16, format, out, (err, read, shown, lost, full) => {
      expect(err).toBeNull();
      progress.push([read!, shown!, lost!, full!]);
    });
    try {
      const lost = Buffer.alloc(R);
      lost.writeUInt16LE(c.RECORD_LOST!, binding.offsets.type!);
      lost.writeUInt32LE(5, binding.offsets.lost!);
      const batch = Buffer.concat([lines(3, 0), lost, lines(2, 3)]);
      writeSync(fd, batch);
      await until(() => progress.reduce((a, [r]) => a + r, 0) === 5, 'five events');
      expect(progress.reduce((a, [, s]) => a + s, 0)).toBe(5);
      expect(progress.reduce((a, [, , l]) => a + l, 0)).toBe(5);
      expect(progress.some(([, , , full]) => full)).toBe(false);
      expect(readFileSync(outPath)).toEqual(binding.ndjsonFormatter(names, syscallNames)(batch));
    } finally {
      h.stop();
      closeSync(fd);
      closeSync(out);
    }
  });

  it('writes only what its formatter selects, and stops by itself at the formatter\'s limit', async () => {
    const format = binding.ndjsonFormatter(names, syscallNames, { nrs: [257], limit: 3 });
    const { fd } = fifo('nd-sel');
    const outPath = join(tmp, 'nd-sel.out');
    const out = openSync(outPath, 'w');
    const progress: [number, number, number, boolean][] = [];
    const h = binding.startNdjsonStream(fd, 16, format, out, (err, read, shown, lost, full) => {
      expect(err).toBeNull();
      progress.push([read!, shown!, lost!, full!]);
    });
    try {
      const other = lines(2, 10);
      for (let i = 0; i < 2; i++) other.writeUInt32LE(0, i * R + binding.offsets.nr!); // read: not selected
      writeSync(fd, Buffer.concat([lines(1, 0), other, lines(4, 1)]));
      await until(() => progress.length === 1, 'one batch');
      // Seen up to the third openat: one openat, two reads, two openats; the rest is not read.
      expect(progress).toEqual([[5, 3, 0, true]]);
      expect(readFileSync(outPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).seq)).toEqual([0, 1, 2]);
      writeSync(fd, lines(1, 9));
      await tick(30);
      expect(progress).toHaveLength(1); // it stopped
    } finally {
      h.stop();
      closeSync(fd);
      closeSync(out);
    }
  });

  it('ends with the write error (EPIPE) once the reader of outFd is gone', async () => {
    const format = binding.ndjsonFormatter(names, syscallNames);
    const { fd } = fifo('nd-b');
    const pipePath = join(tmp, 'nd-b.pipe');
    execFileSync('mkfifo', [pipePath]);
    const reader = openSync(pipePath, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const writer = openSync(pipePath, fsc.O_WRONLY | fsc.O_NONBLOCK);
    closeSync(reader);
    const calls: (Error | null)[] = [];
    const h = binding.startNdjsonStream(fd, 16, format, writer, (err) => calls.push(err));
    try {
      writeSync(fd, lines(2, 0));
      await until(() => calls.length === 1, 'the error');
      expect(calls[0]).toMatchObject({ code: 'EPIPE', syscall: 'write' });
      writeSync(fd, lines(1, 2));
      await tick(30);
      expect(calls).toHaveLength(1); // the stream ended
    } finally {
      h.stop();
      closeSync(fd);
      closeSync(writer);
    }
  });

  it('refuses a formatter that ndjsonFormatter() did not make', () => {
    const { fd } = fifo('nd-c');
    try {
      expect(() => binding.startNdjsonStream(fd, 4, (() => Buffer.alloc(0)) as never, 1, () => {})).toThrow(/ndjsonFormatter/);
    } finally {
      closeSync(fd);
    }
  });
});
