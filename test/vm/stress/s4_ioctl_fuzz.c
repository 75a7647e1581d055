// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 4, ioctl fuzzer.  Worker processes (one per vCPU, so the module's
 * locks see real SMP races) each hold /dev/syscallmon and issue random
 * ioctls: every real command and random ones around the magic (other
 * numbers, directions and sizes), other magics, and fully random command
 * words; with arguments that are good buffers holding plausible or random
 * structs, NULL, unmapped, read-only, kernel-half and non-canonical
 * pointers, and structs straddling into an unmapped page; out-of-range
 * syscall numbers, errnos and flags, pid sets over the limit, every mode
 * value.  A few reads with odd sizes and pointers, and mmaps of the ring at
 * odd offsets, lengths and protections, are mixed in.
 *
 * Rules (ADD_RULE, DEL_RULE, GET_RULES, REPLACE_POLICY) get the same
 * treatment: colliding names, a few syscalls, real and missing programs and
 * cgroups, pid sets and trees, file rules, policies of up to 4 rules or
 * claiming many.
 *
 * Only success or ENOTTY, EINVAL, EFAULT, ENOENT, EPERM, ESRCH, EBUSY,
 * ENOSPC, E2BIG, EEXIST may come back; errors are counted by command and errno.
 * Afterwards the basic LOG/BLOCK checks pass, the unload line shows no
 * allocation live, and the kernel log has no problem line.
 *
 * Not wedging the guest: a worker is exempt from monitoring while it holds
 * the device, and sets the mode to OFF every 100-400 calls.  Block targets
 * are only ever scoped to the worker's own idle children (blocked in
 * pause(), they make no syscalls): a request that the module would accept
 * as a block for everyone or for any other process is turned into a log
 * request before it is sent, a block or kill rule is sent in audit (it
 * records what it would do, never acts), pid 1 appears only where it must be refused
 * (block without force: EPERM), and random pid values in buffers are
 * invalid ones.  Command words that the VFS answers itself before any
 * driver (FIONBIO, FIFREEZE, FICLONE, ...) are left out: they are not the
 * module's.
 *
 * Sizes: SYSCALLMON_STRESS_FUZZ_IOCTLS (total over the workers; 20000, long
 * 200000: about 400 a second under TCG, most of the time spent arming probes), SYSCALLMON_STRESS_FUZZ_SEED (default: from the clock; printed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define WORKERS		2
/* More than a pid set holds, so ADD_PIDS can overflow one (ENOSPC). */
#define IDLE_CHILDREN	(SYSCALLMON_MAX_PIDS + 8)
/*
 * Good buffers live in a region followed by a guard page: arrays (pids,
 * target lists, reads) in the first half, structs in the next quarter, so a
 * struct never lands on the pid array it points to; the last quarter is
 * only touched by buffers that straddle into the guard page.
 */
#define REGION_SIZE	(1024 * 1024)
#define ZONE_ARRAYS	0
#define ZONE_STRUCTS	1
#define PID_LIMIT	4194304		/* PID_MAX_LIMIT on x86_64 */
#define DEAD_PID_BASE	4000000		/* above any pid_max the guest uses: never alive */

/* ---- what gets counted ------------------------------------------------------ */

enum cmd_class {
	C_GET_VERSION, C_SET_MODE, C_ADD_TARGET, C_DEL_TARGET, C_ADD_PIDS, C_DEL_PIDS,
	C_CLEAR, C_GET_STATUS, C_GET_TARGETS, C_SEEK, C_SET_EXITS, C_GET_PIDS, C_FETCH,
	C_ADD_RULE, C_DEL_RULE, C_GET_RULES, C_REPLACE_POLICY, C_SET_WAKEUP, C_HOLD, C_DEL_RULES,
	C_REAL_NR_OTHER_SHAPE,	/* a real command number, another direction or size */
	C_MAGIC_OTHER_NR,	/* the magic, a number no command has */
	C_OTHER_MAGIC,
	C_RANDOM_WORD,
	NCLASSES
};

static const char *const class_names[NCLASSES] = {
	"GET_VERSION", "SET_MODE", "ADD_TARGET", "DEL_TARGET", "ADD_PIDS", "DEL_PIDS",
	"CLEAR", "GET_STATUS", "GET_TARGETS", "SEEK", "SET_EXITS", "GET_PIDS", "FETCH",
	"ADD_RULE", "DEL_RULE", "GET_RULES", "REPLACE_POLICY", "SET_WAKEUP", "HOLD", "DEL_RULES",
	"real nr, other shape", "magic, other nr", "other magic", "random word",
};

static const unsigned long real_cmds[] = {
	SYSCALLMON_IOC_GET_VERSION, SYSCALLMON_IOC_SET_MODE, SYSCALLMON_IOC_ADD_TARGET,
	SYSCALLMON_IOC_DEL_TARGET, SYSCALLMON_IOC_ADD_PIDS, SYSCALLMON_IOC_DEL_PIDS,
	SYSCALLMON_IOC_CLEAR, SYSCALLMON_IOC_GET_STATUS, SYSCALLMON_IOC_GET_TARGETS,
	SYSCALLMON_IOC_SEEK, SYSCALLMON_IOC_SET_EXITS, SYSCALLMON_IOC_GET_PIDS, SYSCALLMON_IOC_FETCH,
	SYSCALLMON_IOC_ADD_RULE, SYSCALLMON_IOC_DEL_RULE, SYSCALLMON_IOC_GET_RULES, SYSCALLMON_IOC_REPLACE_POLICY,
	SYSCALLMON_IOC_SET_WAKEUP, SYSCALLMON_IOC_HOLD, SYSCALLMON_IOC_DEL_RULES,
};
#define NREAL (sizeof(real_cmds) / sizeof(real_cmds[0]))

/* The errnos the issue allows, then "anything else". */
static const int allowed_errnos[] = { 0, ENOTTY, EINVAL, EFAULT, ENOENT, EPERM, ESRCH, EBUSY, ENOSPC, E2BIG,
				      EEXIST };
#define NALLOWED (sizeof(allowed_errnos) / sizeof(allowed_errnos[0]))
#define E_OTHER NALLOWED

#define MAX_UNEXPECTED 16

struct counts {
	uint64_t by[NCLASSES][NALLOWED + 1];
	uint64_t ioctls;
	uint64_t resets;
	uint64_t reset_failures;
	uint64_t made_safe;		/* block targets made log targets, block and kill rules audit ones */
	uint64_t reads, read_records, read_errors[NALLOWED + 1 + 1]; /* + EAGAIN */
	uint64_t mmaps, mmap_refused;
	uint64_t unexpected;
	struct {
		unsigned long cmd;
		int err;
		int kind;
	} unexpected_log[MAX_UNEXPECTED];
	double seconds;
	int done;
};

static struct counts *shared;	/* one per worker, MAP_SHARED */

static int errno_index(int err)
{
	for (size_t i = 0; i < NALLOWED; i++)
		if (allowed_errnos[i] == err)
			return i;
	return E_OTHER;
}

static int chance(int percent)
{
	return stress_below(100) < (uint32_t)percent;
}

/* ---- memory ----------------------------------------------------------------- */

static uint8_t *region;		/* REGION_SIZE read-write, then a PROT_NONE page */
static uint8_t *guard;
static uint8_t *ro_page;	/* read-only, filled with 0xff (invalid values) */
static uint8_t *unmapped;
static long page_size;

enum ptr_kind { P_GOOD, P_MISALIGNED, P_STRADDLE, P_RO, P_NULL, P_UNMAPPED, P_KERNEL, P_NONCANON, P_LOW, NPTRKINDS };

static const uint64_t kernel_ptrs[] = {
	0xffff888000000000ull, 0xffffffff81000000ull, 0xffffffffff600000ull, 0xfffffffffffff000ull,
};

/*
 * A pointer for size bytes.  *fill says where the caller may write the
 * bytes the kernel will read (NULL: nowhere, the kernel will fault), and
 * *fill_len how many fit before the guard page.
 */
static uint64_t pick_ptr(size_t size, int good_percent, int zone, uint8_t **fill, size_t *fill_len)
{
	int kind = chance(good_percent) ? (chance(90) ? P_GOOD : P_MISALIGNED) : (int)stress_below(NPTRKINDS);
	size_t off;

	*fill = NULL;
	*fill_len = 0;
	switch (kind) {
	case P_GOOD:
	case P_MISALIGNED:
		if (zone == ZONE_ARRAYS)
			off = stress_below(REGION_SIZE / 2 - (size < REGION_SIZE / 4 ? size : REGION_SIZE / 4) - 8);
		else
			off = REGION_SIZE / 2 + stress_below(REGION_SIZE / 4 - 1024);
		off &= ~(size_t)7;
		if (kind == P_MISALIGNED)
			off += 1 + stress_below(7);
		*fill = region + off;
		*fill_len = size;
		return (uint64_t)(uintptr_t)(region + off);
	case P_STRADDLE:
		/* Starts in the region, ends in the guard page: a partial copy must fault. */
		off = size > 1 ? 1 + stress_below(size < 4096 ? size - 1 : 4095) : 1;
		*fill = guard - off;
		*fill_len = off;
		return (uint64_t)(uintptr_t)(guard - off);
	case P_RO:
		return (uint64_t)(uintptr_t)(ro_page + (stress_below(page_size / 2) & ~7ul));
	case P_NULL:
		return 0;
	case P_UNMAPPED:
		return (uint64_t)(uintptr_t)(unmapped + stress_below(page_size));
	case P_KERNEL:
		return kernel_ptrs[stress_below(sizeof(kernel_ptrs) / sizeof(kernel_ptrs[0]))] + stress_below(4096);
	case P_NONCANON:
		return chance(50) ? 0x0000800000000000ull + stress_below(4096) : 0x8000000000000000ull;
	default:
		return 1 + stress_below(4095);	/* the never-mapped first page */
	}
}

/* Copies src into a picked buffer as far as it can be written; returns the pointer. */
static uint64_t place(const void *src, size_t size, int good_percent, int zone)
{
	uint8_t *fill;
	size_t len;
	uint64_t p = pick_ptr(size, good_percent, zone, &fill, &len);

	if (fill)
		memcpy(fill, src, len < size ? len : size);
	return p;
}

/* ---- values ----------------------------------------------------------------- */

static pid_t idle[IDLE_CHILDREN];

/* Syscalls that are cheap to probe and harmless to log for everyone. */
static const uint32_t pool_nrs[] = {
	__NR_getppid, __NR_getpid, __NR_getuid, __NR_uname, __NR_mkdir, __NR_rmdir, __NR_unlink,
	__NR_chdir, __NR_umask, __NR_sysinfo, __NR_getcwd, __NR_openat, __NR_statfs, __NR_sync,
	__NR_getpriority, __NR_sched_yield, __NR_nanosleep, __NR_pause, __NR_times, __NR_getrusage,
};

static uint32_t pick_nr(void)
{
	switch (stress_below(10)) {
	case 0:
		/* Never blockable; probing them is fine. */
		return (const uint32_t[]){ __NR_exit, __NR_exit_group, __NR_rt_sigreturn,
					   __NR_restart_syscall }[stress_below(4)];
	case 1:
		return (const uint32_t[]){ SYSCALLMON_NR_LIMIT, SYSCALLMON_NR_LIMIT + 1, 0xffffffffu,
					   0x80000000u, 335, 400, 511 }[stress_below(7)];
	case 2:
		return stress_rnd();
	case 3:
		return stress_below(SYSCALLMON_NR_LIMIT);	/* any syscall, or a hole */
	default:
		return pool_nrs[stress_below(sizeof(pool_nrs) / sizeof(pool_nrs[0]))];
	}
}

/* A pid: mostly our idle children; else values the module must refuse. */
static uint32_t pick_pid(int allow_init)
{
	switch (stress_below(12)) {
	case 0:
		return 0;
	case 1:
		return PID_LIMIT + 1 + stress_below(1000);
	case 2:
		return stress_rnd() | 0x80000000u;
	case 3:
	case 4:
		return DEAD_PID_BASE + stress_below(PID_LIMIT - DEAD_PID_BASE);
	case 5:
		return allow_init ? 1 : idle[0];
	default:
		return idle[stress_below(IDLE_CHILDREN)];
	}
}

/* Mostly a set's sizes (none, a few, full); else more than it holds. */
static uint32_t pick_npids(void)
{
	switch (stress_below(8)) {
	case 0:
		return 0;
	case 3:
		return SYSCALLMON_MAX_PIDS;
	case 1:
		return SYSCALLMON_MAX_PIDS + 1 + stress_below(3);
	case 2:
		return chance(50) ? 0xffffffffu : stress_rnd();
	default:
		return 1 + stress_below(6);
	}
}

/* A full set is made of distinct idle children, so the next add overflows it. */
static void fill_pids(uint32_t *pids, size_t n, int allow_init)
{
	size_t start = stress_below(IDLE_CHILDREN);

	for (size_t i = 0; i < n; i++)
		pids[i] = n == SYSCALLMON_MAX_PIDS && stress_below(4) ? (uint32_t)idle[(start + i) % IDLE_CHILDREN] :
			  pick_pid(allow_init);
}

static int is_idle(uint32_t pid)
{
	for (int i = 0; i < IDLE_CHILDREN; i++)
		if ((uint32_t)idle[i] == pid)
			return 1;
	return 0;
}

/* Could the module accept this pid into a scope?  (invalid and dead pids it refuses) */
static int acceptable_pid(uint32_t pid)
{
	return pid != 0 && pid <= PID_LIMIT && pid < DEAD_PID_BASE;
}

static int unblockable(uint32_t nr)
{
	return nr == __NR_exit || nr == __NR_exit_group || nr == __NR_rt_sigreturn ||
	       nr == __NR_restart_syscall;
}

/*
 * Would the module accept this ADD_TARGET as a block for someone other than
 * our idle children?  Mirrors the module's checks only as far as needed to
 * never let such a request through; pids are what we wrote (pids_seen).
 */
static int dangerous_target(const struct syscallmon_target *t, const uint32_t *pids, size_t pids_seen)
{
	if (t->action != SYSCALLMON_ACTION_BLOCK || t->nr >= SYSCALLMON_NR_LIMIT || unblockable(t->nr) ||
	    (t->flags & ~SYSCALLMON_TARGET_FLAGS_MASK) || t->record > SYSCALLMON_RECORD_BOTH ||
	    ((t->flags & SYSCALLMON_TARGET_FAILED_ONLY) && t->record != SYSCALLMON_RECORD_COMPLETE) ||
	    t->err < 0 || t->err > SYSCALLMON_MAX_ERRNO)
		return 0;
	if (t->flags & SYSCALLMON_TARGET_ALL_PIDS)
		return 1;
	if (t->npids > SYSCALLMON_MAX_PIDS)
		return 0;
	if (pids_seen < t->npids)
		return 0;	/* part of the array faults: the whole request does */
	for (size_t i = 0; i < t->npids; i++) {
		/* pid 1 without force is refused (EPERM); with force it would be blocked. */
		if (pids[i] == 1 && !(t->flags & SYSCALLMON_TARGET_FORCE))
			return 0;
	}
	for (size_t i = 0; i < t->npids; i++)
		if (acceptable_pid(pids[i]) && !is_idle(pids[i]))
			return 1;
	return 0;
}

/* ---- one ioctl -------------------------------------------------------------- */

struct call {
	unsigned long cmd;
	uint64_t arg;
	enum cmd_class cls;
};

/* Ids of rules made lately (this worker's): DEL_RULES names them, or it would seldom find all it names. */
static uint32_t made_ids[8];

static void fill_random(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = stress_rnd();
}

static uint64_t u32_arg(uint32_t value)
{
	return place(&value, sizeof(value), 85, ZONE_STRUCTS);
}

static uint32_t pick_mode(void)
{
	return chance(80) ? stress_below(3) : (const uint32_t[]){ 3, 4, 0xffffffffu, 0x80000000u }[stress_below(4)];
}

static uint64_t target_arg(struct counts *c)
{
	struct syscallmon_target t;
	uint32_t pids[SYSCALLMON_MAX_PIDS];
	uint8_t *fill = NULL;
	size_t fill_len = 0, seen = 0, n;
	uint64_t p;

	if (chance(10)) {
		fill_random(&t, sizeof(t));
	} else {
		memset(&t, 0, sizeof(t));
		t.nr = pick_nr();
		t.action = chance(90) ? stress_below(2) : 2 + stress_below(100);
		t.err = chance(70) ? (int32_t)stress_below(3) :
			(const int32_t[]){ -1, 4095, 4096, 13, 0x7fffffff, (int32_t)0x80000000 }[stress_below(6)];
		t.flags = chance(90) ? stress_below(16) : stress_rnd();
		t.record = chance(95) ? stress_below(3) : 3 + stress_below(100);
		t.npids = pick_npids();
	}
	/* The pid array: written where the kernel will read it, as far as mapped. */
	n = t.npids < SYSCALLMON_MAX_PIDS ? t.npids : SYSCALLMON_MAX_PIDS;
	fill_pids(pids, n, t.action == SYSCALLMON_ACTION_BLOCK && !(t.flags & SYSCALLMON_TARGET_FORCE));
	p = pick_ptr(n * sizeof(uint32_t), 85, ZONE_ARRAYS, &fill, &fill_len);
	if (fill) {
		seen = fill_len / sizeof(uint32_t);
		if (seen > n)
			seen = n;
		memcpy(fill, pids, seen * sizeof(uint32_t));
	}
	t.pids = p;
	if (dangerous_target(&t, pids, seen)) {
		t.action = SYSCALLMON_ACTION_LOG;
		c->made_safe++;
	}
	return place(&t, sizeof(t), 90, ZONE_STRUCTS);
}

static uint64_t pids_arg(int add)
{
	struct syscallmon_pids req;
	uint32_t pids[SYSCALLMON_MAX_PIDS];
	size_t n;

	memset(&req, 0, sizeof(req));
	if (chance(10)) {
		fill_random(&req, sizeof(req));
	} else {
		req.nr = pick_nr();
		req.npids = pick_npids();
	}
	n = req.npids < SYSCALLMON_MAX_PIDS ? req.npids : SYSCALLMON_MAX_PIDS;
	/*
	 * The target's action may be block, with force, set by another worker:
	 * added pids are never pid 1 or any live process but our idle children.
	 */
	fill_pids(pids, n, 0);
	(void)add;
	req.pids = place(pids, n * sizeof(uint32_t), 85, ZONE_ARRAYS);
	return place(&req, sizeof(req), 90, ZONE_STRUCTS);
}

static uint64_t target_list_arg(void)
{
	struct syscallmon_target_list list;
	uint8_t *fill;
	size_t len;

	memset(&list, 0, sizeof(list));
	list.max = chance(80) ? (const uint32_t[]){ 0, 1, 4, 16, 64 }[stress_below(5)] :
		   (const uint32_t[]){ SYSCALLMON_NR_LIMIT, SYSCALLMON_NR_LIMIT + 1, 0xffffffffu }[stress_below(3)];
	if (chance(5))
		fill_random(&list, sizeof(list));
	/* Room for every entry the kernel may write, so a good pointer stays inside the region. */
	list.entries = pick_ptr((size_t)(list.max > SYSCALLMON_NR_LIMIT ? 1 : list.max) *
				sizeof(struct syscallmon_target_info), 85, ZONE_ARRAYS, &fill, &len);
	if (list.max > 64 && list.max <= SYSCALLMON_NR_LIMIT && fill)
		list.entries = (uint64_t)(uintptr_t)region;	/* 512 entries fit from its start */
	return place(&list, sizeof(list), 90, ZONE_STRUCTS);
}

static const char *pick_string(const char *const *choices, size_t n)
{
	return choices[stress_below(n)];
}

/*
 * A rule request: plausible (names that collide, a few syscalls, real and
 * missing programs and cgroups, pids as for targets) or random bytes.  A
 * block or kill rule is never enforced: it only says what it would do.
 */
static void fill_rule(struct syscallmon_rule *r, uint32_t class, struct counts *c)
{
	static const char *const exes[] = { "/bin/true", "/usr/bin/env", "/bin/true", "", "/nonexistent", "/tmp",
					    "relative" };
	static const char *const cgroups[] = { "/", "/", "", "/nonexistent", "/../..", "system.slice" };
	static const char *const paths[] = { "/tmp", "/etc/passwd", "/", "" };

	if (chance(10)) {
		fill_random(r, sizeof(*r));
	} else {
		memset(r, 0, sizeof(*r));
		r->rule_class = chance(95) ? class : stress_below(8);
		snprintf(r->name, sizeof(r->name), "fuzz-%u", stress_below(64));
		if (chance(3))
			memset(r->name, 'n', sizeof(r->name));
		for (uint32_t i = 0, n = stress_below(4); i < n; i++) {
			uint32_t nr = pick_nr();

			if (nr < SYSCALLMON_NR_LIMIT)
				r->syscalls[nr / 64] |= 1ull << (nr % 64);
		}
		r->action = chance(90) ? stress_below(4) : stress_rnd();
		r->err = chance(70) ? (int32_t)stress_below(3) : (int32_t)stress_rnd();
		r->flags = stress_below(32);
		/* A few selectors at a time, or the rule is refused for one of them. */
		for (uint32_t sel = SYSCALLMON_SEL_PIDS; sel <= SYSCALLMON_SEL_FILE; sel <<= 1)
			if (chance(12))
				r->flags |= sel;
		if (chance(10))
			r->flags = stress_rnd();
		r->record = chance(95) ? stress_below(3) : 3 + stress_below(100);
		r->uid.min = stress_below(2000);
		r->uid.max = chance(90) ? r->uid.min + stress_below(2000) : stress_below(2000);
		r->euid = r->uid;
		r->auid.max = stress_rnd();
		r->gid.max = stress_below(5);
		snprintf(r->comm, sizeof(r->comm), "%s", chance(80) ? "fuzz" : "");
		if (chance(3))
			memset(r->comm, 'c', sizeof(r->comm));
		snprintf(r->exe, sizeof(r->exe), "%s", pick_string(exes, sizeof(exes) / sizeof(exes[0])));
		snprintf(r->cgroup, sizeof(r->cgroup), "%s", pick_string(cgroups, sizeof(cgroups) / sizeof(cgroups[0])));
		snprintf(r->path, sizeof(r->path), "%s", pick_string(paths, sizeof(paths) / sizeof(paths[0])));
		/* A file rule: accesses to a file instead of syscalls. */
		snprintf(r->file, sizeof(r->file), "%s", pick_string(paths, sizeof(paths) / sizeof(paths[0])));
		if (chance(20)) {
			r->flags |= SYSCALLMON_SEL_FILE;
			r->file_ops = chance(90) ? 1 + stress_below(SYSCALLMON_FILE_OPS_MASK) : stress_rnd();
			if (chance(90))
				memset(r->syscalls, 0, sizeof(r->syscalls));
		}
		r->npids = class == SYSCALLMON_CLASS_POLICY && chance(90) ? 0 : pick_npids();
		r->reserved[0] = chance(95) ? 0 : 1;
	}
	if ((r->action == SYSCALLMON_RULE_BLOCK || r->action == SYSCALLMON_RULE_KILL) &&
	    (r->flags & SYSCALLMON_RULE_ENFORCE)) {
		r->flags &= ~SYSCALLMON_RULE_ENFORCE;
		c->made_safe++;
	}
}

static uint64_t rule_arg(struct counts *c)
{
	struct syscallmon_rule r;
	uint32_t pids[SYSCALLMON_MAX_PIDS];
	size_t n;

	fill_rule(&r, chance(50) ? SYSCALLMON_CLASS_HAND : SYSCALLMON_CLASS_FILE, c);
	n = r.npids < SYSCALLMON_MAX_PIDS ? r.npids : SYSCALLMON_MAX_PIDS;
	fill_pids(pids, n, 1);
	if (chance(90))
		r.pids = place(pids, n * sizeof(uint32_t), 85, ZONE_ARRAYS);
	return place(&r, sizeof(r), 90, ZONE_STRUCTS);
}

#define POLICY_MAX_BUILT 4

static uint64_t policy_arg(struct counts *c)
{
	struct syscallmon_rule rules[POLICY_MAX_BUILT];
	struct syscallmon_policy p = { 0 };
	uint32_t built;

	p.mode = pick_mode();
	p.exits = chance(90) ? stress_below(2) : stress_rnd();
	p.nrules = chance(85) ? stress_below(POLICY_MAX_BUILT + 1) :
		   (const uint32_t[]){ SYSCALLMON_MAX_RULES, SYSCALLMON_MAX_RULES + 1, 0xffffffffu,
				       1000 }[stress_below(4)];
	p.reserved = chance(95) ? 0 : 1;
	built = p.nrules < POLICY_MAX_BUILT ? p.nrules : POLICY_MAX_BUILT;
	for (uint32_t i = 0; i < built; i++)
		fill_rule(&rules[i], SYSCALLMON_CLASS_POLICY, c);
	/* Past the rules built, the kernel reads what the region holds, or faults. */
	p.rules = place(rules, built * sizeof(rules[0]), 85, ZONE_ARRAYS);
	return place(&p, sizeof(p), 90, ZONE_STRUCTS);
}

static uint64_t rule_list_arg(void)
{
	struct syscallmon_rule_list list = { 0 };
	uint8_t *fill;
	size_t len;

	list.max = chance(80) ? (const uint32_t[]){ 0, 1, 4, 16 }[stress_below(4)] :
		   (const uint32_t[]){ 256, SYSCALLMON_MAX_RULES, SYSCALLMON_MAX_RULES + 1, 0xffffffffu }[stress_below(4)];
	if (chance(5))
		fill_random(&list, sizeof(list));
	list.entries = pick_ptr((size_t)(list.max > 16 ? 1 : list.max) * sizeof(struct syscallmon_rule_info), 85,
				ZONE_ARRAYS, &fill, &len);
	/* A list longer than the region holds runs into its guard page: EFAULT, never a stray write. */
	if (list.max > 16 && fill)
		list.entries = (uint64_t)(uintptr_t)region;
	return place(&list, sizeof(list), 90, ZONE_STRUCTS);
}

/* VFS answers these itself, before the driver: not the module's. */
static int vfs_generic(unsigned long cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 0x54 /* FIONBIO, FIOCLEX, FIOASYNC, FIOQSIZE, ... */ ||
	       type == 'X' /* FIFREEZE, FITHAW, FS_IOC_FSGETXATTR */ ||
	       type == 'f' /* FS_IOC_GETFLAGS, FIEMAP */ || type == 0x94 /* FICLONE, FIDEDUPERANGE */ ||
	       type == 0x00 /* FIBMAP, FIGETBSZ */ || type == 0x15 /* FS_IOC_GETFSUUID... */;
}

static void make_call(struct call *call, struct counts *c)
{
	unsigned int r = stress_below(100), nr;

	if (r < 70) {
		call->cls = stress_below(NREAL);
		call->cmd = real_cmds[call->cls];
		switch (call->cls) {
		case C_SET_MODE:
			call->arg = u32_arg(pick_mode());
			break;
		case C_DEL_RULES: {
			/* Ids around the ones made so far, a count around the bounds, the array anywhere. */
			uint32_t ids[8];
			struct syscallmon_rule_ids req = {
				/* One id, as DEL_RULE takes, succeeds as often; more must all be there. */
				.count = chance(50) ? 1 : chance(80) ? 2 + stress_below(7) : stress_rnd(),
				.reserved = chance(95) ? 0 : stress_rnd(),
			};

			for (unsigned int k = 0; k < 8; k++) {
				ids[k] = chance(70) ? made_ids[stress_below(8)] : 0;
				if (!ids[k] && !chance(3))
					ids[k] = chance(80) ? stress_below(300) : stress_rnd();
			}
			req.ids = place(ids, sizeof(ids), 85, ZONE_ARRAYS);
			call->arg = place(&req, sizeof(req), 90, ZONE_STRUCTS);
			break;
		}
		case C_HOLD: {
			struct syscallmon_hold h = {
				.mode = pick_mode(),
				.exits = chance(80) ? stress_below(2) : stress_rnd(),
				.reserved = { chance(90) ? 0 : stress_rnd(), chance(90) ? 0 : stress_rnd() },
			};

			call->arg = place(&h, sizeof(h), 90, ZONE_STRUCTS);
			break;
		}
		case C_ADD_TARGET:
			call->arg = target_arg(c);
			break;
		case C_DEL_TARGET: {
			struct syscallmon_target t = { .nr = pick_nr() };

			call->arg = place(&t, sizeof(t), 90, ZONE_STRUCTS);
			break;
		}
		case C_ADD_PIDS:
		case C_DEL_PIDS:
			call->arg = pids_arg(call->cls == C_ADD_PIDS);
			break;
		case C_CLEAR:
			/* Clearing targets now and then bounds how many probes are armed. */
			call->arg = u32_arg(chance(85) ? stress_below(8) & ~(chance(70) ? SYSCALLMON_CLEAR_TARGETS : 0u) :
					    8 + stress_below(1000));
			break;
		case C_SEEK:
			call->arg = u32_arg(chance(80) ? stress_below(2) : 2 + stress_below(10));
			break;
		case C_SET_EXITS:
			call->arg = u32_arg(chance(80) ? stress_below(2) : 2 + stress_below(10));
			break;
		case C_GET_TARGETS:
			call->arg = target_list_arg();
			break;
		case C_GET_PIDS: {
			struct syscallmon_pid_list l = {
				.nr = pick_nr(), .max = pick_npids(), .rule = chance(80) ? 0 : stress_below(300),
			};
			uint8_t *fill;
			size_t len;

			l.pids = pick_ptr((l.max > SYSCALLMON_MAX_PIDS ? 1 : l.max) * sizeof(uint32_t), 85,
					  ZONE_ARRAYS, &fill, &len);
			call->arg = place(&l, sizeof(l), 90, ZONE_STRUCTS);
			break;
		}
		case C_FETCH: {
			/*
			 * Where a reader starts (the cursor stays), or positions anywhere:
			 * the module must refuse what no reader can have reached.
			 */
			struct syscallmon_fetch f = { 0 };

			if (chance(70)) {
				f.pos = chance(50) ? stress_below(1 << 20) * 8 : stress_rnd() * (uint64_t)stress_rnd();
				f.seq = chance(50) ? stress_below(1 << 16) : stress_rnd();
			}
			if (chance(30))
				f.flags = chance(70) ? SYSCALLMON_FETCH_KEEP_LOSS : stress_rnd();
			if (chance(5))
				f.reserved = stress_rnd();

			call->arg = place(&f, sizeof(f), 90, ZONE_STRUCTS);
			break;
		}
		case C_ADD_RULE:
			call->arg = rule_arg(c);
			break;
		case C_DEL_RULE:
			call->arg = u32_arg(chance(80) ? stress_below(300) : stress_rnd());
			break;
		case C_GET_RULES:
			call->arg = rule_list_arg();
			break;
		case C_REPLACE_POLICY:
			call->arg = policy_arg(c);
			break;
		case C_SET_WAKEUP: {
			/* Around the bounds (1, half the default ring) and anywhere. */
			uint64_t bytes = chance(60) ? stress_below(4) + (chance(50) ? 0 : 512 * 1024 - 2) :
						      stress_rnd() * (uint64_t)stress_rnd();

			call->arg = place(&bytes, sizeof(bytes), 85, ZONE_STRUCTS);
			break;
		}
		default:	/* GET_VERSION, GET_STATUS: only the pointer varies */
			call->arg = pick_ptr(sizeof(struct syscallmon_status), 80, ZONE_STRUCTS, &(uint8_t *){ 0 },
					     &(size_t){ 0 });
			break;
		}
		return;
	}
	if (r < 80) {
		/* A real number with another direction or size: a different command. */
		unsigned long real = real_cmds[stress_below(NREAL)];

		call->cls = C_REAL_NR_OTHER_SHAPE;
		do {
			call->cmd = _IOC(stress_below(4), SYSCALLMON_IOC_MAGIC, _IOC_NR(real),
					 chance(50) ? stress_below(0x200) : stress_below(_IOC_SIZEMASK + 1));
		} while (call->cmd == real);
	} else if (r < 90) {
		call->cls = C_MAGIC_OTHER_NR;
		nr = chance(50) ? 0x0b + stress_below(0x20) : stress_below(256);
		if (nr < NREAL)
			nr = NREAL + stress_below(256 - NREAL);
		call->cmd = _IOC(stress_below(4), SYSCALLMON_IOC_MAGIC, nr, stress_below(_IOC_SIZEMASK + 1));
	} else if (r < 96) {
		call->cls = C_OTHER_MAGIC;
		do {
			call->cmd = (real_cmds[stress_below(NREAL)] & ~_IOC_TYPEMASK) |
				    ((unsigned long)(chance(50) ? SYSCALLMON_IOC_MAGIC - 1 + 2 * stress_below(2) : stress_below(256))
				     << _IOC_TYPESHIFT);
		} while (_IOC_TYPE(call->cmd) == SYSCALLMON_IOC_MAGIC || vfs_generic(call->cmd));
	} else {
		call->cls = C_RANDOM_WORD;
		do {
			call->cmd = (uint32_t)stress_rnd();
		} while (vfs_generic(call->cmd) || _IOC_TYPE(call->cmd) == SYSCALLMON_IOC_MAGIC);
	}
	call->arg = chance(50) ? pick_ptr(1 + stress_below(1024), 50, ZONE_STRUCTS, &(uint8_t *){ 0 }, &(size_t){ 0 }) : stress_rnd();
}

/*
 * ENOSPC needs a pid-scoped target whose set is full and a live pid not in
 * it: random calls almost never line that up, so now and then this pair
 * does (another worker may change the target in between: the answer is
 * counted like any other).
 */
static void overflow_pair(int fd, struct counts *c)
{
	uint32_t pids[SYSCALLMON_MAX_PIDS + 1];
	size_t start = stress_below(IDLE_CHILDREN);
	struct syscallmon_target t = {
		.nr = pool_nrs[stress_below(sizeof(pool_nrs) / sizeof(pool_nrs[0]))],
		.action = SYSCALLMON_ACTION_LOG,
		.npids = SYSCALLMON_MAX_PIDS,
		.pids = (uint64_t)(uintptr_t)pids,
	};
	struct syscallmon_pids more = { .nr = t.nr, .npids = 1,
					.pids = (uint64_t)(uintptr_t)&pids[SYSCALLMON_MAX_PIDS] };
	int e;

	for (size_t i = 0; i <= SYSCALLMON_MAX_PIDS; i++)
		pids[i] = idle[(start + i) % IDLE_CHILDREN];
	e = ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t) < 0 ? errno : 0;
	c->ioctls++;
	c->by[C_ADD_TARGET][errno_index(e)]++;
	e = ioctl(fd, SYSCALLMON_IOC_ADD_PIDS, &more) < 0 ? errno : 0;
	c->ioctls++;
	c->by[C_ADD_PIDS][errno_index(e)]++;
}

