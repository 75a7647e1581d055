// SPDX-License-Identifier: GPL-2.0
/*
 * Test 21: complete calls.  A scoped child makes known calls and notes what
 * each returned (and, for fds, what /proc/self/fd says they are); the
 * records of those calls carry the same results, errnos and fd targets:
 *   - openat of an existing file: its fd; of a missing one: -ENOENT;
 *   - read of N bytes from that file: N, target the file;
 *   - write of 5 bytes to a pipe: 5, target "pipe:[...]"; of 3 bytes to a
 *     socket: 3, target "socket:[...]"; of 8 to an eventfd: 8, target
 *     "anon_inode:[eventfd]";
 *   - a read that waits: another process writes 300 ms after
 *     /proc/PID/syscall shows the child inside read(): duration >= 300 ms;
 *   - close of the file's fd: target captured at entry;
 *   - mkdir blocked: one record, at the verdict, ret -EPERM;
 *   - utimensat(fd, NULL, ...): no path rather than an unreadable one;
 *   - failures only: of two faccessat calls, one failing, only the failure
 *     is recorded, and the success is counted as skipped;
 *   - record mode both: an entry record and a result record sharing call_id;
 *   - futex with an op no kernel has: -ENOSYS, a result like any other (it is
 *     also what the saved registers hold until a call returns);
 *   - io_uring_enter waiting for a completion, which runs task work itself
 *     inside the call: its result (-ETIME), or no result (NO_RESULT), never
 *     the -ENOSYS it had while it ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "smon_test.h"

#define WAIT_MS		300
#define READ_BYTES	7
#define NO_SUCH_FUTEX_OP	99
#define URING_WAIT_MS	50

struct results {
	long open_ok, open_missing, read_n, write_n, socket_write_n, eventfd_write_n, wait_n, close_ret, mkdir_ret, utimens_ret;
	long access_ok, access_missing, futex_ret, uring_ret;
	int file_fd, pipe_w, socket_w, eventfd_w, wait_r, uring_fd;
	uint32_t futex_word;
	char file_target[256], pipe_target[256], socket_target[256], eventfd_target[256];
	char wait_target[256], uring_target[256];
	char path[200], missing[200];
	int child_done;
};

static struct results *res;	/* MAP_SHARED */

static long sys(long nr, long a, long b, long c, long d)
{
	long r = syscall(nr, a, b, c, d);

	return r < 0 ? -errno : r;
}

