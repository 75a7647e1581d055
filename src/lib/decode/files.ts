/*
 * Files and directories: opening, reading and writing, metadata, links,
 * extended attributes, watching, descriptors and their flags.
 */
import {
  at, constOf, dirfd, fd, flagsOf, hexArg, i32, i64, mem, mode, path, textOf, u32, u64, uid,
  type Arg, type ResultFormat, type Signature,
} from './args.js';
import { hex, int, octal, uint } from './format.js';
import { CLOCKS, signalName } from './processes.js';
import { constant, flags, nameOf, xlatOf } from './xlat.js';

const O_ACCMODE = 3n;
const O_CREAT = 0o100n;
const O_TMPFILE_BIT = 0o20000000n; // __O_TMPFILE: O_TMPFILE without O_DIRECTORY

const ACCESS_MODES = xlatOf('O', { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_ACCMODE: 3 });

/** open(2) flags other than the access mode, in strace's order (O_SYNC before O_DSYNC, O_TMPFILE before O_DIRECTORY). */
const OPEN_FLAGS = xlatOf('O', {
  O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000, O_APPEND: 0o2000, O_NONBLOCK: 0o4000,
  O_SYNC: 0o4010000, O_DSYNC: 0o10000, O_DIRECT: 0o40000, O_LARGEFILE: 0o100000, O_NOFOLLOW: 0o400000,
  O_NOATIME: 0o1000000, O_CLOEXEC: 0o2000000, O_PATH: 0o10000000, O_TMPFILE: 0o20200000, __O_TMPFILE: 0o20000000, O_DIRECTORY: 0o200000,
  FASYNC: 0o20000,
});

/** O_RDONLY|O_CLOEXEC: the access mode always, then the other flags. */
function openFlags(v: bigint): string {
  const u = BigInt(uint(v));
  const access = ACCESS_MODES.entries[Number(u & O_ACCMODE)]?.[1] as string;
  const rest = u & ~O_ACCMODE;
  return rest === 0n ? access : `${access}|${flags(OPEN_FLAGS, rest)}`;
}

const openFlagsArg: Arg = textOf(openFlags);

/** open and openat print a mode only when they may create a file. */
function createsFile(flagsValue: bigint | undefined): boolean {
  return ((flagsValue ?? 0n) & (O_CREAT | O_TMPFILE_BIT)) !== 0n;
}

/** AT_* flags of the *at calls. */
export const AT_FLAGS = xlatOf('AT', {
  AT_SYMLINK_NOFOLLOW: 0x100, AT_REMOVEDIR: 0x200, AT_SYMLINK_FOLLOW: 0x400, AT_NO_AUTOMOUNT: 0x800,
  AT_EMPTY_PATH: 0x1000, AT_RECURSIVE: 0x8000,
});
const atFlags = flagsOf(AT_FLAGS);

/** faccessat2 reuses AT_REMOVEDIR's bit for AT_EACCESS. */
const FACCESSAT2_FLAGS = xlatOf('AT', { AT_SYMLINK_NOFOLLOW: 0x100, AT_EACCESS: 0x200, AT_EMPTY_PATH: 0x1000 });

const STATX_SYNC = xlatOf('AT_STATX', { AT_STATX_SYNC_AS_STAT: 0, AT_STATX_FORCE_SYNC: 0x2000, AT_STATX_DONT_SYNC: 0x4000 });
const STATX_SYNC_MASK = 0x6000n;

/** statx's flags: the sync type (always named, even AT_STATX_SYNC_AS_STAT), then the AT_* flags. */
const statxFlags: Arg = textOf((v) => {
  const u = BigInt(uint(v));
  const sync = constant(STATX_SYNC, u & STATX_SYNC_MASK);
  const rest = u & ~STATX_SYNC_MASK;
  return rest === 0n ? sync : `${sync}|${flags(AT_FLAGS, rest)}`;
});

const STATX_MASK = xlatOf('STATX', {
  STATX_ALL: 0xfff, STATX_BASIC_STATS: 0x7ff, STATX_TYPE: 0x1, STATX_MODE: 0x2, STATX_NLINK: 0x4, STATX_UID: 0x8,
  STATX_GID: 0x10, STATX_ATIME: 0x20, STATX_MTIME: 0x40, STATX_CTIME: 0x80, STATX_INO: 0x100, STATX_SIZE: 0x200,
  STATX_BLOCKS: 0x400, STATX_BTIME: 0x800, STATX_MNT_ID: 0x1000, STATX_DIOALIGN: 0x2000,
});

