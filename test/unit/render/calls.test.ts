import { describe, expect, it } from 'vitest';
import type { DecodableCall } from '../../../src/lib/decode/index.js';
import { CallSummary } from '../../../src/lib/summary.js';
import { renderCallSummary, straceLine } from '../../../src/render/calls.js';

function call(over: Partial<DecodableCall> & Pick<DecodableCall, 'syscall' | 'nr'>): DecodableCall & { pid: number } {
  return {
    pid: 4242, abi: 'x86_64', args: [0n, 0n, 0n, 0n, 0n, 0n], ret: 0n, duration_ns: null, path: null, path_truncated: false,
    path_unreadable: false, target: null,
    verdict: 'allowed', block_errno: null, ...over,
  };
}

const AT_FDCWD = BigInt.asUintN(64, -100n);

describe('strace lines', () => {
  it('put the result at column 40 after a short call, one space after a long one, and the duration last', () => {
    expect(straceLine(call({ syscall: 'close', nr: 3, args: [3n, 0n, 0n, 0n, 0n, 0n], target: '/etc/ld.so.cache', duration_ns: 7000n }))).toBe(
      '[pid  4242] close(3</etc/ld.so.cache>)  = 0 <0.000007>\n',
    );
    expect(straceLine(call({ syscall: 'getpid', nr: 39, ret: 4242n }))).toBe('[pid  4242] getpid()' + ' '.repeat(20) + '= 4242\n');
    expect(
      straceLine(call({ syscall: 'openat', nr: 257, args: [AT_FDCWD, 1n, 0x80000n, 0n, 0n, 0n], path: '/etc/passwd', ret: 3n, duration_ns: 12_345n })),
    ).toBe('[pid  4242] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3 <0.000012>\n');
    expect(
      straceLine(call({ syscall: 'openat', nr: 257, args: [AT_FDCWD, 1n, 0n, 0n, 0n, 0n], path: '/nonexistent', ret: -2n, duration_ns: 1_500_000_000n })),
    ).toBe('[pid  4242] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <1.500000>\n');
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
    const add = (syscall: string, nr: number, n: number, failures: number, eachNs: number[]): void => {
      for (let i = 0; i < n; i++) {
        s.add(call({ syscall, nr, ret: i < failures ? -2n : 3n, duration_ns: i < eachNs.length ? BigInt(eachNs[i] as number) : null }));
      }
    };
    add('read', 0, 5, 0, []);
    add('openat', 257, 35, 17, [5000, 3000, 3000, 3000]);
    add('close', 3, 20, 0, [3000, 3000]);
    add('write', 1, 5, 0, [4000, 4000, 4000]);
    expect(renderCallSummary(s.summary())).toBe(expected);
  });

  it('counts a blocked call as an error', () => {
    const s = new CallSummary();
    s.add(call({ syscall: 'unlink', nr: 87, ret: null, verdict: 'blocked', block_errno: 'EPERM' }));
    s.add(call({ syscall: 'unlink', nr: 87, ret: 0n }));
    expect(s.summary().rows).toEqual([{ syscall: 'unlink', nr: 87, calls: 2, errors: 1, total_ns: 0n, max_ns: 0n }]);
  });
});
