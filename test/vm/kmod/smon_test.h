/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the syscallmon.ko integration tests (kselftest style).
 *
 * Each test is one program: it loads the module itself (smon_load), runs
 * its checks, unloads, and exits 0 only if every check passed.  Output is
 * TAP diagnostics ("# ..." lines); run.sh turns the exit status into the
 * test's "ok"/"not ok" line.
 *
 * Functions that make syscalls return 0 (or a count) on success and
 * -errno on failure, so a check can compare against the errno it expects.
 */
#ifndef SMON_TEST_H
#define SMON_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uapi/syscallmon.h>

#define SMON_MODULE_NAME	"syscallmon"
#define SMON_PROC_LOG		SYSCALLMON_PROC_DIR "/log"
#define SMON_PROC_STATUS	SYSCALLMON_PROC_DIR "/status"
#define SMON_PROC_CONTROL	SYSCALLMON_PROC_DIR "/control"
#define SMON_KPROBE_LIST	"/sys/kernel/debug/kprobes/list"
#define SMON_HOOK_LIST		"/sys/kernel/tracing/enabled_functions"
/* Where the module probes process exits (EXIT events, pid-scope cleanup). */
#ifndef SMON_EXIT_PROBE
#define SMON_EXIT_PROBE		"acct_collect"
#endif

/* ---- reporting ---------------------------------------------------------- */

/* Number of failed checks so far; smon_exit() turns it into the exit status. */
extern int smon_failures;

void smon_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records a failure (with file:line) when cond is false; returns cond. */
int smon_check_at(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) smon_check_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/*
 * Like CHECK for an integer comparison; prints both values on failure.
 * Each argument is evaluated once, so got may be a call (smon_child_wait()).
 */
#define CHECK_EQ(got, want, what)						\
	({									\
		long long got_ = (long long)(got), want_ = (long long)(want);	\
		smon_check_at(got_ == want_, __FILE__, __LINE__,		\
			      "%s: got %lld, want %lld", (what), got_, want_);	\
	})

/* Stops the test: something it depends on failed, so later checks are moot. */
#define REQUIRE(cond, ...)							\
	do {									\
		if (!CHECK(cond, __VA_ARGS__))					\
			smon_bail();						\
	} while (0)

/* Registers a function run by smon_bail() and smon_exit() (e.g. rm -r tmpdir). */
void smon_at_end(void (*fn)(void));
void __attribute__((noreturn)) smon_bail(void);
void __attribute__((noreturn)) smon_exit(void);

const char *smon_errname(int err);	/* "EPERM" for EPERM (positive or negative) */

/* ---- module ------------------------------------------------------------- */

int smon_loaded(void);
/* Unloads a loaded module first; params like "capacity=1024 clear_on_read=1". */
int smon_load(const char *params);
/* smon_load(params) (NULL: none), then the device opened; stops the test if either fails.  Returns the fd. */
int smon_load_open(const char *params);
/* The same, then mode set (SYSCALLMON_MODE_*); stops the test if that fails too. */
int smon_load_open_mode(const char *params, uint32_t mode);
/*
 * The end of a test that loaded the module: closes fd (unless it is < 0),
 * unloads the module (a failure is a failed check) and exits with the
 * test's verdict.
 */
void __attribute__((noreturn)) smon_unload_exit(int fd);
/* One delete_module attempt: -EWOULDBLOCK while a file holds the device. */
int smon_unload_once(void);
/* Retries briefly on -EWOULDBLOCK (a just-closed file may still be releasing). */
int smon_unload(void);

/* ---- device ------------------------------------------------------------- */

int smon_open(int extra_flags);	/* open(/dev/syscallmon, O_RDWR|O_CLOEXEC|extra) */
int smon_ioctl(int fd, unsigned long cmd, void *arg);
int smon_set_mode(int fd, uint32_t mode);
int smon_add_target(int fd, uint32_t nr, uint32_t action, int32_t err,
		    uint32_t flags, const uint32_t *pids, uint32_t npids);
