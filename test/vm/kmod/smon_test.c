// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "smon_test.h"

int smon_failures;

#define SMON_MAX_AT_END 8
static void (*at_end[SMON_MAX_AT_END])(void);
static int n_at_end;

void smon_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int smon_check_at(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return 1;
	smon_failures++;
	printf("# FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return 0;
}

void smon_at_end(void (*fn)(void))
{
	if (n_at_end < SMON_MAX_AT_END)
		at_end[n_at_end++] = fn;
}

static void run_at_end(void)
{
	while (n_at_end > 0)
		at_end[--n_at_end]();
}

void smon_bail(void)
{
	smon_diag("stopping: a check this test depends on failed");
	run_at_end();
	/* Leave the module loaded or not: run.sh unloads whatever is left. */
	exit(1);
}

void smon_exit(void)
{
	run_at_end();
	if (smon_failures)
		smon_diag("%d check(s) failed", smon_failures);
	exit(smon_failures ? 1 : 0);
}

const char *smon_errname(int err)
{
	const char *name;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "0 (success)";
	name = strerrorname_np(err);
	return name ? name : "unknown errno";
}

/* ---- module ------------------------------------------------------------- */

int smon_loaded(void)
{
	return access("/sys/module/" SMON_MODULE_NAME, F_OK) == 0;
}

int smon_unload_once(void)
{
	if (syscall(SYS_delete_module, SMON_MODULE_NAME, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int smon_unload(void)
{
	int ret = 0;

	for (int i = 0; i < 100; i++) {
		ret = smon_unload_once();
		if (ret != -EWOULDBLOCK)
			break;
		sleep_ms(100);
	}
	return ret;
}

int smon_load(const char *params)
{
	const char *ko = getenv("SYSCALLMON_KO");
	int fd, ret;

	if (!ko || !*ko) {
		smon_diag("SYSCALLMON_KO is not set (path of syscallmon.ko)");
		return -EINVAL;
	}
	if (smon_loaded()) {
		ret = smon_unload();
		if (ret < 0) {
			smon_diag("a module left loaded could not be unloaded: %s",
				  smon_errname(ret));
			return ret;
		}
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		smon_diag("open %s: %s", ko, strerror(errno));
		return ret;
	}
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) < 0 ? -errno : 0;
	close(fd);
	if (ret < 0) {
		smon_diag("finit_module(%s, \"%s\"): %s", ko, params ? params : "",
			  smon_errname(ret));
		return ret;
	}
	/* devtmpfs creates the node before device_add returns; wait anyway. */
	for (int i = 0; i < 100 && access(SYSCALLMON_DEVICE_PATH, F_OK) < 0; i++)
		sleep_ms(50);
	return 0;
}

int smon_load_open(const char *params)
{
	int fd;

	REQUIRE(smon_load(params) == 0, "load%s%s failed", params ? " " : "", params ? params : "");
	fd = smon_open(0);
	REQUIRE(fd >= 0, "open device: %s", smon_errname(fd));
	return fd;
}

int smon_load_open_mode(const char *params, uint32_t mode)
{
	int fd = smon_load_open(params);
	int ret = smon_set_mode(fd, mode);

	REQUIRE(ret == 0, "SET_MODE %s: %s",
		mode == SYSCALLMON_MODE_OFF ? "OFF" : mode == SYSCALLMON_MODE_LOG ? "LOG" : "BLOCK",
		smon_errname(ret));
	return fd;
}

void smon_unload_exit(int fd)
{
	int ret;

	if (fd >= 0)
		close(fd);
	ret = smon_unload();
	CHECK(ret == 0, "unload: %s", smon_errname(ret));
	smon_exit();
}

/* ---- device ------------------------------------------------------------- */

int smon_open(int extra_flags)
{
	int fd = open(SYSCALLMON_DEVICE_PATH, O_RDWR | O_CLOEXEC | extra_flags);

	return fd < 0 ? -errno : fd;
}

int smon_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* The __u32 ioctls take a pointer to the value (the _IOW convention). */
int smon_set_mode(int fd, uint32_t mode)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_SET_MODE, &mode);
}

int smon_add_target(int fd, uint32_t nr, uint32_t action, int32_t err,
		    uint32_t flags, const uint32_t *pids, uint32_t npids)
{
	struct syscallmon_target t = {
		.nr = nr,
		.action = action,
		.err = err,
		.flags = flags,
		.npids = npids,
		.pids = (uint64_t)(uintptr_t)pids,
	};

	return smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &t);
}

int smon_del_target(int fd, uint32_t nr)
{
	struct syscallmon_target t = { .nr = nr };

	return smon_ioctl(fd, SYSCALLMON_IOC_DEL_TARGET, &t);
}

int smon_clear(int fd, uint32_t flags)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_CLEAR, &flags);
}

int smon_seek(int fd, uint32_t whence)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_SEEK, &whence);
}

int smon_set_exits(int fd, uint32_t on)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_SET_EXITS, &on);
}

