// Monitor.follow over the fake binding: the selection (never hiding a gap),
// the count, the backlog, both outputs, and how a follow ends.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SyscallmonError } from '../../../src/lib/errors.js';
import type { MonitorEvent } from '../../../src/lib/events.js';
import type { FollowOptions, FollowSummary } from '../../../src/lib/follow.js';
import { Monitor } from '../../../src/lib/monitor.js';
import { FakeBinding } from '../fake-binding.js';

const dir = mkdtempSync(join(tmpdir(), 'smon-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function armed(init?: (f: FakeBinding) => void): { fake: FakeBinding; mon: Monitor } {
  const fake = new FakeBinding();
  init?.(fake);
  const mon = Monitor.open({ binding: fake });
  mon.setMode('log');
  mon.addTarget({ syscall: 'openat', action: 'log' });
  mon.addTarget({ syscall: 'read', action: 'log' });
  return { fake, mon };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** What each output shows for the same calls: NDJSON lines (parsed) or decoded events, as [type, pid, path]. */
type Shown = [string, number | null, string | null][];

async function runBoth(
  before: (fake: FakeBinding) => void,
  during: (fake: FakeBinding) => void,
  opts: FollowOptions,
  init?: (f: FakeBinding) => void,
): Promise<{ ndjson: { shown: Shown; summary: FollowSummary }; events: { shown: Shown; summary: FollowSummary } }> {
  const out = {} as Awaited<ReturnType<typeof runBoth>>;
  for (const kind of ['ndjson', 'events'] as const) {
    const { fake, mon } = armed(init);
    before(fake);
    const path = join(dir, `out${files++}`);
    const fd = openSync(path, 'w+');
    const events: MonitorEvent[] = [];
    const following = mon.follow(kind === 'ndjson' ? { ndjsonFd: fd } : { onEvents: (b) => void events.push(...b) }, opts);
    during(fake);
    for (let i = 0; i < 5; i++) await tick();
    following.stop();
    const summary = await following.done;
    closeSync(fd);
    mon.close();
    const shown: Shown =
      kind === 'ndjson'
        ? readFileSync(path, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { type: string; pid?: number; path?: string | null; count?: number })
            .map((e) => [e.type, e.pid ?? e.count ?? null, e.path ?? null])
        : events.map((e) => [e.type, e.type === 'lost' ? e.count : e.pid, e.type === 'syscall' ? e.path : null]);
    out[kind] = { shown, summary: { ...summary, seconds: 0 } };
    expect(fake.activeStreams).toBe(0);
  }
  return out;
}

describe('Monitor.follow: both outputs show the same', () => {
  it('events from the moment follow returns, nothing held before it', async () => {
    const r = await runBoth(
      (f) => f.syscall({ syscall: 'openat', pid: 1, path: '/before' }),
      (f) => f.syscall({ syscall: 'openat', pid: 2, path: '/after' }),
      {},
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['syscall', 2, '/after']]);
      expect(o.summary).toEqual({ shown: 1, read: 1, lost: 0, seconds: 0, reason: 'stopped' });
    }
  });

  it('a selection by syscall and by process or thread; reading counts what was not shown', async () => {
    const r = await runBoth(
      () => {},
      (f) => {
        f.syscall({ syscall: 'openat', pid: 42, path: '/yes' });
        f.syscall({ syscall: 'openat', pid: 43, path: '/other-pid' });
        f.syscall({ syscall: 'read', pid: 42 });
        f.syscall({ syscall: 'openat', pid: 44, tgid: 42, path: '/thread-of-42' });
        f.syscall({ syscall: 'openat', pid: 42, tgid: 40, path: '/tid-42' });
      },
      { syscalls: ['openat'], pids: [42] },
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['syscall', 42, '/yes'], ['syscall', 44, '/thread-of-42'], ['syscall', 42, '/tid-42']]);
      expect(o.summary).toMatchObject({ shown: 3, read: 5, lost: 0 });
    }
  });

  it('a lost record is never hidden by the selection, and its count is summed', async () => {
    const r = await runBoth(
      () => {},
      (f) => {
        for (let i = 0; i < 40; i++) f.syscall({ syscall: 'read', pid: 7 });
      },
      { pids: [99999] },
      (f) => (f.ringSize = 16 * 168), // 16 records of read() (160 bytes) or openat of a short path (168)
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['lost', 24, null]]);
      expect(o.summary).toMatchObject({ shown: 0, read: 16, lost: 24 });
    }
  });

  it('the backlog: the last N selected events held (an old gap left out), then live ones', async () => {
    const r = await runBoth(
      (f) => {
        for (let i = 1; i <= 20; i++) f.syscall({ syscall: 'openat', pid: i, path: `/old${i}` });
        f.syscall({ syscall: 'read', pid: 3 });
      },
      (f) => f.syscall({ syscall: 'openat', pid: 9, path: '/new' }),
      { backlog: 2, syscalls: ['openat'] },
      (f) => (f.ringSize = 16 * 168), // 16 records of read() (160 bytes) or openat of a short path (168)
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['syscall', 19, '/old19'], ['syscall', 20, '/old20'], ['syscall', 9, '/new']]);
      expect(o.summary).toMatchObject({ shown: 3, read: 1, lost: 0 });
    }
  });

  it('the count stops it by itself, backlog included; what comes after is neither shown nor read', async () => {
    const r = await runBoth(
      (f) => f.syscall({ syscall: 'openat', pid: 1, path: '/old' }),
      (f) => {
        for (let i = 0; i < 5; i++) f.syscall({ syscall: 'openat', pid: 2, path: `/f${i}` });
      },
      { backlog: 1, count: 3 },
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['syscall', 1, '/old'], ['syscall', 2, '/f0'], ['syscall', 2, '/f1']]);
      expect(o.summary).toEqual({ shown: 3, read: 2, lost: 0, seconds: 0, reason: 'count' });
    }
  });

  it('a count the backlog fills: the first events of the backlog, and nothing is read live', async () => {
    const r = await runBoth(
      (f) => {
        for (let i = 0; i < 3; i++) f.syscall({ syscall: 'openat', pid: 1, path: `/old${i}` });
      },
      (f) => f.syscall({ syscall: 'openat', pid: 2, path: '/new' }),
      { backlog: 3, count: 2 },
    );
    for (const o of [r.ndjson, r.events]) {
      expect(o.shown).toEqual([['syscall', 1, '/old0'], ['syscall', 1, '/old1']]);
      expect(o.summary).toMatchObject({ shown: 2, read: 0, reason: 'count' });
    }
  });
});