static void fd_target(int fd, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* The writer: waits until the child is inside read(), then 300 ms, then writes. */
static void writer(pid_t reader, int w)
{
	char path[64], *text = NULL;

	snprintf(path, sizeof(path), "/proc/%d/syscall", reader);
	for (int i = 0; i < 10000; i++) {
		/* "0 0x..." while blocked in read (x86_64 number 0). */
		if (smon_read_file(path, &text, NULL) == 0 && !strncmp(text, "0 ", 2))
			break;
		free(text);
		text = NULL;
		usleep(1000);
	}
	free(text);
	usleep(WAIT_MS * 1000);
	if (write(w, "x", 1) != 1)
		_exit(1);
	_exit(0);
}

static int calls(void *arg)
{
	const struct __kernel_timespec uring_timeout = { 0, URING_WAIT_MS * 1000000L };
	const struct io_uring_getevents_arg uring_wait = { .ts = (uint64_t)(uintptr_t)&uring_timeout };
	char buf[64];
	uint64_t one = 1;
	int p[2], q[2], s[2];
	pid_t w;

	(void)arg;
	res->open_ok = sys(SYS_openat, AT_FDCWD, (long)res->path, O_RDONLY, 0);
	res->open_missing = sys(SYS_openat, AT_FDCWD, (long)res->missing, O_RDONLY, 0);
	res->file_fd = res->open_ok;
	fd_target(res->file_fd, res->file_target, sizeof(res->file_target));
	res->read_n = sys(SYS_read, res->file_fd, (long)buf, READ_BYTES, 0);
	if (pipe(p) || pipe(q))
		return 1;
	res->pipe_w = p[1];
	fd_target(p[1], res->pipe_target, sizeof(res->pipe_target));
	res->write_n = sys(SYS_write, p[1], (long)"hello", 5, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		return 1;
	res->socket_w = s[0];
	fd_target(s[0], res->socket_target, sizeof(res->socket_target));
	res->socket_write_n = sys(SYS_write, s[0], (long)"abc", 3, 0);
	res->eventfd_w = eventfd(0, 0);
	if (res->eventfd_w < 0)
		return 1;
	fd_target(res->eventfd_w, res->eventfd_target, sizeof(res->eventfd_target));
	res->eventfd_write_n = sys(SYS_write, res->eventfd_w, (long)&one, sizeof(one), 0);
	w = fork();
	if (w == 0)
		writer(getppid(), q[1]);
	res->wait_r = q[0];
	fd_target(q[0], res->wait_target, sizeof(res->wait_target));
	res->wait_n = sys(SYS_read, q[0], (long)buf, 1, 0);
	waitpid(w, NULL, 0);
	res->utimens_ret = sys(SYS_utimensat, res->file_fd, 0, 0, 0);
	res->close_ret = sys(SYS_close, res->file_fd, 0, 0, 0);
	res->mkdir_ret = sys(SYS_mkdir, (long)"/tmp/smon-t21-never", 0700, 0, 0);
	res->access_ok = sys(SYS_faccessat, AT_FDCWD, (long)res->path, R_OK, 0);
	res->access_missing = sys(SYS_faccessat, AT_FDCWD, (long)res->missing, R_OK, 0);
	res->futex_ret = sys(SYS_futex, (long)&res->futex_word, NO_SUCH_FUTEX_OP, 0, 0);
	res->uring_fd = syscall(SYS_io_uring_setup, 1, &(struct io_uring_params){ 0 });
	fd_target(res->uring_fd, res->uring_target, sizeof(res->uring_target));
	/* Waits for a completion that never comes, URING_WAIT_MS. */
	res->uring_ret = syscall(SYS_io_uring_enter, res->uring_fd, 0, 1,
				 IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &uring_wait, sizeof(uring_wait));
	if (res->uring_ret < 0)
		res->uring_ret = -errno;
	return 0;
}

static int add(int fd, uint32_t nr, uint32_t action, uint32_t record, uint32_t flags, uint32_t pid)
{
	struct syscallmon_target t = {
		.nr = nr, .action = action, .flags = flags, .npids = 1, .record = record,
		.pids = (uint64_t)(uintptr_t)&pid,
	};

	return smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t);
}

/* The only record of nr with arguments args[0] == a0 (or any, if a0 is -1). */
static const struct smon_event *find(const struct smon_events *ev, uint32_t nr, long a0, int nth)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct smon_event *e = &ev->ev[i];

		if (e->type == SYSCALLMON_RECORD_SYSCALL && e->nr == nr &&
		    (a0 == -1 || (long)(int)e->args[0] == a0) && nth-- == 0)
			return e;
	}
	return NULL;
}

static void check_result(const struct smon_event *e, const char *what, long want, const char *target,
			 const char *path)
{
	if (!CHECK(e, "%s: no record", what))
		return;
	CHECK(e->flags & SYSCALLMON_SYSCALL_RESULT, "%s: no result (flags %#x)", what, e->flags);
	CHECK(e->ret == want, "%s: ret %lld, the call returned %ld", what, (long long)e->ret, want);
	if (target)
		CHECK(!strcmp(e->target, target), "%s: target \"%s\", /proc/self/fd said \"%s\"", what,
		      e->target, target);
	else
		CHECK(!(e->flags & SYSCALLMON_SYSCALL_TARGET), "%s: a target \"%s\"", what, e->target);
	if (path)
		CHECK(!strcmp(e->path, path), "%s: path \"%s\", want \"%s\"", what, e->path, path);
}

