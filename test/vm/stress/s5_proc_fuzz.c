// SPDX-License-Identifier: GPL-2.0
/*
 * Stress 5, /proc/syscallmon/control fuzzing.  With a known state set up
 * (mode LOG; openat logged for everyone, mkdir blocked and getppid logged
 * for an idle child's pid; exit events on), two processes write random and
 * overlong commands: random bytes, embedded NULs, commands padded past the
 * 64-byte limit, and valid commands mutated (a character flipped, inserted
 * or dropped, case changed, tokens added, bad numbers, unknown or
 * unblockable syscalls).  Each write must fail with EINVAL, except
 * "pid add N" for a pid that does not exist (ESRCH, the documented errno)
 * and a buffer the kernel can't read (EFAULT).  A generated command that
 * the grammar would accept is not sent (it is counted): a fuzzer that
 * changes the state on purpose proves nothing.
 *
 * Afterwards the state is unchanged: /proc/syscallmon/status is the same
 * except for the counters, and GET_TARGETS gives the same targets, actions,
 * errnos, flags, scopes and arming.  The control file's own pid list (not
 * shown in the status) must still be empty: a new target added through it
 * covers all processes.
 *
 * Sizes: SYSCALLMON_STRESS_PROC_WRITES (total: 4000; long 40000),
 * SYSCALLMON_STRESS_FUZZ_SEED.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define CONTROL_MAX	64	/* longest command the module takes */
#define WORKERS		2
#define PID_LIMIT	4194304

enum outcome { O_EINVAL, O_ESRCH, O_EFAULT, O_SKIPPED_VALID, O_OTHER, NOUTCOMES };
static const char *const outcome_names[NOUTCOMES] = { "EINVAL", "ESRCH", "EFAULT", "not sent (valid)", "other" };

struct counts {
	uint64_t by[NOUTCOMES];
	uint64_t writes;
	char first_other[4][96];
	int nother;
	int done;
};

static struct counts *shared;
/* main's device fd: a worker closes its copy, so its writes are as any root process's. */
static int device_fd = -1;

/* ---- what the grammar accepts (procfs.c's comment) --------------------------- */

/* Syscall names, from the uapi header the module's table is generated from too. */
#define UNISTD_H "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
static char *syscall_names[SYSCALLMON_NR_LIMIT];
static const char *const unblockable[] = { "exit", "exit_group", "rt_sigreturn", "restart_syscall" };
/* Targets set up by main(): "<name> off" would remove them. */
static const char *const targeted[] = { "openat", "mkdir", "getppid" };

static int load_syscall_names(void)
{
	char line[256], name[128];
	unsigned int nr, count = 0;
	FILE *f = fopen(UNISTD_H, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "#define __NR_%127s %u", name, &nr) == 2 && nr < SYSCALLMON_NR_LIMIT &&
		    !syscall_names[nr]) {
			syscall_names[nr] = strdup(name);
			count++;
		}
	fclose(f);
	return count;
}

static int is_syscall(const char *name)
{
	for (int nr = 0; nr < SYSCALLMON_NR_LIMIT; nr++)
		if (syscall_names[nr] && !strcmp(syscall_names[nr], name))
			return 1;
	return 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int pid_exists(unsigned long pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%lu", pid);
	return access(path, F_OK) == 0;
}

/*
 * What the module must answer: EINVAL, ESRCH, or "might succeed" (returned
 * as -1: not sent).  Mirrors control_write(): length, NULs, tokens.
 */
static int expected(const char *buf, size_t len)
{
	char copy[CONTROL_MAX + 1], *tok[4], *save = NULL, *t;
	int n = 0;

	if (len == 0 || len > CONTROL_MAX || memchr(buf, '\0', len))
		return EINVAL;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n == 3)
			return EINVAL;
		tok[n++] = t;
	}
	if (n == 0)
		return EINVAL;
	if (n == 1)
		return !strcmp(tok[0], "clear") ? -1 : EINVAL;
	if (n == 2 && !strcmp(tok[0], "mode"))
		return !strcmp(tok[1], "off") || !strcmp(tok[1], "log") || !strcmp(tok[1], "block") ? -1 : EINVAL;
	if (n == 3 && !strcmp(tok[0], "pid")) {
		char *end;
		unsigned long pid;

		if (strcmp(tok[1], "add") && strcmp(tok[1], "del"))
			return EINVAL;
		if (tok[2][0] == '+')
			return -1;	/* kstrtou32 takes a leading '+': maybe valid */
		if (!isdigit((unsigned char)tok[2][0]))
			return EINVAL;
		errno = 0;
		pid = strtoul(tok[2], &end, 10);
		if (*end || errno || pid == 0 || pid > PID_LIMIT)
			return EINVAL;
		if (!strcmp(tok[1], "del"))
			return -1;	/* a no-op success */
		return pid_exists(pid) ? -1 : ESRCH;
	}
	if (n == 2) {
		int off = !strcmp(tok[1], "off");

		if (strcmp(tok[1], "block") && strcmp(tok[1], "log") && !off)
			return EINVAL;
		if (!is_syscall(tok[0]))
			return EINVAL;
		if (!strcmp(tok[1], "block") && in_list(tok[0], unblockable, 4))
			return EINVAL;
		/* Removing a syscall that is not targeted is an error, and changes nothing. */
		if (off && !in_list(tok[0], targeted, 3))
			return EINVAL;
		return -1;
	}
	return EINVAL;
}

