/*
 * Processes and threads: creating, running, waiting for and signalling
 * them; their ids, limits and attributes; sleeping and futexes.
 */
import {
  addr, at, constOf, dirfd, fd, flags64, flagsOf, hexArg, i32, mem, named, path, textOf, u32, u64, uid,
  type Arg, type ResultFormat, type Signature,
} from './args.js';
import { hex, int, uint } from './format.js';
import { constant, flags, xlatOf } from './xlat.js';

const SIGNALS = [
  '0', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
  'SIGSYS',
];
const SIGRTMIN = 32;
const SIGRTMAX = 64;

/** SIGTERM for 15; the kernel's real-time signals as strace names them (SIGRTMIN, SIGRT_1 ... SIGRT_32); else the number. */
export function signalName(n: number): string {
  if (n >= 0 && n < SIGRTMIN) return SIGNALS[n] as string;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n > SIGRTMIN && n <= SIGRTMAX) return `SIGRT_${n - SIGRTMIN}`;
  return String(n);
}

export const signal: Arg = textOf((v) => signalName(int(v)));

const CLONE_FLAGS = xlatOf('CLONE', {
  CLONE_VM: 0x100, CLONE_FS: 0x200, CLONE_FILES: 0x400, CLONE_SIGHAND: 0x800, CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000, CLONE_VFORK: 0x4000, CLONE_PARENT: 0x8000, CLONE_THREAD: 0x10000, CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000, CLONE_SETTLS: 0x80000, CLONE_PARENT_SETTID: 0x100000, CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_UNTRACED: 0x800000, CLONE_CHILD_SETTID: 0x1000000, CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000, CLONE_NEWIPC: 0x8000000, CLONE_NEWUSER: 0x10000000, CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000, CLONE_IO: 0x80000000,
});
const CSIGNAL = 0xffn;
const CLONE_PIDFD = 0x1000n;
const CLONE_SETTLS = 0x80000n;
const CLONE_PARENT_SETTID = 0x100000n;
const CLONE_TIDPTRS = 0x200000n | 0x1000000n; // CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID

/** clone's flags: CLONE_* and, in the low byte, the signal the parent gets when the child ends. */
const cloneFlags: Arg = textOf((v) => {
  const u = BigInt.asUintN(64, v);
  const sig = Number(u & CSIGNAL);
  const names = u & ~CSIGNAL;
  if (sig === 0) return flags(CLONE_FLAGS, names);
  return names === 0n ? signalName(sig) : `${flags(CLONE_FLAGS, names)}|${signalName(sig)}`;
});

/**
 * x86_64 clone(flags, stack, parent_tid, child_tid, tls), printed by
 * strace with names and only the pointers the flags make the kernel use.
 */
const clone: Signature = {
  args: (a) => {
    const f = BigInt.asUintN(64, a[0] ?? 0n);
    const out: Arg[] = [at(1, named('child_stack', addr)), at(0, named('flags', cloneFlags))];
    if ((f & (CLONE_PARENT_SETTID | CLONE_PIDFD)) !== 0n) out.push(at(2, named('parent_tid', mem)));
    if ((f & CLONE_SETTLS) !== 0n) out.push(at(4, named('tls', addr)));
    if ((f & CLONE_TIDPTRS) !== 0n) out.push(at(3, named('child_tidptr', mem)));
    return out;
  },
};

/** unshare and setns take namespace (and sharing) flags only. */
const namespaceFlags = flags64(CLONE_FLAGS);

const WAIT_OPTIONS = xlatOf('W???', {
  WNOHANG: 1, WEXITED: 4, WSTOPPED: 2, WCONTINUED: 8, WNOWAIT: 0x1000000, __WCLONE: 0x80000000, __WALL: 0x40000000,
  __WNOTHREAD: 0x20000000,
});
const ID_TYPES = xlatOf('P', { P_ALL: 0, P_PID: 1, P_PGID: 2, P_PIDFD: 3 });

const SIGPROCMASK_HOW = xlatOf('SIG', { SIG_BLOCK: 0, SIG_UNBLOCK: 1, SIG_SETMASK: 2 });