/* ---- mappings of the ring ---------------------------------------------------- */

/*
 * Maps the device at random offsets, lengths and protections: read-only
 * mappings inside the control page and the ring work (and a walk of what
 * they show reads nothing beyond them), everything else is refused.
 */
static void fuzz_mmap(int fd, struct counts *c)
{
	static const size_t pages[] = { 0, 1, 2, 16, 17, 1 << 8, (1 << 30) / 4096 + 2 };
	size_t len = pages[stress_below(sizeof(pages) / sizeof(pages[0]))] * page_size + (chance(10) ? 1 : 0);
	off_t off = (off_t)(chance(80) ? stress_below(20) : stress_rnd()) * page_size + (chance(5) ? 1 : 0);
	int prot = chance(80) ? PROT_READ : (int)stress_below(8);
	int flags = chance(80) ? MAP_SHARED : MAP_PRIVATE;
	void *p = mmap(NULL, len, prot, flags, fd, off);

	c->mmaps++;
	if (p == MAP_FAILED) {
		c->mmap_refused++;
		return;
	}
	/* Whatever it mapped readable, it can be read whole. */
	for (size_t i = 0; (prot & PROT_READ) && i < len; i += page_size)
		(void)((volatile uint8_t *)p)[i];
	munmap(p, len);
}