describe('Monitor.follow: an outcome filter', () => {
  it('keeps the calls that meet it, from the backlog and live, and every gap; the count counts only them', async () => {
    const { fake, mon } = armed((f) => (f.ringSize = 16 * 168));
    mon.setExits(true);
    for (let i = 0; i < 20; i++) fake.syscall({ syscall: 'openat', pid: 1, path: `/old${i}`, ret: i % 5 === 0 ? -2 : 3 });
    const events: MonitorEvent[] = [];
    const following = mon.follow({ onEvents: (b) => void events.push(...b) }, { backlog: 2, count: 4, outcome: { failed: true } });
    fake.syscall({ syscall: 'openat', pid: 2, path: '/fine', ret: 3 });
    fake.exit({ pid: 2, exit_code: 1 });
    fake.syscall({ syscall: 'read', pid: 2, ret: -11 });
    for (let i = 0; i < 5; i++) await tick();
    for (let i = 0; i < 40; i++) fake.syscall({ syscall: 'read', pid: 3, ret: 1 });
    fake.syscall({ syscall: 'openat', pid: 2, path: '/missing', ret: -2 });
    fake.syscall({ syscall: 'openat', pid: 2, path: '/too-late', ret: -2 });
    for (let i = 0; i < 5; i++) await tick();
    const summary = await following.done;
    mon.close();
    const shown = events.map((e) => (e.type === 'syscall' ? `${e.syscall} ${e.path ?? ''} ${e.errno}` : e.type));
    // held: /old0../old19 minus what the 16-record ring dropped; failed among them: /old10 and /old15
    expect(shown).toEqual(['openat /old10 ENOENT', 'openat /old15 ENOENT', 'read  EAGAIN', 'lost', 'openat /missing ENOENT']);
    expect(summary).toMatchObject({ shown: 4, reason: 'count' });
  });

  it('slower than a duration: a call without one (recorded at entry) never is', async () => {
    const { fake, mon } = armed();
    const events: MonitorEvent[] = [];
    const following = mon.follow({ onEvents: (b) => void events.push(...b) }, { outcome: { slowerThanNs: 1_000_000n } });
    fake.syscall({ syscall: 'read', pid: 1, duration_ns: 1_000_000n });
    fake.syscall({ syscall: 'read', pid: 2, duration_ns: 1_000_001n });
    fake.syscall({ syscall: 'read', pid: 3, noSlot: true });
    for (let i = 0; i < 5; i++) await tick();
    following.stop();
    await following.done;
    mon.close();
    expect(events.map((e) => e.type !== 'lost' && e.pid)).toEqual([2]);
  });

  it('reads decoded events: with the NDJSON output it is a usage error, before the device is touched', () => {
    const { fake, mon } = armed();
    const before = fake.calls.length;
    expect(() => mon.follow({ ndjsonFd: 1 }, { outcome: { failed: true } })).toThrow(/an outcome filter reads decoded events/);
    expect(fake.calls.length).toBe(before);
    // an empty filter chooses nothing: NDJSON as usual
    mon.follow({ ndjsonFd: openSync('/dev/null', 'w') }, { outcome: {} }).stop();
    mon.close();
  });
});

