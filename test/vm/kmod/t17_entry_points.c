// SPDX-License-Identifier: GPL-2.0
/*
 * Test 17: a target covers its operation on every entry point the kernel's
 * own tables give it.
 *
 * A gated child makes each call below with the call's operation blocked
 * for it (scoped to its pid, mode BLOCK), and records what every call
 * returned: each must fail with EPERM without running, and leave one
 * BLOCKED record naming the operation (x86_64 number), the ABI and the
 * number the caller used.
 *   - stat, fstat, lstat, sendfile, uname, umount2 for a 64-bit caller: the
 *     x86_64 table calls sys_newstat, sys_newfstat, sys_newlstat,
 *     sys_sendfile64, sys_newuname and sys_umount for them;
 *   - their i386 forms, old and new: stat/oldstat/stat64, fstat/oldfstat/
 *     fstat64, lstat/oldlstat/lstat64, sendfile/sendfile64, uname/olduname/
 *     oldolduname, umount2/umount;
 *   - socket through x86_64 socket, i386 socket and i386
 *     socketcall(SYS_SOCKET), connect through i386 socketcall(SYS_CONNECT),
 *     and semget through x86_64 semget and i386 ipc(SEMGET);
 *   - i386 entries that take the operation's arguments elsewhere: the old
 *     mmap (a struct in memory), fanotify_mark (its path sixth, in ebp);
 *   - stat with bits above the low 32 set in rax, which the kernel ignores
 *     (it takes the number as an int): syscall(2) passes a long;
 *   - an x32 call (__X32_SYSCALL_BIT | nr), plain and with those bits,
 *     when the kernel was booted with syscall.x32=y (else that part is
 *     skipped and says so).
 * A socketcall's record has no fd target: its fd argument is in memory, and
 * the register there holds the call number (SYS_CONNECT is 3, the child's
 * fd 3 is the test file).  Nor has the old mmap's, whose edi holds 3; the
 * i386 fanotify_mark's has its path, though edi (the x86_64 call's path
 * argument) holds 3.
 * The same calls with nothing targeted all run (the check that the test's
 * calls are real calls), and the targets' hit counters count every call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <signal.h>
#include <unistd.h>

#include "smon_test.h"

#define X32_BIT		0x40000000u	/* __X32_SYSCALL_BIT */

/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
enum {
	I386_OLDSTAT = 18, I386_UMOUNT = 22, I386_OLDFSTAT = 28, I386_MKDIR = 39, I386_GETPPID = 64,
	I386_OLDOLDUNAME = 59, I386_UMOUNT2 = 52, I386_OLDLSTAT = 84, I386_SOCKETCALL = 102,
	I386_STAT = 106, I386_LSTAT = 107, I386_FSTAT = 108, I386_OLDUNAME = 109, I386_IPC = 117,
	I386_UNAME = 122, I386_SENDFILE = 187, I386_STAT64 = 195, I386_LSTAT64 = 196,
	I386_FSTAT64 = 197, I386_SENDFILE64 = 239, I386_SOCKET = 359, I386_GETPID = 20,
	I386_MMAP = 90, I386_FANOTIFY_MARK = 339,
};
#define SYS_SOCKET_CALL	1	/* <linux/net.h> */
#define SYS_CONNECT_CALL	3
#define IPC_SEMGET	2	/* <linux/ipc.h> */
#define WIDE		(1L << 32)	/* a bit of rax the kernel does not read */

enum abi { X64, I386, X32 };

struct call {
	const char *what;
	enum abi abi;
	uint32_t native;	/* the number the caller uses */
	uint32_t op;		/* the x86_64 operation it performs */
	int wide;		/* WIDE set in rax */
	long a, b, c, d, e, f;	/* arguments; pointers are in low memory */
	long ret;		/* what it returned, -errno style (filled by the child) */
};

/* Argument values the child replaces with its own fds: it inherits none but stdio. */
#define FD_IN	(-100)	/* the test file, open for reading */
#define FD_OUT	(-101)	/* /dev/null */

static char *low;		/* MAP_32BIT: what int $0x80 can address */
static struct call *calls;	/* MAP_SHARED with the child */
static size_t ncalls;