static int change_pids(int fd, unsigned long cmd, uint32_t nr, const uint32_t *pids,
		       uint32_t npids)
{
	struct syscallmon_pids req = {
		.nr = nr,
		.npids = npids,
		.pids = (uint64_t)(uintptr_t)pids,
	};

	return smon_ioctl(fd, cmd, &req);
}

int smon_add_pids(int fd, uint32_t nr, const uint32_t *pids, uint32_t npids)
{
	return change_pids(fd, SYSCALLMON_IOC_ADD_PIDS, nr, pids, npids);
}

int smon_del_pids(int fd, uint32_t nr, const uint32_t *pids, uint32_t npids)
{
	return change_pids(fd, SYSCALLMON_IOC_DEL_PIDS, nr, pids, npids);
}

int smon_status(int fd, struct syscallmon_status *st)
{
	memset(st, 0, sizeof(*st));
	return smon_ioctl(fd, SYSCALLMON_IOC_GET_STATUS, st);
}

/* GET_PIDS names a rule by its id, or (rule 0) a target by its syscall. */
static int get_pids(int fd, uint32_t rule, uint32_t nr, uint32_t *pids, uint32_t max)
{
	struct syscallmon_pid_list list = {
		.nr = nr,
		.rule = rule,
		.max = max,
		.pids = (uint64_t)(uintptr_t)pids,
	};
	int ret = smon_ioctl(fd, SYSCALLMON_IOC_GET_PIDS, &list);

	return ret < 0 ? ret : (int)list.count;
}

int smon_target_pids(int fd, uint32_t nr, uint32_t *pids, uint32_t max)
{
	return get_pids(fd, 0, nr, pids, max);
}

void smon_rule_init(struct syscallmon_rule *r, const char *name, uint32_t action, uint32_t flags)
{
	memset(r, 0, sizeof(*r));
	r->rule_class = SYSCALLMON_CLASS_HAND;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->action = action;
	r->flags = flags;
}

void smon_rule_syscall(struct syscallmon_rule *r, uint32_t nr)
{
	r->syscalls[nr / 64] |= 1ull << (nr % 64);
}

int smon_add_rule(int fd, struct syscallmon_rule *r)
{
	int ret = smon_ioctl(fd, SYSCALLMON_IOC_ADD_RULE, r);

	return ret < 0 ? ret : (int)r->id;
}

int smon_del_rule(int fd, uint32_t id)
{
	return smon_ioctl(fd, SYSCALLMON_IOC_DEL_RULE, &id);
}

int smon_get_rules(int fd, struct syscallmon_rule_info *infos, uint32_t max)
{
	struct syscallmon_rule_list list = {
		.max = max,
		.entries = (uint64_t)(uintptr_t)infos,
	};
	int ret = smon_ioctl(fd, SYSCALLMON_IOC_GET_RULES, &list);

	return ret < 0 ? ret : (int)list.count;
}

int smon_delete_rules(int fd)
{
	static struct syscallmon_rule_info infos[SYSCALLMON_MAX_RULES];
	int n = smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int ret = smon_del_rule(fd, infos[i].rule.id);

		/* A file-owned rule goes by itself when its file closes. */
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	return smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES);
}

int smon_rule_info(int fd, uint32_t id, struct syscallmon_rule_info *info)
{
	static struct syscallmon_rule_info infos[SYSCALLMON_MAX_RULES];
	int n = smon_get_rules(fd, infos, SYSCALLMON_MAX_RULES);

	for (int i = 0; i < n; i++) {
		if (infos[i].rule.id == id) {
			*info = infos[i];
			return 0;
		}
	}
	return n < 0 ? n : -ENOENT;
}

int smon_rule_pids(int fd, uint32_t id, uint32_t *pids, uint32_t max)
{
	return get_pids(fd, id, 0, pids, max);
}

int smon_replace_policy_tagged(int fd, uint32_t mode, uint32_t exits, struct syscallmon_rule *rules,
			       uint32_t nrules, const char *tag)
{
	struct syscallmon_policy p = {
		.mode = mode,
		.exits = exits,
		.nrules = nrules,
		.rules = (uint64_t)(uintptr_t)rules,
	};

	snprintf(p.tag, sizeof(p.tag), "%s", tag);
	for (uint32_t i = 0; i < nrules; i++)
		rules[i].rule_class = SYSCALLMON_CLASS_POLICY;
	return smon_ioctl(fd, SYSCALLMON_IOC_REPLACE_POLICY, &p);
}

int smon_replace_policy(int fd, uint32_t mode, struct syscallmon_rule *rules, uint32_t nrules)
{
	return smon_replace_policy_tagged(fd, mode, SYSCALLMON_EXITS_OFF, rules, nrules, "");
}

