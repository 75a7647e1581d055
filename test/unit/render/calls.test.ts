import { describe, expect, it } from 'vitest';
import type { DecodableCall } from '../../../src/lib/decode/index.js';
import { CallSummary } from '../../../src/lib/summary.js';
import type { MonitorEvent, SyscallEvent } from '../../../src/lib/events.js';
import { renderCallSummary, straceLine, straceText } from '../../../src/render/calls.js';
import { events, syscallRecord } from './events-fixture.js';

function call(over: Partial<DecodableCall> & Pick<DecodableCall, 'syscall' | 'nr'>): DecodableCall {
  return {
    abi: 'x86_64', native_nr: over.nr, args: [0n, 0n, 0n, 0n, 0n, 0n], ret: 0n, duration_ns: null, path: null, path_truncated: false,
    path_unreadable: false, target: null,
    verdict: 'allowed', block_errno: null, ...over,
  };
}

const AT_FDCWD = BigInt.asUintN(64, -100n);

describe('strace lines', () => {
  it('put the result at column 40 after a short call, one space after a long one, and the duration last', () => {
    expect(straceLine(call({ syscall: 'close', nr: 3, args: [3n, 0n, 0n, 0n, 0n, 0n], target: '/etc/ld.so.cache', duration_ns: 7000n }), 4242)).toBe(
      '[pid  4242] close(3</etc/ld.so.cache>)  = 0 <0.000007>\n',
    );
    expect(straceLine(call({ syscall: 'getpid', nr: 39, ret: 4242n }), 4242)).toBe('[pid  4242] getpid()' + ' '.repeat(20) + '= 4242\n');
    expect(
      straceLine(call({ syscall: 'openat', nr: 257, args: [AT_FDCWD, 1n, 0x80000n, 0n, 0n, 0n], path: '/etc/passwd', ret: 3n, duration_ns: 12_345n }), 4242),
    ).toBe('[pid  4242] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <0.000012>\n');
    expect(
      straceLine(call({ syscall: 'openat', nr: 257, args: [AT_FDCWD, 1n, 0n, 0n, 0n, 0n], path: '/nonexistent', ret: -2n, duration_ns: 1_500_000_000n }), 4242),
    ).toBe('[pid  4242] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <1.500000>\n');
  });

  it('without a pid, as strace writes a single process: the result still at column 40', () => {
    expect(straceLine(call({ syscall: 'close', nr: 3, args: [3n, 0n, 0n, 0n, 0n, 0n], target: '/etc/ld.so.cache', duration_ns: 7000n }))).toBe(
      'close(3</etc/ld.so.cache>)' + ' '.repeat(14) + '= 0 <0.000007>\n',
    );
  });
});

describe('events as strace lines', () => {
  const origin = { pid: 4243, tgid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'sh', ts_ns: 0n, time: new Date(0), seq: 0 };
  const syscall = (over: Partial<SyscallEvent>): SyscallEvent => ({
    ...origin, type: 'syscall', syscall: 'read', nr: 0, abi: 'x86_64', native_nr: 0, verdict: 'allowed', block_errno: null, rule: null,
    file: false, path: null, path_truncated: false, path_unreadable: false, target: 'pipe:[77]', args: [3n, 0x1000n, 10n, 0n, 0n, 0n],
    ret: 10n, errno: null, duration_ns: 2000n, call_id: null, entry: false, no_result: false, ...over,
  });

  it.each<[string, MonitorEvent, boolean, string]>([
    ['a call', syscall({}), true, '[pid  4243] read(3<pipe:[77]>, 0x1000, 10) = 10 <0.000002>\n'],
    ['the entry half of a call recorded at both ends', syscall({ entry: true, call_id: 9, ret: null, duration_ns: null }), false,
      'read(3<pipe:[77]>, 0x1000, 10 <unfinished ...>\n'],
    ['a blocked call', syscall({ verdict: 'blocked', block_errno: 'EPERM', ret: null, errno: 'EPERM', duration_ns: null }), false,
      'read(3<pipe:[77]>, 0x1000, 10)          = -1 EPERM (Operation not permitted) (INJECTED)\n'],
    ['an exit', { ...origin, type: 'exit', exit_code: 3, signal: 0, utime_ns: 0n, stime_ns: 0n }, true, '[pid  4243] +++ exited with 3 +++\n'],
    ['a death by a signal', { ...origin, type: 'exit', exit_code: 0, signal: 9, utime_ns: 0n, stime_ns: 0n }, false, '+++ killed by SIGKILL +++\n'],
    ['a configuration change', { ...origin, type: 'config', kind: 'mode', id: 0, text: 'OFF -> LOG' }, false,
      '--- CONFIG mode: OFF -> LOG by 4242 (sh) uid 0 ---\n'],
    ['events lost', { type: 'lost', seq: 5, count: 12, config: 0 }, true, '-- 12 events lost: the reader was overtaken --\n'],
  ])('%s', (_what, e, withPid, line) => expect(straceText(e, withPid)).toBe(line));
});