describe('Monitor.follow: how it ends', () => {
  it('the signal ends it with reason "aborted"; the events function may pause it', async () => {
    const { fake, mon } = armed();
    const ac = new AbortController();
    let release!: () => void;
    const seen: number[] = [];
    const following = mon.follow(
      {
        onEvents: (events) => {
          for (const e of events) if (e.type === 'syscall') seen.push(e.pid);
          if (seen.length === 1) return new Promise<void>((r) => (release = r));
        },
      },
      { signal: ac.signal },
    );
    fake.syscall({ syscall: 'openat', pid: 1, path: '/a' });
    for (let i = 0; i < 3; i++) await tick();
    fake.syscall({ syscall: 'openat', pid: 2, path: '/b' });
    for (let i = 0; i < 3; i++) await tick();
    expect(seen).toEqual([1]);
    release();
    for (let i = 0; i < 3; i++) await tick();
    expect(seen).toEqual([1, 2]);
    ac.abort('SIGINT');
    expect(await following.done).toMatchObject({ shown: 2, reason: 'aborted' });
    mon.close();
  });

  it('an NDJSON reader that went away (EPIPE) ends it with reason "output closed", not an error', async () => {
    const { fake, mon } = armed();
    const { readFd, writeFd } = pipe();
    closeSync(readFd);
    const following = mon.follow({ ndjsonFd: writeFd });
    fake.syscall({ syscall: 'openat', pid: 1, path: '/a' });
    expect(await following.done).toMatchObject({ reason: 'output closed' });
    closeSync(writeFd);
    mon.close();
  });

  it('close() ends it; what the events function throws rejects done', async () => {
    const { fake, mon } = armed();
    const following = mon.follow({ onEvents: () => {} });
    mon.close();
    expect(await following.done).toMatchObject({ reason: 'stopped' });
    const second = armed();
    const failing = second.mon.follow({
      onEvents: () => {
        throw new Error('handler broke');
      },
    });
    second.fake.syscall({ syscall: 'openat', pid: 1, path: '/a' });
    await expect(failing.done).rejects.toThrow('handler broke');
    second.mon.close();
    expect(fake.activeStreams + second.fake.activeStreams).toBe(0);
  });

  it('validates before it touches the device: names, pids, counts; one stream at a time', () => {
    const { fake, mon } = armed();
    const kind = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return `${(e as SyscallmonError).kind}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    const before = fake.calls.length;
    expect(kind(() => mon.follow({ onEvents: () => {} }, { syscalls: ['opnat'] }))).toMatch(/^usage: unknown syscall 'opnat'/);
    expect(kind(() => mon.follow({ onEvents: () => {} }, { pids: [0] }))).toMatch(/^usage: invalid pid 0/);
    expect(kind(() => mon.follow({ onEvents: () => {} }, { count: -1 }))).toMatch(/^usage: invalid count -1/);
    expect(kind(() => mon.follow({ onEvents: () => {} }, { backlog: 1.5 }))).toMatch(/^usage: invalid backlog 1.5/);
    expect(fake.calls.length).toBe(before);
    const first = mon.follow({ onEvents: () => {} });
    expect(kind(() => mon.follow({ onEvents: () => {} }))).toMatch(/^usage: this monitor is already streaming events/);
    first.stop();
    mon.close();
  });
});

/** A pipe's two ends, by way of a FIFO (Node has no pipe(2)). */
function pipe(): { readFd: number; writeFd: number } {
  const path = join(dir, `fifo${files++}`);
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, 'r+');
  const writeFd = openSync(path, 'w');
  return { readFd, writeFd };
}
