// SPDX-License-Identifier: GPL-2.0
/*
 * fmt: what formatting tail's NDJSON line costs in C, for comparison with
 * the node encoders (scripts/bench/fmt-js.mjs).  Formats 256 synthetic openat
 * records per batch (complete: fd 3 after 12.3 us) into one buffer, one
 * write() per batch to /dev/null, for about a second, and prints
 * {"ns_per_event":X,"bytes_per_event":Y}.  The line matches tail --json's
 * for these records (field order, names, hex); the fields that can only be
 * null or false for them are written as constants.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uapi/syscallmon.h>

#include "clock.h"

#define BATCH 256

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
/* A key as it is written (",\"pid\":") and its number. */
#define PUT_DEC(p, key, v) put_dec(PUT_LIT(p, key), (v))

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

static char *put_line(char *p, const struct syscallmon_syscall *e)
{
	int i;

	p = PUT_DEC(p, "{\"type\":\"syscall\",\"seq\":", e->h.seq);
	p = PUT_DEC(p, ",\"ts_ns\":\"", e->h.ts_ns);
	p = PUT_LIT(p, "\",\"time\":\"");
	p = put_time(p, e->h.ts_ns);
	p = PUT_DEC(p, "\",\"pid\":", e->task.pid);
	p = PUT_DEC(p, ",\"tgid\":", e->task.tgid);
	p = PUT_DEC(p, ",\"ppid\":", e->task.ppid);
	p = PUT_DEC(p, ",\"uid\":", e->task.uid);
	p = PUT_DEC(p, ",\"gid\":", e->task.gid);
	p = PUT_LIT(p, ",\"comm\":\"");
	p = put_str(p, e->task.comm, sizeof(e->task.comm));
	/* A real formatter looks the name up by e->nr; the benchmark's records are all openat. */
	p = PUT_DEC(p, "\",\"syscall\":\"openat\",\"nr\":", e->nr);
	p = PUT_DEC(p, ",\"abi\":\"x86_64\",\"native_nr\":", e->native_nr);
	p = PUT_LIT(p, ",\"verdict\":\"allowed\",\"block_errno\":null,\"rule\":null,\"file\":false,\"path\":\"");
	p = put_str(p, e->data, e->path_len);
	p = PUT_LIT(p, "\",\"path_truncated\":false,\"path_unreadable\":false,\"target\":null,\"args\":[\"");
	for (i = 0; i < SYSCALLMON_NR_ARGS; i++) {
		if (i)
			p = PUT_LIT(p, "\",\"");
		p = put_hex(p, e->args[i]);
	}
	p = PUT_DEC(p, "\"],\"ret\":", (uint64_t)e->ret);
	p = PUT_DEC(p, ",\"errno\":null,\"duration_ns\":\"", e->duration_ns);
	return PUT_LIT(p, "\",\"call_id\":null,\"entry\":false,\"no_result\":false}\n");
}

#define PATH "/dev/null"
/* Each record: the fixed part, then the path with its NUL, padded as the module pads it. */
#define RECORD ((sizeof(struct syscallmon_syscall) + sizeof(PATH) + SYSCALLMON_RECORD_ALIGN - 1) & \
		~(size_t)(SYSCALLMON_RECORD_ALIGN - 1))

int main(void)
{
	static uint64_t records[BATCH][RECORD / 8];
	static char out[BATCH * 1024];
	uint64_t n = 0, t0, t1;
	size_t len = 0;
	int fd, i;

	for (i = 0; i < BATCH; i++) {
		struct syscallmon_syscall *e = (struct syscallmon_syscall *)records[i];

		e->h.size = RECORD;
		e->h.type = SYSCALLMON_RECORD_SYSCALL;
		e->h.flags = SYSCALLMON_SYSCALL_PATH | SYSCALLMON_SYSCALL_RESULT;
		e->h.seq = 123456 + (uint64_t)i;
		e->h.ts_ns = 1700000000000000000ull + (uint64_t)i * 11000;
		e->task.pid = e->task.tgid = 1234;
		e->task.ppid = 1;
		strcpy(e->task.comm, "hot");
		e->nr = e->native_nr = 257;
		e->ret = 3;
		e->duration_ns = 12345;
		e->args[0] = 0xffffff9c;
		e->args[1] = 0x7ffc12345678;
		e->args[2] = 0x80000;
		e->path_len = sizeof(PATH);
		memcpy(e->data, PATH, sizeof(PATH));
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
			p = put_line(p, (const struct syscallmon_syscall *)records[i]);
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
