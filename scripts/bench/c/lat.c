// SPDX-License-Identifier: GPL-2.0
/*
 * lat: reaction-latency probes.  Every sample carries its own start time:
 * the producer reads CLOCK_MONOTONIC and puts the value in the message
 * itself (the path of an openat, or the bytes written to a pipe), and the
 * consumer subtracts it from its own CLOCK_MONOTONIC when the message
 * arrives.  Node's process.hrtime() reads the same clock.
 *
 *   lat produce N PREFIX [--stop]
 *       N x openat("PREFIX<t0>") (the file does not exist; the probe fires
 *       on entry anyway), spaced by a pseudo-random 1-3 ms.
 *   lat pipe N
 *       the floor: a child blocked in poll() on a pipe receives N messages
 *       "/<t0>\n" written by the parent with the same spacing; prints the
 *       samples.
 *   lat pipe-write N
 *       only the writer side of that, to stdout (for a reader in node:
 *       scripts/bench/lat-pipe-node.mjs).
 *   lat sink-latency N PREFIX
 *       reads NDJSON (syscallmon tail --json) on stdin and takes a sample
 *       for each line whose "path" starts with PREFIX; stops after N.
 *   lat sink-count
 *       reads NDJSON on stdin to EOF; counts syscall lines, the sum of lost
 *       markers' counts and, of those, configuration records.
 *
 * Samples are printed as one JSON line: {"samples_ns":[...],"expected":N}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define MSG_MAX 256

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: lat produce N PREFIX [--stop] | pipe N | pipe-write N | sink-latency N PREFIX | sink-count\n");
	exit(2);
}

static unsigned long parse_count(const char *s)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || !n)
		usage();
	return n;
}

/* Same pseudo-random 1-3 ms gaps in every run, so producers are comparable. */
static void gap(uint32_t *state)
{
	struct timespec ts = { 0, 0 };

	*state = *state * 1103515245u + 12345u;
	ts.tv_nsec = 1000000 + (long)((*state >> 8) % 2000000);
	nanosleep(&ts, NULL);
}

static void print_samples(const uint64_t *samples, unsigned long count, unsigned long expected)
{
	unsigned long i;

	printf("{\"expected\":%lu,\"samples_ns\":[", expected);
	for (i = 0; i < count; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)samples[i]);
	printf("]}\n");
	fflush(stdout);
}

static int cmd_produce(unsigned long n, const char *prefix, int stop)
{
	char path[MSG_MAX];
	uint32_t state = 12345;
	unsigned long i;

	if (strlen(prefix) > MSG_MAX - 24)
		usage();
	if (stop)
		raise(SIGSTOP);
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		int fd;

		snprintf(path, sizeof(path), "%s%llu", prefix, (unsigned long long)t0);
		fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		gap(&state);
	}
	return 0;
}

/* Writes n messages "/<t0>\n" to fd, one write each, with the producer's spacing. */
static int write_messages(int fd, unsigned long n)
{
	uint32_t state = 12345;
	char msg[MSG_MAX];
	unsigned long i;

	for (i = 0; i < n; i++) {
		int len = snprintf(msg, sizeof(msg), "/%llu\n", (unsigned long long)now_ns());

		if (write(fd, msg, (size_t)len) != len) {
			perror("lat: write");
			return 1;
		}
		gap(&state);
	}
	return 0;
}

