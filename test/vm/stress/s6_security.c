// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 6, security.  As the unprivileged user nobody:
 *   - opening /dev/syscallmon fails (EACCES by its mode 0600), and still
 *     fails (EPERM, the module's own check) after `chmod 666`;
 *   - writing /proc/syscallmon/control fails, and still fails after
 *     `chmod 666` (EPERM, the module's own check at open and at write) and
 *     changes nothing;
 *   - reading /proc/syscallmon/log and /proc/syscallmon/status is refused,
 *     and stays refused after `chmod 444`: they show every user's
 *     processes;
 *   - a control file opened by root and written after dropping to nobody
 *     is refused too.
 * As root, the safety rules: blocking pid 1 without force is EPERM (with
 * force it is accepted); adding pid 1 to a block target is EPERM; exit,
 * exit_group, rt_sigreturn and restart_syscall can't be blocked (EINVAL,
 * also through /proc control) but can be logged; a process holding the
 * device is not blocked by a target scoped to it unless forced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

#define LOG	SYSCALLMON_PROC_DIR "/log"

static int is_denied(int err)
{
	return err == EPERM || err == EACCES;
}

/* Runs in a child as nobody: exit code 0 when access was denied as wanted. */
static int open_device_denied(void *arg)
{
	int flags[] = { O_RDWR, O_RDONLY, O_WRONLY, O_RDONLY | O_NONBLOCK };

	(void)arg;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int fd = open(SYSCALLMON_DEVICE_PATH, flags[i] | O_CLOEXEC);

		if (fd >= 0) {
			smon_diag("nobody opened %s with flags %#x", SYSCALLMON_DEVICE_PATH, flags[i]);
			return 10;
		}
		if (!is_denied(errno)) {
			smon_diag("open %s as nobody: %s", SYSCALLMON_DEVICE_PATH, strerrorname_np(errno));
			return 11;
		}
		smon_diag("nobody: open %s flags %#x -> %s", SYSCALLMON_DEVICE_PATH, flags[i],
			  strerrorname_np(errno));
	}
	return 0;
}

static ssize_t write_mode_log(int fd)
{
	return write(fd, "mode log", strlen("mode log"));
}

static ssize_t read_some(int fd)
{
	char buf[256];

	return read(fd, buf, sizeof(buf));
}

/*
 * As nobody: opens path (flags) and, if that works, does op (named what)
 * on it.  Exit code 0 when the open or op was denied, 10 if op worked, 11
 * on another error.
 */
static int access_denied(const char *path, int flags, ssize_t (*op)(int fd), const char *what)
{
	int fd = open(path, flags | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		smon_diag("nobody: open %s -> %s", path, strerrorname_np(errno));
		return is_denied(errno) ? 0 : 11;
	}
	n = op(fd);
	close(fd);
	if (n >= 0) {
		smon_diag("nobody: %s of %s worked (%zd bytes)", what, path, n);
		return 10;
	}
	smon_diag("nobody: open %s worked, %s -> %s", path, what, strerrorname_np(errno));
	return is_denied(errno) ? 0 : 11;
}

/* arg: the path.  Denied at open or at write, with nothing written. */
static int write_denied(void *arg)
{
	return access_denied(arg, O_WRONLY, write_mode_log, "write");
}

/* arg: the path.  Denied at open or at read, with nothing read. */
static int read_denied(void *arg)
{
	return access_denied(arg, O_RDONLY, read_some, "read");
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -errno;
}

/* chmod, then check it took: procfs and devtmpfs both allow it for root. */
static int set_mode(const char *path, mode_t mode)
{
	if (chmod(path, mode) < 0) {
		smon_diag("chmod %o %s: %s", mode, path, strerror(errno));
		return -errno;
	}
	return mode_of(path) == (int)mode ? 0 : -EIO;
}

static uint32_t module_mode(int fd)
{
	struct syscallmon_status st;

	return smon_status(fd, &st) == 0 ? st.mode : 0xffffffffu;
}

