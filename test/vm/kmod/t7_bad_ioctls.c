// SPDX-License-Identifier: GPL-2.0
/*
 * Test 7: bad requests get the errno the ABI header promises, and change
 * nothing.  Unknown command -> ENOTTY; bad pointer -> EFAULT; bad values
 * -> EINVAL; oversized pid set -> E2BIG; a too-small read buffer ->
 * EINVAL; and a process that opened the device as root and then dropped to
 * nobody gets EPERM from the control ioctls (and EACCES opening it anew).
 * A GET_TARGETS whose buffer faults for as long as userfaultfd keeps it
 * waiting does not hold up a change meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define NOBODY 65534

static void *unmapped;

#define EXPECT(call, want, what)						\
	do {									\
		int got_ = (call);						\
		CHECK(got_ == -(want), "%s: got %s, want %s", (what),		\
		      smon_errname(got_), smon_errname(want));			\
	} while (0)

static int add_target_raw(int fd, struct syscallmon_target t)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t);
}

static void bad_commands(int fd)
{
	EXPECT(smon_ioctl(fd, _IO(SYSCALLMON_IOC_MAGIC, 0x7f), NULL), ENOTTY,
	       "unused command number");
	EXPECT(smon_ioctl(fd, _IOR('x', 0x00, struct syscallmon_version), &(char[64]){ 0 }),
	       ENOTTY, "other magic");
	/* Same number as SET_MODE with a different size is a different command. */
	EXPECT(smon_ioctl(fd, _IOW(SYSCALLMON_IOC_MAGIC, 0x01, __u64), &(__u64){ 1 }),
	       ENOTTY, "SET_MODE number with the wrong size");
}

static void bad_pointers(int fd)
{
	uint32_t pid = getpid();
	struct syscallmon_target t = {
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .npids = 1,
	};
	struct syscallmon_pids p = { .nr = __NR_getppid, .npids = 1 };
	struct syscallmon_target_list list = { .max = 4 };
	int ret;

	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_VERSION, NULL), EFAULT, "GET_VERSION NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_VERSION, unmapped), EFAULT,
	       "GET_VERSION unmapped");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_STATUS, NULL), EFAULT, "GET_STATUS NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_STATUS, unmapped), EFAULT,
	       "GET_STATUS unmapped");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_STATUS, (void *)0xffff888000000000ul), EFAULT,
	       "GET_STATUS kernel address");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_SET_MODE, NULL), EFAULT, "SET_MODE NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_SET_MODE, unmapped), EFAULT, "SET_MODE unmapped");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, NULL), EFAULT, "ADD_TARGET NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, unmapped), EFAULT,
	       "ADD_TARGET unmapped");
	t.pids = 0;
	EXPECT(add_target_raw(fd, t), EFAULT, "ADD_TARGET pids NULL");
	t.pids = (uint64_t)(uintptr_t)unmapped;
	EXPECT(add_target_raw(fd, t), EFAULT, "ADD_TARGET pids unmapped");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_DEL_TARGET, NULL), EFAULT, "DEL_TARGET NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_CLEAR, NULL), EFAULT, "CLEAR NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_SEEK, NULL), EFAULT, "SEEK NULL");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_TARGETS, NULL), EFAULT, "GET_TARGETS NULL");

	/* Pointers inside the structs, with a target that exists. */
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1);
	CHECK(ret == 0, "ADD_TARGET getppid: %s", smon_errname(ret));
	p.pids = (uint64_t)(uintptr_t)unmapped;
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_PIDS, &p), EFAULT, "ADD_PIDS pids unmapped");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_DEL_PIDS, &p), EFAULT, "DEL_PIDS pids unmapped");
	list.entries = (uint64_t)(uintptr_t)unmapped;
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_GET_TARGETS, &list), EFAULT,
	       "GET_TARGETS entries unmapped");
	ret = smon_del_target(fd, __NR_getppid);
	CHECK(ret == 0, "DEL_TARGET getppid: %s", smon_errname(ret));
}