/* ---- a few reads, for the cursor and ring paths --------------------------- */

static void fuzz_read(int fd, struct counts *c)
{
	static const size_t sizes[] = { 0, 1, SYSCALLMON_RECORD_MAX - 1, SYSCALLMON_RECORD_MAX,
					SYSCALLMON_RECORD_MAX + 1, 2 * SYSCALLMON_RECORD_MAX,
					16 * SYSCALLMON_RECORD_MAX, 64 * SYSCALLMON_RECORD_MAX };
	size_t len = sizes[stress_below(sizeof(sizes) / sizeof(sizes[0]))];
	uint8_t *fill;
	size_t fill_len;
	uint64_t p = pick_ptr(len ? len : 1, 70, ZONE_ARRAYS, &fill, &fill_len);
	ssize_t n;

	/* A random command may have cleared O_NONBLOCK: a read must never wait here. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	n = read(fd, (void *)(uintptr_t)p, len);
	c->reads++;
	if (n >= 0) {
		struct smon_events events = { 0 };

		/* Only a buffer the fuzzer may read back: it wrote nothing to others. */
		if (fill && fill_len >= (size_t)n && !smon_decode_records(fill, n, &events))
			c->read_records += events.n;
		smon_events_free(&events);
		c->read_errors[0]++;
	} else if (errno == EAGAIN) {
		c->read_errors[NALLOWED + 1]++;
	} else {
		c->read_errors[errno_index(errno)]++;
	}
}

