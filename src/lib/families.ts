// Families: the syscalls that together do what users mean by one name.
// glibc's stat() calls newfstatat (or statx), open() calls openat: blocking
// "stat" alone does not stop a program from stat-ing a file, blocking @stat
// does. Written once here; the CLI (--syscall @stat), `syscalls` and the
// FSM's "open" state all read it.

export interface SyscallFamily {
  /** what follows the @ */
  readonly name: string;
  /** x86_64 syscall names; i386 and x32 forms are covered by the module with them */
  readonly members: readonly string[];
  readonly description: string;
}

export const FAMILIES: readonly SyscallFamily[] = [
  {
    name: 'stat',
    members: ['stat', 'lstat', 'fstat', 'newfstatat', 'statx'],
    description: "a file's metadata: what glibc's stat(), lstat() and fstat() call",
  },
  { name: 'open', members: ['open', 'openat', 'openat2', 'creat'], description: 'opening or creating a file' },
  { name: 'exec', members: ['execve', 'execveat'], description: 'running a program' },
  { name: 'unlink', members: ['unlink', 'unlinkat', 'rmdir'], description: 'removing a file or a directory' },
  { name: 'rename', members: ['rename', 'renameat', 'renameat2'], description: 'renaming or moving a file' },
  {
    name: 'mount',
    members: ['mount', 'umount2', 'fsopen', 'fsconfig', 'fsmount', 'move_mount', 'open_tree', 'fspick', 'mount_setattr', 'pivot_root'],
    description: 'mounting, unmounting and moving file systems',
  },
  {
    name: 'net-connect',
    members: ['connect'],
    description: 'opening a connection to another host or socket (a UDP datagram sent with sendto() needs none)',
  },
];

const BY_NAME = new Map(FAMILIES.map((f) => [f.name, f]));

/** The family "@name" names, or undefined (for a name without "@", too). */
export function familyOf(spec: string): SyscallFamily | undefined {
  const s = spec.trim().toLowerCase();
  return s.startsWith('@') ? BY_NAME.get(s.slice(1)) : undefined;
}

/**
 * For a single syscall that is one of several ways to do the same thing,
 * the family that covers them all: a block of "stat" alone leaves glibc's
 * stat() working, and the CLI says so.
 */
export function familyHint(syscall: string): SyscallFamily | undefined {
  return FAMILIES.find((f) => f.members.length > 1 && f.members.includes(syscall));
}