int smon_target_info(int fd, uint32_t nr, struct syscallmon_target_info *info)
{
	struct syscallmon_target_info entries[16];
	struct syscallmon_target_list list = {
		.max = 16,
		.entries = (uint64_t)(uintptr_t)entries,
	};
	int ret;

	memset(entries, 0, sizeof(entries));
	ret = smon_ioctl(fd, SYSCALLMON_IOC_GET_TARGETS, &list);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < list.count && i < list.max; i++) {
		if (entries[i].nr == nr) {
			*info = entries[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* A string field of len bytes (0: absent) whose first NUL is its last byte. */
static int ends_at_nul(const char *s, size_t len)
{
	return len == 0 || memchr(s, 0, len) == s + len - 1;
}

static int decode_one(const uint8_t *p, size_t len, struct smon_event *ev)
{
	const struct syscallmon_header *h = (const void *)p;
	const struct syscallmon_syscall *sc = (const void *)p;
	const struct syscallmon_exit *ex = (const void *)p;
	const struct syscallmon_lost *lo = (const void *)p;
	const struct syscallmon_config *co = (const void *)p;
	size_t fixed;

	memset(ev, 0, sizeof(*ev));
	if (len < sizeof(*h) || h->size > len || h->size % SYSCALLMON_RECORD_ALIGN)
		return -EPROTO;
	*ev = (struct smon_event){
		.type = h->type, .size = h->size, .flags = h->flags, .seq = h->seq, .ts_ns = h->ts_ns,
		.nr = SMON_NR_NONE,
	};
	switch (h->type) {
	case SYSCALLMON_RECORD_SYSCALL:
		fixed = sizeof(*sc);
		if (h->size < fixed || fixed + sc->path_len + sc->target_len > h->size ||
		    sc->path_len > SYSCALLMON_PATH_LEN || sc->target_len > SYSCALLMON_TARGET_LEN)
			return -EPROTO;
		/* Each string's length counts its bytes and its NUL, nothing after. */
		if (!ends_at_nul(sc->data, sc->path_len) || !ends_at_nul(sc->data + sc->path_len, sc->target_len))
			return -EPROTO;
		/* The call, as its caller made it... */
		ev->nr = sc->nr;
		ev->native_nr = sc->native_nr;
		ev->abi = sc->abi;
		ev->call_id = sc->call_id;
		memcpy(ev->args, sc->args, sizeof(ev->args));
		/* ...and what became of it. */
		ev->verdict = sc->verdict;
		ev->rule = sc->rule;
		ev->err = sc->err;
		ev->ret = sc->ret;
		ev->duration_ns = sc->duration_ns;
		if (sc->path_len)
			snprintf(ev->path, sizeof(ev->path), "%.*s", (int)sc->path_len, sc->data);
		if (sc->target_len)
			snprintf(ev->target, sizeof(ev->target), "%.*s", (int)sc->target_len,
				 sc->data + sc->path_len);
		break;
	case SYSCALLMON_RECORD_EXIT:
		fixed = sizeof(*ex);
		if (h->size < fixed)
			return -EPROTO;
		ev->exit_code = ex->exit_code;
		ev->signal = ex->signal;
		ev->utime_ns = ex->utime_ns;
		ev->stime_ns = ex->stime_ns;
		break;
	case SYSCALLMON_RECORD_LOST:
		if (h->size < sizeof(*lo))
			return -EPROTO;
		ev->lost = lo->count;
		ev->lost_config = lo->config;
		return 0;
	case SYSCALLMON_RECORD_CONFIG:
		fixed = sizeof(*co);
		if (h->size < fixed || fixed + co->text_len > h->size || !co->text_len ||
		    co->text_len > SYSCALLMON_CONFIG_TEXT_LEN || co->data[co->text_len - 1])
			return -EPROTO;
		ev->config_kind = co->kind;
		ev->config_id = co->id;
		memcpy(ev->text, co->data, co->text_len);
		break;
	default:
		return -EPROTO;
	}
	/* Syscall, exit and config records share the task part. */
	ev->pid = sc->task.pid;
	ev->tgid = sc->task.tgid;
	ev->ppid = sc->task.ppid;
	ev->uid = sc->task.uid;
	ev->gid = sc->task.gid;
	memcpy(ev->comm, sc->task.comm, sizeof(ev->comm));
	return 0;
}

size_t smon_drop_config(struct smon_events *events)
{
	size_t kept = 0;

	for (size_t i = 0; i < events->n; i++)
		if (events->ev[i].type != SYSCALLMON_RECORD_CONFIG)
			events->ev[kept++] = events->ev[i];
	events->n = kept;
	return kept;
}

int smon_decode_records(const void *buf, size_t len, struct smon_events *out)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len) {
		int ret;

		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 1024;
			void *ev = realloc(out->ev, cap * sizeof(*out->ev));

			if (!ev)
				return -ENOMEM;
			out->ev = ev;
			out->cap = cap;
		}
		ret = decode_one(p + off, len - off, &out->ev[out->n]);
		if (ret) {
			smon_diag("record at byte %zu of %zu is malformed", off, len);
			return ret;
		}
		off += out->ev[out->n++].size;
	}
	return 0;
}

