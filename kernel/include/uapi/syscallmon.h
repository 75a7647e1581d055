/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * syscallmon ABI: the one place where the numbers and layouts shared by
 * syscallmon.ko, the N-API addon and the C tests live.
 *
 * Semantics
 * ---------
 * The global mode is OFF, LOG or BLOCK.  A target is one x86_64 syscall
 * (by number) with an action (log or block), an errno (block only) and a
 * scope (all processes, or an explicit set of processes).
 *
 * A target covers its operation on every ABI: the x86_64 entry, the i386
 * (int $0x80) and x32 entries that perform the same operation, including the
 * i386 socketcall() and ipc() multiplexers for the calls they stand for.
 * Each ABI's entry points come from the kernel's own syscall tables.
 *
 *   OFF    every probe is disarmed; targets are kept.
 *   LOG    every target is logged; a block target is logged as
 *          SYSCALLMON_VERDICT_WOULD_BLOCK and the call runs (audit mode).
 *   BLOCK  a block target makes the call return -errno without running it
 *          (verdict BLOCKED); a log target is logged (verdict ALLOWED).
 *
 * An open file can hold a mode and exit events (SYSCALLMON_IOC_HOLD; OFF
 * lets go): calls are decided under the mode set (SET_MODE, a policy)
 * raised to the highest any open file holds, and exit events are on while
 * set on or held on, until the file lets go or closes.  So a command run
 * under a rule keeps what its rule needs whatever else sets the mode or
 * exit events, or ends, meanwhile.
 *
 * A probe is armed only while its syscall is targeted and the mode is not
 * OFF.  Adding a target that exists with the same action is a no-op
 * success (with SYSCALLMON_TARGET_EXCLUSIVE it is -EBUSY instead).
 *
 * Scope: SYSCALLMON_TARGET_ALL_PIDS is the only way to say "everyone".  An
 * explicit set holds up to SYSCALLMON_MAX_PIDS processes.  It holds the
 * processes themselves, not their numbers: a process that is exiting or a
 * zombie can't be added (-ESRCH), one that exits leaves every set, and a
 * later process given the same number is in none.  An empty set matches
 * nothing.  Pids passed in and listed are numbers in the caller's pid
 * namespace; records carry numbers in the initial pid namespace.
 *
 * Every change (mode, target, rule, pid set) is published as one snapshot:
 * a syscall is decided by the whole old configuration or the whole new one.
 *
 * Rules
 * -----
 * A rule covers a set of syscalls and decides the calls of processes that
 * match every selector it has (pids, a process tree, uid, euid, auid, gid,
 * comm, executable, cgroup, path argument).  A call's rules are evaluated
 * in order and the first that matches decides; the syscall's target is its
 * last rule.  The order is by class, then by position in the class: policy
 * rules (SYSCALLMON_IOC_REPLACE_POLICY, in the order given), rules added
 * by hand, rules owned by an open file of the device (removed when it
 * closes), then targets.  Actions: allow (stop, record nothing), log,
 * block (errno) and kill (the call does not run, the whole process gets
 * SIGKILL).  A block or kill rule acts only if it is enforced
 * (SYSCALLMON_RULE_ENFORCE) and the mode is BLOCK; otherwise it records
 * what it would do (would_block, would_kill) and the call runs.  Pid 1 and
 * device holders are exempt from block and kill unless the rule is forced.
 *
 * The monitor never watches itself: syscalls of a process that opened
 * /dev/syscallmon and still holds it open are ignored (not those of a child
 * that inherited the file).  Pid 1 and device holders are never
 * blocked unless the target has SYSCALLMON_TARGET_FORCE; a few syscalls
 * (exit, exit_group, rt_sigreturn, ...) can never be blocked (-EINVAL).
 *
 * A call is recorded when it returns, with its result and duration (the
 * target's record mode SYSCALLMON_RECORD_COMPLETE), at entry
 * (SYSCALLMON_RECORD_ENTRY: for a call that may block forever), or both,
 * linked by call_id.  A blocked call is recorded once, at the verdict;
 * exit and exit_group, which never return, at entry.  A call whose return
 * can't be tracked (every return slot busy, or a call that runs the
 * kernel's task work itself before it returns: KVM_RUN, an io_uring_enter
 * that waits) is recorded without a result, with
 * SYSCALLMON_SYSCALL_NO_RESULT, and counted.
 *
 * Records are variable-length (struct syscallmon_header gives the size) in
 * a ring of bytes that overwrites the oldest.  Each open file has its own
 * cursor; a reader that was overtaken gets one SYSCALLMON_RECORD_LOST record
 * with the exact count before the next real record.  Records dropped on
 * purpose (SYSCALLMON_CLEAR_LOG, clear_on_read) are not lost: a reader
 * behind a clear goes on after it, told only of records overwritten before
 * it read them.  read() returns whole records only.  A reader may instead
 * map the ring read-only (mmap) and follow it with SYSCALLMON_IOC_FETCH.
 *
 * Retired ioctl numbers and enum values are never reused.
 */