const ACCESS = xlatOf('?_OK', { R_OK: 4, W_OK: 2, X_OK: 1 });
const accessMode = flagsOf(ACCESS, 'F_OK');

const SEEK = xlatOf('SEEK', { SEEK_SET: 0, SEEK_CUR: 1, SEEK_END: 2, SEEK_DATA: 3, SEEK_HOLE: 4 });

const FD_FLAGS = xlatOf('FD', { FD_CLOEXEC: 1 });
const LEASES = xlatOf('F', { F_RDLCK: 0, F_WRLCK: 1, F_UNLCK: 2 });
const DNOTIFY = xlatOf('DN', {
  DN_ACCESS: 0x1, DN_MODIFY: 0x2, DN_CREATE: 0x4, DN_DELETE: 0x8, DN_RENAME: 0x10, DN_ATTRIB: 0x20,
  DN_MULTISHOT: 0x80000000,
});
const SEALS = xlatOf('F_SEAL', {
  F_SEAL_SEAL: 0x1, F_SEAL_SHRINK: 0x2, F_SEAL_GROW: 0x4, F_SEAL_WRITE: 0x8, F_SEAL_FUTURE_WRITE: 0x10,
  F_SEAL_EXEC: 0x20,
});

const F = {
  F_DUPFD: 0, F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_SETFL: 4, F_GETLK: 5, F_SETLK: 6, F_SETLKW: 7, F_SETOWN: 8,
  F_GETOWN: 9, F_SETSIG: 10, F_GETSIG: 11, F_SETOWN_EX: 15, F_GETOWN_EX: 16, F_GETOWNER_UIDS: 17,
  F_OFD_GETLK: 36, F_OFD_SETLK: 37, F_OFD_SETLKW: 38, F_SETLEASE: 1024, F_GETLEASE: 1025, F_NOTIFY: 1026,
  F_DUPFD_QUERY: 1027, F_DUPFD_CLOEXEC: 1030, F_SETPIPE_SZ: 1031, F_GETPIPE_SZ: 1032, F_ADD_SEALS: 1033,
  F_GET_SEALS: 1034, F_GET_RW_HINT: 1035, F_SET_RW_HINT: 1036, F_GET_FILE_RW_HINT: 1037, F_SET_FILE_RW_HINT: 1038,
} as const;
const FCNTL_CMDS = xlatOf('F', F);

/** What fcntl's third argument is, per command; commands missing here take none. */
const FCNTL_ARG: Readonly<Record<number, Arg>> = {
  [F.F_DUPFD]: i32, [F.F_DUPFD_CLOEXEC]: i32, [F.F_DUPFD_QUERY]: i32, [F.F_SETOWN]: i32, [F.F_SETPIPE_SZ]: i32,
  [F.F_SETFD]: flagsOf(FD_FLAGS), [F.F_SETFL]: openFlagsArg, [F.F_SETSIG]: textOf((v) => signalName(int(v))),
  [F.F_SETLEASE]: constOf(LEASES), [F.F_NOTIFY]: flagsOf(DNOTIFY), [F.F_ADD_SEALS]: flagsOf(SEALS),
  [F.F_GETLK]: mem, [F.F_SETLK]: mem, [F.F_SETLKW]: mem, [F.F_OFD_GETLK]: mem, [F.F_OFD_SETLK]: mem,
  [F.F_OFD_SETLKW]: mem, [F.F_GETOWN_EX]: mem, [F.F_SETOWN_EX]: mem, [F.F_GETOWNER_UIDS]: mem,
  [F.F_GET_RW_HINT]: mem, [F.F_SET_RW_HINT]: mem, [F.F_GET_FILE_RW_HINT]: mem, [F.F_SET_FILE_RW_HINT]: mem,
};
const FCNTL_NO_ARG = new Set<number>([F.F_GETFD, F.F_GETFL, F.F_GETOWN, F.F_GETSIG, F.F_GETLEASE, F.F_GETPIPE_SZ, F.F_GET_SEALS]);

/** Results fcntl returns as flags: 0x1 (flags FD_CLOEXEC). */
const fcntlResult: ResultFormat = (ret, args) => {
  const cmd = uint(args[1] ?? 0n);
  if (cmd === F.F_GETFD) return ret === 0n ? '0' : `${hex(ret)} (flags ${flags(FD_FLAGS, ret)})`;
  if (cmd === F.F_GETFL) return `${hex(ret)} (flags ${openFlags(ret)})`;
  if (cmd === F.F_GET_SEALS) return ret === 0n ? '0' : `${hex(ret)} (seals ${flags(SEALS, ret)})`;
  if (cmd === F.F_GETLEASE) return constant(LEASES, ret);
  return ret.toString();
};

