// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/math64.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <uapi/syscallmon.h>

#include "calls.h"
#include "changes.h"
#include "device.h"
#include "exits.h"
#include "files.h"
#include "main.h"
#include "policy.h"
#include "procfs.h"
#include "ring.h"
#include "scopes.h"
#include "syscalls.h"
#include "tasks.h"

static struct proc_dir_entry *proc_dir;

/*
 * /proc/syscallmon/log: one CSV line per call or exit record held when the
 * file was opened, `<seconds>,<pid>,<tgid>,<uid>,<comm>,<symbol>`.  With clear_on_read, closing the file drops the records whose
 * whole line reached the reader: not one that arrived after the open, nor
 * one whose line a short read cut.  seq_file calls show() when it formats a
 * line, before the line is copied out, so it cannot tell a line read whole
 * from one cut short: hence this read() of its own.
 */

/* Four numbers of at most 20 digits, the comm, the symbol, the separators. */
#define LOG_LINE_MAX (4 * 20 + SYSCALLMON_COMM_LEN + KSYM_NAME_LEN + 6)

/* The fixed parts of the records a line is made from (their strings are not shown). */
union log_record {
	struct syscallmon_header h;
	struct syscallmon_syscall call;
	struct syscallmon_exit exit;
};

struct log_reader {
	struct mutex lock;	/* one read() at a time: every field below */
	struct smon_ring_pos next;	/* the next record to format */
	u64 end;		/* seq of the head when opened: later records are not shown */
	u64 delivered_end;	/* one past the last record whose whole line was read */
	u64 line_seq;		/* the record in line */
	size_t line_len;
	size_t line_off;	/* line[line_off, line_len) is not read yet */
	union log_record rec;
	char line[LOG_LINE_MAX];
};

static size_t log_format(char *buf, size_t size, const union log_record *rec)
{
	/* Exit records and syscall records share the header and the task. */
	const struct syscallmon_task *task = &rec->call.task;
	const char *symbol = rec->h.type == SYSCALLMON_RECORD_EXIT ? "do_exit" :
			     smon_entry_symbol(rec->call.abi, rec->call.native_nr);
	char comm[SYSCALLMON_COMM_LEN];
	size_t i;

	/* A comm is the process's own choice: keep the line six fields and one line. */
	for (i = 0; i < sizeof(comm) - 1 && task->comm[i]; i++)
		comm[i] = (task->comm[i] == ',' || !isprint(task->comm[i])) ? '_' : task->comm[i];
	comm[i] = '\0';
	return scnprintf(buf, size, "%llu,%u,%u,%u,%s,%s\n", div_u64(rec->h.ts_ns, NSEC_PER_SEC),
			 task->pid, task->tgid, task->uid, comm, symbol ? symbol : "?");
}

/* Formats the next record still held into r->line; false at the end. */
static bool log_next_line(struct log_reader *r)
{
	/*
	 * Records overwritten or cleared since the open are gone: the ring skips
	 * them.  Configuration records are the device's: the CSV shows calls
	 * and exits.
	 */
	do {
		if (!smon_ring_copy_next(&r->next, r->end, &r->rec, sizeof(r->rec)))
			return false;
	} while (r->rec.h.type == SYSCALLMON_RECORD_CONFIG);
	r->line_seq = r->rec.h.seq;
	r->line_len = log_format(r->line, sizeof(r->line), &r->rec);
	r->line_off = 0;
	return true;
}

static ssize_t log_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct log_reader *r = file->private_data;
	size_t done = 0;
	ssize_t ret = 0;

	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	while (done < len) {
		size_t n, left;

		if (r->line_off == r->line_len && !log_next_line(r))
			break;
		n = min(len - done, r->line_len - r->line_off);
		left = copy_to_user(buf + done, r->line + r->line_off, n);
		n -= left;
		r->line_off += n;
		done += n;
		if (r->line_off == r->line_len)
			r->delivered_end = r->line_seq + 1;
		if (left) {
			ret = -EFAULT;
			break;
		}
	}
	mutex_unlock(&r->lock);
	*ppos += done;
	return done ? done : ret;
}

