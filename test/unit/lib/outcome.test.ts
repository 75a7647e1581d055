import { describe, expect, it } from 'vitest';
import type { DecodableCall } from '../../../src/lib/decode/index.js';
import { matchesOutcome, parseDuration } from '../../../src/lib/outcome.js';

describe('parseDuration', () => {
  it.each([
    ['10ms', 10_000_000n], ['1.5s', 1_500_000_000n], ['250us', 250_000n], ['250µs', 250_000n], ['800ns', 800n],
    ['0ms', 0n], ['0.000001s', 1_000n], [' 2s ', 2_000_000_000n],
  ])('%j -> %s ns', (text, ns) => expect(parseDuration(text)).toBe(ns));

  it.each(['10', 'ms', '10 ms', '-1ms', '1.5', '1e3ms', '10min', ''])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration .*: expected a number and a unit, like 10ms/);
  });
});

function call(ret: bigint | null, durationNs: bigint | null, over: Partial<DecodableCall> = {}): DecodableCall {
  return {
    syscall: 'read', nr: 0, abi: 'x86_64', native_nr: 0, args: [3n, 0n, 0n, 0n, 0n, 0n], ret, duration_ns: durationNs, path: null,
    path_truncated: false, path_unreadable: false, target: null,
    verdict: 'allowed', block_errno: null, ...over,
  };
}

describe('matchesOutcome', () => {
  const ms = 1_000_000n;
  it.each([
    ['a success, no filter', call(5n, ms), {}, true],
    ['a success, failed only', call(5n, ms), { failed: true }, false],
    ['an error, failed only', call(-11n, ms), { failed: true }, true],
    ['a blocked call, failed only', call(null, null, { verdict: 'blocked', block_errno: 'EPERM' }), { failed: true }, true],
    ['a call a kill rule ended, failed only', call(null, null, { verdict: 'killed' }), { failed: true }, true],
    ['a call a kill rule would have ended, failed only', call(5n, ms, { verdict: 'would_kill' }), { failed: true }, false],
    ['no result, failed only', call(null, null), { failed: true }, false],
    ['slower than the bound', call(5n, 11n * ms), { slowerThanNs: 10n * ms }, true],
    ['exactly the bound', call(5n, 10n * ms), { slowerThanNs: 10n * ms }, false],
    ['faster', call(5n, ms), { slowerThanNs: 10n * ms }, false],
    ['no duration', call(null, null), { slowerThanNs: 0n }, false],
    ['slow but successful, both filters', call(5n, 20n * ms), { failed: true, slowerThanNs: 10n * ms }, false],
    ['slow and failed, both filters', call(-110n, 20n * ms), { failed: true, slowerThanNs: 10n * ms }, true],
  ])('%s', (_name, c, filter, want) => expect(matchesOutcome(c, filter)).toBe(want));
});
