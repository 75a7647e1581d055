/*
 * File systems: mounting (the old call and the new API), swap, quotas,
 * process accounting.
 */
import { constOf, dirfd, fd, flagsOf, hexArg, i32, mem, path, textOf, u32, u64, type Arg, type Signature } from './args.js';
import { AT_FLAGS } from './files.js';
import { flags, xlatOf } from './xlat.js';

const MS_MGC_VAL = 0xc0ed0000n;
const MS_MGC_MASK = 0xffff0000n;
const MOUNT_FLAGS = xlatOf('MS', {
  MS_RDONLY: 1, MS_NOSUID: 2, MS_NODEV: 4, MS_NOEXEC: 8, MS_SYNCHRONOUS: 16, MS_REMOUNT: 32, MS_MANDLOCK: 64,
  MS_DIRSYNC: 128, MS_NOSYMFOLLOW: 256, MS_NOATIME: 1024, MS_NODIRATIME: 2048, MS_BIND: 4096, MS_MOVE: 8192,
  MS_REC: 16384, MS_SILENT: 32768, MS_POSIXACL: 1 << 16, MS_UNBINDABLE: 1 << 17, MS_PRIVATE: 1 << 18,
  MS_SLAVE: 1 << 19, MS_SHARED: 1 << 20, MS_RELATIME: 1 << 21, MS_KERNMOUNT: 1 << 22, MS_I_VERSION: 1 << 23,
  MS_STRICTATIME: 1 << 24, MS_LAZYTIME: 1 << 25, MS_SUBMOUNT: 1 << 26, MS_NOREMOTELOCK: 1 << 27, MS_NOSEC: 1 << 28,
  MS_BORN: 1 << 29, MS_ACTIVE: 1 << 30, MS_NOUSER: 2 ** 31,
});
/** mount's flags, after the old magic number some callers still put in the high half. */
const mountFlags: Arg = textOf((v) => {
  const u = BigInt.asUintN(64, v);
  if ((u & MS_MGC_MASK) !== MS_MGC_VAL) return flags(MOUNT_FLAGS, u);
  const rest = u & ~MS_MGC_MASK;
  return rest === 0n ? 'MS_MGC_VAL' : `MS_MGC_VAL|${flags(MOUNT_FLAGS, rest)}`;
});
const UMOUNT = xlatOf('MNT', { MNT_FORCE: 1, MNT_DETACH: 2, MNT_EXPIRE: 4, UMOUNT_NOFOLLOW: 8 });

const OPEN_TREE = xlatOf('OPEN_TREE', {
  OPEN_TREE_CLONE: 1, OPEN_TREE_CLOEXEC: 0o2000000, AT_SYMLINK_NOFOLLOW: 0x100, AT_NO_AUTOMOUNT: 0x800,
  AT_EMPTY_PATH: 0x1000, AT_RECURSIVE: 0x8000,
});
const FSPICK = xlatOf('FSPICK', { FSPICK_CLOEXEC: 1, FSPICK_SYMLINK_NOFOLLOW: 2, FSPICK_NO_AUTOMOUNT: 4, FSPICK_EMPTY_PATH: 8 });
const MOVE_MOUNT = xlatOf('MOVE_MOUNT', {
  MOVE_MOUNT_F_SYMLINKS: 1, MOVE_MOUNT_F_AUTOMOUNTS: 2, MOVE_MOUNT_F_EMPTY_PATH: 4, MOVE_MOUNT_T_SYMLINKS: 0x10,
  MOVE_MOUNT_T_AUTOMOUNTS: 0x20, MOVE_MOUNT_T_EMPTY_PATH: 0x40, MOVE_MOUNT_SET_GROUP: 0x100, MOVE_MOUNT_BENEATH: 0x200,
});
const SWAP = xlatOf('SWAP_FLAG', {
  SWAP_FLAG_PREFER: 0x8000, SWAP_FLAG_DISCARD: 0x10000, SWAP_FLAG_DISCARD_ONCE: 0x20000, SWAP_FLAG_DISCARD_PAGES: 0x40000,
});

const FSCONFIG = xlatOf('FSCONFIG', {
  FSCONFIG_SET_FLAG: 0, FSCONFIG_SET_STRING: 1, FSCONFIG_SET_BINARY: 2, FSCONFIG_SET_PATH: 3,
  FSCONFIG_SET_PATH_EMPTY: 4, FSCONFIG_SET_FD: 5, FSCONFIG_CMD_CREATE: 6, FSCONFIG_CMD_RECONFIGURE: 7,
  FSCONFIG_CMD_CREATE_EXCL: 8,
});
const FSMOUNT = xlatOf('FSMOUNT', { FSMOUNT_CLOEXEC: 1 });
const MOUNT_ATTR = xlatOf('MOUNT_ATTR', {
  MOUNT_ATTR_RDONLY: 0x1, MOUNT_ATTR_NOSUID: 0x2, MOUNT_ATTR_NODEV: 0x4, MOUNT_ATTR_NOEXEC: 0x8,
  MOUNT_ATTR_NOATIME: 0x10, MOUNT_ATTR_STRICTATIME: 0x20, MOUNT_ATTR_NODIRATIME: 0x80, MOUNT_ATTR_IDMAP: 0x100000,
  MOUNT_ATTR_NOSYMFOLLOW: 0x200000,
});

/** The file system calls, by x86_64 name. */
export const MOUNT_CALLS: Readonly<Record<string, Signature>> = {
  mount: { args: [mem, path, mem, mountFlags, mem] },
  umount2: { args: [path, flagsOf(UMOUNT)] },
  pivot_root: { args: [path, path] },
  open_tree: { args: [dirfd, path, flagsOf(OPEN_TREE)] },
  fspick: { args: [dirfd, path, flagsOf(FSPICK)] },
  // The module reads no path for move_mount (either may be empty, with a flag saying so).
  move_mount: { args: [dirfd, mem, dirfd, mem, flagsOf(MOVE_MOUNT)] },
  mount_setattr: { args: [dirfd, path, flagsOf(AT_FLAGS), mem, u64] },
  swapon: { args: [path, flagsOf(SWAP)] },
  swapoff: { args: [path] },
  quotactl: { args: [hexArg, path, i32, mem] },
  acct: { args: [path] },
  uselib: { args: [path] },
  fsopen: { args: [mem, u32] },
  fsconfig: { args: [fd, constOf(FSCONFIG), mem, mem, i32] },
  fsmount: { args: [fd, flagsOf(FSMOUNT), flagsOf(MOUNT_ATTR)] },
  quotactl_fd: { args: [fd, hexArg, i32, mem] },
};
