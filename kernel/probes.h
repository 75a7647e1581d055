/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The entry hook: one ftrace callback on the entry points (sites) the
 * policy needs, which decodes the call, asks the policy, records it and, to
 * block, makes the call return -errno without running it.
 */
#ifndef SYSCALLMON_PROBES_H
#define SYSCALLMON_PROBES_H

#include <linux/types.h>

/*
 * Hooks every site set in sites (a bitmap over smon_nr_sites()) that isn't
 * hooked yet, all in one ftrace update; on error nothing changed.
 */
int smon_probes_hook(const unsigned long *sites);
/* Unhooks every hooked site not set in sites. */
void smon_probes_unhook_others(const unsigned long *sites);
void smon_probes_unhook_all(void);
/* How many sites are hooked now. */
u32 smon_probes_hooked(void);

int smon_probes_init(void);
/* Waits until no task can still be running the module's text. */
void smon_probes_exit(void);

#endif
