// SPDX-License-Identifier: GPL-2.0
/*
 * Workloads for the CLI's tests against the module (test/vm/run.test.ts),
 * where what a process does must be exact and can't be a shell's:
 *
 *   workload flip OK SECRET SECONDS
 *	one thread flips a path buffer between OK and SECRET (in place)
 *	while the main thread opens it in a loop; prints the opens of OK,
 *	of SECRET (checked by inode), the refusals and other errors; exits 0
 *	only if SECRET was never opened, OK was, and some open was refused.
 *   workload threads-create PATH
 *	starts three threads that sleep, then creates PATH from the main
 *	thread; exits 0 if that returned (it should not, under a kill rule).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];
static atomic_int stop;
static const char *ok_path, *secret_path;

static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		memcpy(buf, secret_path, strlen(secret_path) + 1);
		memcpy(buf, ok_path, strlen(ok_path) + 1);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int flip(const char *ok, const char *secret, double seconds)
{
	unsigned long long ok_opens = 0, secret_opens = 0, refused = 0, other = 0;
	struct stat secret_st;
	pthread_t t;
	double end = now() + seconds;

	if (strlen(ok) >= sizeof(buf) || strlen(secret) >= sizeof(buf) || stat(secret, &secret_st)) {
		perror(secret);
		return 2;
	}
	ok_path = ok;
	secret_path = secret;
	strcpy(buf, ok);
	if (pthread_create(&t, NULL, flipper, NULL))
		return 2;
	while (now() < end) {
		struct stat st;
		int fd = syscall(SYS_openat, AT_FDCWD, buf, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			if (errno == EPERM)
				refused++;
			else
				other++;
			continue;
		}
		if (fstat(fd, &st) == 0 && st.st_ino == secret_st.st_ino && st.st_dev == secret_st.st_dev)
			secret_opens++;
		else
			ok_opens++;
		close(fd);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("ok %llu secret %llu refused %llu other %llu\n", ok_opens, secret_opens, refused, other);
	return secret_opens == 0 && ok_opens > 0 && refused > 0 ? 0 : 1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int threads_create(const char *path)
{
	pthread_t t;
	int i, fd;

	for (i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, sleeper, NULL))
			return 2;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	printf("open returned %d\n", fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "flip"))
		return flip(argv[2], argv[3], atof(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "threads-create"))
		return threads_create(argv[2]);
	fprintf(stderr, "usage: workload flip OK SECRET SECONDS | threads-create PATH\n");
	return 2;
}