#ifndef _UAPI_SYSCALLMON_H
#define _UAPI_SYSCALLMON_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SYSCALLMON_API_VERSION		6

#define SYSCALLMON_DEVICE_PATH		"/dev/syscallmon"
#define SYSCALLMON_PROC_DIR		"/proc/syscallmon"

#define SYSCALLMON_COMM_LEN		16
#define SYSCALLMON_PATH_LEN		256	/* includes the NUL */
#define SYSCALLMON_TARGET_LEN		256	/* an fd's target, includes the NUL */
#define SYSCALLMON_NR_ARGS		6
#define SYSCALLMON_MAX_PIDS		1024	/* per target */
#define SYSCALLMON_NR_LIMIT		512	/* x86_64 syscall numbers are < this */
#define SYSCALLMON_NATIVE_NR_LIMIT	1024	/* numbers of every ABI are < this */
#define SYSCALLMON_DEFAULT_ERRNO	1	/* EPERM */
#define SYSCALLMON_MAX_ERRNO		4095

/*
 * Ring size in bytes (module parameter "ring_size"): a power of two in
 * range.  The default holds at least 1024 of the largest records.
 */
#define SYSCALLMON_RING_SIZE_DEFAULT	(1u << 20)
#define SYSCALLMON_RING_SIZE_MIN	(1u << 16)
#define SYSCALLMON_RING_SIZE_MAX	(1u << 30)

/* Calls tracked until they return at once (module parameter "return_slots"). */
#define SYSCALLMON_RETURN_SLOTS_DEFAULT	4096
#define SYSCALLMON_RETURN_SLOTS_MAX	(1u << 20)

enum syscallmon_mode {
	SYSCALLMON_MODE_OFF	= 0,
	SYSCALLMON_MODE_LOG	= 1,
	SYSCALLMON_MODE_BLOCK	= 2,
};

/* What a target asks for. */
enum syscallmon_action {
	SYSCALLMON_ACTION_LOG	= 0,
	SYSCALLMON_ACTION_BLOCK	= 1,
};

/* What happened to a logged call. */
enum syscallmon_verdict {
	SYSCALLMON_VERDICT_ALLOWED	= 0,
	SYSCALLMON_VERDICT_BLOCKED	= 1,
	SYSCALLMON_VERDICT_WOULD_BLOCK	= 2,	/* block target, LOG mode or exempt */
	SYSCALLMON_VERDICT_KILLED	= 3,	/* kill rule: the call did not run, the process got SIGKILL */
	SYSCALLMON_VERDICT_WOULD_KILL	= 4,	/* kill rule in audit, LOG mode or exempt */
};

/* The entry a call came in through (syscallmon_syscall.abi). */
enum syscallmon_abi {
	SYSCALLMON_ABI_X64	= 0,
	SYSCALLMON_ABI_I386	= 1,	/* int $0x80, sysenter, 32-bit syscall */
	SYSCALLMON_ABI_X32	= 2,	/* nr | __X32_SYSCALL_BIT */
};

/*
 * The operation of an i386 entry with no x86_64 counterpart, in the
 * generated syscall table shared by the module and the addon.
 */
#define SYSCALLMON_OP_I386_ONLY		(-1)	/* vm86, sgetmask, ... */
#define SYSCALLMON_OP_SOCKETCALL	(-2)	/* the operation is its call number */
#define SYSCALLMON_OP_IPC		(-3)	/* likewise, the low 16 bits */

enum syscallmon_record_type {
	SYSCALLMON_RECORD_SYSCALL	= 1,
	SYSCALLMON_RECORD_EXIT		= 2,
	SYSCALLMON_RECORD_LOST		= 3,
	SYSCALLMON_RECORD_PAD		= 4,	/* fills the ring's end; readers skip it */
	SYSCALLMON_RECORD_CONFIG	= 5,	/* the configuration changed */
};

/* What a syscall target records (syscallmon_target.record). */
enum syscallmon_record_mode {
	SYSCALLMON_RECORD_COMPLETE	= 0,	/* one record when the call returns */
	SYSCALLMON_RECORD_ENTRY		= 1,	/* one record at entry, no result */
	SYSCALLMON_RECORD_BOTH		= 2,	/* one at entry, one at return, same call_id */
};

/*
 * Every record starts with this header and is size bytes long, a multiple
 * of SYSCALLMON_RECORD_ALIGN.  Record layouts are described field by field
 * in syscallmon_schema.h.
 */
