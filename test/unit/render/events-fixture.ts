// Real decoded events for renderer tests: records encoded with the addon's
// layout (via the fake binding) and decoded by the library's decoder.
import type { MonitorEvent } from '../../../src/lib/events.js';
import { EventDecoder } from '../../../src/lib/events.js';
import { encodeBatch, type RecordInit } from '../../../src/lib/records.js';
import { createFakeBinding } from '../fake-binding.js';

export const fake = createFakeBinding();
const decoder = EventDecoder.forBinding(fake);
const c = (n: string): number => fake.c(n);

// 2026-02-11T10:20:30.123456789Z
export const TS = 1770805230123456789n;

export function events(inits: RecordInit[]): MonitorEvent[] {
  return decoder.decode(encodeBatch(fake, inits));
}

/** A complete openat: fd 3 after 12.345 µs. */
export function syscallRecord(over: Partial<RecordInit> = {}): RecordInit {
  return {
    type: c('RECORD_SYSCALL'), seq: 41, ts_ns: TS,
    pid: 1235, tgid: 1234, ppid: 1, uid: 1000, gid: 1000, comm: 'cat',
    nr: 257, verdict: c('VERDICT_ALLOWED'), path: '/etc/hostname',
    args: [0xffffff9cn, 0x7ffd1234n, 0n, 0n, 0n, 2n ** 64n - 1n].slice(0, c('NR_ARGS')),
    ret: 3, duration_ns: 12_345n,
    ...over,
  };
}

/** Blocked with EPERM: it returned -EPERM without running. */
export function blockedRecord(over: Partial<RecordInit> = {}): RecordInit {
  return syscallRecord({ verdict: c('VERDICT_BLOCKED'), err: 1, ret: -1, duration_ns: 0n, ...over });
}

export function exitRecord(over: Partial<RecordInit> = {}): RecordInit {
  return {
    type: c('RECORD_EXIT'), seq: 42, ts_ns: TS + 1000n,
    pid: 1234, tgid: 1234, ppid: 1, comm: 'cat',
    exit_code: 7, signal: 0, utime_ns: 300_000_000n, stime_ns: 5_000_000n,
    ...over,
  };
}

export function lostRecord(count: number, seq = 10, config = 0): RecordInit {
  return { type: c('RECORD_LOST'), seq, count, config };
}

/** The mode turned from LOG to BLOCK by pid 4242 (syscallmon), uid 0. */
export function configRecord(over: Partial<RecordInit> = {}): RecordInit {
  return {
    type: c('RECORD_CONFIG'), seq: 43, ts_ns: TS + 2000n,
    pid: 4242, tgid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'syscallmon',
    kind: c('CONFIG_MODE'), id: 0, text: 'LOG -> BLOCK',
    ...over,
  };
}

/** A file rule's refusal: openat of /etc/shadow blocked by rule 7, the file as the kernel resolved it. */
export function fileRuleRecord(over: Partial<RecordInit> = {}): RecordInit {
  return blockedRecord({ rule: 7, flags: c('SYSCALL_FILE') | c('SYSCALL_PATH') | c('SYSCALL_RESULT'), path: '/etc/shadow', ...over });
}

export const PATH_UNREADABLE = c('SYSCALL_PATH_UNREADABLE');
export const RESULT = c('SYSCALL_RESULT');
export const VERDICT_WOULD_BLOCK = c('VERDICT_WOULD_BLOCK');
