// SPDX-License-Identifier: GPL-2.0
/*
 * Test 20: scopes and the device-holder exemption hold processes, not
 * numbers.
 *   a) A zombie (exited, not reaped) is refused with ESRCH by ADD_TARGET,
 *      ADD_PIDS and "pid add"; so is a reaped pid.
 *   b) The device opener O sets a target, forks C (which inherits the
 *      open file) and exits.  A new process N given O's pid is logged and
 *      can be blocked: the exemption was O's, not its number's.  C, which
 *      holds the file but did not open it, is monitored too.
 *   c) An opener that closes its last fd on the file while its child keeps
 *      an inherited one open is monitored from then on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define CALLS 20

static int control(const char *cmd)
{
	ssize_t n = smon_write_file(SMON_PROC_CONTROL, cmd, strlen(cmd));

	return n < 0 ? (int)n : 0;
}

static void zombie_case(int fd)
{
	uint32_t pid;
	char cmd[64];
	pid_t z;
	int ret;

	smon_diag("a zombie and a reaped pid are not processes a scope can hold");
	z = smon_zombie();
	pid = z;
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
	CHECK(ret == -ESRCH, "ADD_TARGET with a zombie: %s, want ESRCH", smon_errname(ret));
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, NULL, 0);
	CHECK(ret == 0, "ADD_TARGET getppid, empty scope: %s", smon_errname(ret));
	ret = smon_add_pids(fd, __NR_getppid, &pid, 1);
	CHECK(ret == -ESRCH, "ADD_PIDS with a zombie: %s, want ESRCH", smon_errname(ret));
	snprintf(cmd, sizeof(cmd), "pid add %u\n", pid);
	ret = control(cmd);
	CHECK(ret == -ESRCH, "\"pid add\" of a zombie: %s, want ESRCH", smon_errname(ret));
	waitpid(z, NULL, 0);
	ret = smon_add_pids(fd, __NR_getppid, &pid, 1);
	CHECK(ret == -ESRCH, "ADD_PIDS with a reaped pid: %s, want ESRCH", smon_errname(ret));
	CHECK(smon_del_target(fd, __NR_getppid) == 0, "DEL_TARGET getppid");
}

static int call_getppid(void *arg)
{
	(void)arg;
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);
	return syscall(SYS_getppid) < 0 ? errno : 0;
}

struct shared {
	pid_t opener;
	pid_t child;
	int child_go;	/* the parent lets C call */
	int child_errno;
};

static struct shared *sh;

/* O: opens the device, targets getppid for everyone, forks C, exits. */
static void opener(void)
{
	int fd = smon_open(0);
	pid_t c;

	if (fd < 0 || smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS,
				      NULL, 0) || smon_set_mode(fd, SYSCALLMON_MODE_LOG))
		_exit(1);
	c = fork();
	if (c < 0)
		_exit(2);
	if (c == 0) {
		/* C keeps the inherited file open and calls when told to. */
		while (!__atomic_load_n(&sh->child_go, __ATOMIC_ACQUIRE))
			usleep(1000);
		for (int i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		sh->child_errno = 0;
		__atomic_store_n(&sh->child_go, 2, __ATOMIC_RELEASE);
		pause();
		_exit(0);
	}
	sh->child = c;
	_exit(0);
}

static size_t count(const struct smon_events *events, pid_t tgid)
{
	size_t n = 0;

	for (size_t i = 0; i < events->n; i++)
		n += events->ev[i].type == SYSCALLMON_RECORD_SYSCALL && events->ev[i].nr == __NR_getppid &&
		     events->ev[i].tgid == (uint32_t)tgid;
	return n;
}