#define SYSCALLMON_RECORD_ALIGN		8

struct syscallmon_header {
	__u16 size;		/* of the whole record, header included */
	__u16 type;		/* enum syscallmon_record_type */
	__u32 flags;		/* per type: SYSCALLMON_SYSCALL_* */
	__u64 seq;		/* position in the ring's history; lost: first seq lost */
	__u64 ts_ns;		/* CLOCK_REALTIME, ns; of a call: its entry */
};

/* The process a record is about. */
struct syscallmon_task {
	__u32 pid;		/* thread id, initial pid namespace */
	__u32 tgid;
	__u32 ppid;		/* tgid of the real parent */
	__u32 uid;		/* real uid, initial user namespace */
	__u32 gid;
	__u32 reserved;
	char  comm[SYSCALLMON_COMM_LEN];
};

/* syscallmon_header.flags of a syscall record */
#define SYSCALLMON_SYSCALL_PATH		(1u << 0) /* path[] holds the path argument */
#define SYSCALLMON_SYSCALL_PATH_UNREADABLE (1u << 1) /* bad pointer, or not present at entry nor return */
#define SYSCALLMON_SYSCALL_PATH_TRUNCATED (1u << 2) /* longer than SYSCALLMON_PATH_LEN - 1 */
#define SYSCALLMON_SYSCALL_TARGET	(1u << 3) /* target[] holds what the fd argument refers to */
#define SYSCALLMON_SYSCALL_RESULT	(1u << 4) /* ret and duration_ns are set */
#define SYSCALLMON_SYSCALL_ENTRY	(1u << 5) /* the entry half of a RECORD_BOTH call */
#define SYSCALLMON_SYSCALL_NO_RESULT	(1u << 6) /* the return could not be tracked */
/*
 * Decided by a file rule at a security hook, inside the call: path[] is the
 * file accessed, as the kernel resolved it, and the record is written then
 * (with the result if it was refused).  A kernel thread's or io_uring
 * worker's access is in no syscall of its own: nr is SYSCALLMON_NR_NONE.
 */
#define SYSCALLMON_SYSCALL_FILE		(1u << 7)
#define SYSCALLMON_NR_NONE		0xffffffffu

/*
 * A syscall.  The path argument (path_len bytes, NUL included) and the fd
 * argument's target (target_len bytes, NUL included) follow the fixed part,
 * in that order, then padding to SYSCALLMON_RECORD_ALIGN.
 */
struct syscallmon_syscall {
	struct syscallmon_header h;
	struct syscallmon_task task;
	__u32 nr;		/* x86_64 syscall number: the operation */
	__u32 native_nr;	/* the number the caller used in its ABI */
	__u16 abi;		/* enum syscallmon_abi */
	__u16 verdict;		/* enum syscallmon_verdict */
	__s32 err;		/* errno returned (BLOCKED) or that would be (WOULD_BLOCK) */
	__s64 ret;		/* what the call returned (SYSCALLMON_SYSCALL_RESULT) */
	__u64 duration_ns;	/* entry to return, CLOCK_MONOTONIC */
	__u64 call_id;		/* RECORD_BOTH: the seq of the entry record, in both; else 0 */
	__u64 args[SYSCALLMON_NR_ARGS];
	__u16 path_len;
	__u16 target_len;
	__u32 rule;		/* id of the rule that decided; 0: the syscall's target */
	char  data[];		/* path, then target */
};

/* A process ended (exit events on). */
struct syscallmon_exit {
	struct syscallmon_header h;
	struct syscallmon_task task;
	__s32 exit_code;	/* as WEXITSTATUS gives it */
	__s32 signal;		/* terminating signal, 0 if none */
	__u64 utime_ns;		/* user CPU time of the whole process */
	__u64 stime_ns;		/* system CPU time */
};

/*
 * Records this reader missed, overwritten before it read them (h.seq: the
 * first).  config of them were configuration records (exact for the 4096
 * configuration records overwritten last; a reader that missed more is told
 * 4096).
 */
struct syscallmon_lost {
	struct syscallmon_header h;
	__u64 count;
	__u64 config;
};

/*
 * Every change of the configuration, whoever made it and however (the
 * device, /proc/syscallmon/control, a module parameter), and every close of
 * the device by the process that opened it, is a record: the task that made
 * it, what kind of change, the syscall or rule it is about, and a line of
 * text saying what changed ("LOG -> BLOCK", "openat: none -> block errno 1
 * pids 1", the new policy's tag).  Scopes that change because a process
 * forked or exited are not configuration changes.
 */