const RLIMITS = xlatOf('RLIMIT', {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
});

export const CLOCKS = xlatOf('CLOCK', {
  CLOCK_REALTIME: 0, CLOCK_MONOTONIC: 1, CLOCK_PROCESS_CPUTIME_ID: 2, CLOCK_THREAD_CPUTIME_ID: 3,
  CLOCK_MONOTONIC_RAW: 4, CLOCK_REALTIME_COARSE: 5, CLOCK_MONOTONIC_COARSE: 6, CLOCK_BOOTTIME: 7,
  CLOCK_REALTIME_ALARM: 8, CLOCK_BOOTTIME_ALARM: 9, CLOCK_TAI: 11,
});
const TIMER_FLAGS = xlatOf('TIMER', { TIMER_ABSTIME: 1 });
const GETRANDOM = xlatOf('GRND', { GRND_NONBLOCK: 1, GRND_RANDOM: 2, GRND_INSECURE: 4 });
const PIDFD_FLAGS = xlatOf('PIDFD', { PIDFD_NONBLOCK: 0o4000 });

const ARCH_PRCTL = xlatOf('ARCH', {
  ARCH_SET_GS: 0x1001, ARCH_SET_FS: 0x1002, ARCH_GET_FS: 0x1003, ARCH_GET_GS: 0x1004, ARCH_GET_CPUID: 0x1011,
  ARCH_SET_CPUID: 0x1012, ARCH_GET_XCOMP_SUPP: 0x1021, ARCH_GET_XCOMP_PERM: 0x1022, ARCH_REQ_XCOMP_PERM: 0x1023,
  ARCH_MAP_VDSO_X32: 0x2001, ARCH_MAP_VDSO_32: 0x2002, ARCH_MAP_VDSO_64: 0x2003,
});
/** arch_prctl codes that write to the address instead of taking a value */
const ARCH_GETTERS = new Set([0x1003, 0x1004, 0x1021, 0x1022]);

const PR = {
  PR_SET_PDEATHSIG: 1, PR_GET_PDEATHSIG: 2, PR_GET_DUMPABLE: 3, PR_SET_DUMPABLE: 4, PR_GET_KEEPCAPS: 7,
  PR_SET_KEEPCAPS: 8, PR_SET_NAME: 15, PR_GET_NAME: 16, PR_GET_SECCOMP: 21, PR_SET_SECCOMP: 22,
  PR_CAPBSET_READ: 23, PR_CAPBSET_DROP: 24, PR_GET_TIMERSLACK: 30, PR_SET_TIMERSLACK: 29, PR_SET_MM: 35,
  PR_SET_CHILD_SUBREAPER: 36, PR_GET_CHILD_SUBREAPER: 37, PR_SET_NO_NEW_PRIVS: 38, PR_GET_NO_NEW_PRIVS: 39,
  PR_GET_TID_ADDRESS: 40, PR_SET_THP_DISABLE: 41, PR_GET_THP_DISABLE: 42, PR_CAP_AMBIENT: 47,
  PR_SET_VMA: 0x53564d41,
} as const;
const PRCTL_OPTIONS = xlatOf('PR', PR);
const DUMPABLE = xlatOf('SUID_DUMP', { SUID_DUMP_DISABLE: 0, SUID_DUMP_USER: 1, SUID_DUMP_ROOT: 2 });