/* ---- generators --------------------------------------------------------------- */

static const char *const templates[] = {
	"openat log", "openat block", "openat off", "mkdir block", "getppid log", "mode off",
	"mode log", "mode block", "pid add 1", "pid del 1", "clear", "exit block", "exit_group block",
	"rt_sigreturn block", "restart_syscall block", "nosuchcall block", "pid add 99999",
	"uname off", "read off", "OPENAT log", "sys_openat log", "257 block",
};

static const char *const bad_numbers[] = {
	"0", "-1", "4194305", "99999999999", "0x10", "1a", "", "1.5", " 1", "18446744073709551616",
	"3999999", "4194304",
};

static size_t gen(char *buf, size_t cap)
{
	size_t len;
	int r = stress_below(100);

	if (r < 25) {
		/* Random bytes, NULs and all. */
		len = 1 + stress_below(r < 5 ? cap - 1 : 80);
		for (size_t i = 0; i < len; i++)
			buf[i] = stress_below(4) ? 32 + stress_below(95) : stress_rnd();
		return len;
	}
	if (r < 40) {
		/* A command padded past the limit. */
		const char *t = templates[stress_below(sizeof(templates) / sizeof(templates[0]))];

		len = CONTROL_MAX + 1 + stress_below(r < 35 ? 64 : cap - CONTROL_MAX - 1);
		memset(buf, stress_below(2) ? ' ' : '\n', len);
		memcpy(buf + stress_below(len - strlen(t)), t, strlen(t));
		return len;
	}
	if (r < 55) {
		/* pid commands with bad numbers. */
		len = snprintf(buf, cap, "pid %s %s", stress_below(2) ? "add" : "del",
			       stress_below(4) ? bad_numbers[stress_below(sizeof(bad_numbers) / sizeof(bad_numbers[0]))] :
			       (stress_below(2) ? "3999999" : "4000000"));
		return len;
	}
	/* A template mutated once or twice. */
	len = snprintf(buf, cap, "%s", templates[stress_below(sizeof(templates) / sizeof(templates[0]))]);
	for (int m = 0, n = 1 + stress_below(2); m < n; m++) {
		size_t at = stress_below(len + 1);

		switch (stress_below(7)) {
		case 0:		/* flip */
			if (len)
				buf[at % len] ^= 1 << stress_below(7);
			break;
		case 1:		/* insert */
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = stress_below(3) ? (char)(32 + stress_below(95)) : "\t\n\0"[stress_below(3)];
				len++;
			}
			break;
		case 2:		/* drop */
			if (len > 1) {
				at %= len;
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 3:		/* upper case */
			for (size_t i = 0; i < len; i++)
				buf[i] = toupper((unsigned char)buf[i]);
			break;
		case 4:		/* an extra token */
			len += snprintf(buf + len, cap - len, " %s", stress_below(2) ? "extra" : "log");
			break;
		case 5:		/* a tab, a trailing newline: harmless alone, fine in mixes */
			len += snprintf(buf + len, cap - len, stress_below(2) ? "\t" : "\n");
			break;
		default:	/* swap the tokens */
			{
				char a[64], b[64], c[64];
				int k = sscanf(buf, "%63s %63s %63s", a, b, c);

				if (k == 2)
					len = snprintf(buf, cap, "%s %s", b, a);
			}
			break;
		}
	}
	return len < cap ? len : cap - 1;
}

/* ---- a worker -------------------------------------------------------------------- */