const fcntl: Signature = {
  args: (a) => {
    const cmd = uint(a[1] ?? 0n);
    if (nameOf(FCNTL_CMDS, BigInt(cmd)) === undefined) return [fd, constOf(FCNTL_CMDS), hexArg];
    if (FCNTL_NO_ARG.has(cmd)) return [fd, constOf(FCNTL_CMDS)];
    return [fd, constOf(FCNTL_CMDS), FCNTL_ARG[cmd] ?? hexArg];
  },
  result: fcntlResult,
};

/** ioctl requests people meet most (terminals, fds, files); others are shown as strace shows an unknown one: _IOC(...). */
const IOCTLS = xlatOf('', {
  TCGETS: 0x5401, TCSETS: 0x5402, TCSETSW: 0x5403, TCSETSF: 0x5404, TIOCGPGRP: 0x540f, TIOCSPGRP: 0x5410,
  TIOCOUTQ: 0x5411, TIOCGWINSZ: 0x5413, TIOCSWINSZ: 0x5414, FIONREAD: 0x541b, FIONBIO: 0x5421, TIOCNOTTY: 0x5422,
  TIOCGSID: 0x5429, TIOCGPTN: 0x80045430, TIOCSPTLCK: 0x40045431, FIONCLEX: 0x5450, FIOCLEX: 0x5451,
  FIOASYNC: 0x5452, FS_IOC_GETFLAGS: 0x80086601, FS_IOC_SETFLAGS: 0x40086602, 'BTRFS_IOC_CLONE or FICLONE': 0x40049409,
  BLKGETSIZE64: 0x80081272, SIOCGIFCONF: 0x8912, SIOCGIFFLAGS: 0x8913, SIOCGIFINDEX: 0x8933,
});
const IOCTL_NO_ARG = new Set(['FIOCLEX', 'FIONCLEX', 'TIOCNOTTY']);
const IOCTL_INT_ARG = new Set(['BTRFS_IOC_CLONE or FICLONE']);

const IOC_DIRS = ['_IOC_NONE', '_IOC_WRITE', '_IOC_READ', '_IOC_READ|_IOC_WRITE'];

/** _IOC(_IOC_READ|_IOC_WRITE, 0xb7, 0x8, 0x10): an ioctl number taken apart like <asm-generic/ioctl.h> builds it. */
function ioctlRequest(request: number): string {
  const name = nameOf(IOCTLS, BigInt(request));
  if (name !== undefined) return name;
  const dir = IOC_DIRS[(request >>> 30) & 3] as string;
  const h = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);
  return `_IOC(${dir}, ${h((request >>> 8) & 0xff)}, ${h(request & 0xff)}, ${h((request >>> 16) & 0x3fff)})`;
}

const ioctl: Signature = {
  args: (a) => {
    const request = uint(a[1] ?? 0n);
    const name = nameOf(IOCTLS, BigInt(request));
    const req = textOf(() => ioctlRequest(request));
    if (name === undefined) return [fd, req, hexArg];
    if (IOCTL_NO_ARG.has(name)) return [fd, req];
    return [fd, req, IOCTL_INT_ARG.has(name) ? i32 : mem];
  },
};

