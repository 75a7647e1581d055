// SPDX-License-Identifier: GPL-2.0
/*
 * Test 28: file rules decide on the file, however it is reached.  With an
 * enforced block rule on every access to DIR/secret (mode BLOCK), from
 * processes that are not the device holder:
 *   - opening it by its path, through a symlink, through a hard link made
 *     before the rule, as /proc/self/root/DIR/secret, and by relative paths
 *     (from DIR, and through "..") all fail with EPERM; DIR/ok opens;
 *   - exec, unlink, rename away, rename of another file onto it, a new hard
 *     link and truncate fail; so does ftruncate of an fd opened before the
 *     rule (on DIR/data, under the same rule), but reading it works; an
 *     O_PATH open works (both documented);
 *   - a thread flipping a path buffer between DIR/ok and DIR/secret while
 *     another opens it for SYSCALLMON_TOCTOU_SECONDS (10): no open reaches
 *     the secret's inode, opens of DIR/ok succeed;
 *   - an exec rule on a program interpreter refuses running an ELF whose
 *     PT_INTERP it is (the kernel opens it to run it, as it does a program);
 *   - an allow rule for cat's program before the block rule lets cat read
 *     it, not head, nor a cat traced by another process;
 *   - the refused open's record: openat, the resolved path, the rule,
 *     BLOCKED, -EPERM; counters exact;
 *   - in audit, the open works and the record says WOULD_BLOCK;
 *   - a directory's rule refuses unlinking and renaming names in it;
 *   - a protected file replaced by rename (as passwd does) is stale;
 *   - on btrfs, a file in another subvolume with the protected file's inode
 *     number (each subvolume numbers its own, on one superblock) is not it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "smon_test.h"

#define CONTENT "#!/bin/sh\necho the secret\n"

static char dir[64], secret[128], ok[128], hard[128], sym[128], other[128], data[128];
static dev_t secret_dev;
static ino_t secret_ino;

/* Runs fn in a child (not a device holder); returns its exit code. */
static int in_child(int (*fn)(const void *arg), const void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

/* 0 if path opened (and is the secret's inode: 99), else its errno. */
static int open_path(const void *arg)
{
	struct stat st;
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	return fstat(fd, &st) == 0 && st.st_dev == secret_dev && st.st_ino == secret_ino ? 99 : 0;
}

static int open_relative(const void *arg)
{
	if (chdir(dir))
		return 250;
	return open_path(arg);
}

static int result(int r)
{
	return r < 0 ? errno : 0;
}

static int do_exec(const void *arg)
{
	execl(arg, arg, (char *)NULL);
	return errno;
}

static int do_unlink(const void *arg) { return result(unlink(arg)); }
static int rename_away(const void *arg) { (void)arg; return result(rename(secret, other)); }
static int rename_onto(const void *arg) { (void)arg; return result(rename(other, secret)); }
static int new_link(const void *arg) { return result(link(secret, arg)); }
static int do_truncate(const void *arg) { return result(truncate(arg, 0)); }
static int open_o_path(const void *arg)
{
	int fd = open(arg, O_PATH | O_CLOEXEC);

	return fd < 0 ? errno : 0;
}

static int held_fd = -1;	/* data, opened for writing before its rule (the secret's would make exec ETXTBSY) */

static int read_held(const void *arg)
{
	char buf[8];

	(void)arg;
	return pread(held_fd, buf, sizeof(buf), 0) > 0 ? 0 : errno;
}

/* Opened for writing before the rule: the rule still decides the truncate. */
static int ftruncate_held(const void *arg)
{
	(void)arg;
	return result(ftruncate(held_fd, 0));
}

static void check_errno(const char *what, int got, int want)
{
	CHECK(got == want, "%s: got %s (%d), want %s", what, got == 99 ? "the secret opened" : smon_errname(got), got,
	      want ? smon_errname(want) : "success");
}

static int add_file_rule(int fd, const char *name, uint32_t action, uint32_t flags, const char *file, uint32_t ops,
			 struct syscallmon_rule *r)
{
	int id;

	smon_rule_init(r, name, action, flags | SYSCALLMON_SEL_FILE);
	snprintf(r->file, sizeof(r->file), "%s", file);
	r->file_ops = ops;
	id = smon_add_rule(fd, r);
	REQUIRE(id > 0, "add file rule %s: %s", name, smon_errname(id));
	return id;
}

static void paths(void)
{
	char proc_root[160], dotdot[160];
	const char *base = strrchr(dir, '/') + 1;

	smon_diag("every way to name it meets the same verdict");
	snprintf(proc_root, sizeof(proc_root), "/proc/self/root%s", secret);
	snprintf(dotdot, sizeof(dotdot), "../%s/secret", base);
	check_errno("open by path", in_child(open_path, secret), EPERM);
	check_errno("open through a symlink", in_child(open_path, sym), EPERM);
	check_errno("open through a hard link", in_child(open_path, hard), EPERM);
	check_errno("open through /proc/self/root", in_child(open_path, proc_root), EPERM);
	check_errno("open relative", in_child(open_relative, "secret"), EPERM);
	check_errno("open relative through ..", in_child(open_relative, dotdot), EPERM);
	check_errno("open of another file", in_child(open_path, ok), 0);
	check_errno("an O_PATH open (not covered)", in_child(open_o_path, secret), 0);
}

static void accesses(void)
{
	char newname[160];

	smon_diag("exec, unlink, rename, link, truncate");
	snprintf(newname, sizeof(newname), "%s/new-link", dir);
	check_errno("exec", in_child(do_exec, secret), EPERM);
	check_errno("unlink", in_child(do_unlink, secret), EPERM);
	check_errno("rename away", in_child(rename_away, NULL), EPERM);
	check_errno("rename onto it", in_child(rename_onto, NULL), EPERM);
	check_errno("a new hard link", in_child(new_link, newname), EPERM);
	check_errno("truncate", in_child(do_truncate, secret), EPERM);
	check_errno("ftruncate of an fd opened before the rule", in_child(ftruncate_held, NULL), EPERM);
	check_errno("read of an fd opened before the rule (not covered)", in_child(read_held, NULL), 0);
	CHECK(smon_path_exists(secret) && !smon_path_exists(newname), "the secret is where it was, and alone");
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[4096];
	ssize_t n = 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		n = -1;
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

static int run_program(const void *arg)
{
	execl(arg, arg, (char *)NULL);
	return 250;
}

static void program_interpreter(int fd)
{
	char self[PATH_MAX], interp[PATH_MAX + 16], launcher[PATH_MAX + 16];
	struct syscallmon_rule r;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *bin;
	int id;

	smon_diag("an exec rule on an ELF's program interpreter");
	REQUIRE(n > 0, "/proc/self/exe");
	self[n] = '\0';
	bin = dirname(self);
	snprintf(interp, sizeof(interp), "%s/pt_interp", bin);
	snprintf(launcher, sizeof(launcher), "%s/pt_launcher", bin);
	REQUIRE(copy_file(interp, PT_INTERP_PATH, 0755) == 0, "copy %s to %s", interp, PT_INTERP_PATH);
	CHECK_EQ(in_child(run_program, launcher), 42, "the launcher runs its interpreter");
	id = add_file_rule(fd, "protect-interp", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, PT_INTERP_PATH,
			   SYSCALLMON_FILE_EXEC, &r);
	check_errno("exec of a program whose interpreter is protected", in_child(do_exec, launcher), EPERM);
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete protect-interp");
	CHECK_EQ(in_child(run_program, launcher), 42, "the launcher runs its interpreter again");
	unlink(PT_INTERP_PATH);
}

static char btrfs_img[160], btrfs_mnt[160];

static void btrfs_cleanup(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "umount %s 2>/dev/null; rm -f %s", btrfs_mnt, btrfs_img);
	if (system(cmd) != 0)
		smon_diag("cleanup: %s failed", cmd);
}

static void btrfs_subvolumes(int fd)
{
	char cmd[2048], a[200], b[200];
	struct syscallmon_rule r;
	struct stat sa, sb;
	int id;

	smon_diag("btrfs: the same inode number in another subvolume is another file");
	snprintf(btrfs_img, sizeof(btrfs_img), "%s/btrfs.img", dir);
	snprintf(btrfs_mnt, sizeof(btrfs_mnt), "%s/btrfs", dir);
	snprintf(a, sizeof(a), "%s/a/f", btrfs_mnt);
	snprintf(b, sizeof(b), "%s/b/f", btrfs_mnt);
	smon_at_end(btrfs_cleanup);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir %s; truncate -s 128M %s; mkfs.btrfs -q %s; modprobe btrfs; modprobe loop; mount -o loop %s %s; "
		 "btrfs -q subvolume create %s/a; btrfs -q subvolume create %s/b; echo a > %s; echo b > %s",
		 btrfs_mnt, btrfs_img, btrfs_img, btrfs_img, btrfs_mnt, btrfs_mnt, btrfs_mnt, a, b);
	REQUIRE(system(cmd) == 0, "a btrfs with two subvolumes: %s", cmd);
	REQUIRE(stat(a, &sa) == 0 && stat(b, &sb) == 0, "stat the two files");
	REQUIRE(sa.st_ino == sb.st_ino && sa.st_dev != sb.st_dev, "same inode numbers (%lu, %lu), devices apart",
		(unsigned long)sa.st_ino, (unsigned long)sb.st_ino);
	id = add_file_rule(fd, "protect-a", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, a, SYSCALLMON_FILE_OPEN, &r);
	check_errno("open of the protected file", in_child(open_path, a), EPERM);
	check_errno("open of the other subvolume's file", in_child(open_path, b), 0);
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete protect-a");
	btrfs_cleanup();
}

