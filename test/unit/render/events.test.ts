import { beforeAll, describe, expect, it } from 'vitest';
import { palette } from '../../../src/render/colour.js';
import { eventLine, renderEventTable } from '../../../src/render/events.js';
import { renderTable } from '../../../src/render/table.js';
import {
  blockedRecord, configRecord, events, exitRecord, fake, fileRuleRecord, lostRecord, PATH_UNREADABLE, syscallRecord, VERDICT_WOULD_BLOCK,
} from './events-fixture.js';

beforeAll(() => {
  // Tables show local time; pin the zone so the expected text is stable.
  process.env.TZ = 'UTC';
});

const plain = palette(false);
const red = palette(true);

describe('log table', () => {
  it('columns time, pid, tgid, uid, comm, syscall, verdict, ret, duration, path', () => {
    const text = renderEventTable(events([
      syscallRecord(),
      blockedRecord({ nr: 87, comm: 'rm', path: '/tmp/keep' }),
      syscallRecord({ path: '/nope', ret: -2, duration_ns: 2_000_000_123n }),
      syscallRecord({ nr: 0, path: undefined, target: 'pipe:[77]', ret: 1, duration_ns: 300_000_000n }),
      syscallRecord({ ret: undefined, duration_ns: undefined }),
    ]), plain);
    expect(text).toBe(
      [
        'TIME              PID  TGID   UID  COMM  SYSCALL  VERDICT            RET  DURATION  PATH',
        '10:20:30.123456  1235  1234  1000  cat   openat   ALLOWED              3  0.000012  /etc/hostname',
        '10:20:30.123456  1235  1234  1000  rm    unlink   BLOCKED EPERM   -EPERM  0.000000  /tmp/keep',
        '10:20:30.123456  1235  1234  1000  cat   openat   ALLOWED        -ENOENT  2.000000  /nope',
        '10:20:30.123456  1235  1234  1000  cat   read     ALLOWED              1  0.300000  pipe:[77]',
        '10:20:30.123456  1235  1234  1000  cat   openat   ALLOWED                           /etc/hostname',
        '',
      ].join('\n'),
    );
  });

  it('BLOCKED is red only when colour is on', () => {
    const [b] = events([blockedRecord()]);
    expect(renderEventTable([b!], plain)).not.toContain('\u001b[');
    expect(renderEventTable([b!], red)).toContain('\u001b[31m\u001b[1mBLOCKED EPERM\u001b[22m\u001b[39m');
  });

  it('sanitises comm and path from the kernel', () => {
    const text = renderEventTable(events([syscallRecord({ comm: 'x\u001b]0;pwn\u0007', path: '/tmp/a\nb' })]), plain);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(text).toContain('x\\x1b]0;pwn\\x07');
    expect(text).toContain('/tmp/a\\nb');
  });

  it('shows truncated and unreadable paths, would-block, exits and lost markers', () => {
    const text = renderEventTable(
      events([
        syscallRecord({ path: '/very/long/' + 'x'.repeat(300) }),
        syscallRecord({ flags: PATH_UNREADABLE, path: undefined }),
        syscallRecord({ verdict: VERDICT_WOULD_BLOCK, err: 13 }),
        exitRecord({ signal: 15 }),
        lostRecord(12),
      ]),
      plain,
    );
    expect(text).toMatch(/\/very\/long\/x+…/);
    expect(text).toContain('<unreadable>');
    expect(text).toContain('WOULD_BLOCK EACCES');
    expect(text).toMatch(/<exit>\s+signal 15/);
    expect(text).toMatch(/^-- 12 events lost: the reader was overtaken --$/m);
  });

  it('an empty path argument (fstat as newfstatat(fd, "", …, AT_EMPTY_PATH), statx on an fd) shows the fd\'s target', () => {
    const [fstat] = events([syscallRecord({ nr: 262, path: '', target: '/etc/passwd', ret: 0 })]);
    expect(renderEventTable([fstat!], plain)).toMatch(/newfstatat +ALLOWED +0 +0\.000012 +\/etc\/passwd\n$/);
    expect(eventLine(fstat!, plain)).toMatch(/newfstatat +ALLOWED +0 +0\.000012 +\/etc\/passwd\n$/);
  });

  it('a configuration change in the columns: CONFIG, its kind, what changed; a file rule\'s record says [file]', () => {
    const text = renderEventTable(events([
      configRecord(),
      fileRuleRecord(),
      fileRuleRecord({ nr: fake.c('NR_NONE'), native_nr: fake.c('NR_NONE'), flags: fake.c('SYSCALL_FILE') | fake.c('SYSCALL_PATH_UNREADABLE') | fake.c('SYSCALL_RESULT'), path: undefined }),
      lostRecord(5, 10, 2),
    ]), plain);
    expect(text).toBe(
      [
        'TIME              PID  TGID   UID  COMM        SYSCALL  VERDICT           RET  DURATION  PATH',
        '10:20:30.123458  4242  4242     0  syscallmon  CONFIG   mode                             LOG -> BLOCK',
        '10:20:30.123456  1235  1234  1000  cat         openat   BLOCKED EPERM  -EPERM  0.000000  [file] /etc/shadow',
        '10:20:30.123456  1235  1234  1000  cat         none     BLOCKED EPERM  -EPERM  0.000000  [file] <unreadable>',
        '-- 5 events lost (2 of them configuration changes): the reader was overtaken --',
        '',
      ].join('\n'),
    );
  });
});

