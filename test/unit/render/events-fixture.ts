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

export function syscallRecord(over: RecordInit = {}): RecordInit {
  return {
    type: c('RECORD_SYSCALL'),
    nr: 257,
    seq: 41,
    ts_ns: TS,
    pid: 1235,
    tgid: 1234,
    ppid: 1,
    uid: 1000,
    gid: 1000,
    verdict: c('VERDICT_ALLOWED'),
    comm: 'cat',
    path: '/etc/hostname',
    args: [0xffffff9cn, 0x7ffd1234n, 0n, 0n, 0n, 2n ** 64n - 1n],
    ...over,
  };
}

export function blockedRecord(over: RecordInit = {}): RecordInit {
  return syscallRecord({ verdict: c('VERDICT_BLOCKED'), err: 1, ...over });
}

export function exitRecord(over: RecordInit = {}): RecordInit {
  return {
    type: c('RECORD_EXIT'),
    nr: c('NR_NONE'),
    seq: 42,
    ts_ns: TS + 1000n,
    pid: 1234,
    tgid: 1234,
    ppid: 1,
    comm: 'cat',
    exit_code: 7,
    exit_signal: 0,
    utime_ns: 300_000_000n,
    stime_ns: 5_000_000n,
    ...over,
  };
}

export function lostRecord(count: number, seq = 10): RecordInit {
  return { type: c('RECORD_LOST'), nr: c('NR_NONE'), seq, lost: count };
}

export const PATH_TRUNCATED = c('PATH_TRUNCATED');
export const PATH_UNREADABLE = c('PATH_UNREADABLE');
export const PATH_NONE = c('PATH_NONE');
export const VERDICT_WOULD_BLOCK = c('VERDICT_WOULD_BLOCK');