/** prctl's arguments after the option, for the options whose shape strace knows; others: the four values in hex. */
const PRCTL_ARGS: Readonly<Record<number, readonly Arg[]>> = {
  [PR.PR_SET_PDEATHSIG]: [signal],
  [PR.PR_GET_PDEATHSIG]: [mem],
  [PR.PR_GET_DUMPABLE]: [],
  [PR.PR_SET_DUMPABLE]: [constOf(DUMPABLE)],
  [PR.PR_GET_KEEPCAPS]: [],
  [PR.PR_SET_KEEPCAPS]: [u64],
  [PR.PR_SET_NAME]: [mem],
  [PR.PR_GET_NAME]: [mem],
  [PR.PR_GET_SECCOMP]: [],
  [PR.PR_GET_TIMERSLACK]: [],
  [PR.PR_SET_TIMERSLACK]: [u64],
  [PR.PR_SET_CHILD_SUBREAPER]: [u64],
  [PR.PR_GET_CHILD_SUBREAPER]: [mem],
  [PR.PR_SET_NO_NEW_PRIVS]: [u64, u64, u64, u64],
  [PR.PR_GET_NO_NEW_PRIVS]: [u64, u64, u64, u64],
  [PR.PR_GET_TID_ADDRESS]: [mem],
  [PR.PR_SET_THP_DISABLE]: [u64, u64, u64, u64],
  [PR.PR_GET_THP_DISABLE]: [u64, u64, u64, u64],
};

const prctlResult: ResultFormat = (ret, args) => {
  if (uint(args[0] ?? 0n) === PR.PR_GET_DUMPABLE) {
    const name = constant(DUMPABLE, ret);
    return name.includes('/*') ? ret.toString() : `${ret} (${name})`;
  }
  return ret.toString();
};

