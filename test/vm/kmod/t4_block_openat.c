// SPDX-License-Identifier: GPL-2.0
/*
 * Test 4: BLOCK openat for one pid.
 *   - the scoped child's open(O_CREAT) fails with EPERM and the file is not
 *     created (the call never ran); the record says BLOCKED, err EPERM;
 *   - a process outside the scope creates its file normally, unrecorded;
 *   - a target errno other than the default is what the caller gets;
 *   - the device holder itself is exempt even when it is in the scope;
 *   - LOG mode with the same block target: the open succeeds, the file
 *     exists and the record says WOULD_BLOCK with err EPERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define CREATE_FLAGS	(O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC)
#define CREATE_MODE	0640

static const char *dir;

/* Returns 0 if the create worked, else its errno (clamped to an exit code). */
static int create_file(void *arg)
{
	int fd = open(arg, CREATE_FLAGS, CREATE_MODE);

	if (fd < 0)
		return errno & 0xff;
	close(fd);
	return 0;
}

struct create_case {
	const char *name;	/* file name and comm suffix */
	int scoped;		/* child pid goes into the openat target */
	int32_t target_err;	/* errno asked of the target (0: default) */
	int want_errno;		/* what the child's open must get (0: success) */
	uint32_t want_verdict;	/* of the one record; ignored when !scoped */
	int want_err;
};

/* Forks a gated child that creates dir/name; scoped children get a block target. */
static void run_case(int fd, const struct create_case *c)
{
	struct smon_child_opts opts = { 0 };
	struct smon_events events = { 0 };
	struct smon_child child;
	char path[300], comm[16];
	uint32_t pid;
	int ret;

	smon_diag("%s", c->name);
	snprintf(path, sizeof(path), "%s/%s", dir, c->name);
	snprintf(comm, sizeof(comm), "t4-%s", c->name);
	opts.comm = comm;
	ret = smon_child_spawn(&child, &opts, create_file, path);
	if (!CHECK(ret == 0, "%s: spawn child: %s", c->name, smon_errname(ret)))
		return;
	pid = child.pid;
	if (c->scoped) {
		/* Re-adding replaces errno and pid set of the existing target. */
		ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_BLOCK, c->target_err,
				      0, &pid, 1);
		CHECK(ret == 0, "%s: ADD_TARGET openat BLOCK err=%d pids=[%u]: %s", c->name,
		      c->target_err, pid, smon_errname(ret));
	}
	CHECK(smon_child_release(&child) == 0, "release child");
	ret = smon_child_wait(&child);
	CHECK(ret == c->want_errno, "%s: open(O_CREAT) in the child gave %s, want %s",
	      c->name, ret < 0 ? "a signal" : smon_errname(ret), smon_errname(c->want_errno));
	CHECK(smon_path_exists(path) == !c->want_errno, "%s: %s %s", c->name, path,
	      c->want_errno ? "exists: the blocked call ran" : "was not created");

	ret = smon_read_all(fd, &events);
	smon_drop_config(&events);
	CHECK(ret == 0, "%s: read records: %s", c->name, smon_errname(ret));
	if (!c->scoped) {
		CHECK(events.n == 0, "%s: %zu records for an unscoped process", c->name,
		      events.n);
	} else if (CHECK(events.n == 1, "%s: %zu records, want 1", c->name, events.n)) {
		const struct smon_event *ev = &events.ev[0];
		int ok = 1;

		ok &= CHECK_EQ(ev->type, SYSCALLMON_RECORD_SYSCALL, "type");
		ok &= CHECK_EQ(ev->nr, __NR_openat, "nr");
		ok &= CHECK_EQ(ev->pid, pid, "pid");
		ok &= CHECK_EQ(ev->tgid, pid, "tgid");
		ok &= CHECK_EQ(ev->verdict, c->want_verdict, "verdict");
		ok &= CHECK(ev->err == c->want_err, "%s: record err %s, want %s", c->name,
			    smon_errname(ev->err), smon_errname(c->want_err));
		ok &= CHECK(strcmp(ev->path, path) == 0, "path \"%.256s\", want \"%s\"",
			    ev->path, path);
		ok &= CHECK_EQ(ev->args[2], CREATE_FLAGS, "args[2] (flags)");
		ok &= CHECK_EQ(ev->args[3], CREATE_MODE, "args[3] (mode)");
		ok &= CHECK(strncmp(ev->comm, comm, SYSCALLMON_COMM_LEN) == 0,
			    "comm \"%.16s\", want \"%s\"", ev->comm, comm);
		if (!ok)
			smon_event_print(ev);
	}
	for (size_t i = 1; i < events.n && i < 4; i++)
		smon_event_print(&events.ev[i]);
	smon_events_free(&events);
}

static void holder_is_exempt(int fd)
{
	struct smon_events events = { 0 };
	uint32_t self = getpid();
	char path[300];
	int ret, file;

	smon_diag("device holder in the scope");
	snprintf(path, sizeof(path), "%s/holder", dir);
	ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_BLOCK, 0, 0, &self, 1);
	CHECK(ret == 0, "ADD_TARGET openat BLOCK pids=[self]: %s", smon_errname(ret));
	file = open(path, CREATE_FLAGS, CREATE_MODE);
	if (CHECK(file >= 0, "the device holder was blocked: open: %s", strerror(errno)))
		close(file);
	ret = smon_read_all(fd, &events);
	smon_drop_config(&events);
	CHECK(ret == 0, "read records: %s", smon_errname(ret));
	CHECK(events.n == 0, "%zu records about the device holder, want 0", events.n);
	smon_events_free(&events);
}

int main(void)
{
	static const struct create_case blocked = {
		"blocked", 1, 0, EPERM, SYSCALLMON_VERDICT_BLOCKED, EPERM,
	};
	static const struct create_case outsider = { "outsider", 0, 0, 0, 0, 0 };
	static const struct create_case erofs = {
		"erofs", 1, EROFS, EROFS, SYSCALLMON_VERDICT_BLOCKED, EROFS,
	};
	static const struct create_case audited = {
		"audited", 1, 0, 0, SYSCALLMON_VERDICT_WOULD_BLOCK, EPERM,
	};
	struct syscallmon_target_info info;
	int fd, ret;

	dir = smon_tmpdir("t4");
	fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_BLOCK);

	run_case(fd, &blocked);
	run_case(fd, &outsider);
	ret = smon_target_info(fd, __NR_openat, &info);
	if (CHECK(ret == 0, "GET_TARGETS: %s", smon_errname(ret))) {
		CHECK_EQ(info.blocked, 1, "target blocked counter");
		CHECK_EQ(info.logged, 1, "target logged counter");
		CHECK_EQ(info.action, SYSCALLMON_ACTION_BLOCK, "target action");
		CHECK_EQ(info.err, EPERM, "target err (default)");
	}
	run_case(fd, &erofs);
	holder_is_exempt(fd);

	ret = smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	CHECK(ret == 0, "SET_MODE LOG: %s", smon_errname(ret));
	run_case(fd, &audited);

	smon_unload_exit(fd);
}
