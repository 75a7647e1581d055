// SPDX-License-Identifier: GPL-2.0
/*
 * Test 1: load and unload three times.  The device and /proc files appear
 * and disappear with the module; openat's entry point is hooked only while
 * openat is targeted and the mode is not OFF, and is gone after unload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smon_test.h"

#define OPENAT_SYM "__x64_sys_openat"

static void check_absent(int round)
{
	CHECK(!smon_loaded(), "round %d: module still in /sys/module", round);
	CHECK(!smon_path_exists(SYSCALLMON_DEVICE_PATH), "round %d: %s still exists",
	      round, SYSCALLMON_DEVICE_PATH);
	CHECK(!smon_path_exists(SMON_PROC_LOG), "round %d: %s still exists", round,
	      SMON_PROC_LOG);
	CHECK(!smon_path_exists(SMON_PROC_STATUS), "round %d: %s still exists", round,
	      SMON_PROC_STATUS);
	CHECK(!smon_path_exists(SYSCALLMON_PROC_DIR), "round %d: %s still exists", round,
	      SYSCALLMON_PROC_DIR);
	CHECK_EQ(smon_hooked(OPENAT_SYM), 0, "openat hooked without the module");
}

static void check_files(int round)
{
	struct stat st;
	char *text;
	int ret;

	if (CHECK(stat(SYSCALLMON_DEVICE_PATH, &st) == 0, "round %d: stat %s: %s", round,
		  SYSCALLMON_DEVICE_PATH, strerror(errno))) {
		CHECK(S_ISCHR(st.st_mode), "round %d: %s is not a char device", round,
		      SYSCALLMON_DEVICE_PATH);
		CHECK((st.st_mode & 07777) == 0600, "round %d: %s mode %04o, want 0600",
		      round, SYSCALLMON_DEVICE_PATH, st.st_mode & 07777);
		CHECK(st.st_uid == 0 && st.st_gid == 0, "round %d: %s owned by %u:%u",
		      round, SYSCALLMON_DEVICE_PATH, st.st_uid, st.st_gid);
	}
	CHECK(stat(SMON_PROC_LOG, &st) == 0, "round %d: stat %s: %s", round, SMON_PROC_LOG,
	      strerror(errno));
	ret = smon_read_file(SMON_PROC_STATUS, &text, NULL);
	if (CHECK(ret == 0, "round %d: read %s: %s", round, SMON_PROC_STATUS,
		  smon_errname(ret))) {
		CHECK(text[0] != '\0', "round %d: %s is empty", round, SMON_PROC_STATUS);
		free(text);
	}
}

static void check_version(int fd)
{
	struct syscallmon_version v;
	int ret;

	memset(&v, 0xff, sizeof(v));
	ret = smon_ioctl(fd, SYSCALLMON_IOC_GET_VERSION, &v);
	if (!CHECK(ret == 0, "GET_VERSION: %s", smon_errname(ret)))
		return;
	CHECK_EQ(v.api_version, SYSCALLMON_API_VERSION, "api_version");
	CHECK_EQ(v.record_max, SYSCALLMON_RECORD_MAX, "record_max");
	CHECK_EQ(v.max_pids, SYSCALLMON_MAX_PIDS, "max_pids");
	CHECK_EQ(v.nr_limit, SYSCALLMON_NR_LIMIT, "nr_limit");
}

static void check_armed(int fd, int want, const char *when)
{
	struct syscallmon_status st;
	int ret;

	CHECK(smon_hooked(OPENAT_SYM) == want, "%s: %s %s", when, OPENAT_SYM,
	      want ? "missing from " SMON_HOOK_LIST : "still in " SMON_HOOK_LIST);
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret)))
		CHECK(st.armed == (uint32_t)want, "%s: status.armed %u, want %d", when,
		      st.armed, want);
}

/* What a round changes, one step at a time, and whether openat is hooked after each. */
enum change { ADD_TARGET, DEL_TARGET, MODE_OFF, MODE_LOG };

static const char *const change_names[] = {
	[ADD_TARGET] = "ADD_TARGET openat", [DEL_TARGET] = "DEL_TARGET openat",
	[MODE_OFF] = "SET_MODE OFF", [MODE_LOG] = "SET_MODE LOG",
};

static const struct {
	enum change change;
	int armed;
	const char *when;
} steps[] = {
	{ ADD_TARGET, 0, "targeted, mode OFF" },
	{ MODE_LOG, 1, "targeted, mode LOG" },
	{ MODE_OFF, 0, "mode OFF again" },
	{ MODE_LOG, 1, "mode LOG again" },
	{ DEL_TARGET, 0, "target removed" },
	/* Leave it armed so that unload has a probe to remove. */
	{ ADD_TARGET, 1, "targeted again, mode LOG" },
};

static int apply(int fd, enum change change)
{
	uint32_t self = getpid();

	switch (change) {
	case ADD_TARGET:
		return smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0, 0, &self, 1);
	case DEL_TARGET:
		return smon_del_target(fd, __NR_openat);
	case MODE_OFF:
		return smon_set_mode(fd, SYSCALLMON_MODE_OFF);
	default:
		return smon_set_mode(fd, SYSCALLMON_MODE_LOG);
	}
}

int main(void)
{
	if (smon_loaded())
		REQUIRE(smon_unload() == 0, "could not unload a module left loaded");
	REQUIRE(smon_hooked(OPENAT_SYM) >= 0, "hook list unreadable");
	check_absent(0);

	for (int round = 1; round <= 3; round++) {
		int fd, ret;

		smon_diag("round %d: load", round);
		REQUIRE(smon_load(NULL) == 0, "round %d: load failed", round);
		check_files(round);

		fd = smon_open(0);
		REQUIRE(fd >= 0, "round %d: open %s: %s", round, SYSCALLMON_DEVICE_PATH,
			smon_errname(fd));
		check_version(fd);
		check_armed(fd, 0, "just loaded");
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			ret = apply(fd, steps[i].change);
			CHECK(ret == 0, "%s (%s): %s", change_names[steps[i].change], steps[i].when,
			      smon_errname(ret));
			check_armed(fd, steps[i].armed, steps[i].when);
		}

		/* .owner pins the module while a file is open. */
		ret = smon_unload_once();
		CHECK(ret == -EWOULDBLOCK, "unload with the device open: got %s, want %s",
		      smon_errname(ret), smon_errname(EWOULDBLOCK));
		CHECK(smon_loaded(), "round %d: module gone while the device was open", round);

		close(fd);
		smon_diag("round %d: unload", round);
		ret = smon_unload();
		REQUIRE(ret == 0, "round %d: unload: %s", round, smon_errname(ret));
		check_absent(round);
	}
	smon_exit();
}