/* The sixth argument goes in ebp, which the compiler may be using: swapped in and back. */
static long int80(long nr, long a, long b, long c, long d, long e, long f)
{
	asm volatile("xchg %[f], %%rbp\n\tint $0x80\n\txchg %[f], %%rbp"
		     : "+a"(nr), [f] "+r"(f) : "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
	return nr;
}

static long raw64(long nr, long a, long b, long c, long d)
{
	long ret = syscall(nr, a, b, c, d);

	return ret < 0 ? -errno : ret;
}

static long fd_arg(long v, int in, int out)
{
	return v == FD_IN ? in : v == FD_OUT ? out : v;
}

static int run_calls(void *arg)
{
	int in = open(low, O_RDONLY | O_CLOEXEC), out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)arg;
	if (in < 0 || out < 0)
		return 1;
	for (size_t i = 0; i < ncalls; i++) {
		struct call *c = &calls[i];
		long a = fd_arg(c->a, in, out), b = fd_arg(c->b, in, out), e = fd_arg(c->e, in, out);

		c->ret = c->abi == I386 ? int80(c->native, a, b, c->c, c->d, e, c->f) :
			 raw64((c->wide ? WIDE : 0) | (c->abi == X32 ? X32_BIT : 0) | c->native, a, b, c->c, c->d);
	}
	return 0;
}

/* Every entry point the test calls: its name, ABI and number, and the x86_64 operation it performs. */
static const struct entry {
	const char *what;
	enum abi abi;
	uint32_t native;
	uint32_t op;
	int wide;
} entries[] = {
	{ "stat", X64, __NR_stat, __NR_stat, 0 },
	{ "stat, rax bit 32 set", X64, __NR_stat, __NR_stat, 1 },
	{ "i386 stat", I386, I386_STAT, __NR_stat, 0 },
	{ "i386 oldstat", I386, I386_OLDSTAT, __NR_stat, 0 },
	{ "i386 stat64", I386, I386_STAT64, __NR_stat, 0 },
	{ "fstat", X64, __NR_fstat, __NR_fstat, 0 },
	{ "i386 fstat", I386, I386_FSTAT, __NR_fstat, 0 },
	{ "i386 oldfstat", I386, I386_OLDFSTAT, __NR_fstat, 0 },
	{ "i386 fstat64", I386, I386_FSTAT64, __NR_fstat, 0 },
	{ "lstat", X64, __NR_lstat, __NR_lstat, 0 },
	{ "i386 lstat", I386, I386_LSTAT, __NR_lstat, 0 },
	{ "i386 oldlstat", I386, I386_OLDLSTAT, __NR_lstat, 0 },
	{ "i386 lstat64", I386, I386_LSTAT64, __NR_lstat, 0 },
	{ "sendfile", X64, __NR_sendfile, __NR_sendfile, 0 },
	{ "i386 sendfile", I386, I386_SENDFILE, __NR_sendfile, 0 },
	{ "i386 sendfile64", I386, I386_SENDFILE64, __NR_sendfile, 0 },
	{ "uname", X64, __NR_uname, __NR_uname, 0 },
	{ "i386 uname", I386, I386_UNAME, __NR_uname, 0 },
	{ "i386 olduname", I386, I386_OLDUNAME, __NR_uname, 0 },
	{ "i386 oldolduname", I386, I386_OLDOLDUNAME, __NR_uname, 0 },
	{ "umount2", X64, __NR_umount2, __NR_umount2, 0 },
	{ "i386 umount2", I386, I386_UMOUNT2, __NR_umount2, 0 },
	{ "i386 umount", I386, I386_UMOUNT, __NR_umount2, 0 },
	{ "socket", X64, __NR_socket, __NR_socket, 0 },
	{ "i386 socket", I386, I386_SOCKET, __NR_socket, 0 },
	{ "i386 socketcall(SYS_SOCKET)", I386, I386_SOCKETCALL, __NR_socket, 0 },
	{ "i386 socketcall(SYS_CONNECT)", I386, I386_SOCKETCALL, __NR_connect, 0 },
	{ "semget", X64, __NR_semget, __NR_semget, 0 },
	{ "i386 ipc(SEMGET)", I386, I386_IPC, __NR_semget, 0 },
	{ "i386 mmap (old)", I386, I386_MMAP, __NR_mmap, 0 },
	{ "i386 fanotify_mark", I386, I386_FANOTIFY_MARK, __NR_fanotify_mark, 0 },
	{ "x32 getppid", X32, __NR_getppid, __NR_getppid, 0 },
	{ "x32 getppid, rax bit 32 set", X32, __NR_getppid, __NR_getppid, 1 },
};

/*
 * The arguments with which c would succeed (or fail harmlessly) if it ran:
 * path and buf are in low memory, sockargs holds socket()'s arguments for
 * socketcall, sockargs + 16 connect()'s (fd -1) and sockargs + 32 the old
 * mmap's struct (an anonymous page).  The multiplexers (socketcall, ipc)
 * take the operation first.
 */