struct race {
	char buf[160];
	atomic_int stop;
	uint64_t secret_opens, ok_opens, refused, other_errors;
};

static void *flipper(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		memcpy(r->buf, secret, strlen(secret) + 1);
		memcpy(r->buf, ok, strlen(ok) + 1);
	}
	return NULL;
}

/* Both names have the same length: the flip is a change of bytes in place. */
static int race_child(const void *arg)
{
	double seconds = *(const double *)arg;
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t end = smon_monotonic_ns() + (uint64_t)(seconds * 1e9);
	pthread_t t;

	if (r == MAP_FAILED)
		return 250;
	strcpy(r->buf, ok);
	if (pthread_create(&t, NULL, flipper, r))
		return 251;
	while (smon_monotonic_ns() < end) {
		struct stat st;
		int fd = syscall(SYS_openat, AT_FDCWD, r->buf, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (errno == EPERM)
				r->refused++;
			else
				r->other_errors++;
			continue;
		}
		if (fstat(fd, &st) == 0 && st.st_ino == secret_ino)
			r->secret_opens++;
		else
			r->ok_opens++;
		close(fd);
	}
	atomic_store(&r->stop, 1);
	pthread_join(t, NULL);
	smon_diag("race: %llu opens of ok, %llu refused, %llu of the secret, %llu other errors",
		  (unsigned long long)r->ok_opens, (unsigned long long)r->refused,
		  (unsigned long long)r->secret_opens, (unsigned long long)r->other_errors);
	/* A half-flipped name names nothing (ENOENT): counted, not a failure. */
	return r->secret_opens ? 1 : r->ok_opens == 0 ? 2 : r->refused == 0 ? 3 : 0;
}

