/*
 * Memory: mappings, their protection and advice, locking, the heap's end.
 * Calls that return an address show it in hex.
 */
import { addr, constOf, fd, flagsOf, hexArg, mem, textOf, u32, u64, hexResult, type Signature } from './args.js';
import { uint } from './format.js';
import { constant, flags, xlatOf } from './xlat.js';

const PROT = xlatOf('PROT', {
  PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4, PROT_SEM: 8, PROT_GROWSDOWN: 0x1000000, PROT_GROWSUP: 0x2000000,
});
const prot = flagsOf(PROT, 'PROT_NONE');

const MAP_TYPES = xlatOf('MAP', { MAP_FILE: 0, MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_SHARED_VALIDATE: 3 });
const MAP_TYPE_MASK = 0xfn;
const MAP_FLAGS = xlatOf('MAP', {
  MAP_FIXED: 0x10, MAP_ANONYMOUS: 0x20, MAP_32BIT: 0x40, MAP_ABOVE4G: 0x80, MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000, MAP_NONBLOCK: 0x10000, MAP_GROWSDOWN: 0x100, MAP_DENYWRITE: 0x800, MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000, MAP_STACK: 0x20000, MAP_HUGETLB: 0x40000, MAP_SYNC: 0x80000, MAP_FIXED_NOREPLACE: 0x100000,
});
const MAP_HUGE_SHIFT = 26n;
const MAP_HUGE_MASK = 0x3fn;

/** MAP_PRIVATE|MAP_ANONYMOUS, and a huge page size as 21<<MAP_HUGE_SHIFT. */
const mapFlags = textOf((v) => {
  const u = BigInt(uint(v));
  const parts = [constant(MAP_TYPES, u & MAP_TYPE_MASK)];
  const huge = (u >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
  const rest = u & ~MAP_TYPE_MASK & ~(MAP_HUGE_MASK << MAP_HUGE_SHIFT);
  if (rest !== 0n) parts.push(flags(MAP_FLAGS, rest));
  if (huge !== 0n) parts.push(`${huge}<<MAP_HUGE_SHIFT`);
  return parts.join('|');
});

const MADVISE = xlatOf('MADV', {
  MADV_NORMAL: 0, MADV_RANDOM: 1, MADV_SEQUENTIAL: 2, MADV_WILLNEED: 3, MADV_DONTNEED: 4, MADV_FREE: 8,
  MADV_REMOVE: 9, MADV_DONTFORK: 10, MADV_DOFORK: 11, MADV_MERGEABLE: 12, MADV_UNMERGEABLE: 13, MADV_HUGEPAGE: 14,
  MADV_NOHUGEPAGE: 15, MADV_DONTDUMP: 16, MADV_DODUMP: 17, MADV_WIPEONFORK: 18, MADV_KEEPONFORK: 19, MADV_COLD: 20,
  MADV_PAGEOUT: 21, MADV_POPULATE_READ: 22, MADV_POPULATE_WRITE: 23, MADV_DONTNEED_LOCKED: 24, MADV_COLLAPSE: 25,
  MADV_HWPOISON: 100, MADV_SOFT_OFFLINE: 101,
});
const MSYNC = xlatOf('MS', { MS_ASYNC: 1, MS_SYNC: 4, MS_INVALIDATE: 2 });
const MLOCKALL = xlatOf('MCL', { MCL_CURRENT: 1, MCL_FUTURE: 2, MCL_ONFAULT: 4 });
const MLOCK2 = xlatOf('MLOCK', { MLOCK_ONFAULT: 1 });
const MREMAP = xlatOf('MREMAP', { MREMAP_MAYMOVE: 1, MREMAP_FIXED: 2, MREMAP_DONTUNMAP: 4 });
const MREMAP_FIXED = 2;

/** The memory calls, by x86_64 name. */
export const MEMORY_CALLS: Readonly<Record<string, Signature>> = {
  mmap: { args: [addr, u64, prot, mapFlags, fd, hexArg], result: hexResult },
  munmap: { args: [addr, u64] },
  mprotect: { args: [addr, u64, prot] },
  pkey_mprotect: { args: [addr, u64, prot, textOf((v) => String(BigInt.asIntN(32, v)))] },
  mremap: {
    args: (a) => {
      const base = [addr, u64, u64, flagsOf(MREMAP)];
      return uint(a[3] ?? 0n) & MREMAP_FIXED ? [...base, addr] : base;
    },
    result: hexResult,
  },
  madvise: { args: [addr, u64, constOf(MADVISE)] },
  msync: { args: [addr, u64, flagsOf(MSYNC)] },
  mlock: { args: [addr, u64] },
  mlock2: { args: [addr, u64, flagsOf(MLOCK2)] },
  munlock: { args: [addr, u64] },
  mlockall: { args: [flagsOf(MLOCKALL)] },
  munlockall: { args: [] },
  mincore: { args: [addr, u64, mem] },
  brk: { args: [addr], result: hexResult },
  process_madvise: { args: [fd, mem, u64, constOf(MADVISE), u32] },
};