static void bad_values(int fd)
{
	uint32_t pids[SYSCALLMON_MAX_PIDS + 1];
	uint32_t self = getpid();
	struct syscallmon_target t;
	struct syscallmon_pids p;
	int ret;

	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		pids[i] = self;

	EXPECT(smon_set_mode(fd, SYSCALLMON_MODE_BLOCK + 1), EINVAL, "SET_MODE 3");
	EXPECT(smon_set_mode(fd, 0xffffffffu), EINVAL, "SET_MODE 0xffffffff");

	EXPECT(smon_add_target(fd, SYSCALLMON_NR_LIMIT, SYSCALLMON_ACTION_LOG, 0, 0, &self, 1),
	       EINVAL, "ADD_TARGET nr = SYSCALLMON_NR_LIMIT");
	EXPECT(smon_add_target(fd, 0xffffffffu, SYSCALLMON_ACTION_LOG, 0, 0, &self, 1),
	       EINVAL, "ADD_TARGET nr = 0xffffffff");
	EXPECT(smon_add_target(fd, __NR_getppid, 2, 0, 0, &self, 1), EINVAL,
	       "ADD_TARGET action 2");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0,
			       SYSCALLMON_TARGET_FLAGS_MASK + 1, &self, 1),
	       EINVAL, "ADD_TARGET unknown flag");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK,
			       SYSCALLMON_MAX_ERRNO + 1, 0, &self, 1),
	       EINVAL, "ADD_TARGET err above SYSCALLMON_MAX_ERRNO");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_BLOCK, -1, 0, &self, 1),
	       EINVAL, "ADD_TARGET err -1");
	EXPECT(smon_add_target(fd, __NR_exit_group, SYSCALLMON_ACTION_BLOCK, 0, 0, &self, 1),
	       EINVAL, "ADD_TARGET block exit_group (never blockable)");
	t = (struct syscallmon_target){
		.nr = __NR_getppid, .action = SYSCALLMON_ACTION_LOG, .npids = 1,
		.record = SYSCALLMON_RECORD_BOTH + 1, .pids = (uint64_t)(uintptr_t)&self,
	};
	EXPECT(add_target_raw(fd, t), EINVAL, "ADD_TARGET unknown record mode");
	t.record = SYSCALLMON_RECORD_ENTRY;
	t.flags = SYSCALLMON_TARGET_FAILED_ONLY;
	EXPECT(add_target_raw(fd, t), EINVAL, "ADD_TARGET failures only, recorded at entry");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, pids,
			       SYSCALLMON_MAX_PIDS + 1),
	       E2BIG, "ADD_TARGET npids = SYSCALLMON_MAX_PIDS + 1");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, pids, 0xffffffffu),
	       E2BIG, "ADD_TARGET npids = 0xffffffff");
	EXPECT(smon_del_target(fd, __NR_getppid), EINVAL, "DEL_TARGET of a syscall not targeted");
	EXPECT(smon_clear(fd, SYSCALLMON_CLEAR_MASK + 1), EINVAL, "CLEAR unknown flag");
	EXPECT(smon_seek(fd, SYSCALLMON_SEEK_HEAD + 1), EINVAL, "SEEK whence 2");

	/* Pid-set edits on an existing scoped target. */
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &self, 1);
	CHECK(ret == 0, "ADD_TARGET getppid: %s", smon_errname(ret));
	p = (struct syscallmon_pids){
		.nr = __NR_getppid, .npids = SYSCALLMON_MAX_PIDS + 1,
		.pids = (uint64_t)(uintptr_t)pids,
	};
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_PIDS, &p), E2BIG,
	       "ADD_PIDS npids = SYSCALLMON_MAX_PIDS + 1");
	p.nr = SYSCALLMON_NR_LIMIT;
	p.npids = 1;
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_PIDS, &p), EINVAL,
	       "ADD_PIDS nr = SYSCALLMON_NR_LIMIT");
	ret = smon_del_target(fd, __NR_getppid);
	CHECK(ret == 0, "DEL_TARGET getppid: %s", smon_errname(ret));

	/* An ALL_PIDS target has no set to add to. */
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0,
			      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
	CHECK(ret == 0, "ADD_TARGET getppid ALL_PIDS: %s", smon_errname(ret));
	p.nr = __NR_getppid;
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_ADD_PIDS, &p), EINVAL, "ADD_PIDS to an ALL_PIDS target");
	ret = smon_del_target(fd, __NR_getppid);
	CHECK(ret == 0, "DEL_TARGET getppid: %s", smon_errname(ret));
}