static void toctou(void)
{
	const char *env = getenv("SYSCALLMON_TOCTOU_SECONDS");
	double seconds = env ? atof(env) : 10;

	smon_diag("a path swapped mid-call, %.0f s", seconds);
	CHECK_EQ(in_child(race_child, &seconds), 0,
		 "race (1: the secret opened, 2: ok never opened, 3: never refused)");
}

static int run_reader(const void *arg)
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (devnull < 0 || dup2(devnull, 1) < 0)
		return 250;
	execl(arg, arg, secret, (char *)NULL);
	return 251;
}

/* run_reader under ptrace: its exit code, as in_child() gives it. */
static int traced_reader(const char *prog)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(252);
		_exit(run_reader(prog));
	}
	/* Stopped at its exec (SIGTRAP): let it go on. */
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_CONT, pid, NULL, NULL) < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static void allow_rule(int fd, int block_id)
{
	struct syscallmon_rule r;
	struct syscallmon_rule_info infos[4];
	int id;

	smon_diag("an allow rule for cat before the block: cat reads it, head does not");
	/* The order: rules added by hand go at the end; make the block come after. */
	REQUIRE(smon_del_rule(fd, block_id) == 0, "delete the block rule");
	smon_rule_init(&r, "allow-cat", SYSCALLMON_RULE_ALLOW, SYSCALLMON_SEL_FILE | SYSCALLMON_SEL_EXE);
	snprintf(r.file, sizeof(r.file), "%s", secret);
	snprintf(r.exe, sizeof(r.exe), "/usr/bin/cat");
	r.file_ops = SYSCALLMON_FILE_OPEN;
	id = smon_add_rule(fd, &r);
	REQUIRE(id > 0, "add allow-cat: %s", smon_errname(id));
	add_file_rule(fd, "protect-secret", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, secret,
		      SYSCALLMON_FILE_OPS_MASK, &r);
	REQUIRE(smon_get_rules(fd, infos, 4) == 2 && infos[0].rule.id == (uint32_t)id, "allow-cat first");
	CHECK_EQ(in_child(run_reader, "/usr/bin/cat"), 0, "cat of the secret");
	CHECK_EQ(in_child(run_reader, "/usr/bin/head"), 1, "head of the secret");
	CHECK_EQ(traced_reader("/usr/bin/cat"), 1, "cat of the secret, traced");
	REQUIRE(smon_rule_info(fd, id, &infos[0]) == 0, "allow-cat listed");
	CHECK_EQ(infos[0].matched, 1, "allow-cat matched (not by the traced cat)");
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete allow-cat");
}

