// SPDX-License-Identifier: GPL-2.0
/*
 * Test 24: each selector picks its processes and no others.  A probe is this
 * program run again ("probe DIR/NAME"): it calls mkdir(DIR/NAME) and exits
 * 0 if the directory was made, 1 if mkdir failed with EPERM, 2 otherwise.
 * One enforced block rule on mkdir at a time, mode BLOCK; for each, probes
 * that match must be refused (and leave no directory) and the others not:
 *   - uid 1000 (setpriv --reuid): not root, not a process with euid 1000
 *     only; euid, gid and the login uid (auid) likewise;
 *   - comm, exact and prefix;
 *   - exe: a copy of this program, also run through a hard link and as the
 *     interpreter of a #! script; not another copy.  A probe that exec'd
 *     before the module was loaded is matched when it calls;
 *   - cgroup: a process moved into a new cgroup v2 group and one in its
 *     child group; not one left in the root group;
 *   - path: exact and prefix;
 *   - pids: one process of two.
 * Per-rule counters count each refusal; a record names the rule.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define CGROUP_NAME	"smon-t24"
#define SETPRIV		"/usr/bin/setpriv"
#define PATH_LEN	128		/* room for dir and a name */

static char dir[64];			/* /tmp/smon-t24.XXXXXX */
static char self[PATH_MAX];
static char victim[PATH_LEN];		/* a copy of this program named smon-victim */
static char victim_x[PATH_LEN];		/* another copy: smon-victimX */
static char other[PATH_LEN];		/* and another: smon-other */
static char alias[PATH_LEN];		/* a hard link to victim */
static char script[PATH_LEN];		/* #!victim probe */
static int probes;

static int probe_main(int argc, char **argv)
{
	char c;

	if (!strcmp(argv[1], "probe-wait") && read(0, &c, 1) != 1)
		return 3;
	/* A #! script's interpreter gets the script's path before the probe's. */
	if (syscall(SYS_mkdir, argv[argc - 1], 0755) == 0)
		return 0;
	return errno == EPERM ? 1 : 2;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? -EIO : 0;
}

/* What a probe child does between fork and exec. */
enum before { NONE, LOGIN_UID, CGROUP_OUTER, CGROUP_INNER };

static int write_self(const char *path, const char *text)
{
	ssize_t n = smon_write_file(path, text, strlen(text));

	return n < 0 ? (int)n : 0;
}

static pid_t spawn(const char *const argv[], enum before before, int stdin_fd)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (stdin_fd >= 0)
		dup2(stdin_fd, 0);
	if ((before == LOGIN_UID && write_self("/proc/self/loginuid", "1234")) ||
	    (before == CGROUP_OUTER && write_self(CGROUP_ROOT "/" CGROUP_NAME "/cgroup.procs", "0")) ||
	    (before == CGROUP_INNER && write_self(CGROUP_ROOT "/" CGROUP_NAME "/inner/cgroup.procs", "0")))
		_exit(4);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* A fresh path for a probe to make. */
static const char *fresh(char *buf, size_t len)
{
	snprintf(buf, len, "%s/m%d", dir, ++probes);
	return buf;
}

/*
 * Runs prog (with prefix args before it, e.g. setpriv's) as a probe and
 * checks it was refused or not, by its exit code and by the directory.
 */
static void expect(const char *what, int refused, const char *const prefix[], const char *prog,
		   enum before before)
{
	const char *argv[16];
	char path[PATH_LEN];
	int n = 0, code;

	for (; prefix && prefix[n]; n++)
		argv[n] = prefix[n];
	argv[n++] = prog;
	argv[n++] = "probe";
	argv[n++] = fresh(path, sizeof(path));
	argv[n] = NULL;
	code = smon_wait_pid(spawn(argv, before, -1));
	CHECK_EQ(code, refused ? 1 : 0, what);
	CHECK_EQ(smon_path_exists(path), !refused, what);
}

static int add_block(int fd, const char *name, uint32_t flags, struct syscallmon_rule *r)
{
	int id;

	r->action = SYSCALLMON_RULE_BLOCK;
	r->flags |= SYSCALLMON_RULE_ENFORCE | flags;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->rule_class = SYSCALLMON_CLASS_HAND;
	smon_rule_syscall(r, SYS_mkdir);
	id = smon_add_rule(fd, r);
	CHECK(id > 0, "add rule %s: %s", name, smon_errname(id));
	return id;
}

