// SPDX-License-Identifier: GPL-2.0
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "changes.h"
#include "main.h"
#include "ring.h"
#include "rules.h"
#include "syscalls.h"

static atomic64_t written = ATOMIC64_INIT(0);

u64 smon_changes_written(void)
{
	return atomic64_read(&written);
}

void smon_change(u32 kind, u32 id, const char *fmt, ...)
{
	struct {
		struct syscallmon_config rec;
		char text[SYSCALLMON_CONFIG_TEXT_LEN];
	} c;
	va_list args;
	int n;

	memset(&c.rec, 0, sizeof(c.rec));
	c.rec.h.type = SYSCALLMON_RECORD_CONFIG;
	c.rec.h.ts_ns = ktime_get_real_ns();
	rcu_read_lock();
	smon_task_fill(&c.rec.task);
	rcu_read_unlock();
	c.rec.kind = kind;
	c.rec.id = id;
	va_start(args, fmt);
	n = vscnprintf(c.text, sizeof(c.text), fmt, args);
	va_end(args);
	c.rec.text_len = n + 1;
	smon_ring_push(&c.rec.h, sizeof(c.rec), 0, NULL, c.text, c.rec.text_len, NULL, 0);
	atomic64_inc(&written);
}

static const char *const mode_names[] = {
	[SYSCALLMON_MODE_OFF] = "OFF",
	[SYSCALLMON_MODE_LOG] = "LOG",
	[SYSCALLMON_MODE_BLOCK] = "BLOCK",
};

const char *smon_mode_name(u32 mode)
{
	return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

static const char *const actions[] = { "allow", "log", "block", "kill" };
static const char *const file_ops[] = { "open", "exec", "unlink", "rename", "link", "truncate" };

/* Appends to buf at *at, as far as it fits. */
static __printf(4, 5) void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list args;

	if (*at >= len)
		return;
	va_start(args, fmt);
	*at += vscnprintf(buf + *at, len - *at, fmt, args);
	va_end(args);
}

static void put_range(char *buf, size_t len, size_t *at, const char *name, const struct syscallmon_id_range *r)
{
	if (r->min == r->max)
		put(buf, len, at, " %s=%u", name, r->min);
	else
		put(buf, len, at, " %s=%u-%u", name, r->min, r->max);
}

void smon_describe_rule(const struct smon_rule *r, char *buf, size_t len)
{
	const char *sep = " ";
	size_t at = 0;
	u32 nr, i;

	put(buf, len, &at, "#%u %s %s", r->id, r->name, actions[r->action]);
	if (r->action == SYSCALLMON_RULE_BLOCK || r->action == SYSCALLMON_RULE_KILL)
		put(buf, len, &at, " %s%s", r->flags & SYSCALLMON_RULE_ENFORCE ? "enforce" : "audit",
		    r->flags & SYSCALLMON_RULE_FORCE ? " force" : "");
	for_each_set_bit(nr, r->ops, SYSCALLMON_NR_LIMIT) {
		put(buf, len, &at, "%s%s", sep, smon_op_name(nr));
		sep = ",";
	}
	for (i = 0; i < ARRAY_SIZE(file_ops); i++) {
		if (r->file_ops & (1u << i)) {
			put(buf, len, &at, "%s%s", sep, file_ops[i]);
			sep = ",";
		}
	}
	if (r->flags & SYSCALLMON_SEL_FILE)
		put(buf, len, &at, " file=%s", r->file_path);
	if (r->flags & SYSCALLMON_SEL_PIDS)
		put(buf, len, &at, " pids");
	if (r->flags & SYSCALLMON_SEL_TREE)
		put(buf, len, &at, " tree");
	if (r->flags & SYSCALLMON_SEL_UID)
		put_range(buf, len, &at, "uid", &r->uid);
	if (r->flags & SYSCALLMON_SEL_EUID)
		put_range(buf, len, &at, "euid", &r->euid);
	if (r->flags & SYSCALLMON_SEL_AUID)
		put_range(buf, len, &at, "auid", &r->auid);
	if (r->flags & SYSCALLMON_SEL_GID)
		put_range(buf, len, &at, "gid", &r->gid);
	if (r->flags & SYSCALLMON_SEL_COMM)
		put(buf, len, &at, " comm=%s%s", r->comm, r->flags & SYSCALLMON_RULE_COMM_PREFIX ? "*" : "");
	if (r->flags & SYSCALLMON_SEL_EXE)
		put(buf, len, &at, " exe=%s", r->exe_path);
	if (r->flags & SYSCALLMON_SEL_CGROUP)
		put(buf, len, &at, " cgroup=%s", r->cgroup_path);
	if (r->flags & SYSCALLMON_SEL_PATH)
		put(buf, len, &at, " path=%s%s", r->path, r->flags & SYSCALLMON_RULE_PATH_PREFIX ? "*" : "");
}
