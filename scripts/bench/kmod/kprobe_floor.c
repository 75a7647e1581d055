// SPDX-License-Identifier: GPL-2.0
/*
 * kprobe_floor: bench-only.  The cheapest thing a kprobe-based monitor can
 * do on a syscall: a kprobe on one symbol whose handler only counts.  The
 * benchmark compares syscallmon's LOG path against this floor.
 *
 *   insmod kprobe_floor.ko symbol=__x64_sys_openat [post=1]
 *   cat /sys/module/kprobe_floor/parameters/hits
 *
 * post=1 adds an empty post_handler, as syscallmon's probes have (it keeps
 * a kprobe from being optimized into a jump), to tell that cost apart.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>

static char *symbol = "__x64_sys_openat";
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "Symbol to probe (default __x64_sys_openat)");

static bool post;
module_param(post, bool, 0444);
MODULE_PARM_DESC(post, "Add an empty post_handler, like syscallmon's probes");

static DEFINE_PER_CPU(u64, floor_hits);

static int hits_get(char *buf, const struct kernel_param *kp)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(floor_hits, cpu));
	return sysfs_emit(buf, "%llu\n", (unsigned long long)sum);
}

static const struct kernel_param_ops hits_ops = { .get = hits_get };
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "Probe hits so far (read-only)");

/* Runs at the probed symbol, preemption disabled. */
static int floor_pre(struct kprobe *kp, struct pt_regs *regs)
{
	this_cpu_inc(floor_hits);
	return 0;
}
NOKPROBE_SYMBOL(floor_pre);

static void floor_post(struct kprobe *kp, struct pt_regs *regs, unsigned long flags)
{
}
NOKPROBE_SYMBOL(floor_post);

static struct kprobe floor_kp;

static int __init kprobe_floor_init(void)
{
	int ret;

	floor_kp.symbol_name = symbol;
	floor_kp.pre_handler = floor_pre;
	if (post)
		floor_kp.post_handler = floor_post;
	ret = register_kprobe(&floor_kp);
	if (ret) {
		pr_err("cannot probe %s: %d\n", symbol, ret);
		return ret;
	}
	pr_info("probing %s at %px%s\n", symbol, floor_kp.addr,
		kprobe_ftrace(&floor_kp) ? " (ftrace)" : "");
	return 0;
}

static void __exit kprobe_floor_exit(void)
{
	unregister_kprobe(&floor_kp);
}

module_init(kprobe_floor_init);
module_exit(kprobe_floor_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Bench-only: a kprobe that only counts hits (the overhead floor)");