static int log_open(struct inode *inode, struct file *file)
{
	struct smon_ring_pos head;
	struct log_reader *r;
	int ret;

	ret = smon_proc_may_open();
	if (ret)
		return ret;
	r = smon_kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	smon_ring_bounds(&r->next, &head);
	r->end = head.seq;
	r->delivered_end = r->next.seq;
	file->private_data = r;
	/* A line is handed out once, in order: there is no position to seek to. */
	return nonseekable_open(inode, file);
}

static int log_release(struct inode *inode, struct file *file)
{
	struct log_reader *r = file->private_data;

	if (READ_ONCE(smon_clear_on_read))
		smon_ring_clear_below(r->delivered_end);
	smon_kfree(r);
	return 0;
}

static const struct proc_ops log_proc_ops = {
	.proc_open = log_open,
	.proc_read = log_read,
	.proc_release = log_release,
};

/* The scope's processes as numbers in the reader's pid namespace; npids: how many it had. */
static void show_scope(struct seq_file *m, const struct smon_scope *scope, u32 npids)
{
	u32 *nrs, i, n, room = npids ?: 1, tries = 0;

	/* A tree's scope grows as it forks: room for all it has now, unless it outgrows it again and again. */
	for (;;) {
		nrs = smon_kzalloc(array_size(room, sizeof(*nrs)), GFP_KERNEL);
		n = nrs ? smon_scope_list(scope, task_active_pid_ns(current), nrs, room) : 0;
		if (n <= room || ++tries == 4)
			break;
		smon_kfree(nrs);
		room = n;
	}
	if (!n)
		seq_puts(m, "none");
	for (i = 0; i < n && i < room; i++)
		seq_printf(m, "%s%u", i ? "," : "pids ", nrs[i]);
	if (n > room)
		seq_puts(m, ",...");
	smon_kfree(nrs);
}

static int show_target(const struct syscallmon_target_info *info, const struct smon_scope *scope, void *arg)
{
	struct seq_file *m = arg;
	bool block = info->action == SYSCALLMON_ACTION_BLOCK;

	seq_printf(m, "%-20s %4u  %-7s %-6s %5d  %-5s %12llu %12llu %12llu %8llu  ",
		   smon_op_name(info->nr), info->nr, block ? "BLOCKED" : "ALLOWED",
		   block ? "block" : "log", block ? info->err : 0, info->armed ? "yes" : "no",
		   info->hits, info->logged, info->blocked, info->missed);
	if (!scope)
		seq_puts(m, "all");
	else
		show_scope(m, scope, info->npids);
	if (info->flags & SYSCALLMON_TARGET_FORCE)
		seq_puts(m, " force");
	if (info->record == SYSCALLMON_RECORD_ENTRY)
		seq_puts(m, " record=entry");
	else if (info->record == SYSCALLMON_RECORD_BOTH)
		seq_puts(m, " record=both");
	if (info->flags & SYSCALLMON_TARGET_FAILED_ONLY)
		seq_puts(m, " failed-only");
	seq_putc(m, '\n');
	return 0;
}

static const char *const rule_actions[] = { "allow", "log", "block", "kill" };
/* SYSCALLMON_FILE_* by bit */
static const char *const file_op_names[] = { "open", "exec", "unlink", "rename", "link", "truncate" };

