// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <uapi/syscallmon.h>

#include "changes.h"
#include "device.h"
#include "exits.h"
#include "scopes.h"
#include "ring.h"

/*
 * "The process is gone" is decided where do_exit() decides it: the thread
 * whose atomic_dec_and_test(&signal->live) hits zero (group_dead).  Nothing
 * seen at do_exit() entry can tell that: threads exiting at once all see
 * live > 1, and a group exit after the leader already left has no leader
 * to report it.  So the probe sits on a function do_exit() calls right
 * after that decision with group_dead as its second argument.
 */
struct exit_site {
	const char *symbol;
	bool code_in_di;	/* first argument is do_exit()'s code, else it is the task */
};

static const struct exit_site exit_sites[] = {
	{ "acct_collect", true },	/* acct_collect(long exitcode, int group_dead), BSD_PROCESS_ACCT */
	{ "taskstats_exit", false },	/* taskstats_exit(tsk, group_dead), after tsk->exit_code = code */
};

/*
 * Exit events are on while they are set on (SET_EXITS, a policy) or an open
 * file holds them on (HOLD): a `run` that reports its command's exits keeps
 * them whatever is set meanwhile or another holder does.
 */
static DEFINE_MUTEX(events_lock);	/* serializes changes of the three */
static bool events_on;			/* what the probe reads */
static bool events_set;
static u32 events_holders;
static const struct exit_site *site;
static atomic64_t exits_seen = ATOMIC64_INIT(0);

static void record_exit(struct task_struct *task, long code)
{
	struct syscallmon_exit ev;
	struct task_struct *t;
	unsigned long flags;
	u64 utime, stime;

	memset(&ev, 0, sizeof(ev));
	ev.h.type = SYSCALLMON_RECORD_EXIT;
	ev.h.ts_ns = ktime_get_real_ns();
	smon_task_fill(&ev.task);
	/* do_exit() takes a wait status: exit(7) arrives as 7 << 8, a kill as the signal. */
	ev.exit_code = (code >> 8) & 0xff;
	ev.signal = code & 0x7f;
	/*
	 * The whole process: released threads are summed in signal, the rest
	 * (this one, and any still between their own group_dead test and
	 * release) are on the thread list.  siglock keeps a release from
	 * moving a thread between the two while we add.
	 */
	spin_lock_irqsave(&task->sighand->siglock, flags);
	ev.utime_ns = task->signal->utime;
	ev.stime_ns = task->signal->stime;
	for_each_thread(task, t) {
		task_cputime_adjusted(t, &utime, &stime);
		ev.utime_ns += utime;
		ev.stime_ns += stime;
	}
	spin_unlock_irqrestore(&task->sighand->siglock, flags);
	smon_ring_push(&ev.h, sizeof(ev), 0, NULL, NULL, 0, NULL, 0);
}

/* Runs in do_exit() of every exiting thread, after group_dead is known; may not sleep. */
static int exit_pre_handler(struct kprobe *kp, struct pt_regs *regs)
{
	struct task_struct *task = current;
	long code;

	/* One event per process, from the thread that ended it. */
	if (!regs->si)
		return 0;
	code = site->code_in_di ? (long)regs->di : task->exit_code;
	atomic64_inc(&exits_seen);
	if (READ_ONCE(events_on)) {
		bool holder;

		rcu_read_lock();
		holder = smon_device_holder(task_tgid(task));
		rcu_read_unlock();
		if (!holder)
			record_exit(task, code);
	}
	smon_scopes_forget(task_tgid(task));
	smon_device_forget(task_tgid(task));
	return 0;
}
NOKPROBE_SYMBOL(exit_pre_handler);

static struct kprobe exit_kp;

int smon_exits_init(void)
{
	int ret = -ENOENT;

	for (site = exit_sites; site < exit_sites + ARRAY_SIZE(exit_sites); site++) {
		memset(&exit_kp, 0, sizeof(exit_kp));
		exit_kp.symbol_name = site->symbol;
		exit_kp.pre_handler = exit_pre_handler;
		ret = register_kprobe(&exit_kp);
		if (ret != -ENOENT && ret != -EINVAL)
			break;
	}
	if (ret)
		pr_err("cannot probe process exits (acct_collect, taskstats_exit): %d\n", ret);
	return ret;
}

/* Caller holds events_lock; whether events_on changed. */
static bool events_update(void)
{
	bool on = events_set || events_holders;
	bool changed = on != events_on;

	WRITE_ONCE(events_on, on);
	return changed;
}

bool smon_exits_set_events(bool on)
{
	bool changed;

	mutex_lock(&events_lock);
	changed = on != events_set;
	WRITE_ONCE(events_set, on);
	events_update();
	mutex_unlock(&events_lock);
	return changed;
}

void smon_exits_hold(bool *held, bool on, pid_t pid)
{
	mutex_lock(&events_lock);
	if (*held != on) {
		*held = on;
		WRITE_ONCE(events_holders, events_holders + (on ? 1 : -1));
		if (events_update())
			smon_change(SYSCALLMON_CONFIG_EXITS, 0, "exit events %s -> %s (%s by pid %d; set: %s)",
				    on ? "off" : "on", on ? "on" : "off", on ? "held" : "released", pid,
				    events_set ? "on" : "off");
	}
	mutex_unlock(&events_lock);
}

bool smon_exits_events_on(void)
{
	return READ_ONCE(events_on);
}

void smon_exits_get(struct smon_exits_info *info)
{
	info->on = READ_ONCE(events_on);
	info->set = READ_ONCE(events_set);
	info->holders = READ_ONCE(events_holders);
}

u64 smon_exits_seen(void)
{
	return atomic64_read(&exits_seen);
}

void smon_exits_exit(void)
{
	unregister_kprobe(&exit_kp);
	pr_info("process exits seen: %lld\n", (long long)atomic64_read(&exits_seen));
}
