// SPDX-License-Identifier: GPL-2.0
/*
 * Test 2: LOG openat scoped to one child.  The child opens a known path 100
 * times; the reader gets exactly 100 openat records, each with the child's
 * pid, tgid, ppid, uid, gid, comm, arguments and that path, its result (an
 * fd) and duration, in seq order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define OPENS		100
#define CHILD_COMM	"smon-t2-child"
/* Distinct ids, so a swapped or unset field cannot pass. */
#define CHILD_UID	4321
#define CHILD_GID	4322
#define OPEN_FLAGS	(O_RDONLY | O_CLOEXEC)

static char known_path[300];

static int open_many(void *arg)
{
	(void)arg;
	return smon_open_times(known_path, OPENS, OPEN_FLAGS);
}

int main(void)
{
	const struct smon_child_opts opts = {
		.comm = CHILD_COMM, .uid = CHILD_UID, .gid = CHILD_GID,
	};
	const struct smon_watch watch = {
		.nr = __NR_openat, .action = SYSCALLMON_ACTION_LOG, .mode = SYSCALLMON_MODE_LOG,
		.opts = &opts, .fn = open_many,
	};
	struct smon_events events = { 0 };
	struct syscallmon_status st;
	struct syscallmon_target_info info;
	struct smon_watched run;
	uint64_t t_before, t_after;
	uint32_t pid;
	int fd, ret, bad = 0;

	smon_tmpfile("t2", "known-file", known_path, sizeof(known_path));

	fd = smon_load_open(NULL);
	ret = smon_watch_child(fd, &watch, &events, &run);
	REQUIRE(ret == 0, "openat LOG for a gated child: %s", smon_errname(ret));
	pid = run.pid;
	t_before = run.released_ns;
	t_after = run.exited_ns;
	CHECK(run.status == 0, "child exited with %d (10: an open failed)", run.status);
	smon_diag("%zu records read", events.n);
	CHECK_EQ(events.n, OPENS, "records read");

	for (size_t i = 0; i < events.n; i++) {
		const struct smon_event *ev = &events.ev[i];
		int ok = 1;

		ok &= CHECK_EQ(ev->type, SYSCALLMON_RECORD_SYSCALL, "type");
		ok &= CHECK_EQ(ev->nr, __NR_openat, "nr");
		ok &= CHECK_EQ(ev->seq, events.ev[0].seq + i, "seq continuity");
		ok &= CHECK_EQ(ev->pid, pid, "pid");
		ok &= CHECK_EQ(ev->tgid, pid, "tgid");
		ok &= CHECK_EQ(ev->ppid, getpid(), "ppid");
		ok &= CHECK_EQ(ev->uid, CHILD_UID, "uid");
		ok &= CHECK_EQ(ev->gid, CHILD_GID, "gid");
		ok &= CHECK_EQ(ev->verdict, SYSCALLMON_VERDICT_ALLOWED, "verdict");
		ok &= CHECK_EQ(ev->err, 0, "err");
		ok &= CHECK(strncmp(ev->comm, CHILD_COMM, SYSCALLMON_COMM_LEN) == 0,
			    "comm \"%.16s\", want \"%s\"", ev->comm, CHILD_COMM);
		/* Recorded at its return: the path, the result, no fd target (AT_FDCWD). */
		ok &= CHECK_EQ(ev->flags, SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_RESULT, "flags");
		ok &= CHECK(ev->ret >= 0, "ret %lld: the open succeeded", (long long)ev->ret);
		ok &= CHECK(ev->duration_ns > 0, "duration_ns %llu", (unsigned long long)ev->duration_ns);
		ok &= CHECK_EQ(ev->abi, SYSCALLMON_ABI_X64, "abi (a 64-bit caller)");
		ok &= CHECK_EQ(ev->native_nr, __NR_openat, "native_nr");
		ok &= CHECK(strcmp(ev->path, known_path) == 0, "path \"%.256s\", want \"%s\"",
			    ev->path, known_path);
		ok &= CHECK_EQ((int)ev->args[0], AT_FDCWD, "args[0] (dirfd)");
		ok &= CHECK_EQ(ev->args[2], OPEN_FLAGS, "args[2] (flags)");
		ok &= CHECK(ev->ts_ns >= t_before - 1000000000ull &&
			    ev->ts_ns <= t_after + 1000000000ull,
			    "ts_ns %llu outside the run [%llu, %llu]",
			    (unsigned long long)ev->ts_ns, (unsigned long long)t_before,
			    (unsigned long long)t_after);
		if (!ok) {
			smon_event_print(ev);
			/* One bad record usually means all are; don't flood the log. */
			if (++bad >= 3)
				break;
		}
	}

	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(st.events - st.config_records, OPENS, "status.events, config records aside");
		CHECK_EQ(st.overwritten, 0, "status.overwritten");
	}
	ret = smon_target_info(fd, __NR_openat, &info);
	if (CHECK(ret == 0, "GET_TARGETS: %s", smon_errname(ret))) {
		CHECK_EQ(info.logged, OPENS, "target logged");
		/* hits counts every non-holder call, in scope or not. */
		CHECK(info.hits >= OPENS, "target hits %llu < %d",
		      (unsigned long long)info.hits, OPENS);
		CHECK_EQ(info.blocked, 0, "target blocked");
	}

	smon_events_free(&events);
	smon_unload_exit(fd);
}
