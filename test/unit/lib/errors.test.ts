import { describe, expect, it } from 'vitest';
import { errnoMessage, errnoName, errnoNames, errnoNumber, errnoText } from '../../../src/lib/errnos.js';
import { fromBindingError, KernelError, NotLoadedError, PermissionError, SyscallmonError, VersionError } from '../../../src/lib/errors.js';
import { parseErrno } from '../../../src/lib/monitor.js';
import { errnoError } from '../fake-binding.js';

describe('errnos', () => {
  it('maps names and numbers both ways, preferring the Linux names', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(13)).toBe('EACCES');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(4000)).toBe('4000');
    expect(errnoNumber('ENOENT')).toBe(2);
    expect(errnoNumber('enoent')).toBe(2);
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('ENOPE')).toBeUndefined();
    expect(errnoMessage(1)).toBe('operation not permitted');
    expect(errnoName(15)).toBe('ENOTBLK');
    expect(errnoName(512)).toBe('ERESTARTSYS');
    expect(errnoNumber('ERESTARTSYS')).toBeUndefined();
    expect(errnoText(2)).toBe('No such file or directory');
    expect(errnoText(515)).toBe('Unknown error 515');
    expect(errnoNames()).toContain('EBUSY');
  });
});

describe('parseErrno', () => {
  it.each([['EPERM', 1], ['eacces', 13], [' ENOENT ', 2], ['13', 13], [4095, 4095]] as const)('%j -> %d', (v, n) => {
    expect(parseErrno(v)).toBe(n);
  });
  it.each([
    ['EPREM', /unknown errno 'EPREM'; did you mean EPERM/],
    ['0', /errno 0 out of range \(1..4095\)/],
    ['4096', /out of range/],
    ['-1', /unknown errno '-1'/],
    ['', /unknown errno ''/],
  ])('rejects %j', (v, re) => {
    expect(() => parseErrno(v)).toThrow(re);
    try {
      parseErrno(v);
    } catch (e) {
      expect((e as SyscallmonError).kind).toBe('usage');
    }
  });
});

describe('fromBindingError', () => {
  it.each(['ENOENT', 'ENODEV', 'ENXIO'])('open %s -> not_loaded with how to load', (code) => {
    const e = fromBindingError(errnoError(code, 'open'), 'open /dev/syscallmon');
    expect(e).toBeInstanceOf(NotLoadedError);
    expect(e).toMatchObject({ kind: 'not_loaded', code, syscall: 'open' });
    expect(e.message).toMatch(/not loaded.*`syscallmon load`.*sudo insmod build\/kernel\/\$\(uname -r\)\/syscallmon.ko/);
  });

  it.each([['EACCES', 'open'], ['EPERM', 'open'], ['EPERM', 'ioctl:SET_MODE']])('%s from %s -> permission', (code, sc) => {
    const e = fromBindingError(errnoError(code, sc), 'set mode log');
    expect(e).toBeInstanceOf(PermissionError);
    expect(e).toMatchObject({ kind: 'permission', code, errno: code === 'EACCES' ? 13 : 1 });
    expect(e.message).toMatch(/needs root/);
  });

  it('other errnos -> kernel, with the errno name and the hint for this call', () => {
    const e = fromBindingError(errnoError('EBUSY', 'ioctl:ADD_TARGET'), 'target openat', { EBUSY: 'openat is already targeted' });
    expect(e).toBeInstanceOf(KernelError);
    expect(e).toMatchObject({ kind: 'kernel', code: 'EBUSY', errno: 16, syscall: 'ioctl:ADD_TARGET' });
    expect(e.message).toBe('kernel refused to target openat: EBUSY (device or resource busy): openat is already targeted');
    // ENOENT from an ioctl is the kernel's answer, not a missing module.
    expect(fromBindingError(errnoError('ENOENT', 'ioctl:ADD_TARGET'), 'target x')).toBeInstanceOf(KernelError);
  });

  it('ENOTTY from an ioctl -> version: the module does not know the request', () => {
    const e = fromBindingError(errnoError('ENOTTY', 'ioctl:DEL_RULES'), 'delete rule #3');
    expect(e).toBeInstanceOf(VersionError);
    expect(e).toMatchObject({ kind: 'version', code: 'ENOTTY', syscall: 'ioctl:DEL_RULES' });
    expect(e.message).toBe(
      'the loaded module does not know how to delete rule #3 (DEL_RULES: ENOTTY): it was built from another version of syscallmon; ' +
        'rebuild and reload it (`syscallmon unload && syscallmon load`)',
    );
    // Not from an ioctl (a write to a terminal's fd, say): the kernel's answer as it is.
    expect(fromBindingError(errnoError('ENOTTY', 'write'), 'write')).toBeInstanceOf(KernelError);
  });

  it('passes other errors through', () => {
    const plain = new TypeError('fd must be a number');
    expect(fromBindingError(plain, 'x')).toBe(plain);
    const typed = new KernelError('k');
    expect(fromBindingError(typed, 'x')).toBe(typed);
  });
});

describe('one error family', () => {
  it('carries an errno name known without a syscall of ours (insmod\'s output), and keeps its kind', () => {
    const e = new KernelError('insmod failed: File exists', { code: 'EEXIST' });
    expect(e).toBeInstanceOf(SyscallmonError);
    expect(e).toMatchObject({ kind: 'kernel', code: 'EEXIST', name: 'KernelError', errno: undefined });
  });
});