enum syscallmon_config_kind {
	SYSCALLMON_CONFIG_MODE		= 1,
	SYSCALLMON_CONFIG_TARGET	= 2,	/* id: the syscall; added, changed or removed */
	SYSCALLMON_CONFIG_PIDS		= 3,	/* id: the syscall, 0 for every pid-scoped target */
	SYSCALLMON_CONFIG_RULE_ADD	= 4,	/* id: the rule */
	SYSCALLMON_CONFIG_RULE_DEL	= 5,	/* id: the rule */
	SYSCALLMON_CONFIG_POLICY	= 6,	/* the policy's rules and the mode, replaced */
	SYSCALLMON_CONFIG_CLEAR		= 7,	/* the log, targets or counters cleared */
	SYSCALLMON_CONFIG_EXITS		= 8,	/* exit events on or off */
	SYSCALLMON_CONFIG_PARAM		= 9,	/* a module parameter set */
	SYSCALLMON_CONFIG_CLOSED	= 10,	/* the process that opened the device closed it */
};

#define SYSCALLMON_CONFIG_TEXT_LEN	256	/* includes the NUL */

struct syscallmon_config {
	struct syscallmon_header h;
	struct syscallmon_task task;	/* who made the change */
	__u32 kind;		/* enum syscallmon_config_kind */
	__u32 id;		/* the syscall or the rule it is about, as kind says; else 0 */
	__u16 text_len;		/* NUL included */
	__u16 reserved[3];
	char  data[];		/* text, then padding */
};

/* The largest record: a syscall with a whole path and a whole fd target. */
#define SYSCALLMON_RECORD_MAX \
	((sizeof(struct syscallmon_syscall) + SYSCALLMON_PATH_LEN + SYSCALLMON_TARGET_LEN + \
	  SYSCALLMON_RECORD_ALIGN - 1) & ~(SYSCALLMON_RECORD_ALIGN - 1))

/*
 * The mapped ring: mmap(fd, offset 0) maps the control page, read-only;
 * offset SYSCALLMON_MMAP_DATA maps the ring's size bytes of records.  A
 * record starts at position pos & (size - 1); none straddles the end (a PAD
 * record fills it).  The producer moves tail before it overwrites and head
 * after it wrote (release), so a reader that copied a record at pos and
 * then still sees tail <= pos (acquire) has it whole.
 */
#define SYSCALLMON_MMAP_DATA		4096

struct syscallmon_ring_page {
	__u64 head;		/* byte position the next record will take */
	__u64 tail;		/* byte position of the oldest record held */
	__u64 head_seq;		/* seq the next record will get */
	__u64 tail_seq;		/* seq of the record at tail */
	__u64 size;		/* bytes of records */
	__u64 reserved[3];
};

/*
 * SYSCALLMON_IOC_FETCH: a mapped reader hands back how far it read
 * (pos and seq of the first record it did not deliver, as the previous
 * FETCH or its own walk gave them) and gets where to go on from: lost is
 * how many records it missed since (overwritten, as the lost record says),
 * and pos/seq move past them.  Its cursor is the same as read()'s.
 * With SYSCALLMON_FETCH_KEEP_LOSS the reader only hands back how far it
 * read: lost says how many records it missed, but they stay missed, for the
 * file's next FETCH or read() to report (a reader that stops, or that ends
 * a batch before a loss rather than report it after records older than it).
 */
#define SYSCALLMON_FETCH_KEEP_LOSS	(1u << 0)

struct syscallmon_fetch {
	__u64 pos;		/* in: delivered up to; out: read from here */
	__u64 seq;
	__u64 head;		/* out: records are in [pos, head) */
	__u64 lost;		/* out */
	__u64 lost_config;	/* out: of lost, configuration records (as syscallmon_lost.config) */
	__u32 flags;		/* in: SYSCALLMON_FETCH_* */
	__u32 reserved;		/* in: 0 */
};

/*
 * SYSCALLMON_IOC_SET_WAKEUP (__u64 bytes): the file is readable (poll(),
 * a blocking read()) only once that many bytes of records are pending at
 * its cursor, or when it has a loss to hear of; 1 (the default) is any
 * record.  A reader that takes records in batches sleeps through the
 * pushes before then.  1 to half the ring's size, else -EINVAL.  A
 * non-blocking read() or a FETCH still hands out whatever is there.  A
 * wakeup lowered to what is already pending (or a seek back to records
 * the ring holds) wakes the file's sleepers at once.
 */

/* SYSCALLMON_IOC_GET_VERSION */
struct syscallmon_version {
	__u32 api_version;	/* SYSCALLMON_API_VERSION of the module */
	__u32 record_max;	/* SYSCALLMON_RECORD_MAX */
	__u32 max_pids;
	__u32 nr_limit;
};