int smon_read_all(int fd, struct smon_events *out)
{
	static uint8_t buf[64 * 1024];
	int flags = fcntl(fd, F_GETFL);
	int ret = 0;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno != EAGAIN)
				ret = -errno;
			break;
		}
		if (n == 0) {
			smon_diag("read() returned 0 bytes");
			ret = -EPROTO;
			break;
		}
		ret = smon_decode_records(buf, n, out);
		if (ret)
			break;
	}
	fcntl(fd, F_SETFL, flags);
	return ret;
}

ssize_t smon_read_one(int fd, struct smon_event *ev)
{
	uint8_t buf[SYSCALLMON_RECORD_MAX];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return -errno;
	return decode_one(buf, n, ev) ? -EPROTO : n;
}

int smon_read_no_config_at(int fd, struct smon_events *events, const char *file, int line)
{
	int ret = smon_read_all(fd, events);

	smon_drop_config(events);
	smon_check_at(ret == 0, file, line, "read records: %s", smon_errname(ret));
	return ret;
}

void smon_events_free(struct smon_events *events)
{
	free(events->ev);
	memset(events, 0, sizeof(*events));
}

void smon_event_print(const struct smon_event *ev)
{
	if (ev->type == SYSCALLMON_RECORD_CONFIG) {
		smon_diag("  record type=config seq=%llu pid=%u uid=%u comm=\"%.*s\" kind=%u id=%u text=\"%s\"",
			  (unsigned long long)ev->seq, ev->pid, ev->uid, SYSCALLMON_COMM_LEN, ev->comm,
			  ev->config_kind, ev->config_id, ev->text);
		return;
	}
	smon_diag("  record type=%u seq=%llu nr=%u pid=%u tgid=%u ppid=%u uid=%u gid=%u "
		  "verdict=%u rule=%u err=%d ret=%lld lost=%llu abi=%u native_nr=%u comm=\"%.*s\" flags=%#x "
		  "path=\"%.80s\" target=\"%.80s\"",
		  ev->type, (unsigned long long)ev->seq, ev->nr, ev->pid, ev->tgid,
		  ev->ppid, ev->uid, ev->gid, ev->verdict, ev->rule, ev->err, (long long)ev->ret,
		  (unsigned long long)ev->lost, ev->abi, ev->native_nr, SYSCALLMON_COMM_LEN, ev->comm,
		  ev->flags, ev->path, ev->target);
}

/* ---- gated children ----------------------------------------------------- */

/* In a child spawned with opts->stops: its ends of the gate and report pipes. */
static int child_gate_fd = -1;
static int child_stop_fd = -1;

static void child_fail(int ready, const char *what)
{
	char msg[128];
	int len = snprintf(msg, sizeof(msg), "E%s: %s", what, strerror(errno));

	if (write(ready, msg, len) < 0)
		_exit(126);
	_exit(126);
}

static void __attribute__((noreturn))
child_main(int gate, int ready, const struct smon_child_opts *opts,
	   smon_workload_fn fn, void *arg)
{
	char go;

	/* Don't outlive a test that timed out or crashed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(ready, "PR_SET_PDEATHSIG");
	/*
	 * A process holding /dev/syscallmon is exempt from monitoring, so the
	 * child must hold no inherited descriptor but its two pipe ends.
	 */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != gate && fd != ready)
			close(fd);
	if (opts && opts->comm && prctl(PR_SET_NAME, opts->comm) < 0)
		child_fail(ready, "PR_SET_NAME");
	if (opts && (opts->uid || opts->gid)) {
		if (setgroups(0, NULL) < 0)
			child_fail(ready, "setgroups");
		if (setresgid(opts->gid, opts->gid, opts->gid) < 0)
			child_fail(ready, "setresgid");
		if (setresuid(opts->uid, opts->uid, opts->uid) < 0)
			child_fail(ready, "setresuid");
	}
	if (write(ready, "R", 1) != 1)
		_exit(126);
	if (opts && opts->stops) {
		child_gate_fd = gate;
		child_stop_fd = ready;
	} else {
		close(ready);
	}
	if (read(gate, &go, 1) != 1 || go != 'G')
		_exit(125);	/* parent went away: run nothing */
	_exit(fn(arg));
}

int smon_child_stop(void)
{
	char go;

	if (child_stop_fd < 0 || write(child_stop_fd, "S", 1) != 1)
		return -1;
	if (read(child_gate_fd, &go, 1) != 1 || go != 'G')
		return -1;
	return 0;
}

