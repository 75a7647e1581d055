// SPDX-License-Identifier: GPL-2.0
/*
 * Test 13: who may open the module's files.  Root whose capability bounding
 * set lost cap_sys_admin, cap_dac_override and cap_dac_read_search (as a
 * container's root does), run through
 *   capsh --drop=cap_sys_admin,cap_dac_override,cap_dac_read_search -- -c ...
 * gets EPERM opening every /proc/syscallmon file (log, status, control,
 * tasks, task_detail, task_stats) and /dev/syscallmon.  The files are owned
 * by root and readable (writable) by their owner, so the EPERM comes from the
 * module's capability check, not from the file mode.  The same program run
 * without capsh opens them all, and reads each readable one.
 *
 * The opening is done by this program re-executed with --open-all (see
 * open_all()), so both runs make exactly the same calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smon_test.h"

#define DROPPED_CAPS	"cap_sys_admin,cap_dac_override,cap_dac_read_search"
/* Capability numbers (linux/capability.h): the bits of CapEff. */
#define CAP_DAC_OVERRIDE_BIT	1
#define CAP_DAC_READ_SEARCH_BIT	2
#define CAP_SYS_ADMIN_BIT	21

static const struct {
	const char *path;
	int flags;
} files[] = {
	{ SYSCALLMON_PROC_DIR "/log", O_RDONLY },
	{ SYSCALLMON_PROC_DIR "/status", O_RDONLY },
	{ SYSCALLMON_PROC_DIR "/control", O_WRONLY },
	{ SYSCALLMON_PROC_DIR "/tasks", O_RDONLY },
	{ SYSCALLMON_PROC_DIR "/task_detail", O_RDONLY },
	{ SYSCALLMON_PROC_DIR "/task_stats", O_RDONLY },
	{ SYSCALLMON_DEVICE_PATH, O_RDWR },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static unsigned long long effective_caps(void)
{
	unsigned long long caps = 0;
	char *status;
	const char *v;

	if (smon_read_file("/proc/self/status", &status, NULL))
		return ~0ull;
	v = strstr(status, "\nCapEff:");
	if (!v || sscanf(v + strlen("\nCapEff:"), "%llx", &caps) != 1)
		caps = ~0ull;
	free(status);
	return caps;
}

/*
 * The re-executed program: as uid 0, with the three capabilities (want_eperm)
 * or with all of them, opens every file; each open must fail with EPERM, or
 * succeed and (if readable) read.
 */
static void __attribute__((noreturn)) open_all(int want_eperm)
{
	unsigned long long caps = effective_caps();
	int has_admin = !!(caps & (1ull << CAP_SYS_ADMIN_BIT));
	int has_dac = !!(caps & ((1ull << CAP_DAC_OVERRIDE_BIT) | (1ull << CAP_DAC_READ_SEARCH_BIT)));

	smon_diag("%s run: uid %d, CapEff %llx", want_eperm ? "capsh" : "plain", (int)getuid(),
		  caps);
	REQUIRE(getuid() == 0 && geteuid() == 0, "not running as uid 0");
	REQUIRE(caps != ~0ull, "cannot read CapEff from /proc/self/status");
	/* Otherwise the check below proves nothing. */
	REQUIRE(has_admin != want_eperm && has_dac != want_eperm,
		"CAP_SYS_ADMIN %s, CAP_DAC_* %s: want both %s", has_admin ? "held" : "dropped",
		has_dac ? "held" : "dropped", want_eperm ? "dropped" : "held");

	for (size_t i = 0; i < NFILES; i++) {
		int fd = open(files[i].path, files[i].flags | O_CLOEXEC);
		int err = fd < 0 ? errno : 0;

		smon_diag("open %s: %s", files[i].path, fd < 0 ? smon_errname(err) : "ok");
		if (want_eperm) {
			CHECK(fd < 0 && err == EPERM, "open %s without CAP_SYS_ADMIN: %s, want EPERM",
			      files[i].path, fd < 0 ? smon_errname(err) : "opened");
		} else if (CHECK(fd >= 0, "open %s as full root: %s", files[i].path,
				 smon_errname(err)) &&
			   files[i].flags == O_RDONLY) {
			char buf[256];

			CHECK(read(fd, buf, sizeof(buf)) >= 0, "read %s as full root: %s",
			      files[i].path, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	smon_exit();
}

/* In a child (smon_run_child): runs argv, whose output goes to ours. */
static int exec_argv(void *arg)
{
	char *const *argv = arg;

	execvp(argv[0], argv);
	printf("# exec %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t len;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "--open-all"))
		open_all(0);
	if (argc == 2 && !strcmp(argv[1], "--open-all-eperm"))
		open_all(1);

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(len > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	REQUIRE(smon_load(NULL) == 0, "load failed");

	{
		char *const plain[] = { self, "--open-all", NULL };

		ret = smon_run_child(exec_argv, (void *)plain, NULL);
		CHECK(ret == 0, "as full root: exit status %d, want 0", ret);
	}
	{
		/* capsh hands what follows "--" to bash: $0 is the program, then its argument. */
		char *const capsh[] = {
			"capsh", "--drop=" DROPPED_CAPS, "--", "-c", "exec \"$0\" \"$@\"", self,
			"--open-all-eperm", NULL,
		};

		ret = smon_run_child(exec_argv, (void *)capsh, NULL);
		CHECK(ret == 0, "under capsh --drop=%s: exit status %d, want 0 (127: no capsh; "
		      "install libcap2-bin)", DROPPED_CAPS, ret);
	}

	smon_unload_exit(-1);
}