/*
 * Each file is tried as the module makes it, then opened up by chmod: the
 * module's own check must refuse nobody either way.  log and status show
 * every user's processes.
 */
static void unprivileged(int fd)
{
	static const struct {
		const char *path;
		mode_t mode;		/* as the module makes it */
		mode_t opened_up;	/* the chmod of the second try */
		int (*denied)(void *path);
		const char *what;
	} files[] = {
		{ SYSCALLMON_DEVICE_PATH, 0600, 0666, open_device_denied, "open" },
		{ SMON_PROC_CONTROL, 0200, 0666, write_denied, "write" },
		{ LOG, 0400, 0444, read_denied, "read" },
		{ SYSCALLMON_PROC_DIR "/status", 0400, 0444, read_denied, "read" },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *path = files[i].path;
		int ret = stress_run_as_nobody(files[i].denied, (void *)path);

		CHECK(ret == 0, "nobody, %s mode %04o: %s not denied (child %d)", path, files[i].mode,
		      files[i].what, ret);
		if (CHECK(set_mode(path, files[i].opened_up) == 0, "chmod %o %s", files[i].opened_up, path)) {
			ret = stress_run_as_nobody(files[i].denied, (void *)path);
			CHECK(ret == 0, "nobody, %s mode %04o: %s not denied (child %d)", path,
			      files[i].opened_up, files[i].what, ret);
		}
		set_mode(path, files[i].mode);
		CHECK(module_mode(fd) == SYSCALLMON_MODE_OFF, "the mode changed (%s as nobody)", files[i].what);
	}
}

/* arg: a control file root opened.  The write as nobody is denied. */
static int write_opened_denied(void *arg)
{
	if (write_mode_log(*(int *)arg) >= 0)
		return 10;
	return is_denied(errno) ? 0 : 11;
}

/* Root opens the control file, drops to nobody, then writes: refused. */
static void dropped_after_open(int fd)
{
	int ret, cfd = open(SMON_PROC_CONTROL, O_WRONLY | O_CLOEXEC);

	REQUIRE(cfd >= 0, "open %s: %s", SMON_PROC_CONTROL, strerror(errno));
	ret = stress_run_as_nobody(write_opened_denied, &cfd);
	close(cfd);
	CHECK(ret == 0, "control opened by root, written as nobody: not denied (child %d)", ret);
	CHECK(module_mode(fd) == SYSCALLMON_MODE_OFF, "the mode changed");
}

#define EXPECT(call, want, what)							\
	do {										\
		int got_ = (call);							\
		CHECK(got_ == -(want), "%s: got %s, want %s", (what), smon_errname(got_),\
		      smon_errname(want));						\
	} while (0)

