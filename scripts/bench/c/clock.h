/* SPDX-License-Identifier: GPL-2.0 */
/* The benchmark programs' clock. */
#ifndef SYSCALLMON_BENCH_CLOCK_H
#define SYSCALLMON_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: under -icount shift=0, one per guest instruction. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