/* A rule's row: its counters and the syscalls it covers (selectors: GET_RULES, `syscallmon status`). */
static int show_rule(const struct syscallmon_rule_info *info, void *arg)
{
	DECLARE_BITMAP(ops, SYSCALLMON_NR_LIMIT);
	const struct syscallmon_rule *r = &info->rule;
	struct seq_file *m = arg;
	bool acts = r->action == SYSCALLMON_RULE_BLOCK || r->action == SYSCALLMON_RULE_KILL;
	const char *sep = "";
	u32 nr;

	seq_printf(m, "%5u %-24s %-6s %-7s %12llu %12llu %12llu %12llu %12llu  ", r->id, r->name,
		   rule_actions[r->action], !acts ? "-" : (r->flags & SYSCALLMON_RULE_ENFORCE) ? "enforce" : "audit",
		   info->matched, info->logged, info->blocked, info->killed, info->would_act);
	bitmap_from_arr64(ops, r->syscalls, SYSCALLMON_NR_LIMIT);
	for_each_set_bit(nr, ops, SYSCALLMON_NR_LIMIT) {
		seq_printf(m, "%s%s", sep, smon_op_name(nr));
		sep = ",";
	}
	for (nr = 0; nr < ARRAY_SIZE(file_op_names); nr++) {
		if (r->file_ops & (1u << nr)) {
			seq_printf(m, "%s%s", sep, file_op_names[nr]);
			sep = ",";
		}
	}
	if (r->flags & SYSCALLMON_SEL_FILE)
		seq_printf(m, " of %s%s", r->file, info->state & SYSCALLMON_RULE_STALE ? " (stale)" : "");
	seq_putc(m, '\n');
	return 0;
}

static int status_show(struct seq_file *m, void *v)
{
	char tag[SYSCALLMON_POLICY_TAG_LEN];
	struct smon_ring_stats ring;
	struct smon_probe_stats probes;
	struct smon_mode_info mode;
	struct smon_exits_info exits;
	int ret;

	smon_ring_stats(&ring);
	smon_probe_stats(&probes);
	smon_mode_get(&mode);
	seq_printf(m, "mode: %s\n", smon_mode_name(mode.mode));
	seq_printf(m, "mode_set: %s\n", smon_mode_name(mode.set));
	seq_printf(m, "mode_holders: %u\n", mode.holders);
	seq_printf(m, "api_version: %u\n", SYSCALLMON_API_VERSION);
	seq_printf(m, "ring_size: %llu\n", ring.size);
	seq_printf(m, "return_slots: %u\n", smon_calls_slots());
	seq_printf(m, "clear_on_read: %d\n", READ_ONCE(smon_clear_on_read));
	seq_printf(m, "readers: %u\n", smon_device_readers());
	seq_printf(m, "events: %llu\n", ring.head_seq);
	seq_printf(m, "config_records: %llu\n", smon_changes_written());
	seq_printf(m, "held: %llu\n", ring.head_seq - ring.tail_seq);
	seq_printf(m, "held_bytes: %llu\n", ring.head - ring.tail);
	seq_printf(m, "overwritten: %llu\n", ring.overwritten);
	seq_printf(m, "cleared: %llu\n", ring.cleared);
	seq_printf(m, "missed: %llu\n", probes.missed);
	seq_printf(m, "no_result: %llu\n", probes.no_result);
	seq_printf(m, "calls_in_flight: %llu\n", smon_calls_in_flight());
	smon_exits_get(&exits);
	seq_printf(m, "exit_events: %s\n", exits.on ? "on" : "off");
	seq_printf(m, "exit_events_set: %s\n", exits.set ? "on" : "off");
	seq_printf(m, "exit_events_holders: %u\n", exits.holders);
	seq_printf(m, "exits_seen: %llu\n", smon_exits_seen());
	seq_printf(m, "targets: %u (armed %u)\n", probes.ntargets, probes.armed);
	seq_printf(m, "rules: %u\n", probes.nrules);
	smon_policy_tag(tag, sizeof(tag));
	seq_printf(m, "policy: %s\n", tag[0] ? tag : "-");
	seq_printf(m, "file_hooks: %u\n", smon_files_hooked());
	seq_printf(m, "file_hooks_missed: %llu\n", smon_files_missed());
	seq_printf(m, "tree_missed: %llu\n", smon_scopes_tree_missed());
	seq_puts(m, "\nActive filters:\n");
	seq_printf(m, "%-20s %4s  %-7s %-6s %5s  %-5s %12s %12s %12s %8s  %s\n",
		   "SYSCALL", "NR", "STATUS", "ACTION", "ERRNO", "ARMED",
		   "HITS", "LOGGED", "BLOCKED", "MISSED", "SCOPE");
	ret = smon_targets_for_each(show_target, m);
	if (ret || !probes.nrules)
		return ret;
	seq_puts(m, "\nRules (in order):\n");
	seq_printf(m, "%5s %-24s %-6s %-7s %12s %12s %12s %12s %12s  %s\n", "ID", "NAME", "ACTION", "STATE",
		   "MATCHED", "LOGGED", "BLOCKED", "KILLED", "WOULD_ACT", "DECIDES");
	return smon_rules_for_each(show_rule, m);
}