int smon_child_spawn(struct smon_child *child, const struct smon_child_opts *opts,
		     smon_workload_fn fn, void *arg)
{
	int gate[2], ready[2];
	char msg[129];
	ssize_t n;
	int ret;

	child->gate = -1;
	child->stops = -1;
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		ret = -errno;
		close(gate[0]);
		close(gate[1]);
		return ret;
	}
	child->pid = smon_fork();
	if (child->pid < 0) {
		ret = child->pid;
		close(gate[0]);
		close(gate[1]);
		close(ready[0]);
		close(ready[1]);
		return ret;
	}
	if (child->pid == 0)
		child_main(gate[0], ready[1], opts, fn, arg);

	close(gate[0]);
	close(ready[1]);
	child->gate = gate[1];
	do {
		n = read(ready[0], msg, sizeof(msg) - 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1 && msg[0] == 'R') {
		if (opts && opts->stops)
			child->stops = ready[0];
		else
			close(ready[0]);
		return 0;
	}
	close(ready[0]);
	msg[n > 0 ? n : 0] = '\0';
	smon_diag("child %d failed its set-up: %s", child->pid,
		  n > 1 ? msg + 1 : "exited early");
	close(child->gate);
	child->gate = -1;
	smon_child_wait(child);
	return -ECHILD;
}

int smon_child_release(struct smon_child *child)
{
	int ret = write(child->gate, "G", 1) == 1 ? 0 : -errno;

	/* A child that stops later reads its resumptions from the same pipe. */
	if (child->stops < 0) {
		close(child->gate);
		child->gate = -1;
	}
	return ret;
}

int smon_child_wait_stop(struct smon_child *child)
{
	char msg;
	ssize_t n;

	if (child->stops < 0)
		return -EINVAL;
	do {
		n = read(child->stops, &msg, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 && msg == 'S' ? 0 : -ECHILD;
}

int smon_child_resume(struct smon_child *child)
{
	if (child->gate < 0)
		return -EBADF;
	return write(child->gate, "G", 1) == 1 ? 0 : -errno;
}

int smon_child_wait(struct smon_child *child)
{
	if (child->gate >= 0) {
		/* Never released or stopped: closing the gate makes it exit without running on. */
		close(child->gate);
		child->gate = -1;
	}
	if (child->stops >= 0) {
		close(child->stops);
		child->stops = -1;
	}
	return smon_wait_pid(child->pid);
}

/* True once the thread group leader is a zombie: its do_exit() is behind it. */
static int leader_is_zombie(void)
{
	char path[64], buf[512], *paren;
	int fd, dead = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		paren = strrchr(buf, ')');
		dead = paren && paren[1] == ' ' && paren[2] == 'Z';
	}
	return dead;
}

struct leader_first {
	int group;
	int code;
};

static void *last_thread(void *arg)
{
	const struct leader_first *how = arg;
	struct timespec tick = { 0, 1000000 };

	for (int i = 0; i < 10000 && !leader_is_zombie(); i++)
		nanosleep(&tick, NULL);
	if (!leader_is_zombie())
		syscall(SYS_exit_group, 124);
	if (how->group)
		syscall(SYS_exit_group, how->code);
	syscall(SYS_exit, how->code);
	return NULL;
}

int smon_exit_leader_first(int group, int code)
{
	static struct leader_first how;
	pthread_t tid;

	how.group = group;
	how.code = code;
	if (pthread_create(&tid, NULL, last_thread, &how))
		return -1;
	syscall(SYS_exit, 0);
	return -1;
}

static volatile int exit_now;

static void *exit_with_leader(void *arg)
{
	(void)arg;
	while (!exit_now)
		;
	syscall(SYS_exit, 0);
	return NULL;
}

int smon_exit_threads_at_once(void *arg)
{
	pthread_t tid;

	(void)arg;
	if (pthread_create(&tid, NULL, exit_with_leader, NULL))
		return 111;
	/* Give the spinner time to be on the other CPU, spinning. */
	for (volatile int i = 0; i < 200000; i++)
		;
	exit_now = 1;
	syscall(SYS_exit, 0);
	return 111;
}

int smon_getppid_times(void *n)
{
	for (intptr_t i = 0; i < (intptr_t)n; i++)
		syscall(SYS_getppid);
	return 0;
}

int smon_getppid_stop_getppid(void *n)
{
	smon_getppid_times(n);
	if (smon_child_stop())
		return 125;
	return smon_getppid_times(n);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int smon_start_idle_threads(int n)
{
	pthread_t tid;

	for (int i = 0; i < n; i++)
		if (pthread_create(&tid, NULL, idle_thread, NULL))
			return -1;
	return 0;
}

int smon_child_spawn_pid(struct smon_child *child, const struct smon_child_opts *opts,
			 smon_workload_fn fn, void *arg, pid_t want)
{
	char last[32];
	int len = snprintf(last, sizeof(last), "%d", want - 1);
	ssize_t n = smon_write_file("/proc/sys/kernel/ns_last_pid", last, len);
	int ret;

	if (n != len)
		return n < 0 ? (int)n : -EIO;
	ret = smon_child_spawn(child, opts, fn, arg);
	if (ret)
		return ret;
	if (child->pid == want)
		return 0;
	smon_diag("asked for pid %d, got %d", want, child->pid);
	smon_child_wait(child);
	return -EAGAIN;
}

int smon_watch_start(int fd, const struct smon_watch *w, struct smon_child *child,
		     struct smon_watched *run)
{
	static const struct smon_child_opts defaults;
	uint32_t pid;
	struct syscallmon_target target = {
		.nr = w->nr,
		.action = w->action,
		.err = w->err,
		.record = w->record,
		.npids = 1,
		.pids = (uint64_t)(uintptr_t)&pid,
	};
	int ret;

	run->pid = 0;
	ret = smon_child_spawn(child, w->opts ? w->opts : &defaults, w->fn, w->arg);
	if (ret < 0)
		return ret;
	pid = run->pid = child->pid;
	ret = smon_ioctl(fd, SYSCALLMON_IOC_ADD_TARGET, &target);
	if (!ret)
		ret = smon_set_mode(fd, w->mode);
	if (!ret)
		ret = smon_seek(fd, SYSCALLMON_SEEK_HEAD);
	if (!ret) {
		run->released_ns = smon_realtime_ns();
		ret = smon_child_release(child);
	}
	if (ret < 0)
		smon_child_wait(child);
	return ret;
}

int smon_watch_child(int fd, const struct smon_watch *w, struct smon_events *events,
		     struct smon_watched *run)
{
	struct smon_child child;
	int ret = smon_watch_start(fd, w, &child, run);

	if (ret < 0)
		return ret;
	run->status = smon_child_wait(&child);
	run->exited_ns = smon_realtime_ns();
	return smon_read_all(fd, events);
}

/* ---- plain child processes ---------------------------------------------- */

int smon_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1000 - WTERMSIG(status);
}

int smon_wait_pid(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return smon_exit_code(status);
}

pid_t smon_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	return pid < 0 ? -errno : pid;
}

