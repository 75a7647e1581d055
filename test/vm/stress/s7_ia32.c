// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 7, complete blocking: a blocked syscall stays blocked when a
 * process enters it through the 32-bit ABI (int $0x80, which a 64-bit
 * process may use when the kernel has IA32 emulation).  The module hooks
 * the i386 table's entry for the same operation next to the x86_64 one.
 *
 * For a gated child, with its path in a MAP_32BIT buffer (int $0x80 passes
 * 32-bit pointers):
 *   - unlink blocked: i386 unlink (10) returns -EPERM, the file remains,
 *     the record is unlink (x86_64 nr 87), BLOCKED, with abi i386 and the
 *     path;
 *   - open blocked: i386 open (5) with O_CREAT returns -EPERM and creates
 *     nothing; the record is open (x86_64 nr 2), abi i386;
 *   - the same child's 64-bit unlink is blocked too, abi x86_64;
 *   - LOG mode, same block target: the i386 unlink runs (the file goes) and
 *     the record says "would block", abi i386;
 *   - a syscall without arguments (getppid: i386 64, x86_64 110), whose two
 *     entries are one function: blocked through int $0x80, and its record
 *     says abi i386 too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stress.h"

#define I386_OPEN	5
#define I386_UNLINK	10
#define I386_GETPID	20
#define I386_GETPPID	64

static char *low;	/* MAP_32BIT: paths int $0x80 can address */

static long int80(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

struct job {
	int i386_nr;		/* I386_UNLINK, I386_OPEN or I386_GETPPID; 0: the 64-bit unlink */
	const char *path;	/* in low memory */
	long ret;		/* what the call returned, -errno style */
};

static struct job *job;	/* shared with the child (MAP_SHARED) */

static int run_job(void *arg)
{
	(void)arg;
	if (job->i386_nr == I386_UNLINK)
		job->ret = int80(I386_UNLINK, (long)(uintptr_t)job->path, 0, 0);
	else if (job->i386_nr == I386_OPEN)
		job->ret = int80(I386_OPEN, (long)(uintptr_t)job->path, O_CREAT | O_WRONLY, 0644);
	else if (job->i386_nr == I386_GETPPID)
		job->ret = int80(I386_GETPPID, 0, 0, 0);
	else
		job->ret = syscall(SYS_unlink, job->path) < 0 ? -errno : 0;
	return 0;
}

/* Runs one job in a gated child with target nr (action block) scoped to it. */
static int run_scoped(int fd, uint32_t nr, uint32_t mode, struct smon_events *events, uint32_t *pid)
{
	const struct smon_child_opts opts = { .comm = "smon-s7-ia32" };
	const struct smon_watch watch = {
		.nr = nr, .action = SYSCALLMON_ACTION_BLOCK, .mode = mode, .opts = &opts, .fn = run_job,
	};
	struct smon_watched run;
	int ret = smon_watch_child(fd, &watch, events, &run);

	*pid = run.pid;
	smon_set_mode(fd, SYSCALLMON_MODE_OFF);
	smon_del_target(fd, nr);
	if (ret)
		return ret;
	return run.status ? -ECHILD : 0;
}

/* Exactly one record, for nr from pid, with this verdict, ABI and path. */
static void check_record(const struct smon_events *events, uint32_t nr, uint32_t pid, uint32_t verdict,
			 int ia32, const char *path, const char *what)
{
	const struct smon_event *e = events->n == 1 ? &events->ev[0] : NULL;

	if (!CHECK(events->n == 1, "%s: %zu records, want 1", what, events->n)) {
		for (size_t i = 0; i < events->n; i++)
			smon_event_print(&events->ev[i]);
		return;
	}
	CHECK(e->type == SYSCALLMON_RECORD_SYSCALL && e->nr == nr && e->tgid == pid,
	      "%s: record type %u nr %u tgid %u, want syscall nr %u tgid %u", what, e->type, e->nr, e->tgid,
	      nr, pid);
	CHECK(e->verdict == verdict, "%s: verdict %u, want %u", what, e->verdict, verdict);
	CHECK(e->abi == (ia32 ? SYSCALLMON_ABI_I386 : SYSCALLMON_ABI_X64), "%s: abi %u, want %s", what,
	      e->abi, ia32 ? "i386" : "x86_64");
	if (path)
		CHECK(!strcmp(e->path, path), "%s: path \"%s\", want \"%s\" (flags %#x)", what, e->path,
		      path, e->flags);
	if (verdict != SYSCALLMON_VERDICT_ALLOWED)
		CHECK(e->err == EPERM, "%s: err %d, want EPERM", what, e->err);
}

/*
 * The cases, in order (each leaves the files as the next expects): the job,
 * the target blocked for it and the mode; what the call must return and
 * whether its file is there afterwards; and the record.
 */
enum file { NO_FILE, VICTIM, CREATED };

static const struct ia32_case {
	const char *what;
	int i386_nr;		/* as struct job */
	enum file file;		/* the job's path */
	uint32_t nr;
	uint32_t mode;
	long ret;
	int file_left;		/* the path exists after the call */
	uint32_t verdict;
	int ia32;		/* the record's abi is i386 (else x86_64) */
} cases[] = {
	{ "i386 unlink blocked", I386_UNLINK, VICTIM, __NR_unlink, SYSCALLMON_MODE_BLOCK, -EPERM, 1,
	  SYSCALLMON_VERDICT_BLOCKED, 1 },
	/* i386 open(O_CREAT) maps to x86_64 open. */
	{ "i386 open blocked", I386_OPEN, CREATED, __NR_open, SYSCALLMON_MODE_BLOCK, -EPERM, 0,
	  SYSCALLMON_VERDICT_BLOCKED, 1 },
	/* The 64-bit entry is blocked too, and says so without the flag. */
	{ "x86_64 unlink blocked", 0, VICTIM, __NR_unlink, SYSCALLMON_MODE_BLOCK, -EPERM, 1,
	  SYSCALLMON_VERDICT_BLOCKED, 0 },
	/* LOG mode: the i386 call runs, the record says "would block". */
	{ "i386 unlink audited", I386_UNLINK, VICTIM, __NR_unlink, SYSCALLMON_MODE_LOG, 0, 0,
	  SYSCALLMON_VERDICT_WOULD_BLOCK, 1 },
	/* No arguments: __x64_sys_getppid and __ia32_sys_getppid are the same function. */
	{ "i386 getppid blocked", I386_GETPPID, NO_FILE, __NR_getppid, SYSCALLMON_MODE_BLOCK, -EPERM, 0,
	  SYSCALLMON_VERDICT_BLOCKED, 1 },
};

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	close(fd);
}

