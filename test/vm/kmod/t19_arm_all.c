// SPDX-License-Identifier: GPL-2.0
/*
 * Test 19: every implemented syscall, on every ABI, hooked at once.
 *
 * Every x86_64 syscall this kernel implements gets a log target scoped to
 * an idle child (blocked in pause(), it calls nothing, so nothing is
 * recorded) while the mode is OFF; then one mode change to LOG hooks every
 * entry point of every ABI (one ftrace update), and one change back to OFF
 * unhooks them all.  Checked: syscalls the kernel doesn't implement are
 * refused with ENOENT and only those; status.hooked matches what ftrace
 * lists; nothing is left hooked after OFF and after unload.  The times of
 * both changes are printed (the benchmark holds the goal for them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

static int status_hooked(int fd, uint32_t *hooked, uint32_t *armed)
{
	struct syscallmon_status st;
	int ret = smon_status(fd, &st);

	*hooked = st.hooked;
	*armed = st.armed;
	return ret;
}

/* One mode change (one ftrace update for every entry point); prints how long it took. */
static void timed_set_mode(int fd, uint32_t mode, const char *what)
{
	uint64_t t0 = smon_monotonic_ns();
	int ret = smon_set_mode(fd, mode);
	uint64_t t1 = smon_monotonic_ns();

	REQUIRE(ret == 0, "%s (SET_MODE %u): %s", what, mode, smon_errname(ret));
	smon_diag("%s took %.3f s", what, (t1 - t0) / 1e9);
}

int main(void)
{
	uint32_t targeted = 0, missing = 0, hooked, armed;
	pid_t idle;
	int fd, ret, listed;

	fd = smon_load_open(NULL);
	idle = fork();
	REQUIRE(idle >= 0, "fork");
	if (idle == 0) {
		pause();
		_exit(0);
	}

	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");
	for (uint32_t nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++) {
		uint32_t pid = idle;

		ret = smon_add_target(fd, nr, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
		if (ret == 0)
			targeted++;
		else if (ret == -ENOENT || ret == -EINVAL)
			missing++;	/* not implemented here, or no syscall has that number */
		else
			CHECK(0, "ADD_TARGET %u: %s", nr, smon_errname(ret));
	}
	smon_diag("%u syscalls targeted, %u numbers without an implementation", targeted, missing);
	CHECK(targeted > 300, "only %u syscalls could be targeted", targeted);
	REQUIRE(status_hooked(fd, &hooked, &armed) == 0, "GET_STATUS");
	CHECK_EQ(hooked, 0, "entry points hooked in OFF");

	timed_set_mode(fd, SYSCALLMON_MODE_LOG, "hooking every entry point");
	REQUIRE(status_hooked(fd, &hooked, &armed) == 0, "GET_STATUS");
	listed = smon_hook_count(NULL);
	smon_diag("%u entry points hooked (x86_64, i386, x32; aliases once), %d listed by ftrace", hooked,
		  listed);
	CHECK_EQ(armed, targeted, "status.armed with every target");
	CHECK(hooked > targeted, "%u entry points for %u syscalls: the i386 and x32 ones are missing", hooked,
	      targeted);
	CHECK_EQ(listed, hooked, "functions ftrace lists as hooked");
	CHECK(smon_hooked("__x64_sys_newuname") == 1 && smon_hooked("__ia32_sys_olduname") == 1 &&
	      smon_hooked("__ia32_compat_sys_socketcall") == 1, "uname, i386 olduname, socketcall hooked");

	timed_set_mode(fd, SYSCALLMON_MODE_OFF, "unhooking them");
	REQUIRE(status_hooked(fd, &hooked, &armed) == 0, "GET_STATUS");
	CHECK_EQ(hooked, 0, "entry points hooked after OFF");
	CHECK_EQ(smon_hook_count(NULL), 0, "functions ftrace lists after OFF");

	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
	close(fd);
	CHECK(smon_unload() == 0, "unload");
	CHECK_EQ(smon_hook_count(NULL), 0, "functions ftrace lists after unload");
	smon_exit();
}