int smon_del_target(int fd, uint32_t nr);
int smon_clear(int fd, uint32_t flags);
int smon_seek(int fd, uint32_t whence);
int smon_set_exits(int fd, uint32_t on);	/* SYSCALLMON_EXITS_ON / _OFF */
int smon_add_pids(int fd, uint32_t nr, const uint32_t *pids, uint32_t npids);
int smon_del_pids(int fd, uint32_t nr, const uint32_t *pids, uint32_t npids);
int smon_status(int fd, struct syscallmon_status *st);
/* Fills *info for target nr; -ENOENT if not targeted. */
int smon_target_info(int fd, uint32_t nr, struct syscallmon_target_info *info);
/* Fills up to max pids of target nr's scope; returns how many it holds, or -errno. */
int smon_target_pids(int fd, uint32_t nr, uint32_t *pids, uint32_t max);

/*
 * Rules.  smon_rule_init() starts a rule of class HAND with no syscall and
 * no selector; smon_rule_syscall() adds one.  smon_add_rule() returns the
 * new rule's id or -errno; smon_get_rules() how many rules there are (up
 * to max written).  smon_replace_policy() makes rules the policy (it sets
 * their class) with exit events off.
 */
void smon_rule_init(struct syscallmon_rule *r, const char *name, uint32_t action, uint32_t flags);
void smon_rule_syscall(struct syscallmon_rule *r, uint32_t nr);
int smon_add_rule(int fd, struct syscallmon_rule *r);
int smon_del_rule(int fd, uint32_t id);
int smon_get_rules(int fd, struct syscallmon_rule_info *infos, uint32_t max);
/* Deletes every rule, whatever its class; returns how many are left (0) or -errno. */
int smon_delete_rules(int fd);
/* -ENOENT if there is no rule id. */
int smon_rule_info(int fd, uint32_t id, struct syscallmon_rule_info *info);
int smon_rule_pids(int fd, uint32_t id, uint32_t *pids, uint32_t max);
int smon_replace_policy(int fd, uint32_t mode, struct syscallmon_rule *rules, uint32_t nrules);
/* The same, with exit events and a tag. */
int smon_replace_policy_tagged(int fd, uint32_t mode, uint32_t exits, struct syscallmon_rule *rules,
			       uint32_t nrules, const char *tag);

/*
 * A record as the tests look at it: every field of every record type,
 * decoded from the variable-length records read() returns.  Fields a type
 * does not have are zero; nr is SMON_NR_NONE for records other than
 * syscalls; path and target are "" when the record has none.
 */
#define SMON_NR_NONE 0xffffffffu

struct smon_event {
	uint16_t type;
	uint16_t size;		/* bytes it took in the ring */
	uint32_t flags;		/* SYSCALLMON_SYSCALL_* */
	uint64_t seq;
	uint64_t ts_ns;
	uint32_t pid, tgid, ppid, uid, gid;
	char comm[SYSCALLMON_COMM_LEN];
	uint32_t nr;
	uint32_t native_nr;
	uint16_t abi;
	uint16_t verdict;
	int32_t err;
	int64_t ret;
	uint64_t duration_ns;
	uint64_t call_id;
	uint32_t rule;		/* the rule that decided; 0: the target */
	uint64_t args[SYSCALLMON_NR_ARGS];
	char path[SYSCALLMON_PATH_LEN];
	char target[SYSCALLMON_TARGET_LEN];
	int32_t exit_code;
	int32_t signal;
	uint64_t utime_ns;
	uint64_t stime_ns;
	uint64_t lost;		/* a lost record's count */
	uint64_t lost_config;	/* and how many of them were config records */
	uint32_t config_kind;	/* a config record's */
	uint32_t config_id;
	char text[SYSCALLMON_CONFIG_TEXT_LEN];
};

struct smon_events {
	struct smon_event *ev;
	size_t n;
	size_t cap;
};

/*
 * Decodes the records in buf[0, len) and appends them; -EPROTO if they are
 * not whole, well-formed records.
 */
