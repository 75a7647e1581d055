// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <uapi/syscallmon.h>

#include "device.h"
#include "exits.h"
#include "main.h"
#include "probes.h"
#include "procfs.h"
#include "ring.h"

static struct proc_dir_entry *proc_dir;

/*
 * /proc/syscallmon/log: one CSV line per record held when the file was
 * opened, `<seconds>,<pid>,<tgid>,<uid>,<comm>,<symbol>` as the first seed
 * printed.  With clear_on_read, closing the file drops what it showed and
 * nothing that arrived after it was opened.
 */
struct log_iter {
	u64 first;		/* tail when opened */
	u64 end;		/* head when opened */
	u64 shown_end;		/* one past the last seq shown */
	struct syscallmon_event rec;
};

static void *log_fetch(struct log_iter *it, loff_t *pos)
{
	/* Records overwritten since open are gone: skip them. */
	for (; it->first + *pos < it->end; (*pos)++)
		if (smon_ring_copy(it->first + *pos, &it->rec))
			return &it->rec;
	return NULL;
}

static void *log_start(struct seq_file *m, loff_t *pos)
{
	return log_fetch(m->private, pos);
}

static void *log_next(struct seq_file *m, void *v, loff_t *pos)
{
	(*pos)++;
	return log_fetch(m->private, pos);
}

static void log_stop(struct seq_file *m, void *v)
{
}

/* A comm is the process's own choice: keep the line six fields and one line. */
static void put_csv_comm(struct seq_file *m, const char *comm)
{
	char clean[SYSCALLMON_COMM_LEN];
	size_t i;

	for (i = 0; i < sizeof(clean) - 1 && comm[i]; i++)
		clean[i] = (comm[i] == ',' || !isprint(comm[i])) ? '_' : comm[i];
	clean[i] = '\0';
	seq_puts(m, clean);
}

static int log_show(struct seq_file *m, void *v)
{
	struct log_iter *it = m->private;
	const struct syscallmon_event *rec = v;
	const char *symbol = rec->type == SYSCALLMON_RECORD_EXIT ? "do_exit" : smon_syscall_symbol(rec->nr);

	seq_printf(m, "%llu,%u,%u,%u,", div_u64(rec->ts_ns, NSEC_PER_SEC), rec->pid, rec->tgid, rec->uid);
	put_csv_comm(m, rec->comm);
	seq_printf(m, ",%s\n", symbol ? symbol : "?");
	it->shown_end = rec->seq + 1;
	return 0;
}

static const struct seq_operations log_seq_ops = {
	.start = log_start,
	.next = log_next,
	.stop = log_stop,
	.show = log_show,
};

static int log_open(struct inode *inode, struct file *file)
{
	struct smon_ring_stats ring;
	struct log_iter *it = __seq_open_private(file, &log_seq_ops, sizeof(*it));

	if (!it)
		return -ENOMEM;
	smon_ring_stats(&ring);
	it->first = ring.tail;
	it->end = ring.head;
	it->shown_end = ring.tail;
	return 0;
}

static int log_release(struct inode *inode, struct file *file)
{
	struct log_iter *it = ((struct seq_file *)file->private_data)->private;

	if (READ_ONCE(smon_clear_on_read))
		smon_ring_clear_below(it->shown_end);
	return seq_release_private(inode, file);
}

static const struct proc_ops log_proc_ops = {
	.proc_open = log_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = log_release,
};

static const char *const mode_names[] = {
	[SYSCALLMON_MODE_OFF] = "OFF",
	[SYSCALLMON_MODE_LOG] = "LOG",
	[SYSCALLMON_MODE_BLOCK] = "BLOCK",
};

static int show_target(const struct syscallmon_target_info *info, void *arg)
{
	struct seq_file *m = arg;
	bool block = info->action == SYSCALLMON_ACTION_BLOCK;
	u32 i;

	seq_printf(m, "%-20s %4u  %-7s %-6s %5d  %-5s %12llu %12llu %12llu %8llu  ",
		   smon_syscall_name(info->nr), info->nr, block ? "BLOCKED" : "ALLOWED",
		   block ? "block" : "log", block ? info->err : 0, info->armed ? "yes" : "no",
		   info->hits, info->logged, info->blocked, info->missed);
	if (info->flags & SYSCALLMON_TARGET_ALL_PIDS) {
		seq_puts(m, "all");
	} else if (!info->npids) {
		seq_puts(m, "none");
	} else {
		for (i = 0; i < info->npids; i++)
			seq_printf(m, "%s%u", i ? "," : "pids ", info->pids[i]);
	}
	if (info->flags & SYSCALLMON_TARGET_FORCE)
		seq_puts(m, " force");
	seq_putc(m, '\n');
	return 0;
}

static int status_show(struct seq_file *m, void *v)
{
	struct smon_ring_stats ring;
	struct smon_probe_stats probes;

	smon_ring_stats(&ring);
	smon_probe_stats(&probes);
	seq_printf(m, "mode: %s\n", mode_names[smon_mode()]);
	seq_printf(m, "api_version: %u\n", SYSCALLMON_API_VERSION);
	seq_printf(m, "capacity: %u\n", ring.capacity);
	seq_printf(m, "clear_on_read: %d\n", READ_ONCE(smon_clear_on_read));
	seq_printf(m, "readers: %u\n", smon_device_readers());
	seq_printf(m, "events: %llu\n", ring.head);
	seq_printf(m, "held: %llu\n", ring.head - ring.tail);
	seq_printf(m, "overwritten: %llu\n", ring.overwritten);
	seq_printf(m, "cleared: %llu\n", ring.cleared);
	seq_printf(m, "missed: %llu\n", probes.missed);
	seq_printf(m, "exit_events: %s\n", smon_exits_events_on() ? "on" : "off");
	seq_printf(m, "exits_seen: %llu\n", smon_exits_seen());
	seq_printf(m, "targets: %u (armed %u)\n", probes.ntargets, probes.armed);
	seq_puts(m, "\nActive filters:\n");
	seq_printf(m, "%-20s %4s  %-7s %-6s %5s  %-5s %12s %12s %12s %8s  %s\n",
		   "SYSCALL", "NR", "STATUS", "ACTION", "ERRNO", "ARMED",
		   "HITS", "LOGGED", "BLOCKED", "MISSED", "SCOPE");
	return smon_targets_for_each(show_target, m);
}

int smon_procfs_init(void)
{
	proc_dir = proc_mkdir("syscallmon", NULL);
	if (!proc_dir)
		return -ENOMEM;
	/* Root only: the log shows every user's processes. */
	if (!proc_create("log", 0400, proc_dir, &log_proc_ops) ||
	    !proc_create_single("status", 0400, proc_dir, status_show)) {
		proc_remove(proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void smon_procfs_exit(void)
{
	proc_remove(proc_dir);
}