describe('file names that are not UTF-8', () => {
  const bytes = (...parts: (string | number)[]): Uint8Array =>
    Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p)] : [p])));

  it('are quoted byte for byte as strace quotes them, path and fd target alike', () => {
    const [opened, read, replacement] = events([
      syscallRecord({ path: bytes('/tmp/a', 0xff, 'b') }),
      syscallRecord({ nr: 0, path: undefined, args: [3n, 0x1000n, 10n, 0n, 0n, 0n], ret: 10, target: bytes('/tmp/', 0xc3, ' (deleted)') }),
      // A name that holds U+FFFD itself, in UTF-8: its three bytes.
      syscallRecord({ path: bytes('/tmp/', 0xef, 0xbf, 0xbd) }),
    ]);
    expect(straceText(opened!, false)).toBe('openat(AT_FDCWD, "/tmp/a\\377b", O_RDONLY) = 3 <0.000012>\n');
    expect(straceText(read!, false)).toBe('read(3</tmp/\\303>(deleted), 0x1000, 10) = 10 <0.000012>\n');
    expect(straceText(replacement!, false)).toBe('openat(AT_FDCWD, "/tmp/\\357\\277\\275", O_RDONLY) = 3 <0.000012>\n');
  });

  it('a path cut inside a character is quoted up to the cut', () => {
    // 255 bytes are kept (PATH_LEN 256 with its NUL): "//", 126 é, and the first byte of the next.
    const [cut] = events([syscallRecord({ path: bytes('//', 'é'.repeat(200)) })]) as SyscallEvent[];
    expect(cut!.path_truncated).toBe(true);
    expect(straceText(cut!, false)).toBe(`openat(AT_FDCWD, "//${'\\303\\251'.repeat(126)}\\303"..., O_RDONLY) = 3 <0.000012>\n`);
  });
});

describe('the summary', () => {
  // strace -c -U time-percent,total-time,avg-time,max-time,calls,errors,name of a cat, four of its rows.
  const expected = [
    '% time     seconds  usecs/call  longest     calls    errors syscall',
    '------ ----------- ----------- -------- --------- --------- ----------------',
    ' 43.75    0.000014           0 0.000005        35        17 openat',
    ' 37.50    0.000012           2 0.000004         5           write',
    ' 18.75    0.000006           0 0.000003        20           close',
    '  0.00    0.000000           0 0.000000         5           read',
    '------ ----------- ----------- -------- --------- --------- ----------------',
    '100.00    0.000032           0 0.000005        65        17 total',
    '',
  ].join('\n');

  it('counts calls, errors and times per syscall and prints them as strace -c does', () => {
    const s = new CallSummary();
    // strace timed every call; those past eachNs took under a microsecond.
    const add = (syscall: string, nr: number, n: number, failures: number, eachNs: number[]): void => {
      for (let i = 0; i < n; i++) {
        s.add(call({ syscall, nr, ret: i < failures ? -2n : 3n, duration_ns: BigInt(eachNs[i] ?? 0) }));
      }
    };
    add('read', 0, 5, 0, []);
    add('openat', 257, 35, 17, [5000, 3000, 3000, 3000]);
    add('close', 3, 20, 0, [3000, 3000]);
    add('write', 1, 5, 0, [4000, 4000, 4000]);
    expect(renderCallSummary(s.summary())).toBe(expected);
  });

  it('averages over the calls that have a duration, and counts the others as calls (0 when none has one)', () => {
    const s = new CallSummary();
    s.add(call({ syscall: 'read', nr: 0, ret: 5n, duration_ns: 300_000n }));
    s.add(call({ syscall: 'read', nr: 0, ret: 5n, duration_ns: 100_000n }));
    s.add(call({ syscall: 'read', nr: 0, ret: null, duration_ns: null })); // recorded at entry, or without its result
    s.add(call({ syscall: 'close', nr: 3, ret: null, duration_ns: null }));
    const summary = s.summary();
    expect(summary.rows).toEqual([
      { syscall: 'read', nr: 0, calls: 3, timed: 2, errors: 0, total_ns: 400_000n, max_ns: 300_000n },
      { syscall: 'close', nr: 3, calls: 1, timed: 0, errors: 0, total_ns: 0n, max_ns: 0n },
    ]);
    expect(summary.total).toEqual({ calls: 4, timed: 2, errors: 0, total_ns: 400_000n, max_ns: 300_000n });
    expect(renderCallSummary(summary)).toBe([
      '% time     seconds  usecs/call  longest     calls    errors syscall',
      '------ ----------- ----------- -------- --------- --------- ----------------',
      '100.00    0.000400         200 0.000300         3           read',
      '  0.00    0.000000           0 0.000000         1           close',
      '------ ----------- ----------- -------- --------- --------- ----------------',
      '100.00    0.000400         200 0.000300         4           total',
      '',
    ].join('\n'));
  });

  it('counts a call recorded at entry and at return once, by its return', () => {
    const s = new CallSummary();
    s.add({ ...call({ syscall: 'read', nr: 0, ret: null }), entry: true });
    s.add({ ...call({ syscall: 'read', nr: 0, ret: 5n, duration_ns: 300_000_000n }), entry: false });
    expect(s.summary().rows).toEqual([{ syscall: 'read', nr: 0, calls: 1, timed: 1, errors: 0, total_ns: 300_000_000n, max_ns: 300_000_000n }]);
  });

  it('counts a blocked call, and one a kill rule ended, as an error', () => {
    const s = new CallSummary();
    s.add(call({ syscall: 'unlink', nr: 87, ret: null, verdict: 'blocked', block_errno: 'EPERM' }));
    s.add(call({ syscall: 'unlink', nr: 87, ret: null, verdict: 'killed' }));
    s.add(call({ syscall: 'unlink', nr: 87, ret: 0n }));
    expect(s.summary().rows).toEqual([{ syscall: 'unlink', nr: 87, calls: 3, timed: 0, errors: 2, total_ns: 0n, max_ns: 0n }]);
  });
});