int smon_run_child(int (*fn)(void *arg), void *arg, pid_t *pid)
{
	pid_t child = smon_fork();

	if (child < 0)
		return child;
	if (child == 0) {
		int code = fn(arg);

		fflush(NULL);
		_exit(code);
	}
	if (pid)
		*pid = child;
	return smon_wait_pid(child);
}

pid_t smon_zombie(void)
{
	pid_t pid = smon_fork();

	REQUIRE(pid >= 0, "fork: %s", smon_errname(pid));
	if (pid == 0)
		_exit(0);
	for (int i = 0; i < 1000; i++) {
		char path[64], *stat = NULL, *paren;
		int zombie;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		zombie = smon_read_file(path, &stat, NULL) == 0 && (paren = strrchr(stat, ')')) && paren[2] == 'Z';
		free(stat);
		if (zombie)
			break;
		usleep(1000);
	}
	return pid;
}

pid_t smon_reaped_pid(void)
{
	pid_t pid = smon_zombie();

	REQUIRE(smon_wait_pid(pid) == 0, "reap child %d", (int)pid);
	return pid;
}

/* ---- files and kernel state --------------------------------------------- */

int smon_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 4097) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				ret = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

ssize_t smon_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

/*
 * Address of a kernel text symbol, 0 if unknown or hidden.  Needed because
 * the kprobe and ftrace lists name an address by one of its symbols only: a
 * zero-arg syscall's __x64_sys_<name> is an alias of __do_sys_<name>, and
 * the lists may show the latter.  Lookups are cached: /proc/kallsyms is long.
 */
static unsigned long long kallsyms_addr(const char *symbol)
{
	static struct { char name[128]; unsigned long long addr; } cache[16];
	static int ncache;
	unsigned long long addr = 0, a;
	char *line = NULL, name[128], type;
	size_t cap = 0;
	FILE *f;

	for (int i = 0; i < ncache; i++)
		if (!strcmp(cache[i].name, symbol))
			return cache[i].addr;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 && !strcmp(name, symbol)) {
			addr = a;
			break;
		}
	}
	free(line);
	fclose(f);
	if (ncache < 16) {
		snprintf(cache[ncache].name, sizeof(cache[ncache].name), "%s", symbol);
		cache[ncache++].addr = addr;
	}
	return addr;
}

int smon_kprobe_listed(const char *symbol)
{
	unsigned long long want = kallsyms_addr(symbol);
	char *list, *line, *save = NULL;
	char needle[160];
	int found = 0, ret;

	snprintf(needle, sizeof(needle), " %s+0x", symbol);
	ret = smon_read_file(SMON_KPROBE_LIST, &list, NULL);
	if (ret < 0) {
		smon_diag("read %s: %s (is debugfs mounted?)", SMON_KPROBE_LIST,
			  smon_errname(ret));
		return ret;
	}
	for (line = strtok_r(list, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long addr;
		unsigned int offset;
		char *plus;

		if (strstr(line, needle)) {
			found = 1;
			continue;
		}
		/* "ADDR  k  name+0xOFF ...": ADDR is the probed address, name+OFF its symbol. */
		plus = strstr(line, "+0x");
		if (want && sscanf(line, "%llx", &addr) == 1 && plus &&
		    sscanf(plus, "+0x%x", &offset) == 1 && offset == 0 && addr == want)
			found = 1;
	}
	free(list);
	return found;
}

/* Lines look like "__do_sys_getppid (1) R I  tramp: ... (entry_hook+0x0/0x1a0 [syscallmon]) ...". */
static int read_hooks(char **list)
{
	int ret = smon_read_file(SMON_HOOK_LIST, list, NULL);

	if (ret < 0)
		smon_diag("read %s: %s (is tracefs mounted?)", SMON_HOOK_LIST, smon_errname(ret));
	return ret;
}

/* kprobes on ftrace are listed there too: they are not entry hooks. */
static int is_kprobe_line(const char *line)
{
	return strstr(line, "kprobe_ftrace_handler") != NULL;
}

/* Does the hook list name a function called name?  (list is not modified) */
static int hook_listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = list; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *end = strchr(line, '\n');
		char copy[512];

		snprintf(copy, sizeof(copy), "%.*s", end ? (int)(end - line) : (int)strlen(line), line);
		if (!strncmp(copy, name, len) && copy[len] == ' ' && !is_kprobe_line(copy))
			return 1;
	}
	return 0;
}