static void records(int fd, int id)
{
	struct smon_events events = { 0 };
	struct syscallmon_rule_info info;
	uint64_t before;
	size_t n = 0;

	smon_diag("the refused open's record");
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "rule listed");
	before = info.blocked;
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	check_errno("open through the symlink", in_child(open_path, sym), EPERM);
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	for (size_t i = 0; i < events.n; i++) {
		const struct smon_event *ev = &events.ev[i];

		if (ev->type != SYSCALLMON_RECORD_SYSCALL)
			continue;
		n++;
		CHECK_EQ(ev->nr, SYS_openat, "the record's syscall");
		CHECK(ev->flags & SYSCALLMON_SYSCALL_FILE, "the record is a file rule's");
		CHECK(!strcmp(ev->path, secret), "the record's path %s is the file, %s", ev->path, secret);
		CHECK_EQ(ev->rule, id, "the record's rule");
		CHECK_EQ(ev->verdict, SYSCALLMON_VERDICT_BLOCKED, "the record's verdict");
		CHECK_EQ(ev->ret, -EPERM, "the record's result");
	}
	CHECK_EQ(n, 1, "records");
	smon_events_free(&events);
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "rule listed");
	CHECK_EQ(info.blocked, before + 1, "blocked counter");
}

static void audit(int fd)
{
	struct smon_events events = { 0 };
	struct syscallmon_rule r;
	size_t n = 0;
	int id;

	smon_diag("in audit: the open works, the record says would_block");
	id = add_file_rule(fd, "audit-secret", SYSCALLMON_RULE_BLOCK, 0, secret, SYSCALLMON_FILE_OPEN, &r);
	REQUIRE(smon_seek(fd, SYSCALLMON_SEEK_HEAD) == 0, "seek");
	check_errno("open in audit", in_child(open_path, secret), 99);
	REQUIRE(smon_read_all(fd, &events) == 0, "read");
	for (size_t i = 0; i < events.n; i++)
		n += events.ev[i].type == SYSCALLMON_RECORD_SYSCALL && events.ev[i].rule == (uint32_t)id &&
		     events.ev[i].verdict == SYSCALLMON_VERDICT_WOULD_BLOCK;
	CHECK_EQ(n, 1, "would_block records");
	smon_events_free(&events);
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

static void directory(int fd)
{
	char sub[128], a[160], b[160], c[160];
	struct syscallmon_rule r;
	int id;

	smon_diag("a directory's rule decides the names in it");
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(a, sizeof(a), "%s/a", sub);
	snprintf(b, sizeof(b), "%s/b", sub);
	snprintf(c, sizeof(c), "%s/c", dir);
	REQUIRE(mkdir(sub, 0755) == 0 && close(open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0, "sub/a");
	REQUIRE(close(open(c, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0, "c");
	id = add_file_rule(fd, "protect-sub", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, sub,
			   SYSCALLMON_FILE_UNLINK | SYSCALLMON_FILE_RENAME | SYSCALLMON_FILE_LINK, &r);
	check_errno("unlink in it", in_child(do_unlink, a), EPERM);
	check_errno("a hard link into it", in_child(new_link, b), EPERM);
	check_errno("open in it (open not covered)", in_child(open_path, a), 0);
	check_errno("unlink elsewhere", in_child(do_unlink, c), 0);
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

static int replace_by_rename(const void *arg)
{
	char tmp[160];
	int out;

	snprintf(tmp, sizeof(tmp), "%s+", (const char *)arg);
	out = open(tmp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0 || write(out, "new\n", 4) != 4 || close(out))
		return 250;
	return result(rename(tmp, arg));
}

static void stale(int fd)
{
	struct syscallmon_rule_info info;
	struct syscallmon_rule r;
	char shadow[128];
	int id;

	smon_diag("replaced by rename: stale");
	snprintf(shadow, sizeof(shadow), "%s/shadow", dir);
	REQUIRE(close(open(shadow, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0, "shadow");
	id = add_file_rule(fd, "protect-shadow", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, shadow,
			   SYSCALLMON_FILE_OPEN, &r);
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "listed");
	CHECK_EQ(info.state, 0, "state before the rename");
	check_errno("open before the rename", in_child(open_path, shadow), EPERM);
	check_errno("replace by rename", in_child(replace_by_rename, shadow), 0);
	REQUIRE(smon_rule_info(fd, id, &info) == 0, "listed");
	CHECK_EQ(info.state, SYSCALLMON_RULE_STALE, "state after the rename");
	check_errno("open of the new file", in_child(open_path, shadow), 0);
	CHECK_EQ(smon_del_rule(fd, id), 0, "delete");
}

int main(void)
{
	struct syscallmon_rule r;
	struct syscallmon_status st;
	struct stat sst;
	int fd, id, data_id;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", smon_tmpdir("t28"));
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(ok, sizeof(ok), "%s/okokok", dir);	/* as long as "secret" */
	snprintf(hard, sizeof(hard), "%s/hard", dir);
	snprintf(sym, sizeof(sym), "%s/sym", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	f = fopen(secret, "w");
	REQUIRE(f && fputs(CONTENT, f) >= 0 && fclose(f) == 0 && chmod(secret, 0755) == 0, "secret");
	REQUIRE(close(open(ok, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0, "ok");
	REQUIRE(close(open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) == 0, "other");
	REQUIRE(link(secret, hard) == 0 && symlink(secret, sym) == 0, "links");
	REQUIRE(stat(secret, &sst) == 0, "stat");
	secret_dev = sst.st_dev;
	secret_ino = sst.st_ino;
	held_fd = open(data, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	REQUIRE(held_fd >= 0 && write(held_fd, "data\n", 5) == 5, "data, opened before the rule");

	fd = smon_load_open_mode(NULL, SYSCALLMON_MODE_BLOCK);
	id = add_file_rule(fd, "protect-secret", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, secret,
			   SYSCALLMON_FILE_OPS_MASK, &r);
	data_id = add_file_rule(fd, "protect-data", SYSCALLMON_RULE_BLOCK, SYSCALLMON_RULE_ENFORCE, data,
				SYSCALLMON_FILE_OPS_MASK, &r);
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK(st.file_hooks >= 6, "security hook functions hooked: %u", st.file_hooks);

	paths();
	accesses();
	CHECK_EQ(smon_del_rule(fd, data_id), 0, "delete protect-data");
	program_interpreter(fd);
	toctou();
	records(fd, id);
	allow_rule(fd, id);
	{
		struct syscallmon_rule_info info;

		REQUIRE(smon_get_rules(fd, &info, 1) == 1, "rules");
		CHECK_EQ(smon_del_rule(fd, info.rule.id), 0, "delete the block rule");
	}
	audit(fd);
	directory(fd);
	stale(fd);
	btrfs_subvolumes(fd);
	REQUIRE(smon_status(fd, &st) == 0, "status");
	CHECK_EQ(st.file_hooks, 0, "security hook functions hooked once no file rule is left");
	CHECK_EQ(st.file_hooks_missed, 0, "security hook runs missed");

	close(held_fd);
	smon_unload_exit(fd);
}