static int cmd_pipe(unsigned long n)
{
	uint64_t *samples = calloc(n, sizeof(*samples));
	int fds[2];
	pid_t child;

	if (!samples || pipe2(fds, O_CLOEXEC)) {
		perror("lat pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("lat pipe: fork");
		return 1;
	}
	if (child == 0) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		/* The pipe's whole capacity: a read never ends inside a message. */
		static char msg[65536 + 1];
		unsigned long got = 0;
		char *line;

		close(fds[1]);
		while (got < n) {
			uint64_t t1;
			ssize_t len;

			if (poll(&pfd, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				perror("lat pipe: poll");
				_exit(1);
			}
			len = read(fds[0], msg, sizeof(msg) - 1);
			if (len <= 0)
				break;
			/* A slow reader can find several messages ("/T0\n") in one read. */
			t1 = now_ns();
			msg[len] = '\0';
			for (line = msg; got < n && (line = strchr(line, '/')); line++)
				samples[got++] = t1 - strtoull(line + 1, NULL, 10);
		}
		print_samples(samples, got, n);
		_exit(0);
	}
	close(fds[0]);
	if (write_messages(fds[1], n))
		return 1;
	close(fds[1]);
	{
		int status;

		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	return 0;
}

/* Reads stdin line by line into a growing buffer; calls fn for each complete line. */
static void for_each_line(int (*fn)(char *line, size_t len, void *arg), void *arg)
{
	static char buf[1 << 20];
	size_t have = 0;

	for (;;) {
		ssize_t got = read(0, buf + have, sizeof(buf) - have);
		char *start = buf, *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		have += (size_t)got;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = '\0';
			if (fn(start, (size_t)(nl - start), arg))
				return;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof(buf))
			have = 0;	/* a line longer than the buffer: not NDJSON from tail */
	}
}

struct latency_sink {
	const char *needle;	/* "\"path\":\"PREFIX" */
	size_t needle_len;
	uint64_t *samples;
	unsigned long count, n;
};

static int latency_line(char *line, size_t len, void *arg)
{
	struct latency_sink *s = arg;
	uint64_t t1 = now_ns();
	char *p = memmem(line, len, s->needle, s->needle_len);

	if (!p)
		return 0;
	s->samples[s->count++] = t1 - strtoull(p + s->needle_len, NULL, 10);
	return s->count == s->n;
}

static int cmd_sink_latency(unsigned long n, const char *prefix)
{
	struct latency_sink s = { .n = n };
	char *needle;

	if (asprintf(&needle, "\"path\":\"%s", prefix) < 0)
		return 1;
	s.needle = needle;
	s.needle_len = strlen(needle);
	s.samples = calloc(n, sizeof(*s.samples));
	if (!s.samples)
		return 1;
	for_each_line(latency_line, &s);
	print_samples(s.samples, s.count, n);
	return 0;
}

struct count_sink {
	unsigned long long lines, syscalls, lost_markers, lost, lost_config, other;
};

static int count_line(char *line, size_t len, void *arg)
{
	static const char lost_key[] = "\"count\":", config_key[] = "\"config\":";
	struct count_sink *s = arg;
	char *p;

	s->lines++;
	if (memmem(line, len, "\"type\":\"syscall\"", 16)) {
		s->syscalls++;
	} else if (memmem(line, len, "\"type\":\"lost\"", 13)) {
		s->lost_markers++;
		p = memmem(line, len, lost_key, sizeof(lost_key) - 1);
		if (p)
			s->lost += strtoull(p + sizeof(lost_key) - 1, NULL, 10);
		p = memmem(line, len, config_key, sizeof(config_key) - 1);
		if (p)
			s->lost_config += strtoull(p + sizeof(config_key) - 1, NULL, 10);
	} else {
		s->other++;
	}
	return 0;
}

static int cmd_sink_count(void)
{
	struct count_sink s = { 0 };

	for_each_line(count_line, &s);
	printf("{\"lines\":%llu,\"syscalls\":%llu,\"lost_markers\":%llu,\"lost\":%llu,\"lost_config\":%llu,\"other\":%llu}\n",
	       s.lines, s.syscalls, s.lost_markers, s.lost, s.lost_config, s.other);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "produce") && (argc == 4 || argc == 5)) {
		if (argc == 5 && strcmp(argv[4], "--stop"))
			usage();
		return cmd_produce(parse_count(argv[2]), argv[3], argc == 5);
	}
	if (!strcmp(argv[1], "pipe") && argc == 3)
		return cmd_pipe(parse_count(argv[2]));
	if (!strcmp(argv[1], "pipe-write") && argc == 3)
		return write_messages(1, parse_count(argv[2]));
	if (!strcmp(argv[1], "sink-latency") && argc == 4)
		return cmd_sink_latency(parse_count(argv[2]), argv[3]);
	if (!strcmp(argv[1], "sink-count") && argc == 2)
		return cmd_sink_count();
	usage();
}