int smon_decode_records(const void *buf, size_t len, struct smon_events *out);
/*
 * Reads every record available now (non-blocking, whatever the file's
 * flags) and appends them.  Fails with -EPROTO if a read() returned
 * anything but whole records.
 */
int smon_read_all(int fd, struct smon_events *out);
/*
 * One read() of at most SYSCALLMON_RECORD_MAX bytes, as the file's flags
 * say (blocking or not); decodes the first record into ev.  Returns the
 * bytes read, or -errno (-EPROTO for a malformed record).
 */
ssize_t smon_read_one(int fd, struct smon_event *ev);
void smon_events_free(struct smon_events *events);
/*
 * Every change a test makes writes a config record: a test that looks at
 * calls and exits only drops them (their seqs then leave gaps).  Returns
 * how many records are left.
 */
size_t smon_drop_config(struct smon_events *events);
void smon_event_print(const struct smon_event *ev);
/*
 * smon_read_all() into *events, then smon_drop_config(): what calls and
 * exits left.  A failed read is a failed check ("read records: ...") at the
 * caller's line.  Returns what smon_read_all() did.
 */
int smon_read_no_config_at(int fd, struct smon_events *events, const char *file, int line);
#define CHECK_READ_NO_CONFIG(fd, events) smon_read_no_config_at((fd), (events), __FILE__, __LINE__)

/* ---- gated children ----------------------------------------------------- */

/*
 * A child that is scoped before it runs anything that could be logged.
 * smon_child_spawn() forks; the child closes every fd but stdio (so it never
 * holds /dev/syscallmon and is not exempt from monitoring), sets its comm,
 * optionally drops to uid/gid, tells the parent it is ready and blocks on a
 * pipe.  Only then does the parent arm targets for child->pid and call
 * smon_child_release(); the child runs fn(arg) and exits with its return.
 * Nothing between release and fn() makes a syscall other than read().
 */
typedef int (*smon_workload_fn)(void *arg);

struct smon_child {
	pid_t pid;
	int gate;	/* write end: one byte releases the child */
	int stops;	/* read end of the child's stop reports (opts->stops), else -1 */
};

struct smon_child_opts {
	const char *comm;	/* PR_SET_NAME; NULL keeps the parent's */
	uid_t uid;		/* 0: stay root */
	gid_t gid;
	int stops;		/* fn calls smon_child_stop(): keep the pipes open */
};

int smon_child_spawn(struct smon_child *child, const struct smon_child_opts *opts,
		     smon_workload_fn fn, void *arg);
int smon_child_release(struct smon_child *child);
/* Waits for the child; returns its exit code, or -1000 - signal if killed. */
int smon_child_wait(struct smon_child *child);

/*
 * A workload that must halt midway, so the parent can look at it (its /proc
 * files, its CPU time) or change its scope, calls smon_child_stop() (only
 * with opts->stops): it tells the parent and blocks until
 * smon_child_resume().  The stop itself makes only write() and read().
 * smon_child_stop() returns 0, or -1 if the parent went away (the workload
 * should then return at once).  smon_child_wait_stop() returns 0 at the
 * child's next stop, -ECHILD if it exited instead.
 */
int smon_child_stop(void);
int smon_child_wait_stop(struct smon_child *child);
int smon_child_resume(struct smon_child *child);

/*
 * For a workload: ends the process with its thread group leader going
 * first.  It starts one thread and the leader exits alone (SYS_exit 0);
 * once the leader is a zombie, that thread ends the process with
 * exit_group(code) if group, else with SYS_exit(code) as the last thread.
 * Returns only if it could not start the thread.
 */
int smon_exit_leader_first(int group, int code);

/*
 * A workload: the leader and one other thread call SYS_exit(0) at the same
 * moment, each on its own CPU if there are two: neither sees itself as the
 * last thread at do_exit() entry.  Returns (111) only if it could not start
 * the thread.
 */
int smon_exit_threads_at_once(void *arg);