/* syscallmon_target.flags */
#define SYSCALLMON_TARGET_ALL_PIDS	(1u << 0) /* scope is every process */
#define SYSCALLMON_TARGET_FORCE		(1u << 1) /* may block pid 1 and device holders */
#define SYSCALLMON_TARGET_EXCLUSIVE	(1u << 2) /* -EBUSY if already targeted */
#define SYSCALLMON_TARGET_FAILED_ONLY	(1u << 3) /* record only calls that return an error */
#define SYSCALLMON_TARGET_FLAGS_MASK	0xfu

/*
 * SYSCALLMON_IOC_ADD_TARGET: create the target, or update action, errno,
 * flags and scope of an existing one (the pid set is replaced).
 * SYSCALLMON_IOC_DEL_TARGET: only nr is read; -EINVAL if not targeted.
 */
struct syscallmon_target {
	__u32 nr;
	__u32 action;		/* enum syscallmon_action */
	__s32 err;		/* errno for block; 0 means SYSCALLMON_DEFAULT_ERRNO */
	__u32 flags;		/* SYSCALLMON_TARGET_* */
	__u32 npids;		/* entries at pids; ignored with ALL_PIDS */
	__u32 record;		/* enum syscallmon_record_mode */
	__u64 pids;		/* user pointer to __u32[npids] (tgids) */
};

/*
 * SYSCALLMON_IOC_ADD_PIDS / SYSCALLMON_IOC_DEL_PIDS: change the pid set of
 * the target nr, all or nothing.  Adding a pid whose process does not exist,
 * is exiting or is a zombie is -ESRCH; a set that would exceed
 * SYSCALLMON_MAX_PIDS is -ENOSPC; npids above it is -E2BIG.  Deleting a pid
 * that is not in the set is a no-op.  Adding a pid to an ALL_PIDS target is
 * -EINVAL.
 */
struct syscallmon_pids {
	__u32 nr;
	__u32 npids;
	__u64 pids;		/* user pointer to __u32[npids] */
};

/* SYSCALLMON_IOC_CLEAR flags */
#define SYSCALLMON_CLEAR_TARGETS	(1u << 0) /* remove every target */
#define SYSCALLMON_CLEAR_LOG		(1u << 1) /* drop every record held */
#define SYSCALLMON_CLEAR_COUNTERS	(1u << 2) /* zero the counters */
#define SYSCALLMON_CLEAR_MASK		0x7u

/* SYSCALLMON_IOC_GET_STATUS; status.flags */
#define SYSCALLMON_STATUS_EXITS		(1u << 0) /* exit events are on */
#define SYSCALLMON_STATUS_CLEAR_ON_READ	(1u << 1)
#define SYSCALLMON_STATUS_EXITS_SET	(1u << 2) /* exit events are set on (STATUS_EXITS: or held on) */

struct syscallmon_status {
	__u32 api_version;
	__u32 mode;		/* enum syscallmon_mode: what calls are decided under */
	__u32 flags;		/* SYSCALLMON_STATUS_* */
	__u32 return_slots;	/* calls that can be followed to their return at once */
	__u32 ntargets;
	__u32 armed;		/* targets whose entry points are hooked */
	__u32 readers;		/* open files on the device */
	__u32 hooked;		/* entry points hooked now, over every ABI */
	__u64 ring_size;	/* bytes of records */
	__u64 head;		/* byte position the next record will take */
	__u64 tail;		/* byte position of the oldest record held */
	__u64 head_seq;		/* seq the next record will get */
	__u64 tail_seq;		/* oldest seq still held */
	__u64 events;		/* records ever written */
	__u64 overwritten;	/* records evicted by newer ones */
	__u64 cleared;		/* records dropped by SYSCALLMON_CLEAR_LOG / clear_on_read */
	__u64 reader_lost;	/* this file: overwritten records it was told it missed */
	__u64 reader_seq;	/* this file: next seq it will read */
	__u64 exits;		/* process exits seen by the exit probe */
	__u64 missed;		/* hook runs skipped (recursion), summed over targets */
	__u64 no_result;	/* calls recorded without their result, summed over targets */
	__u64 calls_in_flight;	/* calls being followed to their return now */
	__u64 allocs_live;	/* module allocations not yet freed */
	__u32 nrules;		/* named rules, every class */
	__u32 file_hooks;	/* security hook functions hooked now, for file rules */
	__u64 tree_missed;	/* forks that could not join their parent's process tree */
	__u64 file_hooks_missed; /* security hook runs skipped (recursion) */
	__u64 config_records;	/* of events, configuration records */
	__u32 mode_set;		/* enum syscallmon_mode: as set, before holds */
	__u32 mode_holders;	/* open files holding a mode */
	__u32 exits_holders;	/* open files holding exit events on */
	__u32 reserved;
};