int main(void)
{
	struct smon_events events = { 0 };
	struct syscallmon_target_info info;
	const struct smon_event *e, *entry, *ret_rec;
	struct smon_child child;
	const char *dir;
	uint32_t pid;
	int fd, f, ret;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(res != MAP_FAILED, "mmap");
	dir = smon_tmpdir("t21");
	snprintf(res->path, sizeof(res->path), "%s/file", dir);
	snprintf(res->missing, sizeof(res->missing), "%s/missing", dir);
	f = open(res->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	REQUIRE(f >= 0 && write(f, "0123456789", 10) == 10, "create %s", res->path);
	close(f);

	fd = smon_load_open(NULL);
	ret = smon_child_spawn(&child, &(struct smon_child_opts){ .comm = "smon-t21" }, calls, NULL);
	REQUIRE(ret == 0, "spawn: %s", smon_errname(ret));
	pid = child.pid;
	REQUIRE(add(fd, __NR_openat, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_read, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_write, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_close, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_BOTH, 0, pid) == 0 &&
		add(fd, __NR_utimensat, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_faccessat, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE,
		    SYSCALLMON_TARGET_FAILED_ONLY, pid) == 0 &&
		add(fd, __NR_futex, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0 &&
		add(fd, __NR_io_uring_enter, SYSCALLMON_ACTION_LOG, SYSCALLMON_RECORD_COMPLETE, 0, pid) == 0,
		"ADD_TARGET");
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "SET_MODE BLOCK");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	smon_child_release(&child);
	CHECK_EQ(smon_child_wait(&child), 0, "child exit status");
	ret = smon_read_all(fd, &events);
	REQUIRE(ret == 0, "read: %s", smon_errname(ret));
	for (size_t i = 0; i < events.n; i++)
		smon_event_print(&events.ev[i]);

	smon_diag("the child saw: open %ld, open missing %ld, read %ld, write %ld, socket write %ld, "
		  "eventfd write %ld, waiting read %ld, close %ld, mkdir %ld, utimensat %ld, access %ld/%ld",
		  res->open_ok, res->open_missing, res->read_n, res->write_n, res->socket_write_n,
		  res->eventfd_write_n, res->wait_n, res->close_ret, res->mkdir_ret, res->utimens_ret,
		  res->access_ok, res->access_missing);
	REQUIRE(res->open_ok >= 0 && res->open_missing == -ENOENT && res->read_n == READ_BYTES &&
		res->write_n == 5 && res->socket_write_n == 3 && res->eventfd_write_n == 8 && res->wait_n == 1 &&
		res->close_ret == 0 && res->mkdir_ret == -EPERM,
		"the child's calls did not do what the test expects");

	check_result(find(&events, __NR_openat, AT_FDCWD, 0), "openat of the file", res->open_ok, NULL,
		     res->path);
	e = find(&events, __NR_openat, AT_FDCWD, 1);
	check_result(e, "openat of a missing file", -ENOENT, NULL, res->missing);
	check_result(find(&events, __NR_read, res->file_fd, 0), "read of the file", READ_BYTES,
		     res->file_target, NULL);
	check_result(find(&events, __NR_write, res->pipe_w, 0), "write to a pipe", 5, res->pipe_target, NULL);
	CHECK(!strncmp(res->pipe_target, "pipe:[", 6), "the pipe's target is \"%s\"", res->pipe_target);
	check_result(find(&events, __NR_write, res->socket_w, 0), "write to a socket", 3, res->socket_target, NULL);
	CHECK(!strncmp(res->socket_target, "socket:[", 8), "the socket's target is \"%s\"", res->socket_target);
	check_result(find(&events, __NR_write, res->eventfd_w, 0), "write to an eventfd", 8, res->eventfd_target,
		     NULL);
	CHECK(!strcmp(res->eventfd_target, "anon_inode:[eventfd]"), "the eventfd's target is \"%s\"",
	      res->eventfd_target);
	e = find(&events, __NR_read, res->wait_r, 0);
	check_result(e, "the waiting read", 1, res->wait_target, NULL);
	if (e)
		CHECK(e->duration_ns >= WAIT_MS * 1000000ull, "the waiting read took %llu ns, want >= %d ms",
		      (unsigned long long)e->duration_ns, WAIT_MS);

	/* close, both: the entry half (target taken at entry) and the result, one call_id. */
	entry = find(&events, __NR_close, res->file_fd, 0);
	ret_rec = find(&events, __NR_close, res->file_fd, 1);
	if (CHECK(entry && ret_rec, "close: two records")) {
		CHECK(entry->flags & SYSCALLMON_SYSCALL_ENTRY && !(entry->flags & SYSCALLMON_SYSCALL_RESULT),
		      "close's first record is the entry half (flags %#x)", entry->flags);
		CHECK(!strcmp(entry->target, res->file_target), "close at entry: target \"%s\", want \"%s\"",
		      entry->target, res->file_target);
		check_result(ret_rec, "close's result", 0, res->file_target, NULL);
		CHECK(entry->call_id == entry->seq && ret_rec->call_id == entry->seq,
		      "call_id %llu and %llu, want the entry's seq %llu", (unsigned long long)entry->call_id,
		      (unsigned long long)ret_rec->call_id, (unsigned long long)entry->seq);
	}

	e = find(&events, __NR_mkdir, -1, 0);
	if (CHECK(e, "mkdir: no record")) {
		CHECK(e->verdict == SYSCALLMON_VERDICT_BLOCKED && e->ret == -EPERM,
		      "mkdir: verdict %u ret %lld, want BLOCKED -EPERM", e->verdict, (long long)e->ret);
		CHECK(!find(&events, __NR_mkdir, -1, 1), "a blocked call makes one record");
	}

	e = find(&events, __NR_utimensat, -1, 0);
	if (CHECK(e, "utimensat: no record"))
		CHECK(!(e->flags & (SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_PATH_UNREADABLE)),
		      "utimensat(fd, NULL): flags %#x, want no path and not unreadable", e->flags);

	e = find(&events, __NR_faccessat, -1, 0);
	check_result(e, "faccessat, failures only", -ENOENT, NULL, res->missing);
	CHECK(!find(&events, __NR_faccessat, -1, 1), "failures only: the successful faccessat was recorded");
	if (CHECK(smon_target_info(fd, __NR_faccessat, &info) == 0, "GET_TARGETS faccessat"))
		CHECK_EQ(info.failed_skipped, 1, "faccessat successes skipped");

	smon_diag("futex with no such op %ld, io_uring_enter %ld", res->futex_ret, res->uring_ret);
	CHECK(res->futex_ret == -ENOSYS, "futex op %d: %ld, want -ENOSYS", NO_SUCH_FUTEX_OP, res->futex_ret);
	check_result(find(&events, __NR_futex, (long)(int)(uintptr_t)&res->futex_word, 0),
		     "futex with no such op", -ENOSYS, NULL, NULL);
	if (CHECK(res->uring_fd >= 0 && res->uring_ret == -ETIME, "io_uring_setup %d, io_uring_enter %ld",
		  res->uring_fd, res->uring_ret)) {
		e = find(&events, __NR_io_uring_enter, res->uring_fd, 0);
		if (CHECK(e, "io_uring_enter: no record") && !(e->flags & SYSCALLMON_SYSCALL_NO_RESULT))
			check_result(e, "io_uring_enter that waited", -ETIME, res->uring_target, NULL);
	}

	smon_events_free(&events);
	smon_unload_exit(fd);
}