int main(void)
{
	struct smon_events events = { 0 };
	long long seq0 = kmsg_last_seq();
	const char *dir, *paths[3];
	uint32_t pid;
	long r;
	int fd, ret;

	r = int80(I386_GETPID, 0, 0, 0);
	if (r != getpid()) {
		/* Not a failure of the module: this kernel has no 32-bit ABI to cover. */
		printf("# SKIP int $0x80 getpid gave %ld: no IA32 emulation\n", r);
		return 77;
	}
	job = mmap(NULL, sizeof(*job), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	REQUIRE(job != MAP_FAILED && low != MAP_FAILED, "mmap");
	REQUIRE((uintptr_t)low + 4096 <= 0xffffffffu, "MAP_32BIT gave %p", (void *)low);
	dir = smon_tmpdir("s7");
	/* Written here, before fork: the child's copy of the page is present, so the probe can read it. */
	paths[NO_FILE] = NULL;
	paths[VICTIM] = low;
	paths[CREATED] = low + 1024;
	snprintf(low, 1024, "%s/victim", dir);
	snprintf(low + 1024, 1024, "%s/created", dir);

	fd = smon_load_open(NULL);
	touch(paths[VICTIM]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ia32_case *c = &cases[i];
		const char *path = paths[c->file];

		*job = (struct job){ .i386_nr = c->i386_nr, .path = path };
		ret = run_scoped(fd, c->nr, c->mode, &events, &pid);
		REQUIRE(ret == 0, "%s: run: %s", c->what, smon_errname(ret));
		CHECK(job->ret == c->ret, "%s: the call returned %ld, want %ld", c->what, job->ret, c->ret);
		if (path)
			CHECK(smon_path_exists(path) == c->file_left, "%s: %s %s", c->what, path,
			      c->file_left ? "is gone" : "exists");
		check_record(&events, c->nr, pid, c->verdict, c->ia32, path, c->what);
		smon_events_free(&events);
	}

	close(fd);
	stress_unload_checked(seq0);
	smon_exit();
}