/* SYSCALLMON_IOC_GET_TARGETS fills up to max entries of these. */
struct syscallmon_target_info {
	__u32 nr;
	__u32 action;
	__s32 err;
	__u32 flags;
	__u32 npids;		/* processes in the scope (SYSCALLMON_IOC_GET_PIDS lists them) */
	__u32 armed;		/* 1 while its entry points are hooked */
	__u32 record;		/* enum syscallmon_record_mode */
	__u32 reserved;
	__u64 hits;		/* hook ran, outside device holders */
	__u64 logged;		/* calls recorded */
	__u64 blocked;		/* calls made to return -err */
	__u64 missed;		/* hook runs skipped (recursion) */
	__u64 no_result;	/* calls recorded without their result (SYSCALLMON_SYSCALL_NO_RESULT) */
	__u64 failed_skipped;	/* successful calls not recorded (SYSCALLMON_TARGET_FAILED_ONLY) */
};

/*
 * SYSCALLMON_IOC_GET_PIDS: the processes in the scope of target nr (rule
 * 0) or of rule rule's pid set or process tree, as numbers in the caller's
 * pid namespace (processes it can't see are left out).  count is how many
 * there are; at most max are written.  -EINVAL: no such scope.
 */
struct syscallmon_pid_list {
	__u32 nr;
	__u32 max;		/* room at pids */
	__u32 count;		/* out */
	__u32 rule;		/* a rule's id, or 0 for target nr */
	__u64 pids;		/* user pointer to __u32[max] */
};

#define SYSCALLMON_RULE_NAME_LEN	64	/* includes the NUL */
#define SYSCALLMON_SELECTOR_LEN		256	/* exe, cgroup and path selectors, NUL included */
#define SYSCALLMON_MAX_RULES		4096
#define SYSCALLMON_MAX_TREE		65536	/* processes in one process tree */

enum syscallmon_rule_action {
	SYSCALLMON_RULE_ALLOW	= 0,	/* stop here, record nothing: an exception */
	SYSCALLMON_RULE_LOG	= 1,
	SYSCALLMON_RULE_BLOCK	= 2,	/* return -err without running the call */
	SYSCALLMON_RULE_KILL	= 3,	/* do not run the call; SIGKILL the whole process */
};

enum syscallmon_rule_class {
	SYSCALLMON_CLASS_POLICY	= 0,	/* placed by SYSCALLMON_IOC_REPLACE_POLICY */
	SYSCALLMON_CLASS_HAND	= 1,	/* added one by one */
	SYSCALLMON_CLASS_FILE	= 2,	/* owned by the open file that added it */
};

/* syscallmon_rule.flags: how it acts */
#define SYSCALLMON_RULE_ENFORCE		(1u << 0) /* block/kill act; without it: audit, would_* */
#define SYSCALLMON_RULE_FORCE		(1u << 1) /* may block or kill pid 1 and device holders */
#define SYSCALLMON_RULE_FAILED_ONLY	(1u << 2) /* record only calls that return an error */
#define SYSCALLMON_RULE_COMM_PREFIX	(1u << 3) /* comm is a prefix, not the whole name */
#define SYSCALLMON_RULE_PATH_PREFIX	(1u << 4) /* path is a prefix, not the whole string */
/* syscallmon_rule.flags: which selectors it has (all must match) */
#define SYSCALLMON_SEL_PIDS		(1u << 8)  /* the processes of pids */
#define SYSCALLMON_SEL_TREE		(1u << 9)  /* pids and every process they fork from now on */
#define SYSCALLMON_SEL_UID		(1u << 10) /* real uid in [uid.min, uid.max] */
#define SYSCALLMON_SEL_EUID		(1u << 11)
#define SYSCALLMON_SEL_AUID		(1u << 12) /* login uid (audit) */
#define SYSCALLMON_SEL_GID		(1u << 13)
#define SYSCALLMON_SEL_COMM		(1u << 14)
#define SYSCALLMON_SEL_EXE		(1u << 15) /* the program it runs, the file exe names */
#define SYSCALLMON_SEL_CGROUP		(1u << 16) /* in cgroup (v2 path) or below it */
#define SYSCALLMON_SEL_PATH		(1u << 17) /* the path argument as passed (see README) */
#define SYSCALLMON_SEL_FILE		(1u << 18) /* the file accessed is file, by device and inode */
#define SYSCALLMON_RULE_FLAGS_MASK	0x7ff1fu

/*
 * syscallmon_rule.file_ops: a rule with SEL_FILE decides these accesses to
 * its file, at the kernel's security hooks, on the file itself whatever
 * name or path reached it.  A directory's rule also decides the unlink,
 * rename and link of the names in it.
 */
