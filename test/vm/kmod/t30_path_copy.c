// SPDX-License-Identifier: GPL-2.0
/*
 * Test 30: path arguments are copied whole, a word at a time, up to where
 * user memory ends.  A scoped child calls openat with paths placed against
 * an inaccessible page and of lengths around the record's limit:
 *   - "/dev/null" ending on the last byte of a page whose successor is
 *     PROT_NONE (a word read there crosses into that page): the path, whole;
 *   - bytes without a NUL up to that page: the call fails with EFAULT and
 *     the path is unreadable;
 *   - SYSCALLMON_PATH_LEN - 1 characters: whole, not truncated;
 *   - SYSCALLMON_PATH_LEN and 300 characters: truncated to the first
 *     SYSCALLMON_PATH_LEN - 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define NCALLS 5
static const char *const what[NCALLS] = {
	"a path ending on a page's last byte", "a path running into an inaccessible page",
	"a path of the longest whole length", "a path one longer", "a path of 300 characters",
};

struct results {
	long ret[NCALLS];
	unsigned long addr[NCALLS];
};

static struct results *res;	/* MAP_SHARED */
static char *page;		/* two pages: the second PROT_NONE */
static char longest[SYSCALLMON_PATH_LEN], one_longer[SYSCALLMON_PATH_LEN + 1], long300[301];

static void call(int i, const char *path)
{
	long r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

	res->ret[i] = r < 0 ? -errno : r;
	res->addr[i] = (unsigned long)path;
}

static int calls(void *arg)
{
	char *end = page + sysconf(_SC_PAGESIZE);

	(void)arg;
	/* The first two share the page's end: each is written just before its call. */
	memcpy(end - sizeof("/dev/null"), "/dev/null", sizeof("/dev/null"));
	call(0, end - sizeof("/dev/null"));
	memcpy(end - 5, "/tmpx", 5);	/* no NUL before the PROT_NONE page */
	call(1, end - 5);
	call(2, longest);
	call(3, one_longer);
	call(4, long300);
	return 0;
}

static void fill(char *s, size_t len)
{
	s[0] = '/';
	memset(s + 1, 'a', len - 1);
	s[len] = '\0';
}

static const struct smon_event *find(const struct smon_events *ev, unsigned long addr)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct smon_event *e = &ev->ev[i];

		if (e->type == SYSCALLMON_RECORD_SYSCALL && e->nr == __NR_openat && e->args[1] == addr)
			return e;
	}
	return NULL;
}

static void check_path(const struct smon_event *e, int i, const char *want, uint32_t truncated)
{
	if (!CHECK(e, "%s: no record", what[i]))
		return;
	CHECK(e->flags & SYSCALLMON_SYSCALL_PATH, "%s: no path (flags %#x)", what[i], e->flags);
	CHECK(!strcmp(e->path, want), "%s: path \"%.40s...\" (%zu bytes), want %zu bytes", what[i], e->path,
	      strlen(e->path), strlen(want));
	CHECK((e->flags & SYSCALLMON_SYSCALL_PATH_TRUNCATED) == truncated, "%s: truncated flag %#x, want %#x",
	      what[i], e->flags & SYSCALLMON_SYSCALL_PATH_TRUNCATED, truncated);
	CHECK(e->ret == res->ret[i], "%s: ret %lld, the call returned %ld", what[i], (long long)e->ret,
	      res->ret[i]);
}

int main(void)
{
	const struct smon_child_opts opts = { .comm = "smon-t30" };
	const struct smon_watch watch = {
		.nr = __NR_openat, .action = SYSCALLMON_ACTION_LOG, .record = SYSCALLMON_RECORD_COMPLETE,
		.mode = SYSCALLMON_MODE_LOG, .opts = &opts, .fn = calls,
	};
	struct smon_events events = { 0 };
	long psz = sysconf(_SC_PAGESIZE);
	const struct smon_event *e;
	struct smon_watched run;
	char want[SYSCALLMON_PATH_LEN];
	int fd, ret;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	page = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(res != MAP_FAILED && page != MAP_FAILED, "mmap");
	REQUIRE(mprotect(page + psz, psz, PROT_NONE) == 0, "mprotect");
	fill(longest, SYSCALLMON_PATH_LEN - 1);
	fill(one_longer, SYSCALLMON_PATH_LEN);
	fill(long300, 300);

	fd = smon_load_open(NULL);
	ret = smon_watch_child(fd, &watch, &events, &run);
	REQUIRE(ret == 0, "openat LOG for a gated child, read: %s", smon_errname(ret));
	CHECK_EQ(run.status, 0, "child exit status");
	smon_diag("the child saw: %ld %ld %ld %ld %ld", res->ret[0], res->ret[1], res->ret[2], res->ret[3],
		  res->ret[4]);
	/* A name of 255 is NAME_MAX: missing, not too long. */
	REQUIRE(res->ret[0] >= 0 && res->ret[1] == -EFAULT && res->ret[2] == -ENOENT && res->ret[3] == -ENOENT &&
		res->ret[4] == -ENAMETOOLONG, "the child's calls did not do what the test expects");

	check_path(find(&events, res->addr[0]), 0, "/dev/null", 0);
	e = find(&events, res->addr[1]);
	if (CHECK(e, "%s: no record", what[1])) {
		CHECK((e->flags & (SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_PATH_UNREADABLE)) ==
		      SYSCALLMON_SYSCALL_PATH_UNREADABLE, "%s: flags %#x, want unreadable", what[1], e->flags);
		CHECK(e->ret == -EFAULT, "%s: ret %lld, want -EFAULT", what[1], (long long)e->ret);
	}
	check_path(find(&events, res->addr[2]), 2, longest, 0);
	memcpy(want, one_longer, SYSCALLMON_PATH_LEN - 1);
	want[SYSCALLMON_PATH_LEN - 1] = '\0';
	check_path(find(&events, res->addr[3]), 3, want, SYSCALLMON_SYSCALL_PATH_TRUNCATED);
	check_path(find(&events, res->addr[4]), 4, want, SYSCALLMON_SYSCALL_PATH_TRUNCATED);

	smon_events_free(&events);
	smon_unload_exit(fd);
}