int smon_hooked(const char *symbol)
{
	unsigned long long want = kallsyms_addr(symbol), a;
	char *list, *line = NULL, name[128], type;
	size_t cap = 0;
	int found, ret;
	FILE *f;

	ret = read_hooks(&list);
	if (ret < 0)
		return ret;
	found = hook_listed(list, symbol);
	/* Else an alias at the same address, in one pass over the symbols. */
	f = !found && want ? fopen("/proc/kallsyms", "re") : NULL;
	while (f && !found && getline(&line, &cap, f) > 0)
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 && a == want)
			found = hook_listed(list, name);
	if (f)
		fclose(f);
	free(line);
	free(list);
	return found;
}

int smon_hook_count(const char *text)
{
	char *list, *line, *save = NULL;
	int count = 0, ret;

	ret = read_hooks(&list);
	if (ret < 0)
		return ret;
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!is_kprobe_line(line) && (!text || strstr(line, text)))
			count++;
	free(list);
	return count;
}

void smon_hooks_dump(void)
{
	char *list, *line, *save = NULL;

	if (read_hooks(&list) < 0)
		return;
	smon_diag("%s:", SMON_HOOK_LIST);
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		smon_diag("  %s", line);
	free(list);
}

int smon_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static char tmpdir_path[256];

static void remove_tmpdir(void)
{
	DIR *dir;
	struct dirent *de;

	if (!tmpdir_path[0])
		return;
	dir = opendir(tmpdir_path);
	if (dir) {
		while ((de = readdir(dir))) {
			char path[512];

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir_path, de->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(tmpdir_path);
	tmpdir_path[0] = '\0';
}

const char *smon_tmpdir(const char *tag)
{
	snprintf(tmpdir_path, sizeof(tmpdir_path), "/tmp/smon-%s.XXXXXX", tag);
	if (!mkdtemp(tmpdir_path)) {
		smon_diag("mkdtemp %s: %s", tmpdir_path, strerror(errno));
		tmpdir_path[0] = '\0';
		REQUIRE(0, "no temporary directory");
	}
	/* Children that drop to another uid still reach their files. */
	chmod(tmpdir_path, 0777);
	smon_at_end(remove_tmpdir);
	return tmpdir_path;
}

void smon_tmpfile(const char *tag, const char *name, char *path, size_t size)
{
	const char *dir = smon_tmpdir(tag);
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	close(fd);
}

int smon_open_times(const char *path, int n, int flags)
{
	for (int i = 0; i < n; i++) {
		int fd = open(path, flags);

		if (fd < 0)
			return 10;
		close(fd);
	}
	return 0;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t smon_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t smon_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* ---- the task lister's files -------------------------------------------- */

const char *smon_key_value(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, len) && line[len] == ':')
			return line + len + 1;
	}
	return NULL;
}

#define ROW_MAX_WORDS 32

int smon_parse_task_row(char *line, struct smon_task_row *row)
{
	char *word[ROW_MAX_WORDS], *save = NULL, *end;
	int n = 0;

	for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (n < ROW_MAX_WORDS)
			word[n++] = w;
	if (n < 9 || strlen(word[n - 6]) != 1)
		return -1;
	row->pid = strtol(word[0], &end, 10);
	if (*end)
		return -1;
	row->ppid = atoi(word[1]);
	row->comm[0] = '\0';
	for (int i = 2; i < n - 6; i++) {
		if (i > 2)
			strncat(row->comm, " ", sizeof(row->comm) - strlen(row->comm) - 1);
		strncat(row->comm, word[i], sizeof(row->comm) - strlen(row->comm) - 1);
	}
	row->state = word[n - 6][0];
	row->vm_kb = strtoul(word[n - 5], NULL, 10);
	row->rss_kb = strtoul(word[n - 4], NULL, 10);
	row->threads = atoi(word[n - 3]);
	row->uid = strtoul(word[n - 2], NULL, 10);
	row->gid = strtoul(word[n - 1], NULL, 10);
	return 0;
}

