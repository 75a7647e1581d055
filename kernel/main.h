/* SPDX-License-Identifier: GPL-2.0 */
/* Module-wide parameters and allocation accounting. */
#ifndef SYSCALLMON_MAIN_H
#define SYSCALLMON_MAIN_H

#include <linux/atomic.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "syscallmon needs Linux 6.1 or newer"
#endif
#ifndef CONFIG_X86_64
#error "syscallmon probes the x86_64 syscall entry points"
#endif
#if !defined(CONFIG_KPROBES) || !defined(CONFIG_TASKS_RCU)
#error "syscallmon needs CONFIG_KPROBES and CONFIG_TASKS_RCU"
#endif

extern bool smon_clear_on_read;

/*
 * Debian's kernels have no kmemleak: every allocation goes through these so
 * that unload can report anything still live.
 */
extern atomic64_t smon_allocs_live;

static inline void *smon_kzalloc(size_t size, gfp_t gfp)
{
	void *p = kzalloc(size, gfp);

	if (p)
		atomic64_inc(&smon_allocs_live);
	return p;
}

static inline void smon_kfree(const void *p)
{
	if (p)
		atomic64_dec(&smon_allocs_live);
	kfree(p);
}

/* For arrays a caller sizes: kmalloc when small, vmalloc when not. */
static inline void *smon_kvzalloc(size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	if (p)
		atomic64_inc(&smon_allocs_live);
	return p;
}

static inline void smon_kvfree(const void *p)
{
	if (p)
		atomic64_dec(&smon_allocs_live);
	kvfree(p);
}

static inline void *smon_vzalloc(size_t size)
{
	void *p = vzalloc(size);

	if (p)
		atomic64_inc(&smon_allocs_live);
	return p;
}

static inline void smon_vfree(const void *p)
{
	if (p)
		atomic64_dec(&smon_allocs_live);
	vfree(p);
}

#endif