static void opener_case(int fd)
{
	struct smon_events events = { 0 };
	struct smon_child n;
	uint32_t pid;
	int status, ret;
	pid_t o;

	smon_diag("the opener forks, its child keeps the file, the opener exits, its pid is reused");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED, "mmap");
	o = fork();
	REQUIRE(o >= 0, "fork");
	if (o == 0)
		opener();
	REQUIRE(waitpid(o, &status, 0) == o && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"the opener failed: status %#x", status);
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");

	/* C holds the file it did not open: it is monitored. */
	__atomic_store_n(&sh->child_go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 5000 && __atomic_load_n(&sh->child_go, __ATOMIC_ACQUIRE) != 2; i++)
		usleep(1000);
	CHECK(__atomic_load_n(&sh->child_go, __ATOMIC_ACQUIRE) == 2, "C never made its calls");

	/* N gets O's pid: the exemption was O's, and O is gone. */
	ret = smon_child_spawn_pid(&n, &(struct smon_child_opts){ .comm = "smon-t20-new" }, call_getppid, NULL, o);
	if (ret == -EAGAIN) {
		smon_diag("pid %d was taken by another process first; retrying once", o);
		ret = smon_child_spawn_pid(&n, &(struct smon_child_opts){ .comm = "smon-t20-new" },
					   call_getppid, NULL, o);
	}
	REQUIRE(ret == 0, "spawn a process with pid %d: %s", o, smon_errname(ret));
	smon_child_release(&n);
	CHECK_EQ(smon_child_wait(&n), 0, "N's exit status (its getppid ran)");
	ret = smon_read_all(fd, &events);
	CHECK(ret == 0, "read: %s", smon_errname(ret));
	CHECK_EQ(count(&events, sh->child), CALLS, "records of C, which inherited the file");
	CHECK_EQ(count(&events, o), CALLS + 1, "records of N, which got the opener's pid");
	smon_events_free(&events);

	/* And N's successor with the same pid can be blocked. */
	pid = o;
	ret = smon_child_spawn_pid(&n, &(struct smon_child_opts){ .comm = "smon-t20-blk" }, call_getppid, NULL, o);
	if (ret == 0) {
		ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK, 0, 0, &pid, 1);
		CHECK(ret == 0, "block getppid for pid %u: %s", pid, smon_errname(ret));
		CHECK(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK) == 0, "SET_MODE BLOCK");
		smon_child_release(&n);
		CHECK_EQ(smon_child_wait(&n), EPERM, "exit status of a process with the opener's pid, blocked");
	} else {
		smon_diag("pid %d was taken again (%s): the block check is skipped", o, smon_errname(ret));
	}
	kill(sh->child, SIGKILL);
	CHECK(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0 && smon_del_target(fd, __NR_getppid) == 0, "clean up");
}

/* A: opens the device, forks B (which keeps the file), calls, closes its fd, calls again. */
static int closer(void *arg)
{
	int dev = smon_open(0), status;
	pid_t b;

	(void)arg;
	if (dev < 0)
		return 1;
	b = fork();
	if (b < 0)
		return 2;
	if (b == 0) {
		pause();
		_exit(0);
	}
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);	/* exempt */
	close(dev);
	for (int i = 0; i < CALLS; i++)
		syscall(SYS_getppid);	/* monitored */
	kill(b, SIGKILL);
	return waitpid(b, &status, 0) == b ? 0 : 3;
}

static void closed_case(int fd)
{
	struct smon_events events = { 0 };
	struct smon_child a;
	int ret;

	smon_diag("the opener closes its fd while its child keeps the file open");
	REQUIRE(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL, 0) == 0 &&
		smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "LOG getppid for every process");
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "SEEK_HEAD");
	REQUIRE(smon_child_spawn(&a, &(struct smon_child_opts){ .comm = "smon-t20-close" }, closer, NULL) == 0,
		"spawn the opener");
	smon_child_release(&a);
	CHECK_EQ(smon_child_wait(&a), 0, "the opener's exit status");
	ret = smon_read_all(fd, &events);
	CHECK(ret == 0, "read: %s", smon_errname(ret));
	CHECK_EQ(count(&events, a.pid), CALLS, "records of the opener: its calls after it closed its fd");
	smon_events_free(&events);
	CHECK(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0 && smon_del_target(fd, __NR_getppid) == 0, "clean up");
}

int main(void)
{
	int fd;

	fd = smon_load_open(NULL);
	zombie_case(fd);
	opener_case(fd);
	closed_case(fd);
	close(fd);
	/* C was killed; the file it held is closed once it is reaped by init. */
	CHECK(smon_unload() == 0, "unload");
	smon_exit();
}