const LOCK = xlatOf('LOCK', { LOCK_SH: 1, LOCK_EX: 2, LOCK_NB: 4, LOCK_UN: 8, LOCK_MAND: 32, LOCK_READ: 64, LOCK_WRITE: 128 });
const RENAME = xlatOf('RENAME', { RENAME_NOREPLACE: 1, RENAME_EXCHANGE: 2, RENAME_WHITEOUT: 4 });
const CLOSE_RANGE = xlatOf('CLOSE_RANGE', { CLOSE_RANGE_UNSHARE: 2, CLOSE_RANGE_CLOEXEC: 4 });
const FALLOC = xlatOf('FALLOC_FL', {
  FALLOC_FL_KEEP_SIZE: 0x1, FALLOC_FL_PUNCH_HOLE: 0x2, FALLOC_FL_NO_HIDE_STALE: 0x4, FALLOC_FL_COLLAPSE_RANGE: 0x8,
  FALLOC_FL_ZERO_RANGE: 0x10, FALLOC_FL_INSERT_RANGE: 0x20, FALLOC_FL_UNSHARE_RANGE: 0x40,
});
const FADVISE = xlatOf('POSIX_FADV', {
  POSIX_FADV_NORMAL: 0, POSIX_FADV_RANDOM: 1, POSIX_FADV_SEQUENTIAL: 2, POSIX_FADV_WILLNEED: 3,
  POSIX_FADV_DONTNEED: 4, POSIX_FADV_NOREUSE: 5,
});
const SPLICE = xlatOf('SPLICE_F', { SPLICE_F_MOVE: 1, SPLICE_F_NONBLOCK: 2, SPLICE_F_MORE: 4, SPLICE_F_GIFT: 8 });
const RWF = xlatOf('RWF', { RWF_HIPRI: 1, RWF_DSYNC: 2, RWF_SYNC: 4, RWF_NOWAIT: 8, RWF_APPEND: 0x10 });
const INOTIFY_INIT = xlatOf('IN', { IN_NONBLOCK: 0o4000, IN_CLOEXEC: 0o2000000 });
const INOTIFY_MASK = xlatOf('IN', {
  IN_ACCESS: 0x1, IN_MODIFY: 0x2, IN_ATTRIB: 0x4, IN_CLOSE_WRITE: 0x8, IN_CLOSE_NOWRITE: 0x10, IN_OPEN: 0x20,
  IN_MOVED_FROM: 0x40, IN_MOVED_TO: 0x80, IN_CREATE: 0x100, IN_DELETE: 0x200, IN_DELETE_SELF: 0x400,
  IN_MOVE_SELF: 0x800, IN_UNMOUNT: 0x2000, IN_Q_OVERFLOW: 0x4000, IN_IGNORED: 0x8000, IN_ONLYDIR: 0x1000000,
  IN_DONT_FOLLOW: 0x2000000, IN_EXCL_UNLINK: 0x4000000, IN_MASK_CREATE: 0x10000000, IN_MASK_ADD: 0x20000000,
  IN_ISDIR: 0x40000000, IN_ONESHOT: 0x80000000,
});
const EVENTFD = xlatOf('EFD', { EFD_SEMAPHORE: 1, EFD_CLOEXEC: 0o2000000, EFD_NONBLOCK: 0o4000 });
const MEMFD = xlatOf('MFD', { MFD_CLOEXEC: 1, MFD_ALLOW_SEALING: 2, MFD_HUGETLB: 4, MFD_NOEXEC_SEAL: 8, MFD_EXEC: 0x10 });

const S_IFMT = 0o170000;
const FILE_TYPES = xlatOf('S_IF', {
  S_IFREG: 0o100000, S_IFSOCK: 0o140000, S_IFIFO: 0o10000, S_IFLNK: 0o120000, S_IFDIR: 0o40000, S_IFBLK: 0o60000,
  S_IFCHR: 0o20000,
});
const S_IFCHR = 0o20000;
const S_IFBLK = 0o60000;

/** A mode with its file type: S_IFIFO|0644. */
const typedMode: Arg = textOf((v) => {
  const m = uint(v);
  const type = m & S_IFMT;
  const perms = octal(m & ~S_IFMT);
  return type === 0 ? perms : `${constant(FILE_TYPES, BigInt(type))}|${perms}`;
});

/** A device number as the kernel packs it in 32 bits: makedev(0x1, 0x3). */
const device: Arg = textOf((v) => {
  const d = uint(v);
  const major = (d >>> 8) & 0xfff;
  const minor = (d & 0xff) | ((d >>> 12) & 0xfff00);
  const h = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);
  return `makedev(${h(major)}, ${h(minor)})`;
});

function isDevice(modeValue: bigint | undefined): boolean {
  const type = uint(modeValue ?? 0n) & S_IFMT;
  return type === S_IFCHR || type === S_IFBLK;
}

const XATTR = xlatOf('XATTR', { XATTR_CREATE: 1, XATTR_REPLACE: 2 });
const FANOTIFY_MARK = xlatOf('FAN_MARK', {
  FAN_MARK_ADD: 1, FAN_MARK_REMOVE: 2, FAN_MARK_DONT_FOLLOW: 4, FAN_MARK_ONLYDIR: 8, FAN_MARK_MOUNT: 0x10,
  FAN_MARK_IGNORED_MASK: 0x20, FAN_MARK_IGNORED_SURV_MODIFY: 0x40, FAN_MARK_FLUSH: 0x80, FAN_MARK_FILESYSTEM: 0x100,
  FAN_MARK_EVICTABLE: 0x200, FAN_MARK_IGNORE: 0x400,
});

