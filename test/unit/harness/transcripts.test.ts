// The README doc test's reading of transcripts and its masks: the masks hide
// the volatile fields and nothing that a wrong program would change.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize, parseTranscripts } from '../../vm/transcripts.js';

const root = resolve(import.meta.dirname, '../../..');

describe('parseTranscripts', () => {
  it('reads commands, their output and the replay directives before a block', () => {
    const t = parseTranscripts(
      [
        'text',
        '<!-- replay',
        'run: mkfifo /tmp/g',
        'process 42: read g < /tmp/g',
        'when "ready": echo go > /tmp/g',
        '-->',
        '```',
        '$ one',
        'out 1',
        'out 2',
        '$ two',
        '```',
        '```sh',
        'not a transcript',
        '```',
      ].join('\n'),
    );
    expect(t).toEqual([
      {
        line: 7,
        run: ['mkfifo /tmp/g'],
        processes: [{ pid: 42, command: 'read g < /tmp/g' }],
        when: [{ text: 'ready', action: 'echo go > /tmp/g' }],
        steps: [
          { line: 8, command: 'one', expected: ['out 1', 'out 2'] },
          { line: 11, command: 'two', expected: [] },
        ],
      },
    ]);
  });

  it('refuses a directive it does not know, rather than replaying without it', () => {
    expect(() => parseTranscripts('<!-- replay\nrnu: x\n-->\n```\n$ a\n```')).toThrow(/README.md:2: unknown replay directive: rnu: x/);
  });

  it('finds every transcript of the README, each command with what it prints', () => {
    const all = parseTranscripts(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(all.length).toBeGreaterThan(5);
    for (const t of all) expect(t.steps.every((s) => s.command.trim() !== '')).toBe(true);
  });
});

/** What a line from the README or a run becomes: the volatile fields masked, the rest kept. */
const MASKED: Record<string, [line: string, normalized: string]> = {
  'a log row: time, pid and tgid, duration': [
    '03:38:12.567863  359   359    0  sh    openat   ALLOWED  -ENOENT  0.002360  /etc/hostname',
    'HH:MM:SS PID PID 0 sh openat ALLOWED -ENOENT SECONDS /etc/hostname',
  ],
  "a log row of the CLI's own open of the device: the fd it got": [
    '21:15:00.109844  245   245    0  node   openat   ALLOWED       17  0.000496  /dev/syscallmon',
    'HH:MM:SS PID PID 0 node openat ALLOWED FD SECONDS /dev/syscallmon',
  ],
  'a tail row: time and tgid, duration': [
    '02:44:04.752956     1300         sh    openat  ALLOWED        3    0.000546  /etc/hostname',
    'HH:MM:SS PID sh openat ALLOWED 3 SECONDS /etc/hostname',
  ],
  'JSON times, pids, ring positions': [
    '{"type":"exit","seq":7,"ts_ns":"1795405014820071300","time":"2026-11-23T03:36:54.820Z","pid":249,"tgid":249,"ppid":120,"exit_code":7}',
    '{"type":"exit","seq":SEQ,"ts_ns":"NS","time":"ISO","pid":PID,"tgid":PID,"ppid":PID,"exit_code":7}',
  ],
  'ring counts and bytes held, not the size': [
    'ring       429 records held in 86.8 KiB of 1 MiB; 429 written, 0 overwritten, 0 cleared',
    'ring N records held in SIZE of 1 MiB; N written, N overwritten, N cleared',
  ],
  'calls in flight, not the return slots or the calls without a result': [
    'calls      2 of 4096 return slots in use; 0 recorded without result',
    'calls N of 4096 return slots in use; 0 recorded without result',
  ],
  "a status row's counters, not its number, scope or record mode": [
    'openat   257  log  every process  complete, failures only  yes  354  354  0  0  0  12',
    'openat 257 log every process complete, failures only yes N N N N N N',
  ],
  durations: ['syscallmon: tail stopped (count reached): 2 shown, 7 read, 0 lost in 9.4 s', 'syscallmon: tail stopped (count reached): 2 shown, N read, N lost in DURATION'],
  'a strace line: its buffer address, pipe inode and duration': [
    'read(0<pipe:[4231]>, 0x7ffc1a2b3c4d, 1) = 1 <0.000012>',
    'read(0<pipe:[INODE]>, ADDRESS, 1) = 1 <SECONDS>',
  ],
  "a summary row: the share of the time, µs per call and the times, not the counts": [
    ' 99.98    0.301234      150617 0.301200         2         1 openat',
    'PERCENT SECONDS USECS SECONDS 2 1 openat',
  ],
  'who made a configuration change': [
    '--- CONFIG closed: opened by pid 1423; 0 rules dropped by 1423 (node) uid 0 ---',
    '--- CONFIG closed: opened by pid PID; 0 rules dropped by PID (node) uid 0 ---',
  ],
  "the repository's path and the kernel release": [
    'loaded /work/main/build/kernel/6.1.0-57-amd64/syscallmon.ko (ring 1 MiB, 4096 return slots, clear-on-read off)',
    'loaded REPO/build/kernel/RELEASE/syscallmon.ko (ring 1 MiB, 4096 return slots, clear-on-read off)',
  ],
};

/** Lines a wrong program would print differently: nothing in them is masked. */
const KEPT: Record<string, string> = {
  'syscall numbers and names': 'openat (257): log, every process (added)',
  'errno names and exit codes': 'syscallmon: cannot release openat: EINVAL (openat is not intercepted)',
  'an exit code': '{"type":"exit","exit_code":7,"signal":15}',
  'a pid given in words': 'openat (257): monitoring pid 359 (pids now 359)',
  'what a call returned': 'sh openat ALLOWED -ENOENT /nonexistent',
  'the fd an open of any other file returned': 'HH:MM:SS PID PID 0 sh openat ALLOWED 3 SECONDS /etc/hostname',
  'flags, small numbers and results of a strace line': 'openat(AT_FDCWD, "/tmp/hi", O_RDONLY|O_CLOEXEC, 0x1ff) = 3',
  'a ring size asked for': 'syscallmon: the ring size must be a power of two from 64 KiB to 1 GiB (bytes, or with K, M or G), got "3M"',
};

describe('normalize: what is masked', () => {
  it.each(Object.entries(MASKED))('%s', (_what, [line, want]) => {
    expect(normalize(line)).toBe(want);
  });

  it.each(Object.entries(KEPT))('keeps %s', (_what, line) => {
    expect(normalize(line)).toBe(line.replace(/\s+/g, ' '));
  });
});
