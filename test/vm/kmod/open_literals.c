// SPDX-License-Identifier: GPL-2.0
/*
 * A workload for the CLI's tests: opens 300 paths that are string literals
 * of this program (none exists), dropping the page that holds each one just
 * before its openat, so the kernel meets every path on a page that is not
 * present, as a fresh program's first touch of its literals does.  Prints
 * how many opens failed with ENOENT.
 *
 *   open_literals        300 openat calls of /nonexistent/literal-000 .. -299
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P(n) "/nonexistent/literal-" #n
#define D(t) P(t##0), P(t##1), P(t##2), P(t##3), P(t##4), P(t##5), P(t##6), P(t##7), P(t##8), P(t##9)
#define H(h) D(h##0), D(h##1), D(h##2), D(h##3), D(h##4), D(h##5), D(h##6), D(h##7), D(h##8), D(h##9)

static const char *const paths[] = { H(0), H(1), H(2) };

int main(void)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	int missing = 0;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		/* A private read-only file mapping: dropping it only unmaps the page; the next touch reads it again. */
		if (madvise((void *)((uintptr_t)paths[i] & ~(page - 1)), page, MADV_DONTNEED) != 0) {
			perror("open_literals: madvise");
			return 1;
		}
		if (syscall(SYS_openat, AT_FDCWD, paths[i], O_RDONLY) < 0 && errno == ENOENT)
			missing++;
	}
	printf("%d\n", missing);
	return 0;
}