const FUTEX_CMDS = xlatOf('FUTEX', {
  FUTEX_WAIT: 0, FUTEX_WAKE: 1, FUTEX_FD: 2, FUTEX_REQUEUE: 3, FUTEX_CMP_REQUEUE: 4, FUTEX_WAKE_OP: 5,
  FUTEX_LOCK_PI: 6, FUTEX_UNLOCK_PI: 7, FUTEX_TRYLOCK_PI: 8, FUTEX_WAIT_BITSET: 9, FUTEX_WAKE_BITSET: 10,
  FUTEX_WAIT_REQUEUE_PI: 11, FUTEX_CMP_REQUEUE_PI: 12, FUTEX_LOCK_PI2: 13,
});
const FUTEX_PRIVATE = 128;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = 0x7f;
const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME */
function futexOp(op: number): string {
  const cmd = op & FUTEX_CMD_MASK;
  let text = constant(FUTEX_CMDS, BigInt(cmd));
  if (op & FUTEX_PRIVATE) text = text.includes('/*') ? text : `${text}_PRIVATE`;
  if (op & FUTEX_CLOCK_REALTIME) text += '|FUTEX_CLOCK_REALTIME';
  const rest = op & ~(FUTEX_CMD_MASK | FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
  return rest ? `${text}|${hex(BigInt(rest))}` : text;
}

const FUTEX_WAKE_OPS = xlatOf('FUTEX_OP', { FUTEX_OP_SET: 0, FUTEX_OP_ADD: 1, FUTEX_OP_OR: 2, FUTEX_OP_ANDN: 3, FUTEX_OP_XOR: 4 });
const FUTEX_WAKE_CMPS = xlatOf('FUTEX_OP_CMP', {
  FUTEX_OP_CMP_EQ: 0, FUTEX_OP_CMP_NE: 1, FUTEX_OP_CMP_LT: 2, FUTEX_OP_CMP_LE: 3, FUTEX_OP_CMP_GT: 4, FUTEX_OP_CMP_GE: 5,
});
const FUTEX_OP_OPARG_SHIFT = 8;

/** FUTEX_WAKE_OP's encoded operation: FUTEX_OP_SET<<28|0x1<<12|FUTEX_OP_CMP_EQ<<24|0x234 */
const wakeOp: Arg = textOf((v) => {
  const u = uint(v);
  const op = (u >>> 28) & 0xf;
  const shift = op & FUTEX_OP_OPARG_SHIFT ? 'FUTEX_OP_OPARG_SHIFT<<28|' : '';
  const h = (n: number): string => hex(BigInt(n));
  return `${shift}${constant(FUTEX_WAKE_OPS, BigInt(op & ~FUTEX_OP_OPARG_SHIFT))}<<28|${h((u >>> 12) & 0xfff)}<<12|` +
    `${constant(FUTEX_WAKE_CMPS, BigInt((u >>> 24) & 0xf))}<<24|${h(u & 0xfff)}`;
});

const bitset: Arg = textOf((v) => (uint(v) === FUTEX_BITSET_MATCH_ANY ? 'FUTEX_BITSET_MATCH_ANY' : hex(BigInt(uint(v)))));

/** futex(uaddr, op, val, timeout or val2, uaddr2, val3): the arguments each command reads. */
const futex: Signature = {
  args: (a) => {
    const op = uint(a[1] ?? 0n);
    const head: Arg[] = [addr, textOf(() => futexOp(op)), i32];
    switch (op & FUTEX_CMD_MASK) {
      case 0: // FUTEX_WAIT
        return [...head, mem];
      case 1: // FUTEX_WAKE
        return head;
      case 7: // FUTEX_UNLOCK_PI
        return [addr, textOf(() => futexOp(op))];
      case 9: // FUTEX_WAIT_BITSET
        return [...head, mem, at(5, bitset)];
      case 10: // FUTEX_WAKE_BITSET
        return [...head, at(5, bitset)];
      case 3: // FUTEX_REQUEUE
        return [...head, u32, addr];
      case 4: // FUTEX_CMP_REQUEUE
        return [...head, u32, addr, i32];
      case 5: // FUTEX_WAKE_OP
        return [...head, u32, addr, wakeOp];
      case 6: // FUTEX_LOCK_PI
      case 13: // FUTEX_LOCK_PI2
        return [addr, textOf(() => futexOp(op)), mem];
      default:
        return [...head, hexArg, addr, hexArg];
    }
  },
};

const PTRACE = xlatOf('PTRACE', {
  PTRACE_TRACEME: 0, PTRACE_PEEKTEXT: 1, PTRACE_PEEKDATA: 2, PTRACE_PEEKUSER: 3, PTRACE_POKETEXT: 4,
  PTRACE_POKEDATA: 5, PTRACE_POKEUSER: 6, PTRACE_CONT: 7, PTRACE_KILL: 8, PTRACE_SINGLESTEP: 9,
  PTRACE_GETREGS: 12, PTRACE_SETREGS: 13, PTRACE_GETFPREGS: 14, PTRACE_SETFPREGS: 15, PTRACE_ATTACH: 16,
  PTRACE_DETACH: 17, PTRACE_SYSCALL: 24, PTRACE_SETOPTIONS: 0x4200, PTRACE_GETEVENTMSG: 0x4201,
  PTRACE_GETSIGINFO: 0x4202, PTRACE_SETSIGINFO: 0x4203, PTRACE_GETREGSET: 0x4204, PTRACE_SETREGSET: 0x4205,
  PTRACE_SEIZE: 0x4206, PTRACE_INTERRUPT: 0x4207, PTRACE_LISTEN: 0x4208, PTRACE_PEEKSIGINFO: 0x4209,
  PTRACE_GETSIGMASK: 0x420a, PTRACE_SETSIGMASK: 0x420b, PTRACE_SECCOMP_GET_FILTER: 0x420c,
  PTRACE_GET_SYSCALL_INFO: 0x420e,
});
/** requests whose data is a signal to deliver */
const PTRACE_RESUME = new Set([7, 9, 17, 24]);
/** requests that store a word at data */
const PTRACE_PEEK = new Set([1, 2, 3]);

const ptrace: Signature = {
  args: (a) => {
    const req = uint(a[0] ?? 0n);
    const request = constOf(PTRACE);
    if (req === 0) return [request];
    if (req === 16 || req === 8 || req === 0x4207) return [request, i32];
    return [request, i32, addr, PTRACE_RESUME.has(req) ? signal : PTRACE_PEEK.has(req) ? mem : hexArg];
  },
};

const archPrctl: Signature = {
  args: (a) => [constOf(ARCH_PRCTL), ARCH_GETTERS.has(uint(a[0] ?? 0n)) ? mem : hexArg],
};

const prctl: Signature = {
  args: (a) => {
    const option = uint(a[0] ?? 0n);
    const rest = PRCTL_ARGS[option];
    return [constOf(PRCTL_OPTIONS), ...(rest ?? [hexArg, hexArg, hexArg, hexArg])];
  },
  result: prctlResult,
};

const MODULE_INIT = xlatOf('MODULE_INIT', {
  MODULE_INIT_IGNORE_MODVERSIONS: 1, MODULE_INIT_IGNORE_VERMAGIC: 2, MODULE_INIT_COMPRESSED_FILE: 4,
});
const LANDLOCK_RULES = xlatOf('LANDLOCK_RULE', { LANDLOCK_RULE_PATH_BENEATH: 1, LANDLOCK_RULE_NET_PORT: 2 });

/** What never returns has no result: strace prints "= ?". */
const NO_RETURN: Signature = { args: [i32] };

/** The process calls, by x86_64 name. */
export const PROCESS_CALLS: Readonly<Record<string, Signature>> = {
  execve: { args: [path, mem, mem] },
  execveat: { args: [dirfd, path, mem, mem, flagsOf(xlatOf('AT', { AT_SYMLINK_NOFOLLOW: 0x100, AT_EMPTY_PATH: 0x1000 }))] },
  fork: { args: [] },
  vfork: { args: [] },
  clone,
  clone3: { args: [mem, u64] },
  exit: NO_RETURN,
  exit_group: NO_RETURN,
  wait4: { args: [i32, mem, flagsOf(WAIT_OPTIONS), mem] },
  waitid: { args: [constOf(ID_TYPES), i32, mem, flagsOf(WAIT_OPTIONS), mem] },
  kill: { args: [i32, signal] },
  tkill: { args: [i32, signal] },
  tgkill: { args: [i32, i32, signal] },
  rt_sigaction: { args: [signal, mem, mem, u64] },
  rt_sigprocmask: { args: [constOf(SIGPROCMASK_HOW), mem, mem, u64] },
  rt_sigreturn: { args: [] },
  rt_sigsuspend: { args: [mem, u64] },
  rt_sigtimedwait: { args: [mem, mem, mem, u64] },
  pause: { args: [] },
  getpid: { args: [] },
  getppid: { args: [] },
  gettid: { args: [] },
  getuid: { args: [] },
  geteuid: { args: [] },
  getgid: { args: [] },
  getegid: { args: [] },
  setuid: { args: [uid] },
  setgid: { args: [uid] },
  setreuid: { args: [uid, uid] },
  setregid: { args: [uid, uid] },
  setresuid: { args: [uid, uid, uid] },
  setresgid: { args: [uid, uid, uid] },
  getpgid: { args: [i32] },
  setpgid: { args: [i32, i32] },
  getpgrp: { args: [] },
  getsid: { args: [i32] },
  setsid: { args: [] },
  prctl,
  arch_prctl: archPrctl,
  set_tid_address: { args: [addr] },
  set_robust_list: { args: [addr, u64] },
  prlimit64: { args: [i32, constOf(RLIMITS), mem, mem] },
  getrlimit: { args: [constOf(RLIMITS), mem] },
  setrlimit: { args: [constOf(RLIMITS), mem] },
  sched_yield: { args: [] },
  nanosleep: { args: [mem, mem] },
  clock_nanosleep: { args: [constOf(CLOCKS), flagsOf(TIMER_FLAGS), mem, mem] },
  clock_gettime: { args: [constOf(CLOCKS), mem] },
  getrandom: { args: [mem, u64, flagsOf(GETRANDOM)] },
  pidfd_open: { args: [i32, flagsOf(PIDFD_FLAGS)] },
  pidfd_send_signal: { args: [fd, signal, mem, u32] },
  pidfd_getfd: { args: [fd, i32, u32] },
  unshare: { args: [namespaceFlags] },
  setns: { args: [fd, namespaceFlags] },
  uname: { args: [mem] },
  futex,
  ptrace,
  finit_module: { args: [fd, mem, flagsOf(MODULE_INIT)] },
  landlock_create_ruleset: { args: [mem, u64, u32] },
  landlock_add_rule: { args: [fd, constOf(LANDLOCK_RULES), mem, u32] },
  landlock_restrict_self: { args: [fd, u32] },
};