/* add_block() with an id selector (SYSCALLMON_SEL_UID, _EUID, _GID or _AUID): ids min..max. */
static int add_id_block(int fd, const char *name, uint32_t selector, uint32_t min, uint32_t max)
{
	struct syscallmon_rule r = { 0 };
	struct syscallmon_id_range *range = selector == SYSCALLMON_SEL_UID ? &r.uid :
					    selector == SYSCALLMON_SEL_EUID ? &r.euid :
					    selector == SYSCALLMON_SEL_GID ? &r.gid : &r.auid;

	range->min = min;
	range->max = max;
	return add_block(fd, name, selector, &r);
}

static void check_blocked(int fd, int id, uint64_t want)
{
	struct syscallmon_rule_info info;

	if (!CHECK(smon_rule_info(fd, id, &info) == 0, "rule %d listed", id))
		return;
	CHECK_EQ(info.blocked, want, "rule's blocked counter");
	CHECK_EQ(info.matched, want, "rule's matched counter");
	CHECK_EQ(info.logged, want, "rule's logged counter");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete rule");
}

/* A refused mkdir's record under the uid rule id. */
static void check_uid_record(const struct smon_event *ev, int id)
{
	CHECK_EQ(ev->rule, id, "the record names the uid rule");
	CHECK_EQ(ev->uid, 1000, "the refused call's uid");
	CHECK_EQ(ev->verdict, SYSCALLMON_VERDICT_BLOCKED, "the record's verdict");
}

static void ids(int fd)
{
	const char *reuid[] = { SETPRIV, "--reuid=1000", "--regid=1000", "--clear-groups", NULL };
	const char *euid[] = { SETPRIV, "--euid=1000", NULL };
	const char *regid[] = { SETPRIV, "--regid=2500", "--clear-groups", NULL };
	struct smon_events events = { 0 };
	int id, seen = 0;

	smon_diag("uid: only the uid-1000 process");
	id = add_id_block(fd, "uid-1000", SYSCALLMON_SEL_UID, 1000, 1000);
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	expect("root, under a uid rule", 0, NULL, victim, NONE);
	expect("setpriv --reuid 1000", 1, reuid, victim, NONE);
	expect("euid 1000 with real uid 0, under a uid rule", 0, euid, victim, NONE);
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	for (size_t i = 0; i < events.n; i++) {
		if (events.ev[i].nr != SYS_mkdir)
			continue;
		seen++;
		check_uid_record(&events.ev[i], id);
	}
	CHECK_EQ(seen, 1, "mkdir records");
	smon_events_free(&events);
	check_blocked(fd, id, 1);

	smon_diag("euid: only the process whose effective uid is 1000");
	id = add_id_block(fd, "euid-1000", SYSCALLMON_SEL_EUID, 1000, 1000);
	expect("root, under an euid rule", 0, NULL, victim, NONE);
	expect("setpriv --euid 1000", 1, euid, victim, NONE);
	expect("setpriv --reuid 1000, under an euid rule", 1, reuid, victim, NONE);
	check_blocked(fd, id, 2);

	smon_diag("gid: a range");
	id = add_id_block(fd, "gid-2xxx", SYSCALLMON_SEL_GID, 2000, 2999);
	expect("root, under a gid rule", 0, NULL, victim, NONE);
	expect("setpriv --regid 2500", 1, regid, victim, NONE);
	check_blocked(fd, id, 1);

	smon_diag("auid: the login uid, not the uid");
	id = add_id_block(fd, "auid-1234", SYSCALLMON_SEL_AUID, 1234, 1234);
	expect("no login uid", 0, NULL, victim, NONE);
	expect("login uid 1234", 1, NULL, victim, LOGIN_UID);
	check_blocked(fd, id, 1);
}

static void comms(int fd)
{
	struct syscallmon_rule r = { 0 };
	int id;

	smon_diag("comm: exact, then prefix");
	snprintf(r.comm, sizeof(r.comm), "smon-victim");
	id = add_block(fd, "comm-exact", SYSCALLMON_SEL_COMM, &r);
	expect("comm smon-victim", 1, NULL, victim, NONE);
	expect("comm smon-victimX, under an exact comm rule", 0, NULL, victim_x, NONE);
	expect("comm smon-other", 0, NULL, other, NONE);
	check_blocked(fd, id, 1);

	memset(&r, 0, sizeof(r));
	snprintf(r.comm, sizeof(r.comm), "smon-vic");
	id = add_block(fd, "comm-prefix", SYSCALLMON_SEL_COMM | SYSCALLMON_RULE_COMM_PREFIX, &r);
	expect("comm smon-victim, prefix smon-vic", 1, NULL, victim, NONE);
	expect("comm smon-victimX, prefix smon-vic", 1, NULL, victim_x, NONE);
	expect("comm smon-other, prefix smon-vic", 0, NULL, other, NONE);
	check_blocked(fd, id, 2);
}

