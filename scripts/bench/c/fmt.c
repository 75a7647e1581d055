// SPDX-License-Identifier: GPL-2.0
/*
 * fmt: what formatting tail's NDJSON line costs in C, for comparison with
 * the node encoders (scripts/bench/fmt-js.mjs).  Formats 256 synthetic openat
 * records per batch into one buffer, one write() per batch to /dev/null, for
 * about a second, and prints {"ns_per_event":X,"bytes_per_event":Y}.  The
 * line matches tail --json's for these records (field order, names, hex).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uapi/syscallmon.h>

#define BATCH 256

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *put_dec(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	*p++ = '0';
	*p++ = 'x';
	if (!v) {
		*p++ = '0';
		return p;
	}
	while (!(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[(v >> shift) & 15];
	return p;
}

#define PUT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

static char *put_str(char *p, const char *s, size_t room)
{
	size_t n = strnlen(s, room);

	memcpy(p, s, n);
	return p + n;
}

/* The ISO second is cached: a batch is mostly within one second. */
static char *put_time(char *p, uint64_t ts_ns)
{
	static uint64_t cached_sec = UINT64_MAX;
	static char prefix[32];
	uint64_t sec = ts_ns / 1000000000ull;
	unsigned int ms = (unsigned int)(ts_ns / 1000000ull % 1000);

	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		cached_sec = sec;
		gmtime_r(&t, &tm);
		strftime(prefix, sizeof(prefix), "%Y-%m-%dT%H:%M:%S.", &tm);
	}
	p = put_str(p, prefix, sizeof(prefix));
	*p++ = (char)('0' + ms / 100);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	*p++ = 'Z';
	return p;
}

static char *put_line(char *p, const struct syscallmon_event *e)
{
	int i;

	p = PUT_LIT(p, "{\"type\":\"syscall\",\"seq\":");
	p = put_dec(p, e->seq);
	p = PUT_LIT(p, ",\"ts_ns\":\"");
	p = put_dec(p, e->ts_ns);
	p = PUT_LIT(p, "\",\"time\":\"");
	p = put_time(p, e->ts_ns);
	p = PUT_LIT(p, "\",\"pid\":");
	p = put_dec(p, e->pid);
	p = PUT_LIT(p, ",\"tgid\":");
	p = put_dec(p, e->tgid);
	p = PUT_LIT(p, ",\"ppid\":");
	p = put_dec(p, e->ppid);
	p = PUT_LIT(p, ",\"uid\":");
	p = put_dec(p, e->uid);
	p = PUT_LIT(p, ",\"gid\":");
	p = put_dec(p, e->gid);
	p = PUT_LIT(p, ",\"comm\":\"");
	p = put_str(p, e->comm, sizeof(e->comm));
	/* A real formatter looks the name up by e->nr; the benchmark's records are all openat. */
	p = PUT_LIT(p, "\",\"syscall\":\"openat\",\"nr\":");
	p = put_dec(p, e->nr);
	p = PUT_LIT(p, ",\"action\":\"allowed\",\"errno\":null,\"path\":\"");
	p = put_str(p, e->path, sizeof(e->path));
	p = PUT_LIT(p, "\",\"path_truncated\":false,\"args\":[\"");
	for (i = 0; i < SYSCALLMON_NR_ARGS; i++) {
		if (i)
			p = PUT_LIT(p, "\",\"");
		p = put_hex(p, e->args[i]);
	}
	return PUT_LIT(p, "\"]}\n");
}

int main(void)
{
	static struct syscallmon_event ev[BATCH];
	static char out[BATCH * 1024];
	uint64_t n = 0, t0, t1;
	size_t len = 0;
	int fd, i;

	for (i = 0; i < BATCH; i++) {
		struct syscallmon_event *e = &ev[i];

		e->type = SYSCALLMON_RECORD_SYSCALL;
		e->nr = 257;
		e->seq = 123456 + (uint64_t)i;
		e->ts_ns = 1700000000000000000ull + (uint64_t)i * 11000;
		e->pid = e->tgid = 1234;
		e->ppid = 1;
		strcpy(e->comm, "hot");
		strcpy(e->path, "/dev/null");
		e->args[0] = 0xffffff9c;
		e->args[1] = 0x7ffc12345678;
		e->args[2] = 0x80000;
	}
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("fmt: /dev/null");
		return 1;
	}
	t0 = now_ns();
	do {
		char *p = out;

		for (i = 0; i < BATCH; i++)
			p = put_line(p, &ev[i]);
		len = (size_t)(p - out);
		if (write(fd, out, len) != (ssize_t)len) {
			perror("fmt: write");
			return 1;
		}
		n += BATCH;
		t1 = now_ns();
	} while (t1 - t0 < 1000000000ull);
	printf("{\"ns_per_event\":%.0f,\"bytes_per_event\":%.1f}\n", (double)(t1 - t0) / (double)n,
	       (double)len / BATCH);
	return 0;
}
