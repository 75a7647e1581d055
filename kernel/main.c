// SPDX-License-Identifier: GPL-2.0
/*
 * syscallmon: see, and stop, what processes ask the kernel to do.
 * The ABI and its semantics: include/uapi/syscallmon.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "device.h"
#include "exits.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "scopes.h"
#include "syscalls.h"
#include "procfs.h"
#include "ring.h"

atomic64_t smon_allocs_live = ATOMIC64_INIT(0);

static unsigned int capacity = SYSCALLMON_CAPACITY_DEFAULT;

static int capacity_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	if (n < SYSCALLMON_CAPACITY_MIN || n > SYSCALLMON_CAPACITY_MAX || !is_power_of_2(n)) {
		pr_err("capacity must be a power of two from %u to %u, not %u\n",
		       SYSCALLMON_CAPACITY_MIN, SYSCALLMON_CAPACITY_MAX, n);
		return -EINVAL;
	}
	return param_set_uint(val, kp);
}

static const struct kernel_param_ops capacity_ops = {
	.set = capacity_set,
	.get = param_get_uint,
};
module_param_cb(capacity, &capacity_ops, &capacity, 0444);
MODULE_PARM_DESC(capacity, "Ring records: a power of two, 16 to 1048576 (default 1024)");

bool smon_clear_on_read;
module_param_named(clear_on_read, smon_clear_on_read, bool, 0644);
MODULE_PARM_DESC(clear_on_read, "Reading /proc/syscallmon/log drops the records it showed");

static int __init syscallmon_init(void)
{
	int ret;

	ret = smon_syscalls_init();
	if (ret)
		return ret;
	ret = smon_ring_init(capacity);
	if (ret)
		return ret;
	ret = smon_probes_init();
	if (ret)
		goto out_free_ring;
	/* Before any scope or opener exists: they are forgotten when their process exits. */
	ret = smon_exits_init();
	if (ret)
		goto out_exit_probes;
	ret = smon_policy_init();
	if (ret)
		goto out_exit_exits;
	ret = smon_procfs_init();
	if (ret)
		goto out_exit_policy;
	ret = smon_device_init();
	if (ret)
		goto out_remove_procfs;
	pr_info("loaded: api %u, capacity %u, record %zu bytes\n",
		SYSCALLMON_API_VERSION, capacity, sizeof(struct syscallmon_event));
	return 0;

out_remove_procfs:
	smon_procfs_exit();
out_exit_policy:
	smon_policy_exit();
out_exit_exits:
	smon_exits_exit();
out_exit_probes:
	smon_probes_exit();
	smon_scopes_exit();
out_free_ring:
	smon_ring_free();
	return ret;
}

static void __exit syscallmon_exit(void)
{
	smon_device_exit();
	smon_procfs_exit();
	smon_policy_exit();
	smon_exits_exit();
	smon_probes_exit();
	smon_scopes_exit();
	smon_ring_free();
	pr_info("unloaded: allocations live %lld\n", (long long)atomic64_read(&smon_allocs_live));
}

module_init(syscallmon_init);
module_exit(syscallmon_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Syscall monitor: kprobe logging and blocking with a ring buffer");
MODULE_AUTHOR("syscallmon developers");
