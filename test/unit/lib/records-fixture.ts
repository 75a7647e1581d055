// Generated records for the encoder tests: every record type, verdict, abi,
// configuration kind and flag, edge-case numbers (64-bit results, huge seqs and times) and
// strings (escapes, non-ASCII, invalid UTF-8, fields filling their room).
import { loadBinding } from '../../../src/lib/binding.js';
import type { RecordInit } from '../../../src/lib/records.js';

const c = loadBinding().constants as Record<string, number>;
const NR_ARGS = c.NR_ARGS!;

/** xorshift32: the same "random" records on every run. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export const STRINGS: (string | Uint8Array)[] = [
  '',
  'a',
  '/etc/passwd',
  'we"ird\\name',
  'a\nb\tc\rd\be\ff\u0001\u001f\u007f',
  '/tmp/café/файл/日本語/🙂',
  '\u2028\u2029',
  Uint8Array.from([0xff, 0x41, 0xfe]),
  Uint8Array.from([0xc3]), // truncated 2-byte sequence at the end
  Uint8Array.from([0xe2, 0x82, 0x41]), // truncated 3-byte sequence
  Uint8Array.from([0xf0, 0x9f, 0x99]), // truncated 4-byte at the end
  Uint8Array.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf]), // overlong
  Uint8Array.from([0xed, 0xa0, 0x80, 0x41]), // surrogate
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Uint8Array.from([0xf5, 0x80, 0x80, 0x80]),
  Uint8Array.from([0x80, 0xbf, 0x41, 0xe1, 0x80, 0xe1, 0x80, 0x80]),
  'x'.repeat(300),
];

const FLAGS = ['SYSCALL_PATH', 'SYSCALL_PATH_UNREADABLE', 'SYSCALL_PATH_TRUNCATED', 'SYSCALL_TARGET', 'SYSCALL_RESULT',
  'SYSCALL_ENTRY', 'SYSCALL_NO_RESULT', 'SYSCALL_FILE'].map((f) => c[f]!);

const CONFIG_KINDS = ['MODE', 'TARGET', 'PIDS', 'RULE_ADD', 'RULE_DEL', 'POLICY', 'CLEAR', 'EXITS', 'PARAM', 'CLOSED'].map(
  (k) => c[`CONFIG_${k}`]!,
);

/** Records of every type, verdict, abi and flag, with edge-case numbers and strings. */
export function randomInit(r: () => number, i: number): RecordInit {
  const pick = <T>(a: readonly T[]): T => a[r() % a.length]!;
  const kind = r() % 10;
  const big = (): bigint => (BigInt(r()) << 32n) | BigInt(r());
  const common = {
    seq: r() % 3 === 0 ? r() * 2 ** 20 + i : i,
    ts_ns: pick([0n, 999n, 1_000_000_000n, 1_700_000_000_123_456_789n + BigInt(i) * 7_777_777n, big()]),
    pid: r(), tgid: r() % 4194304, ppid: r() % 100, uid: pick([0, 1000, 0xffffffff]), gid: r() % 65536,
    comm: pick(STRINGS),
  };
  if (kind === 0) return { type: c.RECORD_LOST!, seq: i, count: pick([1, 2 ** 33, r()]), config: pick([0, 1, 4096, r()]) };
  if (kind === 3 && r() % 2 === 0) {
    return {
      ...common, type: c.RECORD_CONFIG!, kind: pick(CONFIG_KINDS), id: pick([0, 257, 0xffffffff, r()]),
      text: pick(['LOG -> BLOCK', 'openat: none -> block errno 1 pids 1', 'x'.repeat(300), ...STRINGS]),
    };
  }
  if (kind === 1) {
    return {
      ...common, type: c.RECORD_EXIT!, exit_code: pick([0, 1, 255, -1]), signal: pick([0, 9, 15]),
      utime_ns: big(), stime_ns: r(),
    };
  }
  if (kind === 2) return { type: c.RECORD_PAD!, size: 8 * (1 + (r() % 60)) };
  let flags = 0;
  for (const f of FLAGS) if (r() % 3 === 0) flags |= f;
  return {
    ...common, type: c.RECORD_SYSCALL!, nr: pick([0, 2, 59, 257, 262, 499, 0xffffffff, r() % 600]),
    native_nr: pick([0, 102, 117, r() % 1024]), abi: pick([c.ABI_X64!, c.ABI_I386!, c.ABI_X32!]),
    verdict: pick([c.VERDICT_ALLOWED!, c.VERDICT_BLOCKED!, c.VERDICT_WOULD_BLOCK!, c.VERDICT_KILLED!, c.VERDICT_WOULD_KILL!]),
    rule: pick([0, 0, 1, 7, 0xffffffff]),
    err: pick([0, 1, 13, 95, 133, 4095, -5, r() % 4096]), flags,
    path: pick([undefined, ...STRINGS]), target: pick([undefined, 'pipe:[1234]', ...STRINGS]),
    ret: pick([0n, 3n, -1n, -2n, -4095n, -4096n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(r())]),
    duration_ns: pick([0n, 1n, big()]), call_id: pick([0, 0, i, 2 ** 40 + i]),
    args: [big(), 0n, 1n, 2n ** 32n, 2n ** 32n - 1n, pick([big(), 2n ** 64n - 1n])].slice(0, NR_ARGS),
  };
}