char *smon_next_block(char **cursor)
{
	char *block = *cursor, *end;

	if (!block || !*block)
		return NULL;
	end = strstr(block, "\n\n");
	if (end) {
		end[1] = '\0';
		*cursor = end + 2;
	} else {
		*cursor = NULL;
	}
	return block;
}

int smon_cmp_ids(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int smon_block_tids(const char *block, int *tids, int max)
{
	const char *v = smon_key_value(block, "TIDS");
	int n = 0, used;

	while (v && n < max && sscanf(v, "%d%n", &tids[n], &used) == 1) {
		n++;
		v += used;
	}
	qsort(tids, n, sizeof(int), smon_cmp_ids);
	return n;
}

int smon_same_ids(const int *a, int na, const int *b, int nb)
{
	int same = na == nb;

	for (int i = 0; same && i < na; i++)
		same = a[i] == b[i];
	return same;
}

void smon_print_ids(const char *name, const int *ids, int n)
{
	for (int i = 0; i < n; i++)
		smon_diag("  %s[%d] = %d", name, i, ids[i]);
}

/* ---- kernel log --------------------------------------------------------- */

/*
 * POSIX extended expressions (with GNU's \b), case-sensitive on purpose: a
 * clean boot prints lower-case "bug" in benign lines ("report a bug", "This
 * is not a bug."), and "DEBUG" is not "BUG".  Most specific first, so a
 * finding is named for what it is.
 */
static const struct {
	const char *rule;
	const char *pattern;
} problem_rules[] = {
	{ "soft lockup", "soft lockup" },	/* "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!" */
	{ "hard lockup", "hard LOCKUP" },
	{ "hung task", "INFO: task .* blocked for more than" },
	/* The VM boots with a 60 s stall timeout, far above TCG's jitter: a stall is real. */
	{ "rcu stall", "detected stalls?" },
	{ "general protection", "general protection" },
	{ "oops", "\\bOops\\b" },
	{ "panic", "Kernel panic" },
	{ "sanitizer", "\\b(UBSAN|KASAN|KFENCE|KCSAN):" },
	{ "list corruption", "list_(add|del) corruption" },
	{ "refcount", "refcount_t: " },
	{ "call trace", "Call Trace" },
	/* "BUG: kernel NULL pointer dereference", "kernel BUG at", "BUG: sleeping function ..." */
	{ "bug", "\\bBUG\\b" },
	/* WARN(): "WARNING: CPU: 0 PID: 1 at ..."; lockdep; suspicious RCU usage */
	{ "warning", "\\bWARNING\\b" },
};

/*
 * Lines that hold a problem word but report the hardware, not a kernel
 * fault: the CPU vulnerability notices some (KVM) hosts print at boot.
 */
static const char *const benign_patterns[] = {
	"\\b(RETBleed|Spectre V[12]|MDS|TAA|MMIO Stale Data|SRBDS|GDS|RFDS|Speculative Store Bypass): WARNING: ",
};

#define N_PROBLEM_RULES (sizeof(problem_rules) / sizeof(problem_rules[0]))
#define N_BENIGN (sizeof(benign_patterns) / sizeof(benign_patterns[0]))

static regex_t problem_res[N_PROBLEM_RULES];
static regex_t benign_res[N_BENIGN];
static int problem_res_ready;

static void compile_or_die(regex_t *re, const char *pattern)
{
	int ret = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

	if (ret) {
		char why[256];

		regerror(ret, re, why, sizeof(why));
		fprintf(stderr, "smon_kernel_problem: bad pattern \"%s\": %s\n", pattern, why);
		abort();
	}
}

const char *smon_kernel_problem(const char *line)
{
	if (!problem_res_ready) {
		for (size_t i = 0; i < N_PROBLEM_RULES; i++)
			compile_or_die(&problem_res[i], problem_rules[i].pattern);
		for (size_t i = 0; i < N_BENIGN; i++)
			compile_or_die(&benign_res[i], benign_patterns[i]);
		problem_res_ready = 1;
	}
	for (size_t i = 0; i < N_BENIGN; i++)
		if (regexec(&benign_res[i], line, 0, NULL, 0) == 0)
			return NULL;
	for (size_t i = 0; i < N_PROBLEM_RULES; i++)
		if (regexec(&problem_res[i], line, 0, NULL, 0) == 0)
			return problem_rules[i].rule;
	return NULL;
}

/* A record is "prio,seq,usec,flags;message\n KEY=value\n...". */
long long smon_kmsg_scan(long long after, void (*fn)(long long seq, const char *msg, void *arg), void *arg)
{
	char buf[8192];
	long long last = -1;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -2;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		long long seq;
		char *msg, *nl;

		if (n < 0) {
			if (errno == EPIPE || errno == EINTR)	/* overwritten while we read: go on */
				continue;
			break;					/* EAGAIN: no more records */
		}
		buf[n] = '\0';
		if (sscanf(buf, "%*u,%lld,", &seq) != 1)
			continue;
		last = seq;
		msg = strchr(buf, ';');
		if (!msg || seq <= after || !fn)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		fn(seq, msg, arg);
	}
	close(fd);
	return last;
}
