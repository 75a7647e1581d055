// SPDX-License-Identifier: GPL-2.0
/*
 * smonctl: the benchmark's own control tool for syscallmon.ko.  The guest
 * driver reconfigures the module between contenders dozens of times; the
 * CLI would cost a node start (~3 s under TCG) each time, and the bench must
 * not change what it measures by holding the device open.  This opens the
 * device, makes one change and closes it again.
 *
 *   smonctl mode off|log|block
 *   smonctl target NAME log|block all|PID      (replaces an existing target)
 *   smonctl reset                              (mode off, no targets, empty log, zero counters)
 *   smonctl status                             (one JSON line)
 *
 * Exit codes: 0 ok, 2 usage, 3 device missing, 5 the kernel refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/syscallmon.h>

static const char *const syscall_names[SYSCALLMON_NR_LIMIT] = {
#define SYSCALLMON_OP(nr, name, path_arg, fd_arg) [nr] = #name,
#define SYSCALLMON_ENTRY(abi, nr, name, symbol, op)
#define SYSCALLMON_SOCKETCALL(call, op)
#define SYSCALLMON_IPC(call, op)
#include "syscall_table.h"
#undef SYSCALLMON_OP
#undef SYSCALLMON_ENTRY
#undef SYSCALLMON_SOCKETCALL
#undef SYSCALLMON_IPC
};

static void __attribute__((noreturn)) usage(const char *why)
{
	fprintf(stderr, "smonctl: %s\nusage: smonctl mode off|log|block | target NAME log|block all|PID | reset | status\n", why);
	exit(2);
}

static int open_dev(void)
{
	int fd = open(SYSCALLMON_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "smonctl: %s: %s\n", SYSCALLMON_DEVICE_PATH, strerror(errno));
		exit(3);
	}
	return fd;
}

static void xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0) {
		fprintf(stderr, "smonctl: %s: %s\n", what, strerror(errno));
		exit(5);
	}
}

static uint32_t lookup(const char *name)
{
	uint32_t nr;

	for (nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (syscall_names[nr] && !strcmp(syscall_names[nr], name))
			return nr;
	usage("unknown syscall name");
}

static void cmd_target(int fd, const char *name, const char *action, const char *scope)
{
	struct syscallmon_target t = { 0 };
	uint32_t pid = 0;
	char *end;

	t.nr = lookup(name);
	if (!strcmp(action, "log"))
		t.action = SYSCALLMON_ACTION_LOG;
	else if (!strcmp(action, "block"))
		t.action = SYSCALLMON_ACTION_BLOCK;
	else
		usage("action must be log or block");
	if (!strcmp(scope, "all")) {
		t.flags = SYSCALLMON_TARGET_ALL_PIDS;
	} else {
		errno = 0;
		pid = (uint32_t)strtoul(scope, &end, 10);
		if (errno || *end || !pid)
			usage("scope must be all or a pid");
		t.npids = 1;
		t.pids = (uintptr_t)&pid;
	}
	xioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t, "ADD_TARGET");
}

static void cmd_status(int fd)
{
	struct syscallmon_status st;
	struct syscallmon_target_info info[8];
	struct syscallmon_target_list list = { .max = 8, .entries = (uintptr_t)info };
	static const char *const modes[] = { "off", "log", "block" };
	uint32_t i;

	xioctl(fd, SYSCALLMON_IOC_GET_STATUS, &st, "GET_STATUS");
	xioctl(fd, SYSCALLMON_IOC_GET_TARGETS, &list, "GET_TARGETS");
	printf("{\"mode\":\"%s\",\"ring_size\":%llu,\"events\":%llu,\"overwritten\":%llu,\"missed\":%llu,"
	       "\"no_result\":%llu,\"targets\":[",
	       st.mode < 3 ? modes[st.mode] : "?", (unsigned long long)st.ring_size, (unsigned long long)st.events,
	       (unsigned long long)st.overwritten, (unsigned long long)st.missed, (unsigned long long)st.no_result);
	for (i = 0; i < list.count && i < list.max; i++)
		printf("%s{\"syscall\":\"%s\",\"hits\":%llu,\"logged\":%llu,\"blocked\":%llu,\"missed\":%llu}",
		       i ? "," : "", syscall_names[info[i].nr] ? syscall_names[info[i].nr] : "?",
		       (unsigned long long)info[i].hits, (unsigned long long)info[i].logged,
		       (unsigned long long)info[i].blocked, (unsigned long long)info[i].missed);
	printf("]}\n");
}

int main(int argc, char **argv)
{
	uint32_t v;
	int fd;

	if (argc < 2)
		usage("missing command");
	if (!strcmp(argv[1], "mode") && argc == 3) {
		if (!strcmp(argv[2], "off"))
			v = SYSCALLMON_MODE_OFF;
		else if (!strcmp(argv[2], "log"))
			v = SYSCALLMON_MODE_LOG;
		else if (!strcmp(argv[2], "block"))
			v = SYSCALLMON_MODE_BLOCK;
		else
			usage("mode must be off, log or block");
		fd = open_dev();
		xioctl(fd, SYSCALLMON_IOC_SET_MODE, &v, "SET_MODE");
	} else if (!strcmp(argv[1], "target") && argc == 5) {
		fd = open_dev();
		cmd_target(fd, argv[2], argv[3], argv[4]);
	} else if (!strcmp(argv[1], "reset") && argc == 2) {
		fd = open_dev();
		v = SYSCALLMON_MODE_OFF;
		xioctl(fd, SYSCALLMON_IOC_SET_MODE, &v, "SET_MODE");
		v = SYSCALLMON_CLEAR_MASK;
		xioctl(fd, SYSCALLMON_IOC_CLEAR, &v, "CLEAR");
	} else if (!strcmp(argv[1], "status") && argc == 2) {
		fd = open_dev();
		cmd_status(fd);
	} else {
		usage("bad arguments");
	}
	close(fd);
	return 0;
}