static void set_args(struct call *c, long path, long buf, long sockargs)
{
	int multiplexed = c->abi == I386 && (c->native == I386_SOCKETCALL || c->native == I386_IPC);

	switch (c->op) {
	case __NR_stat:
	case __NR_lstat:
		c->a = path;
		c->b = buf;
		break;
	case __NR_fstat:
		c->a = FD_IN;
		c->b = buf;
		break;
	case __NR_sendfile:
		c->a = FD_OUT;
		c->b = FD_IN;
		c->d = 1;		/* one byte */
		break;
	case __NR_uname:
		c->a = buf;
		break;
	case __NR_umount2:
		c->a = path;
		break;
	case __NR_socket:
		if (multiplexed) {
			c->a = SYS_SOCKET_CALL;
			c->b = sockargs;
		} else {
			c->a = 1;	/* AF_UNIX */
			c->b = 1;	/* SOCK_STREAM */
		}
		break;
	case __NR_connect:
		c->a = SYS_CONNECT_CALL;
		c->b = sockargs + 16;
		break;
	case __NR_mmap:
		c->a = sockargs + 32;
		c->e = FD_IN;
		break;
	case __NR_fanotify_mark:
		/* (fanotify fd -1, FAN_MARK_ADD, FAN_OPEN in two halves, dirfd, path) */
		c->a = -1;
		c->b = 1;
		c->c = 0x20;
		c->e = FD_IN;
		c->f = path;
		break;
	case __NR_semget:
		/* IPC_PRIVATE (0), one semaphore, mode 0600 */
		if (multiplexed) {
			c->a = IPC_SEMGET;
			c->c = 1;
			c->d = 0600;
		} else {
			c->b = 1;
			c->c = 0600;
		}
		break;
	}
}

/* calls[]: one for each entry point (x32's only if x32 is on), with set_args()'s arguments. */
static void build_calls(const char *path, int x32)
{
	long p = (long)(uintptr_t)path, buf = (long)(uintptr_t)(low + 2048);
	long sockargs = (long)(uintptr_t)(low + 1024);
	uint32_t *sa = (uint32_t *)(low + 1024);

	sa[0] = 1;	/* AF_UNIX */
	sa[1] = 1;	/* SOCK_STREAM */
	sa[2] = 0;
	sa[4] = (uint32_t)-1;	/* connect(-1, NULL, 0) */
	sa[5] = 0;
	sa[6] = 0;
	sa[8] = 0;		/* mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) */
	sa[9] = 4096;
	sa[10] = PROT_READ;
	sa[11] = MAP_PRIVATE | MAP_ANONYMOUS;
	sa[12] = (uint32_t)-1;
	sa[13] = 0;
	ncalls = 0;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct entry *e = &entries[i];
		struct call *c = &calls[ncalls];

		if (e->abi == X32 && !x32)
			continue;
		*c = (struct call){ .what = e->what, .abi = e->abi, .native = e->native, .op = e->op,
				    .wide = e->wide };
		set_args(c, p, buf, sockargs);
		ncalls++;
	}
}

/* The distinct operations of the calls. */
static size_t ops_of_calls(uint32_t *ops)
{
	size_t n = 0;

	for (size_t i = 0; i < ncalls; i++) {
		size_t j;

		for (j = 0; j < n && ops[j] != calls[i].op; j++)
			;
		if (j == n)
			ops[n++] = calls[i].op;
	}
	return n;
}

/* Runs every call in a gated child; with block, each operation is blocked for it. */
static int run(int fd, int block, struct smon_events *events, uint32_t *pid)
{
	uint32_t ops[64];
	size_t nops = ops_of_calls(ops);
	struct smon_child child;
	int ret;

	ret = smon_child_spawn(&child, &(struct smon_child_opts){ .comm = "smon-t17" }, run_calls, NULL);
	if (ret < 0)
		return ret;
	*pid = child.pid;
	for (size_t i = 0; i < nops && block && !ret; i++)
		ret = smon_add_target(fd, ops[i], SYSCALLMON_ACTION_BLOCK, 0, 0, pid, 1);
	if (!ret)
		ret = smon_set_mode(fd, block ? SYSCALLMON_MODE_BLOCK : SYSCALLMON_MODE_OFF);
	if (!ret)
		ret = smon_seek(fd, SYSCALLMON_SEEK_HEAD);
	if (ret) {
		smon_diag("setting up targets: %s", smon_errname(ret));
		kill(child.pid, SIGKILL);
		smon_child_wait(&child);
		return ret;
	}
	smon_child_release(&child);
	ret = smon_child_wait(&child);
	if (ret)
		return -ECHILD;
	return smon_read_all(fd, events);
}