/* ---- a worker ---------------------------------------------------------------- */

static void setup_memory(void)
{
	page_size = sysconf(_SC_PAGESIZE);
	region = mmap(NULL, REGION_SIZE + page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	REQUIRE(region != MAP_FAILED, "mmap region");
	guard = region + REGION_SIZE;
	REQUIRE(mprotect(guard, page_size, PROT_NONE) == 0, "mprotect guard");
	ro_page = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ro_page != MAP_FAILED, "mmap ro page");
	memset(ro_page, 0xff, page_size);
	REQUIRE(mprotect(ro_page, page_size, PROT_READ) == 0, "mprotect ro page");
	unmapped = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(unmapped != MAP_FAILED, "mmap");
	REQUIRE(munmap(unmapped, page_size) == 0, "munmap");
}

static void __attribute__((noreturn)) worker(int w, long calls, uint64_t seed)
{
	struct counts *c = &shared[w];
	uint32_t off = SYSCALLMON_MODE_OFF;
	struct syscallmon_hold none = { 0 };
	long next_reset = 100 + stress_below(300);
	double t0;
	int fd;

	stress_seed(seed);
	setup_memory();
	for (int i = 0; i < IDLE_CHILDREN; i++) {
		idle[i] = stress_idle_child();
		if (idle[i] <= 0)
			_exit(3);
	}
	fd = smon_open(O_NONBLOCK);
	if (fd < 0)
		_exit(2);
	t0 = stress_now();
	for (long i = 0; i < calls; i++) {
		struct call call;
		int ret, e;

		if (i >= next_reset) {
			/* Exempt as a holder, so this always gets through. */
			c->resets++;
			if (ioctl(fd, SYSCALLMON_IOC_SET_MODE, &off) < 0 || ioctl(fd, SYSCALLMON_IOC_HOLD, &none) < 0)
				c->reset_failures++;
			next_reset = i + 100 + stress_below(300);
			/* A rule of this worker's own, so that DEL_RULES has something to delete. */
			{
				struct syscallmon_rule r;
				char name[32];
				int id;

				snprintf(name, sizeof(name), "fuzz-%d-%ld", w, i);
				smon_rule_init(&r, name, SYSCALLMON_RULE_LOG, 0);
				smon_rule_syscall(&r, SYS_getppid);
				id = smon_add_rule(fd, &r);
				if (id > 0)
					made_ids[stress_below(8)] = id;
			}
		}
		if (chance(3))
			fuzz_read(fd, c);
		if (chance(2))
			fuzz_mmap(fd, c);
		if (chance(1) && i + 2 < calls) {
			overflow_pair(fd, c);
			i += 2;
		}
		make_call(&call, c);
		ret = ioctl(fd, call.cmd, (unsigned long)call.arg);
		e = ret < 0 ? errno : 0;
		if (call.cls == C_ADD_RULE && ret > 0)
			made_ids[stress_below(8)] = ret;
		c->ioctls++;
		c->by[call.cls][errno_index(e)]++;
		if (errno_index(e) == E_OTHER) {
			if (c->unexpected < MAX_UNEXPECTED) {
				c->unexpected_log[c->unexpected].cmd = call.cmd;
				c->unexpected_log[c->unexpected].err = e;
				c->unexpected_log[c->unexpected].kind = call.cls;
			}
			c->unexpected++;
		}
	}
	c->seconds = stress_now() - t0;
	if (ioctl(fd, SYSCALLMON_IOC_SET_MODE, &off) < 0 || ioctl(fd, SYSCALLMON_IOC_HOLD, &none) < 0)
		c->reset_failures++;
	close(fd);
	for (int i = 0; i < IDLE_CHILDREN; i++) {
		kill(idle[i], SIGKILL);
		waitpid(idle[i], NULL, 0);
	}
	c->done = 1;
	_exit(0);
}