static void __attribute__((noreturn)) worker(int w, long writes, uint64_t seed)
{
	struct counts *c = &shared[w];
	static char buf[4096];
	int fd;

	close(device_fd);
	stress_seed(seed);
	fd = open(SMON_PROC_CONTROL, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(2);
	for (long i = 0; i < writes; i++) {
		size_t len = gen(buf, sizeof(buf));
		int want = expected(buf, len), got;
		const void *p = buf;

		if (want < 0) {
			c->by[O_SKIPPED_VALID]++;
			continue;
		}
		if (stress_below(50) == 0) {
			/*
			 * A pointer the kernel can't read.  write() itself refuses a
			 * kernel address (access_ok) before the module sees the call;
			 * NULL reaches the module, which checks the length first.
			 */
			if (stress_below(2)) {
				p = NULL;
				want = len > CONTROL_MAX ? EINVAL : EFAULT;
			} else {
				p = (const void *)0xffff888000000000ull;
				want = EFAULT;
			}
		}
		got = write(fd, p, len) < 0 ? errno : 0;
		c->writes++;
		if (got == want && got == EINVAL)
			c->by[O_EINVAL]++;
		else if (got == want && got == ESRCH)
			c->by[O_ESRCH]++;
		else if (got == want && got == EFAULT)
			c->by[O_EFAULT]++;
		else {
			c->by[O_OTHER]++;
			if (c->nother < 4) {
				size_t n = 0;

				for (size_t k = 0; k < len && n + 5 < sizeof(c->first_other[0]) - 24; k++)
					n += snprintf(c->first_other[c->nother] + n, 5,
						      isprint((unsigned char)buf[k]) && buf[k] != '\\' ? "%c" : "\\x%02x",
						      (unsigned char)buf[k]);
				snprintf(c->first_other[c->nother] + n, sizeof(c->first_other[0]) - n,
					 "\" -> %s want %s", smon_errname(got), smon_errname(want));
				c->nother++;
			}
		}
	}
	close(fd);
	c->done = 1;
	_exit(0);
}

static int worker_done(int w)
{
	return shared[w].done;
}

/* ---- state ---------------------------------------------------------------------------- */

/* The status text without its counters. */
static char *status_state(void)
{
	char *text, *out, *line, *save = NULL;
	size_t n = 0, cap;
	int ret = smon_read_file(SMON_PROC_STATUS, &text, &cap);

	if (ret < 0)
		return NULL;
	out = calloc(1, cap + 1);
	for (line = strtok_r(text, "\n", &save); line && out; line = strtok_r(NULL, "\n", &save)) {
		static const char *const counters[] = { "events:", "held:", "held_bytes:", "overwritten:",
							"cleared:", "missed:", "no_result:", "calls_in_flight:",
							"exits_seen:" };
		char f[12][64];
		int k, skip = 0;

		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			skip |= !strncmp(line, counters[i], strlen(counters[i]));
		if (skip)
			continue;
		/* A target line: name nr status action errno armed hits logged blocked missed scope... */
		k = sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s %63s", f[0], f[1],
			   f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]);
		if (k >= 11 && isdigit((unsigned char)f[1][0]) && isdigit((unsigned char)f[6][0]))
			n += sprintf(out + n, "%s %s %s %s %s %s %s %s\n", f[0], f[1], f[2], f[3], f[4], f[5],
				     f[10], k == 12 ? f[11] : "");
		else
			n += sprintf(out + n, "%s\n", line);
	}
	free(text);
	return out;
}

/* The same targets, counters aside (their pids are in the status text compared too). */
static int same_targets(const struct syscallmon_target_info *a, uint32_t na,
			const struct syscallmon_target_info *b, uint32_t nb)
{
	if (na != nb)
		return 0;
	for (uint32_t i = 0; i < na; i++) {
		if (a[i].nr != b[i].nr || a[i].action != b[i].action || a[i].err != b[i].err ||
		    a[i].flags != b[i].flags || a[i].npids != b[i].npids || a[i].armed != b[i].armed)
			return 0;
	}
	return 1;
}