/* Calls that differ only in rax's unread bits have alike records: the nth call's is the nth. */
static const struct smon_event *find_record(const struct smon_events *events, size_t call, uint32_t pid)
{
	const struct call *c = &calls[call];
	uint32_t abi = c->abi == I386 ? SYSCALLMON_ABI_I386 : c->abi == X32 ? SYSCALLMON_ABI_X32 :
		       SYSCALLMON_ABI_X64;
	size_t nth = 0;

	for (size_t i = 0; i < call; i++)
		nth += calls[i].op == c->op && calls[i].abi == c->abi && calls[i].native == c->native;
	for (size_t i = 0; i < events->n; i++) {
		const struct smon_event *e = &events->ev[i];

		if (e->type == SYSCALLMON_RECORD_SYSCALL && e->tgid == pid && e->nr == c->op &&
		    e->abi == abi && e->native_nr == c->native && !nth--)
			return e;
	}
	return NULL;
}

int main(void)
{
	struct smon_events events = { 0 };
	struct syscallmon_target_info info;
	uint32_t pid, ops[64];
	const char *dir;
	int fd, fd_in, x32, ret;
	size_t nops;
	long r;

	r = int80(I386_GETPID, 0, 0, 0, 0, 0, 0);
	REQUIRE(r == getpid(), "int $0x80 getpid gave %ld: this kernel has no i386 ABI", r);
	x32 = raw64(X32_BIT | __NR_getppid, 0, 0, 0, 0) == getppid();
	if (!x32)
		smon_diag("x32 is off in this kernel (boot with syscall.x32=y): its part is skipped");

	calls = mmap(NULL, 64 * sizeof(*calls), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	REQUIRE(calls != MAP_FAILED && low != MAP_FAILED, "mmap");
	REQUIRE((uintptr_t)low + 8192 <= 0xffffffffu, "MAP_32BIT gave %p", (void *)low);
	dir = smon_tmpdir("t17");
	/* Written before the fork: the child's copies of the pages are present. */
	snprintf(low, 1024, "%s/file", dir);
	fd_in = open(low, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	REQUIRE(fd_in >= 0 && write(fd_in, "x", 1) == 1, "create %s: %s", low, strerror(errno));
	close(fd_in);
	build_calls(low, x32);
	nops = ops_of_calls(ops);

	fd = smon_load_open(NULL);

	smon_diag("nothing targeted: every call runs");
	ret = run(fd, 0, &events, &pid);
	REQUIRE(ret == 0, "run: %s", smon_errname(ret));
	for (size_t i = 0; i < ncalls; i++)
		CHECK(calls[i].ret != -EPERM && calls[i].ret != -ENOSYS, "%s ran and returned %ld (%s)",
		      calls[i].what, calls[i].ret, smon_errname(calls[i].ret));
	CHECK_EQ(events.n, 0, "records with nothing targeted");
	smon_events_free(&events);
	for (size_t i = 0; i < ncalls; i++)
		if (calls[i].op == __NR_semget && calls[i].ret >= 0)
			semctl(calls[i].ret, 0, IPC_RMID);

	smon_diag("each operation blocked for the child (%zu operations, %zu calls)", nops, ncalls);
	ret = run(fd, 1, &events, &pid);
	REQUIRE(ret == 0, "run: %s", smon_errname(ret));
	for (size_t i = 0; i < ncalls; i++) {
		const struct call *c = &calls[i];
		const struct smon_event *e = find_record(&events, i, pid);

		CHECK(c->ret == -EPERM, "%s (nr %u) returned %ld (%s), want EPERM", c->what, c->native, c->ret,
		      smon_errname(c->ret));
		if (!CHECK(e, "%s: no record for operation %u, abi %d, nr %u", c->what, c->op, c->abi, c->native))
			continue;
		CHECK(e->verdict == SYSCALLMON_VERDICT_BLOCKED && e->err == EPERM,
		      "%s: verdict %u err %d, want BLOCKED EPERM", c->what, e->verdict, e->err);
		if (c->abi == I386 && (c->native == I386_SOCKETCALL || c->native == I386_MMAP))
			CHECK(!(e->flags & SYSCALLMON_SYSCALL_TARGET), "%s: fd target '%s', want none", c->what,
			      e->target);
		if (c->abi == I386 && c->native == I386_FANOTIFY_MARK)
			CHECK((e->flags & SYSCALLMON_SYSCALL_PATH) && !strcmp(e->path, low),
			      "%s: path '%s' (flags %#x), want '%s'", c->what, e->path, e->flags, low);
	}
	CHECK_EQ(events.n, ncalls, "records, one per call");
	for (size_t i = 0; i < nops; i++) {
		size_t want = 0;

		for (size_t j = 0; j < ncalls; j++)
			want += calls[j].op == ops[i];
		if (CHECK(smon_target_info(fd, ops[i], &info) == 0, "GET_TARGETS %u", ops[i]))
			CHECK(info.hits >= want && info.blocked == want,
			      "operation %u: hits %llu blocked %llu, want %zu blocked", ops[i],
			      (unsigned long long)info.hits, (unsigned long long)info.blocked, want);
	}
	smon_events_free(&events);

	smon_unload_exit(fd);
}