const SYNC_FILE_RANGE = xlatOf('SYNC_FILE_RANGE', {
  SYNC_FILE_RANGE_WAIT_BEFORE: 1, SYNC_FILE_RANGE_WRITE: 2, SYNC_FILE_RANGE_WAIT_AFTER: 4,
});
const SIGNALFD = xlatOf('SFD', { SFD_CLOEXEC: 0o2000000, SFD_NONBLOCK: 0o4000 });
const TIMERFD_CREATE = xlatOf('TFD', { TFD_CLOEXEC: 0o2000000, TFD_NONBLOCK: 0o4000 });
const TIMERFD_SETTIME = xlatOf('TFD', { TFD_TIMER_ABSTIME: 1, TFD_TIMER_CANCEL_ON_SET: 2 });
const IORING_ENTER = xlatOf('IORING_ENTER', {
  IORING_ENTER_GETEVENTS: 1, IORING_ENTER_SQ_WAKEUP: 2, IORING_ENTER_SQ_WAIT: 4, IORING_ENTER_EXT_ARG: 8,
  IORING_ENTER_REGISTERED_RING: 0x10,
});

const umaskResult: ResultFormat = (ret) => octal(Number(ret));

/** The file calls, by x86_64 name. */
export const FILE_CALLS: Readonly<Record<string, Signature>> = {
  read: { args: [fd, mem, u64] },
  write: { args: [fd, mem, u64] },
  pread64: { args: [fd, mem, u64, i64] },
  pwrite64: { args: [fd, mem, u64, i64] },
  readv: { args: [fd, mem, i32] },
  writev: { args: [fd, mem, i32] },
  preadv: { args: [fd, mem, i32, i64] },
  pwritev: { args: [fd, mem, i32, i64] },
  preadv2: { args: [fd, mem, i32, i64, at(5, flagsOf(RWF))] },
  pwritev2: { args: [fd, mem, i32, i64, at(5, flagsOf(RWF))] },
  lseek: { args: [fd, i64, constOf(SEEK)] },
  open: { args: (a) => (createsFile(a[1]) ? [path, openFlagsArg, mode] : [path, openFlagsArg]) },
  openat: { args: (a) => (createsFile(a[2]) ? [dirfd, path, openFlagsArg, mode] : [dirfd, path, openFlagsArg]) },
  openat2: { args: [dirfd, path, mem, u64] },
  creat: { args: [path, mode] },
  close: { args: [fd] },
  close_range: { args: [u32, u32, flagsOf(CLOSE_RANGE)] },
  stat: { args: [path, mem] },
  lstat: { args: [path, mem] },
  fstat: { args: [fd, mem] },
  newfstatat: { args: [dirfd, path, mem, atFlags] },
  statx: { args: [dirfd, path, statxFlags, flagsOf(STATX_MASK), mem] },
  access: { args: [path, accessMode] },
  faccessat: { args: [dirfd, path, accessMode] },
  faccessat2: { args: [dirfd, path, accessMode, flagsOf(FACCESSAT2_FLAGS)] },
  mkdir: { args: [path, mode] },
  mkdirat: { args: [dirfd, path, mode] },
  rmdir: { args: [path] },
  unlink: { args: [path] },
  unlinkat: { args: [dirfd, path, atFlags] },
  rename: { args: [path, path] },
  renameat: { args: [dirfd, path, dirfd, path] },
  renameat2: { args: [dirfd, path, dirfd, path, flagsOf(RENAME)] },
  link: { args: [path, path] },
  linkat: { args: [dirfd, path, dirfd, path, atFlags] },
  symlink: { args: [path, path] },
  symlinkat: { args: [path, dirfd, path] },
  readlink: { args: [path, mem, i32] },
  readlinkat: { args: [dirfd, path, mem, i32] },
  chmod: { args: [path, mode] },
  fchmod: { args: [fd, mode] },
  fchmodat: { args: [dirfd, path, mode] },
  fchmodat2: { args: [dirfd, path, mode, atFlags] },
  chown: { args: [path, uid, uid] },
  lchown: { args: [path, uid, uid] },
  fchown: { args: [fd, uid, uid] },
  fchownat: { args: [dirfd, path, uid, uid, atFlags] },
  truncate: { args: [path, i64] },
  ftruncate: { args: [fd, i64] },
  fsync: { args: [fd] },
  fdatasync: { args: [fd] },
  syncfs: { args: [fd] },
  sync: { args: [] },
  getdents: { args: [fd, mem, u32] },
  getdents64: { args: [fd, mem, u32] },
  fcntl,
  ioctl,
  dup: { args: [fd] },
  dup2: { args: [fd, fd] },
  dup3: { args: [fd, fd, flagsOf(OPEN_FLAGS)] },
  pipe: { args: [mem] },
  pipe2: { args: [mem, flagsOf(OPEN_FLAGS)] },
  flock: { args: [fd, flagsOf(LOCK)] },
  utimensat: { args: [dirfd, path, mem, atFlags] },
  mknod: { args: (a) => (isDevice(a[1]) ? [path, typedMode, device] : [path, typedMode]) },
  mknodat: { args: (a) => (isDevice(a[2]) ? [dirfd, path, typedMode, device] : [dirfd, path, typedMode]) },
  getcwd: { args: [mem, u64] },
  chdir: { args: [path] },
  fchdir: { args: [fd] },
  chroot: { args: [path] },
  umask: { args: [mode], result: umaskResult },
  fallocate: { args: [fd, flagsOf(FALLOC), i64, i64] },
  fadvise64: { args: [fd, i64, i64, constOf(FADVISE)] },
  readahead: { args: [fd, i64, u64] },
  sendfile: { args: [fd, fd, mem, u64] },
  copy_file_range: { args: [fd, mem, fd, mem, u64, u32] },
  splice: { args: [fd, mem, fd, mem, u64, flagsOf(SPLICE)] },
  tee: { args: [fd, fd, u64, flagsOf(SPLICE)] },
  inotify_init: { args: [] },
  inotify_init1: { args: [flagsOf(INOTIFY_INIT)] },
  inotify_add_watch: { args: [fd, path, flagsOf(INOTIFY_MASK)] },
  inotify_rm_watch: { args: [fd, i32] },
  eventfd: { args: [u32] },
  eventfd2: { args: [u32, flagsOf(EVENTFD)] },
  memfd_create: { args: [mem, flagsOf(MEMFD)] },
  statfs: { args: [path, mem] },
  fstatfs: { args: [fd, mem] },
  setxattr: { args: [path, mem, mem, u64, flagsOf(XATTR)] },
  lsetxattr: { args: [path, mem, mem, u64, flagsOf(XATTR)] },
  fsetxattr: { args: [fd, mem, mem, u64, flagsOf(XATTR)] },
  getxattr: { args: [path, mem, mem, u64] },
  lgetxattr: { args: [path, mem, mem, u64] },
  fgetxattr: { args: [fd, mem, mem, u64] },
  listxattr: { args: [path, mem, u64] },
  llistxattr: { args: [path, mem, u64] },
  flistxattr: { args: [fd, mem, u64] },
  removexattr: { args: [path, mem] },
  lremovexattr: { args: [path, mem] },
  fremovexattr: { args: [fd, mem] },
  utime: { args: [path, mem] },
  utimes: { args: [path, mem] },
  futimesat: { args: [dirfd, path, mem] },
  name_to_handle_at: { args: [dirfd, path, mem, mem, atFlags] },
  open_by_handle_at: { args: [fd, mem, openFlagsArg] },
  fanotify_init: { args: [hexArg, flagsOf(OPEN_FLAGS)] },
  fanotify_mark: { args: [fd, flagsOf(FANOTIFY_MARK), u64, dirfd, path] },
  sync_file_range: { args: [fd, i64, i64, flagsOf(SYNC_FILE_RANGE)] },
  vmsplice: { args: [fd, mem, u64, flagsOf(SPLICE)] },
  signalfd4: { args: [fd, mem, u64, flagsOf(SIGNALFD)] },
  timerfd_create: { args: [constOf(CLOCKS), flagsOf(TIMERFD_CREATE)] },
  timerfd_settime: { args: [fd, flagsOf(TIMERFD_SETTIME), mem, mem] },
  timerfd_gettime: { args: [fd, mem] },
  cachestat: { args: [fd, mem, mem, u32] },
  io_uring_setup: { args: [u32, mem] },
  io_uring_enter: { args: [fd, u32, u32, flagsOf(IORING_ENTER), mem, u64] },
  io_uring_register: { args: [fd, u32, mem, u32] },
};
