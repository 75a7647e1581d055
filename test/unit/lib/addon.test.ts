// The real addon on the host (it builds here; the module never loads here).
// Its ABI exports are checked against independent sources: a C program
// compiled now against the uapi headers (the schema's table expanded by the
// preprocessor), the header text itself, and the kernel's unistd_64.h. Its
// streams, mapped readers of the device, are tested against the real
// module in test/vm/addon.test.ts; read() works on FIFOs too.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonCandidates, API_VERSION, loadBinding, loadBindingFrom, type Binding } from '../../../src/lib/binding.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { RECORD_MEMBERS } from '../../../src/lib/records.js';

const root = resolve(import.meta.dirname, '../../..');
const header = join(root, 'kernel/include/uapi/syscallmon.h');
const schemaHeader = join(root, 'kernel/include/uapi/syscallmon_schema.h');
const binding = loadBinding();
const tmp = mkdtempSync(join(tmpdir(), 'smon-addon-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Integer SYSCALLMON_* names in the headers, found by a different parser than native/gen-abi.sh. */
function headerConstantNames(): string[] {
  const text = readFileSync(header, 'utf8') + readFileSync(schemaHeader, 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/^#define\s+SYSCALLMON_(\w+)\s+(.+)$/gm)) {
    if (!m[2]?.trim().startsWith('"')) names.add(m[1] as string);
  }
  for (const m of text.matchAll(/^\s*SYSCALLMON_(\w+)\s*=/gm)) names.add(m[1] as string);
  return [...names].sort();
}

describe('addon exports match the headers (checked by cc)', () => {
  const names = headerConstantNames();
  const members = Object.fromEntries(
    (['syscall', 'exit', 'config', 'lost'] as const).map((rec) => [rec, Object.keys(RECORD_MEMBERS[rec])]),
  ) as Record<'syscall' | 'exit' | 'config' | 'lost', string[]>;
  const src = join(tmp, 'abi.c');
  // The schema's table, expanded by the C preprocessor itself.
  const field = (kind: string) =>
    `  printf("field %s ${kind} %s %s %u %s %s %u\\n", #name, #kind, #presence, (unsigned)(records), #rec, #member, (unsigned)(flag));`;
  writeFileSync(
    src,
    [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "uapi/syscallmon_schema.h"',
      'int main(void) {',
      ...names.map((n) => `  printf("${n} %lld\\n", (long long)(SYSCALLMON_${n}));`),
      ...(['syscall', 'exit', 'config', 'lost'] as const).flatMap((rec) => [
        `  printf("size.${rec} %zu\\n", sizeof(struct syscallmon_${rec}));`,
        ...members[rec].map((m) => `  printf("offset.${rec}.${m} %zu\\n", offsetof(struct syscallmon_${rec}, ${m}));`),
      ]),
      '#define F(name, kind, presence, records, rec, member, flag) \\',
      field('x').replace(' x ', ' ') + ' \\',
      '',
      '  SYSCALLMON_EVENT_FIELDS(F)',
      '  return 0;',
      '}',
    ].join('\n'),
  );
  execFileSync('cc', ['-I', join(root, 'kernel/include'), '-o', join(tmp, 'abi'), src]);
  const out = execFileSync(join(tmp, 'abi'), { encoding: 'utf8' }).trim().split('\n');
  const facts = new Map(out.filter((l) => !l.startsWith('field ')).map((l) => l.split(' ') as [string, string]));
  const fact = (k: string): number => Number(facts.get(k));

  it('exports every integer constant of the headers, and nothing else', () => {
    expect(names.length).toBeGreaterThan(60);
    expect(Object.keys(binding.constants).sort()).toEqual([...names].sort());
    for (const n of names) expect([n, binding.constants[n]]).toEqual([n, fact(n)]);
  });

  it('was built for the API version the library speaks', () => {
    expect(API_VERSION).toBe(fact('API_VERSION'));
  });

  it('exports every record struct: its size and each member\'s offset', () => {
    expect(Object.keys(binding.records)).toEqual(['syscall', 'exit', 'config', 'lost']);
    for (const rec of ['syscall', 'exit', 'config', 'lost'] as const) {
      expect(binding.records[rec].size).toBe(fact(`size.${rec}`));
      expect(Object.keys(binding.records[rec].members)).toEqual(members[rec]);
      for (const m of members[rec]) {
        expect([rec, m, binding.records[rec].members[m]?.offset]).toEqual([rec, m, fact(`offset.${rec}.${m}`)]);
      }
    }
    // The largest record is a syscall with a whole path and a whole fd target.
    expect(fact('size.syscall') + fact('PATH_LEN') + fact('TARGET_LEN')).toBe(fact('RECORD_MAX'));
  });

  it('exports the schema\'s table as the header writes it', () => {
    const rows = out.filter((l) => l.startsWith('field ')).map((l) => l.split(' ').slice(1));
    expect(rows.length).toBeGreaterThan(20);
    expect(binding.schema.map((f) => [f.name, f.kind, f.nullable ? 'NULLABLE' : 'ALWAYS', String(f.records), f.rec, f.member, String(f.flag)])).toEqual(rows);
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
    expect(binding.syscalls.find((s) => s.name === 'openat')).toEqual({ nr: 257, name: 'openat', symbol: '__x64_sys_openat', pathArg: 1, fdArg: 0 });
    expect(binding.syscalls.find((s) => s.name === 'mmap')).toMatchObject({ pathArg: -1, fdArg: 4 });
    expect(binding.syscalls.find((s) => s.name === 'getpid')).toMatchObject({ pathArg: -1, fdArg: -1 });
    // The entry symbol comes from the kernel's own table, not from the name.
    expect(binding.syscalls.find((s) => s.name === 'uname')?.symbol).toBe('__x64_sys_newuname');
    expect(binding.syscalls.find((s) => s.name === 'umount2')?.symbol).toBe('__x64_sys_umount');
  });
});

describe('addon arguments', () => {
  it('reads a policy\'s rules as many as there were when given, whatever a getter adds meanwhile', () => {
    // In a child: writing past the rules it sized crashed the process.
    const addon = addonCandidates().find((path) => existsSync(path))!;
    const script = `
      const addon = require(${JSON.stringify(addon)});
      const range = { min: 0, max: 0 };
      const rule = () => ({ id: 0, rule_class: 0, name: '', syscalls: [], action: 0, err: 0, flags: 0, record: 0, file_ops: 0,
        pids: [], uid: range, euid: range, auid: range, gid: range, comm: '', exe: '', cgroup: '', path: '', file: '' });
      const rules = [rule()];
      Object.defineProperty(rules, 0, { get() { for (let i = 0; i < 1000; i++) rules.push(rule()); return rule(); } });
      try { addon.replacePolicy(-1, { rules, mode: 0, exits: 0, tag: '' }); } catch (e) { process.stdout.write(e.code + ' '); }
      process.stdout.write(String(rules.length));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect({ status: r.status, signal: r.signal, out: r.stdout }).toEqual({ status: 0, signal: null, out: 'EBADF 1001' });
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

  it('refuses an addon built for another API version, and says to rebuild it', () => {
    // A stale build: the module would be checked against the addon's version, not the library's.
    const stale = join(tmp, 'stale.js');
    writeFileSync(stale, `module.exports = { constants: { API_VERSION: ${API_VERSION - 1} } };`);
    expect(() => loadBindingFrom([stale])).toThrow(
      `syscallmon native addon not loadable (${stale} was built for API version ${API_VERSION - 1}, this library speaks ${API_VERSION}); ` +
        `tried ${stale}; build it with \`npm run build:addon\``,
    );
    const built = addonCandidates().find((p) => existsSync(p))!;
    expect(loadBindingFrom([stale, built]).constants.API_VERSION).toBe(API_VERSION);
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
      expect(() => binding.addTarget(fd, { nr: 257, action: 0, err: 0, flags: 0, record: 0, pids: [1, 2] })).toThrow(
        expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:ADD_TARGET' }),
      );
      expect(() => binding.getStatus(fd)).toThrow(expect.objectContaining({ message: 'ENOTTY: Inappropriate ioctl for device, ioctl:GET_STATUS' }));
      expect(binding.read(fd, 1 << 16).length).toBe(0); // /dev/null: EOF reads as nothing
    } finally {
      binding.close(fd);
    }
    expect(() => binding.close(fd)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
  });

  it('makes the rule ioctls, and reports their errors', () => {
    const fd = binding.open('/dev/null', true);
    const rule = {
      id: 0, rule_class: 1, name: 'r', syscalls: [257], action: 1, err: 0, flags: 0, record: 0, file_ops: 0, pids: [],
      uid: { min: 0, max: 0 }, euid: { min: 0, max: 0 }, auid: { min: 0, max: 0 }, gid: { min: 0, max: 0 },
      comm: '', exe: '', cgroup: '', path: '', file: '',
    };
    try {
      expect(() => binding.addRule(fd, rule)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:ADD_RULE' }));
      expect(() => binding.deleteRules(fd, [3, 4])).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:DEL_RULES' }));
      expect(() => binding.getRules(fd)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:GET_RULES' }));
      expect(() => binding.rulePids(fd, 3)).toThrow(expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:GET_PIDS' }));
      expect(() => binding.replacePolicy(fd, { mode: 1, exits: 0, tag: 't', rules: [rule] })).toThrow(
        expect.objectContaining({ code: 'ENOTTY', syscall: 'ioctl:REPLACE_POLICY' }),
      );
      // Converting a rule: what fits its arrays, and nothing the struct can't hold.
      const c = binding.constants;
      const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
      expect(() => b.addRule?.(fd, { ...rule, name: 'n'.repeat(c.RULE_NAME_LEN!) })).toThrow(
        new RangeError(`name must be shorter than ${c.RULE_NAME_LEN} bytes, without NUL`),
      );
      expect(() => b.addRule?.(fd, { ...rule, comm: 'a\u0000b' })).toThrow(/comm must be shorter than 16 bytes, without NUL/);
      expect(() => b.addRule?.(fd, { ...rule, syscalls: [c.NR_LIMIT] })).toThrow(new RangeError(`syscall number ${c.NR_LIMIT} is not below ${c.NR_LIMIT}`));
      expect(() => b.addRule?.(fd, { ...rule, uid: 5 })).toThrow(/uid must be an object \{ min, max \}/);
      expect(() => b.addRule?.(fd, { ...rule, exe: undefined })).toThrow(/exe must be a string/);
      expect(() => b.replacePolicy?.(fd, { mode: 1, exits: 0, tag: 'x'.repeat(c.POLICY_TAG_LEN!), rules: [] })).toThrow(/tag must be shorter/);
      expect(() => b.replacePolicy?.(fd, { mode: 1, exits: 0, tag: '', rules: 'all' })).toThrow(/rules must be an array/);
    } finally {
      binding.close(fd);
    }
  });

  it('rejects wrong argument types instead of guessing', () => {
    const b = binding as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => b.open?.(42, true)).toThrow(TypeError);
    expect(() => b.setMode?.('3', 1)).toThrow(/fd must be a number/);
    expect(() => b.addTarget?.(0, { nr: 1, action: 0, err: 0, flags: 0, record: 0, pids: ['x'] })).toThrow(/pids must hold numbers/);
    expect(() => b.addTarget?.(0, { nr: 1, action: 0, err: 0, flags: 0, pids: [] })).toThrow(/record must be a number/);
    const max = binding.constants.RECORD_MAX!;
    expect(() => b.read?.(0, max - 1)).toThrow(new RangeError(`maxBytes must be at least ${max}`));
  });

  it.each([
    ['a negative number', -1, '-1'],
    ['a fraction', 1.5, '1.5'],
    ['NaN', NaN, 'NaN'],
    ['Infinity', Infinity, 'Infinity'],
    ['a number past 32 bits', 2 ** 32 + 5, '4294967301'],
  ])('refuses %s where a u32 goes, instead of wrapping or truncating it', (_what, bad, shown) => {
    // /dev/null answers every ioctl with ENOTTY: an ENOTTY means the value reached the kernel.
    const fd = binding.open('/dev/null', true);
    const u32 = (what: string): RangeError => new RangeError(`${what} must be an integer in 0..4294967295, got ${shown}`);
    const range = { min: 0, max: 0 };
    const rule = {
      id: 0, rule_class: 1, name: 'r', syscalls: [257], action: 1, err: 0, flags: 0, record: 0, file_ops: 0, pids: [],
      uid: range, euid: range, auid: range, gid: range, comm: '', exe: '', cgroup: '', path: '', file: '',
    };
    try {
      expect(() => binding.setMode(fd, bad)).toThrow(u32('mode'));
      expect(() => binding.delTarget(fd, bad)).toThrow(u32('nr'));
      expect(() => binding.addPids(fd, 257, [10, bad])).toThrow(u32('pids[1]'));
      expect(() => binding.addTarget(fd, { nr: 257, action: 0, err: 0, flags: 0, record: 0, pids: [bad] })).toThrow(u32('pids[0]'));
      expect(() => binding.deleteRules(fd, [bad])).toThrow(u32('ids[0]'));
      expect(() => binding.rulePids(fd, bad)).toThrow(u32('id'));
      expect(() => binding.addRule(fd, { ...rule, uid: { min: 0, max: bad } })).toThrow(u32('max'));
      expect(() => binding.addRule(fd, { ...rule, pids: [bad] })).toThrow(u32('pids[0]'));
      expect(() => binding.replacePolicy(fd, { mode: bad, exits: 0, tag: '', rules: [] })).toThrow(u32('mode'));
    } finally {
      binding.close(fd);
    }
  });

  it('refuses a device path with a NUL instead of opening what comes before it', () => {
    expect(() => binding.open('/dev/null\u0000x', true)).toThrow(new TypeError('path must be a string without NUL bytes'));
  });

  it('refuses an fd or an errno that is not a 32-bit integer', () => {
    const fd = binding.open('/dev/null', true);
    try {
      // 2^32 + fd would otherwise wrap to fd itself.
      expect(() => binding.getVersion(2 ** 32 + fd)).toThrow(new RangeError(`fd must be an integer in -2147483648..2147483647, got ${2 ** 32 + fd}`));
      expect(() => binding.setMode(fd + 0.5, 1)).toThrow(/^fd must be an integer in -2147483648\.\.2147483647, got \d+\.5$/);
      expect(() => binding.addTarget(fd, { nr: 257, action: 1, err: 2 ** 31, flags: 0, record: 0, pids: [] })).toThrow(
        new RangeError('err must be an integer in -2147483648..2147483647, got 2147483648'),
      );
      // A negative fd is no fd: the kernel says so.
      expect(() => binding.getVersion(-1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    } finally {
      binding.close(fd);
    }
  });
});

// A device whose targets change while the addon lists them, as ioctl() of
// a preloaded library: the addon's own code runs against it, in a child.
// GET_TARGETS lists target 0 for every process and target 2 for one; each
// of target 2's first SMON_FAKE_STALE GET_PIDS answers EINVAL (removed, or
// given every process, since the list was taken), and then it holds three
// processes, more than the list said.
const FAKE_DEVICE_C = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "uapi/syscallmon.h"

static int stale = -1;

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(req) != SYSCALLMON_IOC_MAGIC) {
		int (*real)(int, unsigned long, ...) = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	if (stale < 0)
		stale = atoi(getenv("SMON_FAKE_STALE"));
	if (req == SYSCALLMON_IOC_GET_TARGETS) {
		struct syscallmon_target_list *l = arg;
		struct syscallmon_target_info t[2];
		memset(t, 0, sizeof(t));
		t[0].nr = 0;
		t[0].flags = SYSCALLMON_TARGET_ALL_PIDS;
		t[1].nr = 2;
		t[1].npids = 1;
		memcpy((void *)(unsigned long)l->entries, t, sizeof(t[0]) * (l->max < 2 ? l->max : 2));
		l->count = 2;
		return 0;
	}
	if (req == SYSCALLMON_IOC_GET_PIDS) {
		struct syscallmon_pid_list *l = arg;
		unsigned int pids[3] = { 10, 20, 30 };
		if (l->nr != 2 || l->rule) {
			errno = EINVAL;
			return -1;
		}
		if (stale > 0) {
			stale--;
			errno = EINVAL;
			return -1;
		}
		memcpy((void *)(unsigned long)l->pids, pids, sizeof(pids[0]) * (l->max < 3 ? l->max : 3));
		l->count = 3;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}
`;

/** What getTargets gives from the fake device, whose target 2 is stale the first `stale` times. */
function targetsFromChangingDevice(stale: number): unknown {
  const so = join(tmp, 'fake-device.so');
  if (!existsSync(so)) {
    writeFileSync(join(tmp, 'fake-device.c'), FAKE_DEVICE_C);
    execFileSync('cc', ['-shared', '-fPIC', '-I', join(root, 'kernel/include'), '-o', so, join(tmp, 'fake-device.c'), '-ldl']);
  }
  const addon = addonCandidates().find((path) => existsSync(path))!;
  const script = `
    const addon = require(${JSON.stringify(addon)});
    const fd = addon.open('/dev/null', true);
    let out;
    try { out = addon.getTargets(fd).map((t) => ({ nr: t.nr, pids: t.pids })); }
    catch (e) { out = { code: e.code, syscall: e.syscall }; }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LD_PRELOAD: so, SMON_FAKE_STALE: String(stale) },
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('addon target listing', () => {
  it('takes the list again when a target changed between listing it and its processes', () => {
    expect(targetsFromChangingDevice(0)).toEqual([{ nr: 0, pids: [] }, { nr: 2, pids: [10, 20, 30] }]);
    expect(targetsFromChangingDevice(3)).toEqual([{ nr: 0, pids: [] }, { nr: 2, pids: [10, 20, 30] }]);
  });

  it('reports a list that keeps changing, after a few tries', () => {
    expect(targetsFromChangingDevice(1000)).toEqual({ code: 'EINVAL', syscall: 'ioctl:GET_PIDS' });
  });
});

function fifo(name: string): { path: string; fd: number } {
  const path = join(tmp, name);
  execFileSync('mkfifo', [path]);
  // O_RDWR: a FIFO opened so never blocks and never reads EOF.
  return { path, fd: openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK) };
}

const MAX = binding.constants.RECORD_MAX!;

describe('addon read', () => {
  it('returns what read() gave, and an empty buffer when nothing was ready', () => {
    const { fd } = fifo('read');
    try {
      expect(binding.read(fd, MAX).length).toBe(0);
      writeSync(fd, Buffer.alloc(3 * MAX, 7));
      expect(binding.read(fd, MAX)).toEqual(Buffer.alloc(MAX, 7));
      expect(binding.read(fd, 4 * MAX).length).toBe(2 * MAX);
    } finally {
      closeSync(fd);
    }
  });
});

// A stream is a mapped reader of the device (its semantics are tested
// against the real module: test/vm/addon.test.ts); here, what it refuses.
describe('addon streams', () => {
  it('need a non-blocking fd', () => {
    const { path, fd } = fifo('s-d');
    const blocking = openSync(path, fsc.O_RDWR);
    try {
      expect(() => binding.startStream(blocking, MAX, () => {})).toThrow(/needs an fd opened with nonblock/);
    } finally {
      closeSync(blocking);
      closeSync(fd);
    }
  });

  it('need a device whose ring can be mapped', () => {
    const { fd } = fifo('s-e');
    try {
      expect(() => binding.startStream(fd, MAX, () => {})).toThrow(expect.objectContaining({ code: 'ENODEV', syscall: 'mmap' }));
      expect(() => binding.startStream(fd, MAX - 1, () => {})).toThrow(RangeError);
    } finally {
      closeSync(fd);
    }
  });

  it('need a formatter that ndjsonFormatter() made', () => {
    const { fd } = fifo('nd-c');
    try {
      expect(() => binding.startNdjsonStream(fd, MAX, (() => Buffer.alloc(0)) as never, 1, () => {})).toThrow(/ndjsonFormatter/);
    } finally {
      closeSync(fd);
    }
  });
});

describe('Monitor over the real addon', () => {
  it('reports the device as not a syscallmon device when it is something else', () => {
    expect(() => Monitor.open({ binding: loadBinding() as Binding, devicePath: '/dev/null' })).toThrow(
      expect.objectContaining({ kind: 'version', code: 'ENOTTY', message: expect.stringMatching(/^\/dev\/null does not answer syscallmon's version request \(ENOTTY\): it is not the syscallmon device/) }),
    );
  });
});