/*
 * Workloads that make getppid calls, the cheapest syscall to watch; arg is
 * how many, as SMON_COUNT(n).  smon_getppid_stop_getppid() makes n, a
 * smon_child_stop() (the test looks, or changes the scope), then n more; it
 * returns 125 if the parent went away during the stop.
 */
#define SMON_COUNT(n)	((void *)(intptr_t)(n))
int smon_getppid_times(void *n);
int smon_getppid_stop_getppid(void *n);

/*
 * For a workload that must have threads: starts n more, which block in
 * pause() until the process ends.  0, or -1 if one could not be started.
 */
int smon_start_idle_threads(int n);

/*
 * smon_child_spawn() for a child that must get pid want (a pid freed
 * earlier, to show what happens when it is reused): writes want - 1 to
 * /proc/sys/kernel/ns_last_pid first.  -EAGAIN (and no child) if another
 * fork took it in between.
 */
int smon_child_spawn_pid(struct smon_child *child, const struct smon_child_opts *opts,
			 smon_workload_fn fn, void *arg, pid_t want);

/*
 * The whole of "watch what one process does": spawn fn(arg) held at its
 * gate (opts as for smon_child_spawn, NULL for the defaults), target
 * w->nr for that child alone (w->action, w->err, w->record), set w->mode,
 * move fd's cursor to the head, release the child, wait for it, and read
 * every record from the release on into *events.  Returns 0 with run->pid
 * and run->status (the child's exit code, as smon_child_wait()), or -errno
 * when spawning, arming or reading failed (a child spawned but not released
 * is reaped without running fn).  The target stays; the caller removes it.
 *
 * smon_watch_start() is its first half, for a test that acts while the
 * child runs: it stops after the release (run->pid, run->released_ns set)
 * and leaves the waiting and reading to the caller.
 */
struct smon_watch {
	uint32_t nr;
	uint32_t action;	/* SYSCALLMON_ACTION_LOG or _BLOCK */
	int32_t err;		/* errno a blocked call returns; 0: EPERM */
	uint32_t record;	/* SYSCALLMON_RECORD_*: when a call is written; 0: the default */
	uint32_t mode;		/* SYSCALLMON_MODE_*, set before the release */
	const struct smon_child_opts *opts;
	smon_workload_fn fn;
	void *arg;
};

struct smon_watched {
	pid_t pid;
	int status;
	uint64_t released_ns;	/* CLOCK_REALTIME just before the release */
	uint64_t exited_ns;	/* and once the child was reaped */
};

int smon_watch_child(int fd, const struct smon_watch *w, struct smon_events *events,
		     struct smon_watched *run);
int smon_watch_start(int fd, const struct smon_watch *w, struct smon_child *child,
		     struct smon_watched *run);

/* ---- plain child processes ---------------------------------------------- */

/*
 * fork() with stdio flushed first, so that nothing buffered before it is
 * written twice: the child's pid (0 in the child), or -errno.
 */
pid_t smon_fork(void);
/* A wait status as the tests report it: the exit code, or -1000 - signal. */
int smon_exit_code(int status);
/* Waits for pid (through EINTR): smon_exit_code() of its status, or -errno. */
int smon_wait_pid(pid_t pid);
/*
 * Forks a child that runs fn(arg) and exits with its return (stdio flushed
 * first); waits for it.  Returns as smon_wait_pid(), or -errno if the fork
 * failed; the child's pid goes to *pid unless pid is NULL.
 */
int smon_run_child(int (*fn)(void *arg), void *arg, pid_t *pid);
/*
 * A child of ours that has exited and is not reaped yet: a zombie, as
 * /proc/<pid>/stat says before this returns.  Stops the test if it cannot
 * fork.
 */
pid_t smon_zombie(void);
/*
 * A pid no process has now: a child of ours that exited and was reaped
 * (until a later fork is handed the same number).  Stops the test if the
 * child cannot be made or reaped.
 */
pid_t smon_reaped_pid(void);