static int worker_done(int w)
{
	return shared[w].done;
}

/* ---- report ------------------------------------------------------------------- */

static const char *errno_label(size_t i)
{
	return i == E_OTHER ? "other" : i == 0 ? "ok" : smon_errname(allowed_errnos[i]);
}

int main(void)
{
	long total = stress_size("SYSCALLMON_STRESS_FUZZ_IOCTLS", 20000, 200000);
	uint64_t seed = stress_fuzz_seed();
	struct counts sum;
	long long seq0 = kmsg_last_seq();
	double seconds = 0;

	shared = mmap(NULL, WORKERS * sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(shared != MAP_FAILED, "mmap");
	REQUIRE(smon_load("ring_size=65536") == 0, "load");

	stress_run_workers(WORKERS, total, seed, worker, worker_done);

	memset(&sum, 0, sizeof(sum));
	for (int w = 0; w < WORKERS; w++) {
		const struct counts *c = &shared[w];

		for (int k = 0; k < NCLASSES; k++)
			for (size_t e = 0; e <= NALLOWED; e++)
				sum.by[k][e] += c->by[k][e];
		for (size_t e = 0; e < NALLOWED + 2; e++)
			sum.read_errors[e] += c->read_errors[e];
		sum.ioctls += c->ioctls;
		sum.resets += c->resets;
		sum.reset_failures += c->reset_failures;
		sum.made_safe += c->made_safe;
		sum.reads += c->reads;
		sum.read_records += c->read_records;
		sum.mmaps += c->mmaps;
		sum.mmap_refused += c->mmap_refused;
		sum.unexpected += c->unexpected;
		if (c->seconds > seconds)
			seconds = c->seconds;
		for (uint64_t i = 0; i < c->unexpected && i < MAX_UNEXPECTED; i++)
			smon_diag("unexpected: worker %d %s cmd %#lx -> %s (%d)", w,
				  class_names[c->unexpected_log[i].kind], c->unexpected_log[i].cmd,
				  smon_errname(c->unexpected_log[i].err), c->unexpected_log[i].err);
	}

	{
		char line[512];
		int len = snprintf(line, sizeof(line), "%-22s", "command");

		for (size_t e = 0; e <= NALLOWED; e++)
			len += snprintf(line + len, sizeof(line) - len, " %8s", errno_label(e));
		smon_diag("%s", line);
		for (int k = 0; k < NCLASSES; k++) {
			len = snprintf(line, sizeof(line), "%-22s", class_names[k]);
			for (size_t e = 0; e <= NALLOWED; e++)
				len += snprintf(line + len, sizeof(line) - len, " %8" PRIu64, sum.by[k][e]);
			smon_diag("%s", line);
		}
	}
	for (size_t e = 0; e <= NALLOWED; e++) {
		uint64_t n = 0;
		char key[64];

		for (int k = 0; k < NCLASSES; k++)
			n += sum.by[k][e];
		snprintf(key, sizeof(key), "fuzz.result.%s", errno_label(e));
		stress_figure(key, "%" PRIu64, n);
	}
	stress_figure("fuzz.ioctls", "%" PRIu64, sum.ioctls);
	stress_figure("fuzz.ioctls_per_s", "%.0f", seconds > 0 ? sum.ioctls / seconds : 0);
	stress_figure("fuzz.seconds", "%.1f", seconds);
	stress_figure("fuzz.mode_resets", "%" PRIu64, sum.resets);
	stress_figure("fuzz.block_requests_made_log", "%" PRIu64, sum.made_safe);
	stress_figure("fuzz.reads", "%" PRIu64, sum.reads);
	stress_figure("fuzz.read_records", "%" PRIu64, sum.read_records);
	stress_figure("fuzz.mmaps", "%" PRIu64, sum.mmaps);
	stress_figure("fuzz.mmaps_refused", "%" PRIu64, sum.mmap_refused);

	CHECK(sum.ioctls == (uint64_t)total, "%" PRIu64 " ioctls issued, want %ld", sum.ioctls, total);
	CHECK(sum.unexpected == 0, "%" PRIu64 " ioctls returned an errno outside the allowed set",
	      sum.unexpected);
	CHECK(sum.read_errors[E_OTHER] == 0, "%" PRIu64 " reads returned an unexpected errno",
	      sum.read_errors[E_OTHER]);
	CHECK(sum.reset_failures == 0, "%" PRIu64 " resets to OFF failed", sum.reset_failures);
	for (int k = 0; k < (int)NREAL; k++)
		CHECK(sum.by[k][0] > 0, "%s never succeeded: the fuzzer did not reach its body",
		      class_names[k]);

	/* The module still works, and still frees everything. */
	stress_basic_checks("s4");
	stress_unload_checked(seq0);
	smon_exit();
}