static void safe_blocking(int fd)
{
	static const struct {
		uint32_t nr;
		const char *name;
	} never[] = {
		{ __NR_exit, "exit" }, { __NR_exit_group, "exit_group" },
		{ __NR_rt_sigreturn, "rt_sigreturn" }, { __NR_restart_syscall, "restart_syscall" },
	};
	uint32_t init = 1, self = getpid(), pid;
	pid_t idle = stress_idle_child();
	char cmd[64], what[128];

	REQUIRE(idle > 0, "fork");
	pid = idle;
	EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, 0, &init, 1), EPERM,
	       "block mkdir for pid 1 without force");
	EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, 0, (uint32_t[]){ idle, 1 }, 2),
	       EPERM, "block mkdir for [idle child, pid 1] without force");
	CHECK(smon_target_info(fd, __NR_mkdir, &(struct syscallmon_target_info){ 0 }) == -ENOENT,
	      "a refused block left a target behind");
	/* With force it is accepted (the mode stays OFF: nothing is enforced). */
	EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, SYSCALLMON_TARGET_FORCE, &init, 1),
	       0, "block mkdir for pid 1 with force");
	EXPECT(smon_del_target(fd, __NR_mkdir), 0, "DEL mkdir");
	/* Adding pid 1 later goes through the same rule. */
	EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, 0, &pid, 1), 0,
	       "block mkdir for the idle child");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_PIDS,
			  &(struct syscallmon_pids){ .nr = __NR_mkdir, .npids = 1,
						     .pids = (uint64_t)(uintptr_t)&init }),
	       EPERM, "ADD_PIDS pid 1 to a block target without force");
	EXPECT(stress_control("pid add 1"), EPERM, "control \"pid add 1\" with a block target");
	EXPECT(smon_del_target(fd, __NR_mkdir), 0, "DEL mkdir");
	EXPECT(stress_control("pid add 1"), 0, "control \"pid add 1\"");
	EXPECT(stress_control("mkdir block"), EPERM, "control \"mkdir block\" with pid 1 in the list");
	EXPECT(stress_control("pid del 1"), 0, "control \"pid del 1\"");

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		snprintf(what, sizeof(what), "block %s for everyone", never[i].name);
		EXPECT(smon_add_target(fd, never[i].nr, SYSCALLMON_ACTION_BLOCK, 0, SYSCALLMON_TARGET_ALL_PIDS,
				       NULL, 0), EINVAL, what);
		snprintf(what, sizeof(what), "block %s for one pid, forced", never[i].name);
		EXPECT(smon_add_target(fd, never[i].nr, SYSCALLMON_ACTION_BLOCK, 0, SYSCALLMON_TARGET_FORCE,
				       &pid, 1), EINVAL, what);
		snprintf(cmd, sizeof(cmd), "%s block", never[i].name);
		snprintf(what, sizeof(what), "control \"%s\"", cmd);
		EXPECT(stress_control(cmd), EINVAL, what);
		snprintf(what, sizeof(what), "log %s for one pid", never[i].name);
		EXPECT(smon_add_target(fd, never[i].nr, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1), 0, what);
		EXPECT(smon_del_target(fd, never[i].nr), 0, "DEL");
	}
	CHECK(module_mode(fd) == SYSCALLMON_MODE_OFF, "a refused request changed the mode");

	/* A device holder (this process) is not blocked unless forced. */
	{
		const char *dir = smon_tmpdir("s6");
		char path[256];

		snprintf(path, sizeof(path), "%s/holder-dir", dir);
		EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, 0, &self, 1), 0,
		       "block mkdir for the holder");
		EXPECT(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK), 0, "SET_MODE BLOCK");
		CHECK(mkdir(path, 0755) == 0, "the holder's mkdir was blocked without force: %s", strerror(errno));
		rmdir(path);
		EXPECT(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 0, SYSCALLMON_TARGET_FORCE,
				       &self, 1), 0, "block mkdir for the holder, forced");
		errno = 0;
		CHECK(mkdir(path, 0755) < 0 && errno == EPERM, "forced: the holder's mkdir gave %s, want EPERM",
		      errno ? strerrorname_np(errno) : "success");
		CHECK(!smon_path_exists(path), "forced: the blocked mkdir created %s", path);
		EXPECT(smon_set_mode(fd, SYSCALLMON_MODE_OFF), 0, "SET_MODE OFF");
		EXPECT(smon_clear(fd, SYSCALLMON_CLEAR_TARGETS), 0, "CLEAR targets");
	}
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
}

int main(void)
{
	long long seq0 = kmsg_last_seq();
	int fd;

	fd = smon_load_open(NULL);
	CHECK(mode_of(SYSCALLMON_DEVICE_PATH) == 0600, "%s mode %o, want 600", SYSCALLMON_DEVICE_PATH,
	      mode_of(SYSCALLMON_DEVICE_PATH));

	unprivileged(fd);
	dropped_after_open(fd);
	safe_blocking(fd);

	close(fd);
	stress_unload_checked(seq0);
	smon_exit();
}