#define SYSCALLMON_FILE_OPEN		(1u << 0) /* opened (not O_PATH; exec is EXEC) */
#define SYSCALLMON_FILE_EXEC		(1u << 1) /* run as a program, or as a #! interpreter */
#define SYSCALLMON_FILE_UNLINK		(1u << 2) /* unlinked (rmdir for a directory) */
#define SYSCALLMON_FILE_RENAME		(1u << 3) /* renamed, or replaced by a rename onto its name */
#define SYSCALLMON_FILE_LINK		(1u << 4) /* given another name */
#define SYSCALLMON_FILE_TRUNCATE	(1u << 5) /* truncated (truncate, ftruncate, O_TRUNC) */
#define SYSCALLMON_FILE_OPS_MASK	0x3fu

struct syscallmon_id_range {
	__u32 min;
	__u32 max;
};

/*
 * SYSCALLMON_IOC_ADD_RULE: a new rule at the end of its class (HAND, or
 * FILE: owned by this open file); id is set on return.  A rule of the same
 * name, class and (FILE) file is replaced where it stands, keeping its id
 * and counters (e.g. from audit to enforced).  -EEXIST: the name is taken
 * by a rule of another class or file; -ENOENT: exe, cgroup or file names
 * nothing, or a syscall or file access is not in this kernel; -ESRCH: a
 * pid names no live process; -ENOSPC: too many rules.  Strings are
 * NUL-terminated within their arrays.
 */
struct syscallmon_rule {
	__u32 id;
	__u32 rule_class;	/* enum syscallmon_rule_class */
	char  name[SYSCALLMON_RULE_NAME_LEN];
	__u64 syscalls[SYSCALLMON_NR_LIMIT / 64];	/* bitmap of x86_64 numbers */
	__u32 action;		/* enum syscallmon_rule_action */
	__s32 err;		/* block: the errno; 0 means SYSCALLMON_DEFAULT_ERRNO */
	__u32 flags;		/* SYSCALLMON_RULE_*, SYSCALLMON_SEL_* */
	__u32 record;		/* enum syscallmon_record_mode */
	__u32 file_ops;		/* SYSCALLMON_FILE_*, with SEL_FILE and no syscalls */
	__u32 npids;		/* SEL_PIDS, SEL_TREE: how many at pids */
	__u64 pids;		/* user pointer to __u32[npids], the caller's pid namespace */
	struct syscallmon_id_range uid;
	struct syscallmon_id_range euid;
	struct syscallmon_id_range auid;
	struct syscallmon_id_range gid;
	char  comm[SYSCALLMON_COMM_LEN];
	char  exe[SYSCALLMON_SELECTOR_LEN];
	char  cgroup[SYSCALLMON_SELECTOR_LEN];
	char  path[SYSCALLMON_SELECTOR_LEN];
	char  file[SYSCALLMON_SELECTOR_LEN];
	__u32 reserved[2];	/* must be 0 */
};

/*
 * SYSCALLMON_IOC_DEL_RULES: the rules ids[0..count) go in one step, or none
 * does (-ENOENT if one is not there).  An id given twice is deleted once.
 */
struct syscallmon_rule_ids {
	__u32 count;		/* 1..SYSCALLMON_MAX_RULES */
	__u32 reserved;		/* must be 0 */
	__u64 ids;		/* user pointer to __u32[count] */
};

/* SYSCALLMON_IOC_GET_RULES fills up to max of these, in evaluation order. */
struct syscallmon_rule_info {
	struct syscallmon_rule rule;	/* as given (npids: how many it holds now; pids: 0) */
	__u64 exe_dev;		/* what exe was resolved to */
	__u64 exe_ino;
	__u64 cgroup_id;
	__u64 matched;		/* calls it decided */
	__u64 logged;		/* records it wrote */
	__u64 blocked;
	__u64 killed;
	__u64 would_act;	/* would_block and would_kill */
	__u64 file_dev;		/* what file was resolved to */
	__u64 file_ino;
	__u32 state;		/* SYSCALLMON_RULE_STALE */
	__u32 reserved;
};

/*
 * syscallmon_rule_info.state: the rule's file (or exe) path names another
 * file now, or none: the one the rule holds was replaced (e.g. by rename,
 * as passwd replaces /etc/shadow) or removed.  The rule still decides what
 * it resolved to when it was made.
 */
#define SYSCALLMON_RULE_STALE		(1u << 0)

struct syscallmon_rule_list {
	__u32 max;		/* room at entries */
	__u32 count;		/* out: number of rules (may exceed max) */
	__u64 entries;		/* user pointer to struct syscallmon_rule_info[max] */
};

/*
 * SYSCALLMON_IOC_REPLACE_POLICY: in one step, the mode becomes mode, exit
 * events exits (SYSCALLMON_EXITS_*), and the policy rules (class POLICY)
 * become rules[0..nrules) in that order; rules of other classes and targets
 * stay.  Nothing changes if any rule is refused.
 */