/* ---- files and kernel state --------------------------------------------- */

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
int smon_read_file(const char *path, char **out, size_t *len);
/* One write() of len bytes to path: bytes written, or -errno (open or write). */
ssize_t smon_write_file(const char *path, const void *buf, size_t len);
/*
 * 1 if the kprobe list has a probe on symbol (exact: " sym+0x"), 0 if not.
 * The module's one kprobe is its exit probe, registered while it is loaded.
 */
int smon_kprobe_listed(const char *symbol);
/*
 * 1 if ftrace hooks symbol's entry (the module hooks the syscall entry
 * points of its targets through ftrace), 0 if not.  A zero-argument
 * syscall's entries are aliases of __do_sys_<name>, which the list may show
 * instead: an alias at the same address counts.
 */
int smon_hooked(const char *symbol);
/* Number of hooked functions (kprobes aside) whose line contains text (NULL: all). */
int smon_hook_count(const char *text);
void smon_hooks_dump(void);	/* the list as diagnostics */
int smon_path_exists(const char *path);
/*
 * mkdtemp under /tmp, world-searchable, removed with its files at exit.
 * Stops the test if it cannot be made.
 */
const char *smon_tmpdir(const char *tag);
/*
 * An empty file called name in a fresh smon_tmpdir(tag); its path goes to
 * path.  Stops the test if it cannot be made.
 */
void smon_tmpfile(const char *tag, const char *name, char *path, size_t size);
/*
 * A workload's open loop: opens path n times with flags (closing each);
 * returns 0, or 10 at the first open that fails.
 */
int smon_open_times(const char *path, int n, int flags);

uint64_t smon_realtime_ns(void);
uint64_t smon_monotonic_ns(void);

/* ---- the task lister's files -------------------------------------------- */

/*
 * task_detail and task_stats (and /proc/<pid>/status) are "KEY: value"
 * lines.  The value of key in text (just after its ':'), or NULL if no
 * line starts with key.
 */
const char *smon_key_value(const char *text, const char *key);

/* A row of /proc/syscallmon/tasks. */
struct smon_task_row {
	int pid, ppid;
	char comm[64];
	char state;
	unsigned long vm_kb, rss_kb;
	int threads;
	unsigned int uid, gid;
};

/*
 * Parses one row (line is cut into words in place); -1 if it is not one.
 * A COMMAND may hold spaces: PID and PPID come first, the six other fields
 * last.
 */
int smon_parse_task_row(char *line, struct smon_task_row *row);

/*
 * task_detail holds a block of lines per process, a blank line between
 * blocks.  Returns the block at *cursor (cut off in place) and moves
 * *cursor to the next; NULL once none is left.
 */
char *smon_next_block(char **cursor);
/* A block's TIDS, sorted: how many (at most max) went to tids. */
int smon_block_tids(const char *block, int *tids, int max);

/* Lists of ids (pids, tids): qsort()/bsearch() order, and equality of sorted lists. */
int smon_cmp_ids(const void *a, const void *b);
int smon_same_ids(const int *a, int na, const int *b, int nb);
void smon_print_ids(const char *name, const int *ids, int n);	/* "  name[i] = id" diagnostics */

/* ---- kernel log --------------------------------------------------------- */

/*
 * The one judge of "the kernel log shows a problem": the reports of WARN(),
 * BUG(), oopses, panics, lockups, stalls, hung tasks, sanitizers and the
 * list and refcount checks.  Returns the rule a line breaks ("warning",
 * "soft lockup", ...), or NULL for a line that reports nothing wrong.  Used
 * for each test's log (run.sh), the whole suite's (guest-suite.sh) and by
 * tests that check the log themselves; smon_util exposes it.
 */
const char *smon_kernel_problem(const char *line);

/*
 * Calls fn (unless NULL) for each /dev/kmsg record with seq > after, with its
 * message text.  Returns the newest sequence number seen (-1 if none), or
 * -2 if /dev/kmsg cannot be opened.  Records carry a sequence number, so
 * "since seq" stays exact even if the log buffer wraps.
 */
long long smon_kmsg_scan(long long after, void (*fn)(long long seq, const char *msg, void *arg), void *arg);

#endif