static void exes(int fd, pid_t early, int early_gate, const char *early_path)
{
	struct syscallmon_rule r = { 0 };
	struct syscallmon_rule_info info;
	struct stat st;
	int id;

	smon_diag("exe: the program, by its file");
	snprintf(r.exe, sizeof(r.exe), "%s", victim);
	id = add_block(fd, "exe-victim", SYSCALLMON_SEL_EXE, &r);
	REQUIRE(stat(victim, &st) == 0, "stat victim");
	if (CHECK(smon_rule_info(fd, id, &info) == 0, "exe rule listed"))
		CHECK_EQ(info.exe_ino, st.st_ino, "the exe rule's inode");
	expect("the victim copy", 1, NULL, victim, NONE);
	expect("the victim through a hard link", 1, NULL, alias, NONE);
	expect("a #! script run by the victim", 1, NULL, script, NONE);
	expect("another copy of the same program", 0, NULL, victim_x, NONE);
	expect("this program", 0, NULL, self, NONE);
	/* Started before the module was loaded: its program is read when it calls. */
	CHECK_EQ(write(early_gate, "G", 1), 1, "release the early probe");
	CHECK_EQ(smon_wait_pid(early), 1, "a victim that exec'd before the module loaded");
	CHECK_EQ(smon_path_exists(early_path), 0, "the early probe's directory");
	check_blocked(fd, id, 4);

	smon_diag("exe: a path that names nothing is refused");
	smon_rule_init(&r, "exe-none", SYSCALLMON_RULE_BLOCK, SYSCALLMON_SEL_EXE);
	snprintf(r.exe, sizeof(r.exe), "%s/none", dir);
	smon_rule_syscall(&r, SYS_mkdir);
	CHECK_EQ(smon_add_rule(fd, &r), -ENOENT, "exe rule on a missing file");
}

static int ensure_cgroup2(void)
{
	if (smon_path_exists(CGROUP_ROOT "/cgroup.controllers"))
		return 0;
	return mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL) ? -errno : 0;
}

static void remove_cgroups(void)
{
	rmdir(CGROUP_ROOT "/" CGROUP_NAME "/inner");
	rmdir(CGROUP_ROOT "/" CGROUP_NAME);
}

static void cgroups(int fd)
{
	struct syscallmon_rule r = { 0 };
	int id;

	smon_diag("cgroup: a new group and its child group");
	REQUIRE(ensure_cgroup2() == 0, "cgroup v2 at " CGROUP_ROOT);
	remove_cgroups();
	REQUIRE(mkdir(CGROUP_ROOT "/" CGROUP_NAME, 0755) == 0, "mkdir the cgroup: %s", strerror(errno));
	smon_at_end(remove_cgroups);
	REQUIRE(mkdir(CGROUP_ROOT "/" CGROUP_NAME "/inner", 0755) == 0, "mkdir the child cgroup");
	snprintf(r.cgroup, sizeof(r.cgroup), "/" CGROUP_NAME);
	id = add_block(fd, "cgroup", SYSCALLMON_SEL_CGROUP, &r);
	expect("a process moved into the group", 1, NULL, victim, CGROUP_OUTER);
	expect("a process in its child group", 1, NULL, victim, CGROUP_INNER);
	expect("a process in the root group", 0, NULL, victim, NONE);
	check_blocked(fd, id, 2);

	smon_rule_init(&r, "cgroup-none", SYSCALLMON_RULE_BLOCK, SYSCALLMON_SEL_CGROUP);
	snprintf(r.cgroup, sizeof(r.cgroup), "/" CGROUP_NAME "-none");
	smon_rule_syscall(&r, SYS_mkdir);
	CHECK_EQ(smon_add_rule(fd, &r), -ENOENT, "cgroup rule on a missing group");
}

