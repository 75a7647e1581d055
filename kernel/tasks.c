// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/version.h>

#include "procfs.h"
#include "tasks.h"

/*
 * Each file is produced by one walk of the process list under RCU
 * (single_open), so the rows of one read, and the totals of task_stats,
 * describe the same moment.  Nothing in a walk may sleep: a task's mm is read
 * under task_lock (a spinlock) instead of get_task_mm()/mmput(), which can.
 *
 * A reader sees the processes of its own pid namespace, as its /proc would
 * show them: those with a number there, numbered as there (a parent outside
 * the namespace is 0).  The namespace is the opener's, taken at open like
 * the capability; the seq_file's private pointer holds it.
 */

struct task_row {
	pid_t pid;
	pid_t ppid;
	char comm[TASK_COMM_LEN];
	char state;
	unsigned long vm_kb;
	unsigned long rss_kb;
	int threads;
	uid_t uid;
	gid_t gid;
};

/*
 * Resident pages as /proc/PID/status counts them.  From 6.2 the counters are
 * per-CPU and get_mm_rss() reads them without summing the CPUs (it may lag
 * by hundreds of KB); status sums them.
 */
static unsigned long rss_pages(struct mm_struct *mm)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return percpu_counter_sum_positive(&mm->rss_stat[MM_FILEPAGES]) +
	       percpu_counter_sum_positive(&mm->rss_stat[MM_ANONPAGES]) +
	       percpu_counter_sum_positive(&mm->rss_stat[MM_SHMEMPAGES]);
#else
	return get_mm_rss(mm);
#endif
}

/* Fills row for p as ns numbers it; false if p has no number in ns. */
static bool read_row(struct task_struct *p, struct pid_namespace *ns, struct task_row *row)
{
	const struct cred *cred;
	struct mm_struct *mm;

	row->pid = task_tgid_nr_ns(p, ns);
	if (!row->pid)
		return false;
	cred = __task_cred(p);
	row->ppid = task_tgid_nr_ns(rcu_dereference(p->real_parent), ns);
	get_task_comm(row->comm, p);
	row->state = task_state_to_char(p);
	row->threads = get_nr_threads(p);
	row->uid = __kuid_val(cred->uid);
	row->gid = __kgid_val(cred->gid);
	row->vm_kb = 0;
	row->rss_kb = 0;
	task_lock(p);
	mm = p->mm;
	if (mm) {
		row->vm_kb = mm->total_vm << (PAGE_SHIFT - 10);
		row->rss_kb = rss_pages(mm) << (PAGE_SHIFT - 10);
	}
	task_unlock(p);
	return true;
}

static int tasks_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = m->private;
	struct task_struct *p;
	struct task_row row;

	seq_printf(m, "%-8s %-8s %-16s %-5s %12s %12s %8s %8s %8s\n",
		   "PID", "PPID", "COMMAND", "STATE", "VM(KB)", "RSS(KB)", "THREADS", "UID", "GID");
	rcu_read_lock();
	for_each_process(p) {
		if (!read_row(p, ns, &row))
			continue;
		seq_printf(m, "%-8d %-8d %-16s %-5c %12lu %12lu %8d %8u %8u\n",
			   row.pid, row.ppid, row.comm, row.state, row.vm_kb, row.rss_kb,
			   row.threads, row.uid, row.gid);
	}
	rcu_read_unlock();
	return 0;
}

static const char *state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'X': return "dead";
	case 'Z': return "zombie";
	case 'P': return "parked";
	case 'I': return "idle";
	default: return "unknown";
	}
}

/* The whole process's CPU time: live threads, scaled as /proc/<pid>/stat does, plus dead ones. */
static void process_cputime(struct task_struct *p, u64 *utime, u64 *stime)
{
	struct task_struct *t;
	u64 ut, st;

	*utime = READ_ONCE(p->signal->utime);
	*stime = READ_ONCE(p->signal->stime);
	for_each_thread(p, t) {
		task_cputime_adjusted(t, &ut, &st);
		*utime += ut;
		*stime += st;
	}
}