static int status_open(struct inode *inode, struct file *file)
{
	return smon_proc_may_open() ?: single_open(file, status_show, NULL);
}

static const struct proc_ops status_proc_ops = {
	.proc_open = status_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/*
 * /proc/syscallmon/control: the second seed's filter writes, one command per
 * write, each meaning what the equivalent CLI flags mean:
 *
 *   <syscall> block|log   --block|--log --syscall <syscall> [--pid P]...
 *   <syscall> off         remove that target
 *   mode off|log|block    --off | --log | --block
 *   pid add|del N         add N to (remove it from) the pids given to later
 *                         target commands, and to every pid-scoped target
 *   clear                 remove every target and forget the pids
 *
 * With no pids given, a target covers all processes; pids whose process
 * has died are dropped, and if none is left the target command is -ESRCH.
 * Anything else is -EINVAL and changes nothing.
 */
#define CONTROL_MAX_LEN 64
#define CONTROL_MAX_ARGS 3

/*
 * The processes given by `pid add` (numbers in the writer's pid namespace),
 * held by identity: a process that died and whose number was handed out
 * again is then told apart from its successor, which was never added and
 * must not be monitored by a later target.
 */
static DEFINE_MUTEX(control_lock);	/* control_pids */
static struct pid *control_pids[SYSCALLMON_MAX_PIDS];
static u32 control_npids;

static void control_pid_drop(u32 i)
{
	put_pid(control_pids[i]);
	control_pids[i] = control_pids[--control_npids];
}

/* Drops the processes that are gone; returns how many are left. */
static u32 control_live_pids(void)
{
	u32 i = 0;

	while (i < control_npids) {
		if (smon_process_alive(control_pids[i]))
			i++;
		else
			control_pid_drop(i);
	}
	return control_npids;
}

static void control_pids_clear(void)
{
	while (control_npids)
		control_pid_drop(control_npids - 1);
}

static int control_mode(const char *name, u32 *mode)
{
	static const char *const names[] = { "off", "log", "block" };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int control_pid_add(struct pid *p)
{
	u32 i;
	int ret;

	control_live_pids();
	for (i = 0; i < control_npids && control_pids[i] != p; i++)
		;
	if (i == control_npids && control_npids == SYSCALLMON_MAX_PIDS)
		return -ENOSPC;
	ret = smon_pids_add_all(&p, 1);
	if (ret)
		return ret;
	if (i == control_npids)
		control_pids[control_npids++] = get_pid(p);
	return 0;
}

static void control_pid_del(struct pid *p)
{
	u32 i;

	for (i = 0; i < control_npids; i++) {
		if (control_pids[i] == p) {
			control_pid_drop(i);
			break;
		}
	}
	smon_pids_del_all(&p, 1);
}

static int control_pid(const char *verb, const char *arg)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct pid *p;
	u32 nr;
	int ret = 0;

	if (kstrtou32(arg, 10, &nr) || !nr || nr > PID_MAX_LIMIT)
		return -EINVAL;
	if (strcmp(verb, "add") && strcmp(verb, "del"))
		return -EINVAL;
	p = smon_process_get(nr, ns);
	if (!strcmp(verb, "add")) {
		if (!p)
			return -ESRCH;
		ret = control_pid_add(p);
	} else if (p) {
		/* A process that is gone is in no scope: nothing to delete. */
		control_pid_del(p);
	}
	put_pid(p);
	return ret;
}

static int control_target(const char *name, const char *verb)
{
	struct syscallmon_target req = { .err = SYSCALLMON_DEFAULT_ERRNO };
	int nr = smon_op_lookup(name);
	u32 mode;
	int ret;

	if (nr < 0)
		return -EINVAL;
	if (!strcmp(verb, "off"))
		return smon_target_del(nr);
	if (!strcmp(verb, "block")) {
		req.action = SYSCALLMON_ACTION_BLOCK;
		mode = SYSCALLMON_MODE_BLOCK;
	} else if (!strcmp(verb, "log")) {
		req.action = SYSCALLMON_ACTION_LOG;
		mode = SYSCALLMON_MODE_LOG;
	} else {
		return -EINVAL;
	}
	req.nr = nr;
	req.flags = control_npids ? 0 : SYSCALLMON_TARGET_ALL_PIDS;
	if (control_npids) {
		req.npids = control_live_pids();
		/* Every pid given has died: not "everyone", and not their successors. */
		if (!req.npids)
			return -ESRCH;
	}
	ret = smon_check_target(&req);
	if (ret)
		return ret;
	return smon_target_add(&req, control_pids, req.npids, mode);
}

static int control_run(int argc, char **argv)
{
	u32 mode;

	if (argc == 1 && !strcmp(argv[0], "clear")) {
		int ret = smon_targets_clear();

		if (ret)
			return ret;
		control_pids_clear();
		smon_change(SYSCALLMON_CONFIG_CLEAR, 0, " targets");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "mode"))
		return control_mode(argv[1], &mode) ?: smon_set_mode(mode);
	if (argc == 3 && !strcmp(argv[0], "pid"))
		return control_pid(argv[1], argv[2]);
	if (argc == 2)
		return control_target(argv[0], argv[1]);
	return -EINVAL;
}

