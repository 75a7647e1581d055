// SPDX-License-Identifier: GPL-2.0
/*
 * syscallmon: see, and stop, what processes ask the kernel to do.
 * The ABI and its semantics: include/uapi/syscallmon.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "calls.h"
#include "changes.h"
#include "device.h"
#include "exits.h"
#include "files.h"
#include "main.h"
#include "policy.h"
#include "probes.h"
#include "scopes.h"
#include "syscalls.h"
#include "procfs.h"
#include "ring.h"

atomic64_t smon_allocs_live = ATOMIC64_INIT(0);

static unsigned long ring_size = SYSCALLMON_RING_SIZE_DEFAULT;

static int ring_size_set(const char *val, const struct kernel_param *kp)
{
	unsigned long n;
	int ret = kstrtoul(val, 0, &n);

	if (ret)
		return ret;
	if (n < SYSCALLMON_RING_SIZE_MIN || n > SYSCALLMON_RING_SIZE_MAX || !is_power_of_2(n)) {
		pr_err("ring_size must be a power of two from %u to %u bytes, not %lu\n",
		       SYSCALLMON_RING_SIZE_MIN, SYSCALLMON_RING_SIZE_MAX, n);
		return -EINVAL;
	}
	return param_set_ulong(val, kp);
}

static const struct kernel_param_ops ring_size_ops = {
	.set = ring_size_set,
	.get = param_get_ulong,
};
module_param_cb(ring_size, &ring_size_ops, &ring_size, 0444);
MODULE_PARM_DESC(ring_size, "Ring bytes: a power of two, 64 KiB to 1 GiB (default 1 MiB: over 1024 of the largest records)");

static unsigned int return_slots = SYSCALLMON_RETURN_SLOTS_DEFAULT;

static int return_slots_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	if (n > SYSCALLMON_RETURN_SLOTS_MAX) {
		pr_err("return_slots must be at most %u, not %u\n", SYSCALLMON_RETURN_SLOTS_MAX, n);
		return -EINVAL;
	}
	return param_set_uint(val, kp);
}

static const struct kernel_param_ops return_slots_ops = {
	.set = return_slots_set,
	.get = param_get_uint,
};
module_param_cb(return_slots, &return_slots_ops, &return_slots, 0444);
MODULE_PARM_DESC(return_slots,
		 "Calls followed to their return at once, about 750 bytes each (default 4096); the rest are recorded at entry without a result");

bool smon_clear_on_read;
static bool loaded;	/* the ring takes records */

/* Set at load, or later through /sys/module/syscallmon/parameters: the later is a change. */
static int set_clear_on_read(const char *val, const struct kernel_param *kp)
{
	bool before = READ_ONCE(smon_clear_on_read);
	int ret = param_set_bool(val, kp);

	if (!ret && loaded && before != READ_ONCE(smon_clear_on_read))
		smon_change(SYSCALLMON_CONFIG_PARAM, 0, "clear_on_read %d -> %d", before, !before);
	return ret;
}

static const struct kernel_param_ops clear_on_read_ops = {
	.set = set_clear_on_read,
	.get = param_get_bool,
};
module_param_cb(clear_on_read, &clear_on_read_ops, &smon_clear_on_read, 0644);
MODULE_PARM_DESC(clear_on_read, "Reading /proc/syscallmon/log drops the records it showed");

static int __init syscallmon_init(void)
{
	int ret;

	ret = smon_syscalls_init();
	if (ret)
		return ret;
	ret = smon_ring_init(ring_size);
	if (ret)
		return ret;
	ret = smon_calls_init(return_slots);
	if (ret)
		goto out_free_ring;
	ret = smon_probes_init();
	if (ret)
		goto out_exit_calls;
	ret = smon_files_init();
	if (ret)
		goto out_exit_probes;
	/* Before any scope or opener exists: they are forgotten when their process exits. */
	ret = smon_exits_init();
	if (ret)
		goto out_exit_files;
	ret = smon_scopes_init();
	if (ret)
		goto out_exit_exits;
	ret = smon_policy_init();
	if (ret)
		goto out_exit_exits;
	ret = smon_procfs_init();
	if (ret)
		goto out_exit_policy;
	ret = smon_device_init();
	if (ret)
		goto out_remove_procfs;
	WRITE_ONCE(loaded, true);
	pr_info("loaded: api %u, ring %lu bytes, %u return slots\n", SYSCALLMON_API_VERSION, ring_size,
		return_slots);
	return 0;

out_remove_procfs:
	smon_procfs_exit();
out_exit_policy:
	smon_policy_disarm();
	smon_policy_exit();
out_exit_exits:
	smon_scopes_exit();
	smon_exits_exit();
out_exit_files:
	smon_files_exit();
out_exit_probes:
	smon_probes_exit();
out_exit_calls:
	smon_calls_exit();
out_free_ring:
	smon_ring_free();
	return ret;
}

static void __exit syscallmon_exit(void)
{
	WRITE_ONCE(loaded, false);
	smon_device_exit();
	smon_procfs_exit();
	/* Unhooks every entry point: no call is followed from here on. */
	smon_policy_disarm();
	smon_calls_exit();
	smon_policy_exit();
	smon_exits_exit();
	smon_files_exit();
	smon_probes_exit();
	smon_scopes_exit();
	smon_ring_free();
	pr_info("unloaded: allocations live %lld\n", (long long)atomic64_read(&smon_allocs_live));
}

module_init(syscallmon_init);
module_exit(syscallmon_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Syscall monitor: logs and blocks syscalls, with their results, into a ring buffer");
MODULE_AUTHOR("syscallmon developers");