describe('tail lines', () => {
  it('one fixed-width line per event; pid/thread shown when they differ', () => {
    const [a, b, x, l, e] = events([
      syscallRecord(), blockedRecord({ pid: 1234 }), exitRecord(), lostRecord(1), syscallRecord({ ret: undefined, duration_ns: undefined }),
    ]);
    expect(eventLine(a!, plain)).toBe(
      '10:20:30.123456     1234/1235    cat              openat           ALLOWED                  3    0.000012  /etc/hostname\n',
    );
    expect(eventLine(b!, plain)).toBe(
      '10:20:30.123456     1234         cat              openat           BLOCKED EPERM       -EPERM    0.000000  /etc/hostname\n',
    );
    expect(eventLine(x!, plain)).toBe(
      '10:20:30.123457     1234         cat              <exit>           code 7                                cpu user 0.300 s, sys 0.005 s\n',
    );
    expect(eventLine(e!, plain)).toBe(
      '10:20:30.123456     1234/1235    cat              openat           ALLOWED                                 /etc/hostname\n',
    );
    expect(eventLine(l!, plain)).toBe('-- 1 event lost: the reader was overtaken --\n');
  });

  it('a configuration change: CONFIG, its kind, what changed, by whom', () => {
    const [m, t, f] = events([
      configRecord(),
      configRecord({ kind: fake.c('CONFIG_TARGET'), id: 257, text: 'openat: none -> block errno 1 pids 1', comm: 'evil\u001b[2J', uid: 1000 }),
      fileRuleRecord(),
    ]);
    expect(eventLine(m!, plain)).toBe('10:20:30.123458  CONFIG  mode  LOG -> BLOCK  by 4242 (syscallmon) uid 0\n');
    expect(eventLine(t!, plain)).toBe('10:20:30.123458  CONFIG  target  openat: none -> block errno 1 pids 1  by 4242 (evil\\x1b[2J) uid 1000\n');
    expect(eventLine(f!, plain)).toBe(
      '10:20:30.123456     1234/1235    cat              openat           BLOCKED EPERM       -EPERM    0.000000  [file] /etc/shadow\n',
    );
    expect(eventLine(m!, red)).toContain('\u001b[33mCONFIG\u001b[39m');
  });

  it('colour does not shift the columns', () => {
    const [b] = events([blockedRecord()]);
    const strip = (s: string): string => s.replace(/\u001b\[\d+m/g, '');
    expect(strip(eventLine(b!, red))).toBe(eventLine(b!, plain));
  });
});

describe('table', () => {
  it('right-aligns numbers, has no trailing spaces, and spans wide rows', () => {
    const text = renderTable([{ header: 'NR', align: 'right' }, { header: 'NAME' }], [['1', 'write'], ['257', 'openat'], { wide: 'note' }], plain);
    expect(text).toBe(' NR  NAME\n  1  write\n257  openat\nnote\n');
  });
});