static void bad_read(int fd)
{
	char small[SYSCALLMON_RECORD_MAX - 1];
	ssize_t n = read(fd, small, sizeof(small));

	CHECK(n < 0 && errno == EINVAL, "read() with %zu bytes: got %zd (%s), want EINVAL",
	      sizeof(small), n, n < 0 ? strerror(errno) : "no error");
}

/* Runs in a forked child: opens as root, drops every id, tries control ioctls. */
static int dropped_child(void)
{
	uint32_t self = getpid();
	int fd, ret, again;

	fd = smon_open(0);
	if (fd < 0) {
		smon_diag("child: open device as root: %s", smon_errname(fd));
		return 2;
	}
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		smon_diag("child: dropping to nobody: %s", strerror(errno));
		return 2;
	}
	EXPECT(smon_set_mode(fd, SYSCALLMON_MODE_LOG), EPERM, "nobody: SET_MODE LOG");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_HOLD, &(struct syscallmon_hold){ .mode = SYSCALLMON_MODE_LOG }), EPERM,
	       "nobody: HOLD LOG");
	EXPECT(smon_ioctl(fd, SYSCALLMON_IOC_DEL_RULES, &(struct syscallmon_rule_ids){ .count = 1, .ids = (uintptr_t)&self }),
	       EPERM, "nobody: DEL_RULES");
	EXPECT(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &self, 1),
	       EPERM, "nobody: ADD_TARGET");
	EXPECT(smon_del_target(fd, __NR_openat), EPERM, "nobody: DEL_TARGET");
	EXPECT(smon_clear(fd, SYSCALLMON_CLEAR_MASK), EPERM, "nobody: CLEAR");
	ret = smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0,
			      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
	CHECK(ret == -EPERM, "nobody: ADD_TARGET ALL_PIDS: got %s, want EPERM",
	      smon_errname(ret));
	again = smon_open(0);
	CHECK(again == -EACCES, "nobody: open device: got %s, want EACCES",
	      again >= 0 ? "success" : smon_errname(again));
	if (again >= 0)
		close(again);
	close(fd);
	return smon_failures ? 1 : 0;
}

static void dropped_privileges(int fd)
{
	struct syscallmon_status st;
	pid_t pid;
	int status, ret;

	/* Something for a successful unprivileged DEL_TARGET/CLEAR to destroy. */
	ret = smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0,
			      SYSCALLMON_TARGET_ALL_PIDS, NULL, 0);
	CHECK(ret == 0, "ADD_TARGET openat ALL_PIDS: %s", smon_errname(ret));
	fflush(NULL);
	pid = fork();
	if (!CHECK(pid >= 0, "fork: %s", strerror(errno)))
		return;
	if (pid == 0)
		_exit(dropped_child());
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the unprivileged child failed (status %#x)", status);
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(st.mode, SYSCALLMON_MODE_OFF, "mode after nobody's SET_MODE and HOLD");
		CHECK_EQ(st.ntargets, 1, "targets after nobody's ADD/DEL_TARGET");
	}
	ret = smon_del_target(fd, __NR_openat);
	CHECK(ret == 0, "DEL_TARGET openat: %s", smon_errname(ret));
}

struct slow_call {
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
	int done;
};

