import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../../src/lib/binding.js';
import { UsageError } from '../../../src/lib/errors.js';
import { closestNames, editDistance, SyscallTable } from '../../../src/lib/syscalls.js';

const table = new SyscallTable(loadBinding().syscalls);

describe('editDistance', () => {
  it.each([
    ['', '', 0], ['open', 'open', 0], ['opn', 'open', 1], ['opne', 'open', 1], ['openat', 'open', 2],
    ['kitten', 'sitting', 3], ['', 'abc', 3],
  ])('%s -> %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('SyscallTable', () => {
  it('maps names and numbers both ways', () => {
    expect(table.byName('openat')?.nr).toBe(257);
    expect(table.byNr(257)?.name).toBe('openat');
    expect(table.byNr(0)?.name).toBe('read');
    expect(table.nameOf(257)).toBe('openat');
    expect(table.nameOf(9999)).toBe('syscall_9999');
  });

  it.each(['openat', 'OpenAt', ' openat ', 'sys_openat', '__x64_sys_openat', '257', 257])('resolves %j', (input) => {
    expect(table.resolve(input).nr).toBe(257);
  });

  it('knows the path argument and the probed symbol', () => {
    expect(table.resolve('openat')).toMatchObject({ pathArg: 1, symbol: '__x64_sys_openat' });
    expect(table.resolve('open').pathArg).toBe(0);
    expect(table.resolve('write').pathArg).toBe(-1);
    expect(table.resolve('umount2').symbol).toBe('__x64_sys_umount');
  });

  it.each([
    ['opnat', 'openat'],
    ['opneat', 'openat'],
    ['wirte', 'write'],
    ['exceve', 'execve'],
    ['unlnk', 'unlink'],
  ])('suggests %s -> %s', (typo, want) => {
    expect(table.suggest(typo)[0]).toBe(want);
    expect(() => table.resolve(typo)).toThrow(UsageError);
    expect(() => table.resolve(typo)).toThrow(new RegExp(`unknown syscall '${typo}'; did you mean ${want}`));
  });

  it('says where to look when nothing is close', () => {
    expect(table.suggest('zzzzzzzzzzzz')).toEqual([]);
    expect(() => table.resolve('zzzzzzzzzzzz')).toThrow(/unknown syscall 'zzzzzzzzzzzz' \(see `syscallmon syscalls`\)/);
    expect(() => table.resolve(100000)).toThrow(/unknown syscall number 100000/);
    expect(() => table.resolve('-1')).toThrow(UsageError);
  });

  it('matches by substring or glob, sorted by number', () => {
    expect(table.match('openat').map((e) => e.name)).toEqual(['openat', 'openat2']);
    expect(table.match('open*').map((e) => e.name)).toEqual(['open', 'openat', 'open_by_handle_at', 'open_tree', 'openat2']);
    expect(table.match('?ead').map((e) => e.name)).toEqual(['read']);
    expect(table.match().length).toBe(table.entries.length);
    expect(table.match('nothing-like-this')).toEqual([]);
  });
});

describe('closestNames', () => {
  it('ranks by distance, then shorter names, at most max', () => {
    expect(closestNames('stat', ['statx', 'stat', 'lstat', 'fstat', 'statfs'], 3)).toEqual(['stat', 'fstat', 'lstat']);
  });
});