static int task_detail_show(struct seq_file *m, void *v)
{
	struct pid_namespace *ns = m->private;
	struct task_struct *p, *t;
	struct task_row row;
	u64 utime, stime;

	rcu_read_lock();
	for_each_process(p) {
		if (!read_row(p, ns, &row))
			continue;
		process_cputime(p, &utime, &stime);
		seq_printf(m, "PID: %d\nPPID: %d\nCOMMAND: %s\nSTATE: %c (%s)\n",
			   row.pid, row.ppid, row.comm, row.state, state_name(row.state));
		seq_printf(m, "VM(KB): %lu\nRSS(KB): %lu\nTHREADS: %d\nUID: %u\nGID: %u\n",
			   row.vm_kb, row.rss_kb, row.threads, row.uid, row.gid);
		seq_printf(m, "NICE: %d\nPRIORITY: %d\nSTART_TIME_NS: %llu\nUTIME_NS: %llu\nSTIME_NS: %llu\nTIDS:",
			   task_nice(p), p->prio, p->start_boottime, utime, stime);
		for_each_thread(p, t)
			seq_printf(m, " %d", task_pid_nr_ns(t, ns));
		seq_puts(m, "\n\n");
	}
	rcu_read_unlock();
	return 0;
}

static const char stat_states[] = "RSDTtZXPI";
/* task_stats keys, in stat_states order, then the catch-all. */
static const char *const stat_keys[] = {
	"running", "sleeping", "disk_sleep", "stopped", "tracing_stop",
	"zombie", "dead", "parked", "idle", "other",
};

static int task_stats_show(struct seq_file *m, void *v)
{
	unsigned long counts[sizeof(stat_states)] = { 0 };
	unsigned long tasks = 0, threads = 0, vm_kb = 0, rss_kb = 0;
	struct pid_namespace *ns = m->private;
	struct task_struct *p;
	struct task_row row;
	size_t i;

	rcu_read_lock();
	for_each_process(p) {
		const char *slot;

		if (!read_row(p, ns, &row))
			continue;
		slot = strchr(stat_states, row.state);
		/* Unknown letters land in the last counter ("other") so the sum still holds. */
		counts[slot ? slot - stat_states : sizeof(stat_states) - 1]++;
		tasks++;
		threads += row.threads;
		vm_kb += row.vm_kb;
		rss_kb += row.rss_kb;
	}
	rcu_read_unlock();

	BUILD_BUG_ON(ARRAY_SIZE(stat_keys) != ARRAY_SIZE(counts));
	for (i = 0; i < ARRAY_SIZE(counts); i++)
		seq_printf(m, "%s: %lu\n", stat_keys[i], counts[i]);
	seq_printf(m, "total_tasks: %lu\ntotal_threads: %lu\n", tasks, threads);
	seq_printf(m, "total_vm_mb: %lu\ntotal_rss_mb: %lu\n", vm_kb >> 10, rss_kb >> 10);
	return 0;
}

static int tasks_open(struct inode *inode, struct file *file)
{
	struct pid_namespace *ns;
	int ret;

	ret = smon_proc_may_open();
	if (ret)
		return ret;
	ns = get_pid_ns(task_active_pid_ns(current));
	/* The file's data is its show function (as proc_create_single's). */
	ret = single_open(file, pde_data(inode), ns);
	if (ret)
		put_pid_ns(ns);
	return ret;
}

static int tasks_release(struct inode *inode, struct file *file)
{
	put_pid_ns(((struct seq_file *)file->private_data)->private);
	return single_release(inode, file);
}

static const struct proc_ops tasks_proc_ops = {
	.proc_open = tasks_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = tasks_release,
};

int smon_tasks_init(struct proc_dir_entry *dir)
{
	/* Readable by root only, like the rest of /proc/syscallmon. */
	if (!proc_create_data("tasks", 0400, dir, &tasks_proc_ops, tasks_show) ||
	    !proc_create_data("task_detail", 0400, dir, &tasks_proc_ops, task_detail_show) ||
	    !proc_create_data("task_stats", 0400, dir, &tasks_proc_ops, task_stats_show))
		return -ENOMEM;
	return 0;
}