#define SYSCALLMON_POLICY_TAG_LEN	80	/* includes the NUL */

struct syscallmon_policy {
	__u32 mode;
	__u32 exits;
	__u32 nrules;
	__u32 reserved;		/* must be 0 */
	__u64 rules;		/* user pointer to struct syscallmon_rule[nrules] */
	char  tag[SYSCALLMON_POLICY_TAG_LEN];	/* names it in the config record: e.g. "sha256:..." */
};

struct syscallmon_target_list {
	__u32 max;		/* entries room at entries */
	__u32 count;		/* out: number of targets (may exceed max) */
	__u64 entries;		/* user pointer to struct syscallmon_target_info[max] */
};

/* SYSCALLMON_IOC_SEEK whence */
#define SYSCALLMON_SEEK_TAIL		0 /* oldest record still held */
#define SYSCALLMON_SEEK_HEAD		1 /* only records written from now on */

/* SYSCALLMON_IOC_SET_EXITS, syscallmon_hold.exits */
#define SYSCALLMON_EXITS_OFF		0
#define SYSCALLMON_EXITS_ON		1

/* SYSCALLMON_IOC_HOLD: what this file holds from now on, until the next HOLD or its close. */
struct syscallmon_hold {
	__u32 mode;		/* enum syscallmon_mode: at least this one; OFF holds none */
	__u32 exits;		/* SYSCALLMON_EXITS_ON: exit events on */
	__u32 reserved[2];	/* must be 0 */
};

#define SYSCALLMON_IOC_MAGIC		0xB7

#define SYSCALLMON_IOC_GET_VERSION	_IOR(SYSCALLMON_IOC_MAGIC, 0x00, struct syscallmon_version)
#define SYSCALLMON_IOC_SET_MODE		_IOW(SYSCALLMON_IOC_MAGIC, 0x01, __u32)
#define SYSCALLMON_IOC_ADD_TARGET	_IOW(SYSCALLMON_IOC_MAGIC, 0x02, struct syscallmon_target)
#define SYSCALLMON_IOC_DEL_TARGET	_IOW(SYSCALLMON_IOC_MAGIC, 0x03, struct syscallmon_target)
#define SYSCALLMON_IOC_ADD_PIDS		_IOW(SYSCALLMON_IOC_MAGIC, 0x04, struct syscallmon_pids)
#define SYSCALLMON_IOC_DEL_PIDS		_IOW(SYSCALLMON_IOC_MAGIC, 0x05, struct syscallmon_pids)
#define SYSCALLMON_IOC_CLEAR		_IOW(SYSCALLMON_IOC_MAGIC, 0x06, __u32)
#define SYSCALLMON_IOC_GET_STATUS	_IOR(SYSCALLMON_IOC_MAGIC, 0x07, struct syscallmon_status)
#define SYSCALLMON_IOC_GET_TARGETS	_IOWR(SYSCALLMON_IOC_MAGIC, 0x08, struct syscallmon_target_list)
#define SYSCALLMON_IOC_SEEK		_IOW(SYSCALLMON_IOC_MAGIC, 0x09, __u32)
#define SYSCALLMON_IOC_SET_EXITS	_IOW(SYSCALLMON_IOC_MAGIC, 0x0a, __u32)
#define SYSCALLMON_IOC_GET_PIDS		_IOWR(SYSCALLMON_IOC_MAGIC, 0x0b, struct syscallmon_pid_list)
#define SYSCALLMON_IOC_FETCH		_IOWR(SYSCALLMON_IOC_MAGIC, 0x0c, struct syscallmon_fetch)
#define SYSCALLMON_IOC_ADD_RULE		_IOWR(SYSCALLMON_IOC_MAGIC, 0x0d, struct syscallmon_rule)
#define SYSCALLMON_IOC_DEL_RULE		_IOW(SYSCALLMON_IOC_MAGIC, 0x0e, __u32)
#define SYSCALLMON_IOC_GET_RULES	_IOWR(SYSCALLMON_IOC_MAGIC, 0x0f, struct syscallmon_rule_list)
#define SYSCALLMON_IOC_REPLACE_POLICY	_IOW(SYSCALLMON_IOC_MAGIC, 0x10, struct syscallmon_policy)
#define SYSCALLMON_IOC_SET_WAKEUP	_IOW(SYSCALLMON_IOC_MAGIC, 0x11, __u64)
#define SYSCALLMON_IOC_HOLD		_IOW(SYSCALLMON_IOC_MAGIC, 0x12, struct syscallmon_hold)
#define SYSCALLMON_IOC_DEL_RULES	_IOW(SYSCALLMON_IOC_MAGIC, 0x13, struct syscallmon_rule_ids)

#endif /* _UAPI_SYSCALLMON_H */