static void *slow_call_run(void *arg)
{
	struct slow_call *c = arg;

	c->ret = smon_ioctl(c->fd, c->cmd, c->arg);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Whether c finished within ms. */
static int slow_call_wait(struct slow_call *c, int ms)
{
	for (int i = 0; i < ms / 10 && !__atomic_load_n(&c->done, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

static void slow_buffer(int fd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct syscallmon_target_list list = { .max = 1 };
	struct syscallmon_target_info *entry;
	uint32_t mode = SYSCALLMON_MODE_LOG;
	struct slow_call get = { .fd = fd, .cmd = SYSCALLMON_IOC_GET_TARGETS, .arg = &list };
	struct slow_call set = { .fd = fd, .cmd = SYSCALLMON_IOC_SET_MODE, .arg = &mode };
	struct uffd_msg msg;
	pthread_t get_thread, set_thread;
	struct pollfd p;
	long page = sysconf(_SC_PAGESIZE);
	int uffd;

	smon_diag("a GET_TARGETS waiting on its buffer's fault, and a change meanwhile");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	REQUIRE(uffd >= 0, "userfaultfd: %s", strerror(errno));
	REQUIRE(ioctl(uffd, UFFDIO_API, &api) == 0, "UFFDIO_API: %s", strerror(errno));
	entry = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(entry != MAP_FAILED, "mmap: %s", strerror(errno));
	reg.range.start = (uintptr_t)entry;
	reg.range.len = page;
	REQUIRE(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER: %s", strerror(errno));
	list.entries = (uintptr_t)entry;
	REQUIRE(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL, 0) == 0,
		"ADD_TARGET");

	REQUIRE(pthread_create(&get_thread, NULL, slow_call_run, &get) == 0, "pthread_create");
	p = (struct pollfd){ .fd = uffd, .events = POLLIN };
	REQUIRE(poll(&p, 1, 10000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		msg.event == UFFD_EVENT_PAGEFAULT, "GET_TARGETS faulted on its buffer");
	CHECK(!get.done, "GET_TARGETS waits for its fault");
	REQUIRE(pthread_create(&set_thread, NULL, slow_call_run, &set) == 0, "pthread_create");
	if (CHECK(slow_call_wait(&set, 3000), "SET_MODE finished while GET_TARGETS waited on its buffer"))
		CHECK_EQ(set.ret, 0, "SET_MODE");

	{
		struct uffdio_zeropage zero = { .range = { .start = (uintptr_t)entry, .len = page } };

		REQUIRE(ioctl(uffd, UFFDIO_ZEROPAGE, &zero) == 0, "UFFDIO_ZEROPAGE: %s", strerror(errno));
	}
	pthread_join(get_thread, NULL);
	pthread_join(set_thread, NULL);
	CHECK_EQ(get.ret, 0, "GET_TARGETS once its buffer is there");
	CHECK_EQ(list.count, 1, "GET_TARGETS: targets");
	CHECK_EQ(entry->nr, __NR_getppid, "GET_TARGETS: the target");
	CHECK_EQ(set.ret, 0, "SET_MODE");
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_OFF) == 0, "SET_MODE OFF");
	REQUIRE(smon_del_target(fd, __NR_getppid) == 0, "DEL_TARGET");
	munmap(entry, page);
	close(uffd);
}

int main(void)
{
	struct syscallmon_status st;
	int fd, ret;

	unmapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(unmapped != MAP_FAILED, "mmap: %s", strerror(errno));
	munmap(unmapped, 4096);

	fd = smon_load_open(NULL);

	bad_commands(fd);
	bad_pointers(fd);
	bad_values(fd);
	bad_read(fd);

	/* None of the rejected requests may have left state behind. */
	ret = smon_status(fd, &st);
	if (CHECK(ret == 0, "GET_STATUS: %s", smon_errname(ret))) {
		CHECK_EQ(st.mode, SYSCALLMON_MODE_OFF, "mode after bad requests");
		CHECK_EQ(st.ntargets, 0, "targets after bad requests");
		CHECK_EQ(st.armed, 0, "probes armed after bad requests");
	}
	dropped_privileges(fd);
	slow_buffer(fd);

	smon_unload_exit(fd);
}