int main(void)
{
	long total = stress_size("SYSCALLMON_STRESS_PROC_WRITES", 4000, 40000);
	uint64_t seed = stress_fuzz_seed();
	struct syscallmon_target_info before[8], after[8], info;
	struct syscallmon_status st;
	uint32_t nbefore, nafter, pid, on = SYSCALLMON_EXITS_ON;
	long long seq0 = kmsg_last_seq();
	struct counts sum;
	char *state0, *state1;
	int fd, ret;
	pid_t idle;

	ret = load_syscall_names();
	REQUIRE(ret > 300, "read syscall names from %s: %s", UNISTD_H, smon_errname(ret));
	shared = mmap(NULL, WORKERS * sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(shared != MAP_FAILED, "mmap");
	fd = device_fd = smon_load_open(NULL);

	idle = stress_idle_child();
	REQUIRE(idle > 0, "fork");
	pid = idle;
	REQUIRE(smon_add_target(fd, __NR_openat, SYSCALLMON_ACTION_LOG, 0, SYSCALLMON_TARGET_ALL_PIDS, NULL, 0) == 0,
		"ADD openat");
	REQUIRE(smon_add_target(fd, __NR_mkdir, SYSCALLMON_ACTION_BLOCK, 13, 0, &pid, 1) == 0, "ADD mkdir");
	REQUIRE(smon_add_target(fd, __NR_getppid, SYSCALLMON_ACTION_LOG, 0, 0, &pid, 1) == 0, "ADD getppid");
	REQUIRE(smon_ioctl(fd, SYSCALLMON_IOC_SET_EXITS, &on) == 0, "SET_EXITS");
	REQUIRE(smon_set_mode(fd, SYSCALLMON_MODE_LOG) == 0, "SET_MODE LOG");
	REQUIRE(stress_targets(fd, before, 8, &nbefore) == 0, "GET_TARGETS");
	state0 = status_state();
	REQUIRE(state0, "read %s", SMON_PROC_STATUS);

	stress_run_workers(WORKERS, total, seed, worker, worker_done);
	memset(&sum, 0, sizeof(sum));
	for (int w = 0; w < WORKERS; w++) {
		for (int o = 0; o < NOUTCOMES; o++)
			sum.by[o] += shared[w].by[o];
		sum.writes += shared[w].writes;
		for (int i = 0; i < shared[w].nother; i++)
			smon_diag("unexpected: \"%s", shared[w].first_other[i]);
	}
	for (int o = 0; o < NOUTCOMES; o++)
		smon_diag("%-18s %8" PRIu64, outcome_names[o], sum.by[o]);

	state1 = status_state();
	REQUIRE(state1, "read %s", SMON_PROC_STATUS);
	if (!CHECK(!strcmp(state0, state1), "the status changed (counters aside)"))
		smon_diag("before:\n%s\n# after:\n%s", state0, state1);
	REQUIRE(stress_targets(fd, after, 8, &nafter) == 0, "GET_TARGETS");
	CHECK(same_targets(before, nbefore, after, nafter), "GET_TARGETS changed");
	REQUIRE(smon_status(fd, &st) == 0, "GET_STATUS");
	CHECK(st.mode == SYSCALLMON_MODE_LOG, "mode is %u, want LOG", st.mode);
	CHECK(st.flags & SYSCALLMON_STATUS_EXITS, "exit events were turned off");
	/* The control file's pid list is invisible: a target added through it shows it. */
	ret = stress_control("uname log");
	CHECK(ret == 0, "control \"uname log\": %s", smon_errname(ret));
	if (smon_target_info(fd, __NR_uname, &info) == 0)
		CHECK(info.flags & SYSCALLMON_TARGET_ALL_PIDS, "the control pid list is no longer empty:"
		      " \"uname log\" got %u pid(s)", info.npids);

	stress_figure("proc.writes", "%" PRIu64, sum.writes);
	stress_figure("proc.einval", "%" PRIu64, sum.by[O_EINVAL]);
	stress_figure("proc.esrch", "%" PRIu64, sum.by[O_ESRCH]);
	stress_figure("proc.efault", "%" PRIu64, sum.by[O_EFAULT]);
	stress_figure("proc.valid_not_sent", "%" PRIu64, sum.by[O_SKIPPED_VALID]);
	stress_figure("proc.unexpected", "%" PRIu64, sum.by[O_OTHER]);
	CHECK(sum.by[O_OTHER] == 0, "%" PRIu64 " writes got an unexpected answer", sum.by[O_OTHER]);
	CHECK(sum.writes > (uint64_t)total / 2, "only %" PRIu64 " of %ld generated writes were sent",
	      sum.writes, total);

	free(state0);
	free(state1);
	close(fd);
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
	stress_unload_checked(seq0);
	smon_exit();
}