static ssize_t control_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[CONTROL_MAX_LEN + 1];
	char *argv[CONTROL_MAX_ARGS];
	char *cursor = buf, *token;
	int argc = 0, ret;

	/* The opener was checked at open; the writer may be another process, or have dropped privileges. */
	if (!capable(CAP_SYS_ADMIN) || !file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (!len || len > CONTROL_MAX_LEN)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EINVAL;
	while ((token = strsep(&cursor, " \t\n")) != NULL) {
		if (!*token)
			continue;
		if (argc == CONTROL_MAX_ARGS)
			return -EINVAL;
		argv[argc++] = token;
	}
	if (!argc)
		return -EINVAL;
	mutex_lock(&control_lock);
	ret = control_run(argc, argv);
	mutex_unlock(&control_lock);
	return ret ? ret : len;
}

static int control_open(struct inode *inode, struct file *file)
{
	return smon_proc_may_open();
}

static const struct proc_ops control_proc_ops = {
	.proc_open = control_open,
	.proc_write = control_write,
	.proc_lseek = noop_llseek,
};

int smon_procfs_init(void)
{
	proc_dir = proc_mkdir("syscallmon", NULL);
	if (!proc_dir)
		return -ENOMEM;
	/* Root only, and each file's open checks the capability too (smon_proc_may_open). */
	if (!proc_create("log", 0400, proc_dir, &log_proc_ops) ||
	    !proc_create("status", 0400, proc_dir, &status_proc_ops) ||
	    !proc_create("control", 0200, proc_dir, &control_proc_ops) ||
	    smon_tasks_init(proc_dir)) {
		proc_remove(proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void smon_procfs_exit(void)
{
	proc_remove(proc_dir);
	/* No writer is left once the files are gone. */
	mutex_lock(&control_lock);
	control_pids_clear();
	mutex_unlock(&control_lock);
}
