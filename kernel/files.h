/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File rules are decided at the kernel's security hooks, on the file the
 * kernel resolved, whatever name, link or path string reached it: the
 * entries of the hook functions (security_file_open, security_path_unlink,
 * ...) are hooked through ftrace, and a refusal makes
 * the hook function return -errno, as an LSM would (a module can't register
 * one).
 */
#ifndef SYSCALLMON_FILES_H
#define SYSCALLMON_FILES_H

#include <linux/types.h>
#include <uapi/syscallmon.h>

/* SYSCALLMON_FILE_* as indexes. */
enum smon_file_op {
	SMON_FILE_OPEN,
	SMON_FILE_EXEC,
	SMON_FILE_UNLINK,
	SMON_FILE_RENAME,
	SMON_FILE_LINK,
	SMON_FILE_TRUNCATE,
	SMON_NR_FILE_OPS,
};

/* The SYSCALLMON_FILE_* this kernel has every hook function for. */
u32 smon_files_supported(void);
/*
 * Hooks the functions the accesses in ops (SYSCALLMON_FILE_*) need and
 * unhooks the others; on error nothing changed.  Process context.
 */
int smon_files_hook(u32 ops);
/* Hook functions hooked now. */
u32 smon_files_hooked(void);
/* Hook runs skipped (recursion). */
u64 smon_files_missed(void);

int smon_files_init(void);
/* Unhooks everything; the caller waits for tasks on their way out (smon_probes_exit). */
void smon_files_exit(void);

#endif