static void paths(int fd)
{
	struct syscallmon_rule r = { 0 };
	const char *argv[] = { victim, "probe", NULL, NULL };
	char path[PATH_LEN];
	int id;

	smon_diag("path: exact, then prefix");
	snprintf(r.path, sizeof(r.path), "%s/exact", dir);
	id = add_block(fd, "path-exact", SYSCALLMON_SEL_PATH, &r);
	snprintf(path, sizeof(path), "%s/exact", dir);
	argv[2] = path;
	CHECK_EQ(smon_wait_pid(spawn(argv, NONE, -1)), 1, "mkdir of the exact path");
	snprintf(path, sizeof(path), "%s/exact2", dir);
	CHECK_EQ(smon_wait_pid(spawn(argv, NONE, -1)), 0, "mkdir of a longer path, exact rule");
	check_blocked(fd, id, 1);

	memset(&r, 0, sizeof(r));
	snprintf(r.path, sizeof(r.path), "%s/pre", dir);
	id = add_block(fd, "path-prefix", SYSCALLMON_SEL_PATH | SYSCALLMON_RULE_PATH_PREFIX, &r);
	snprintf(path, sizeof(path), "%s/pre-1", dir);
	CHECK_EQ(smon_wait_pid(spawn(argv, NONE, -1)), 1, "mkdir under the prefix");
	snprintf(path, sizeof(path), "%s/pr", dir);
	CHECK_EQ(smon_wait_pid(spawn(argv, NONE, -1)), 0, "mkdir of a shorter path, prefix rule");
	check_blocked(fd, id, 1);
}

static void pid_set(int fd)
{
	struct syscallmon_rule r = { 0 };
	char a_path[PATH_LEN], b_path[PATH_LEN];
	const char *a_argv[] = { victim, "probe-wait", a_path, NULL };
	const char *b_argv[] = { victim, "probe-wait", b_path, NULL };
	int a_gate[2], b_gate[2], id;
	uint32_t pid, listed[4];
	pid_t a, b;

	smon_diag("pids: one process of two");
	fresh(a_path, sizeof(a_path));
	fresh(b_path, sizeof(b_path));
	REQUIRE(pipe(a_gate) == 0 && pipe(b_gate) == 0, "pipes");
	a = spawn(a_argv, NONE, a_gate[0]);
	b = spawn(b_argv, NONE, b_gate[0]);
	close(a_gate[0]);
	close(b_gate[0]);
	pid = a;
	r.npids = 1;
	r.pids = (uint64_t)(uintptr_t)&pid;
	id = add_block(fd, "pid", SYSCALLMON_SEL_PIDS, &r);
	CHECK_EQ(smon_rule_pids(fd, id, listed, 4), 1, "processes in the rule's pid set");
	CHECK_EQ(listed[0], a, "the listed process");
	CHECK_EQ(write(a_gate[1], "G", 1), 1, "release a");
	CHECK_EQ(write(b_gate[1], "G", 1), 1, "release b");
	CHECK_EQ(smon_wait_pid(a), 1, "the process in the pid set");
	CHECK_EQ(smon_wait_pid(b), 0, "the other process");
	CHECK_EQ(smon_path_exists(a_path), 0, "a's directory");
	CHECK_EQ(smon_path_exists(b_path), 1, "b's directory");
	close(a_gate[1]);
	close(b_gate[1]);
	check_blocked(fd, id, 1);
}

int main(int argc, char **argv)
{
	char early_path[PATH_LEN];
	const char *early_argv[] = { victim, "probe-wait", early_path, NULL };
	int fd, early_gate[2];
	ssize_t n;
	pid_t early;

	if (argc >= 3 && !strncmp(argv[1], "probe", 5))
		return probe_main(argc, argv);

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", smon_tmpdir("t24"));
	snprintf(victim, sizeof(victim), "%s/smon-victim", dir);
	snprintf(victim_x, sizeof(victim_x), "%s/smon-victimX", dir);
	snprintf(other, sizeof(other), "%s/smon-other", dir);
	snprintf(alias, sizeof(alias), "%s/alias", dir);
	snprintf(script, sizeof(script), "%s/script", dir);
	REQUIRE(copy_file(self, victim) == 0 && copy_file(self, victim_x) == 0 && copy_file(self, other) == 0,
		"copies of this program");
	REQUIRE(link(victim, alias) == 0, "hard link");
	{
		FILE *f = fopen(script, "w");

		REQUIRE(f && fprintf(f, "#!%s probe\n", victim) > 0 && fclose(f) == 0 && chmod(script, 0755) == 0,
			"script");
	}

	/* A victim that exec'd before the module was loaded, waiting on its stdin. */
	fresh(early_path, sizeof(early_path));
	REQUIRE(pipe(early_gate) == 0, "pipe");
	early = spawn(early_argv, NONE, early_gate[0]);
	close(early_gate[0]);

	fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_BLOCK);

	ids(fd);
	comms(fd);
	exes(fd, early, early_gate[1], early_path);
	cgroups(fd);
	paths(fd);
	pid_set(fd);
	smon_unload_exit(fd);
}
