/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The event schema: every field an event has, in the order the library's
 * events, NDJSON and CSV show it, its one name in all three, and where its
 * value comes from in the records of syscallmon.h.  The module does not
 * use it.  The addon compiles it and exports it (its NDJSON formatter
 * writes these fields, as a test holds it to); the library decodes records
 * and encodes events by it, CSV takes its columns from it, and the
 * README's field list is checked against it.
 *
 * SYSCALLMON_EVENT_FIELDS(F) calls F(name, kind, presence, records, rec, member, flag)
 * once per field:
 *
 *   name      the field's name: an event's property, an NDJSON key, a CSV column
 *   kind      how NDJSON writes the value:
 *               DECIMAL         a number, every digit of it (64-bit values too)
 *               DECIMAL_STRING  a string of decimal digits: a u64 beyond 2^53
 *               HEX             a list of SYSCALLMON_NR_ARGS "0x..." strings
 *               ISO_TIME        "2026-11-23T02:43:46.956Z", to the millisecond
 *               STRING          a string
 *               BOOL            true or false
 *   presence  ALWAYS, or NULLABLE: null in a record that lacks it (below)
 *   records   the record types that carry it (SYSCALLMON_IN_*)
 *   rec       the record struct it is read from (struct syscallmon_<rec>); a
 *             field of several record types reads a member they share
 *             (h.*, task.*) at the same offset in each
 *   member    the member it is read from, or derived from
 *   flag      the SYSCALLMON_SYSCALL_* flag a BOOL is, or without which a
 *             NULLABLE field is null; 0 for none
 *
 * Derived values:
 *   type         the record type's name: "syscall", "exit", "config", "lost"
 *   time         ts_ns as an ISO 8601 UTC time
 *   syscall      nr's name in the generated syscall table; "none" for a file
 *                access made in no syscall (nr SYSCALLMON_NR_NONE: a kernel
 *                thread's, an io_uring worker's)
 *   abi          "x86_64", "i386" or "x32" (enum syscallmon_abi)
 *   verdict      "allowed", "blocked", "would_block", "killed" or
 *                "would_kill" (enum syscallmon_verdict)
 *   block_errno  the errno name a block target returns (blocked) or would
 *                (would_block); null when it has none
 *   rule         the id of the rule that decided; null: the syscall's target
 *   file         decided by a file rule at a security hook
 *                (SYSCALLMON_SYSCALL_FILE): path is the file accessed, as the
 *                kernel resolved it
 *   errno        the errno name of a call that returned an error (ret in
 *                -SYSCALLMON_MAX_ERRNO..-1), a blocked call included; else null
 *   call_id      the entry record's seq, in both halves of a RECORD_BOTH
 *                call; null for a call recorded once
 *   path         the path argument: path_len bytes at data
 *   target       what the fd argument referred to: target_len bytes after the path
 *   kind         what a configuration record is about (enum
 *                syscallmon_config_kind): "mode", "target", "pids",
 *                "rule_add", "rule_del", "policy", "clear", "exits", "param",
 *                "closed"
 *   text         what changed: text_len bytes at data
 *
 * ts_ns is when the call entered the kernel; seq is the order records were
 * written, which for a call recorded at its return is the order calls
 * returned.  Records in seq order need not be in ts_ns order.
 */
#ifndef _UAPI_SYSCALLMON_SCHEMA_H
#define _UAPI_SYSCALLMON_SCHEMA_H

#include "syscallmon.h"

#define SYSCALLMON_IN_SYSCALL		(1u << SYSCALLMON_RECORD_SYSCALL)
#define SYSCALLMON_IN_EXIT		(1u << SYSCALLMON_RECORD_EXIT)
#define SYSCALLMON_IN_LOST		(1u << SYSCALLMON_RECORD_LOST)
#define SYSCALLMON_IN_CONFIG		(1u << SYSCALLMON_RECORD_CONFIG)
/* The records that carry a task: it is at one offset in each. */
#define SYSCALLMON_IN_EVENTS		(SYSCALLMON_IN_SYSCALL | SYSCALLMON_IN_EXIT | SYSCALLMON_IN_CONFIG)
#define SYSCALLMON_IN_ALL		(SYSCALLMON_IN_EVENTS | SYSCALLMON_IN_LOST)

#define SYSCALLMON_EVENT_FIELDS(F) \
	F(type,            STRING,         ALWAYS,   SYSCALLMON_IN_ALL,     syscall, h.type,      0) \
	F(seq,             DECIMAL,        ALWAYS,   SYSCALLMON_IN_ALL,     syscall, h.seq,       0) \
	F(ts_ns,           DECIMAL_STRING, ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, h.ts_ns,     0) \
	F(time,            ISO_TIME,       ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, h.ts_ns,     0) \
	F(pid,             DECIMAL,        ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.pid,    0) \
	F(tgid,            DECIMAL,        ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.tgid,   0) \
	F(ppid,            DECIMAL,        ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.ppid,   0) \
	F(uid,             DECIMAL,        ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.uid,    0) \
	F(gid,             DECIMAL,        ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.gid,    0) \
	F(comm,            STRING,         ALWAYS,   SYSCALLMON_IN_EVENTS,  syscall, task.comm,   0) \
	F(syscall,         STRING,         ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, nr,          0) \
	F(nr,              DECIMAL,        ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, nr,          0) \
	F(abi,             STRING,         ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, abi,         0) \
	F(native_nr,       DECIMAL,        ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, native_nr,   0) \
	F(verdict,         STRING,         ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, verdict,     0) \
	F(block_errno,     STRING,         NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, err,         0) \
	F(rule,            DECIMAL,        NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, rule,        0) \
	F(file,            BOOL,           ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, h.flags,     SYSCALLMON_SYSCALL_FILE) \
	F(path,            STRING,         NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, data,        SYSCALLMON_SYSCALL_PATH) \
	F(path_truncated,  BOOL,           ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, h.flags,     SYSCALLMON_SYSCALL_PATH_TRUNCATED) \
	F(path_unreadable, BOOL,           ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, h.flags,     SYSCALLMON_SYSCALL_PATH_UNREADABLE) \
	F(target,          STRING,         NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, data,        SYSCALLMON_SYSCALL_TARGET) \
	F(args,            HEX,            ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, args,        0) \
	F(ret,             DECIMAL,        NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, ret,         SYSCALLMON_SYSCALL_RESULT) \
	F(errno,           STRING,         NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, ret,         SYSCALLMON_SYSCALL_RESULT) \
	F(duration_ns,     DECIMAL_STRING, NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, duration_ns, SYSCALLMON_SYSCALL_RESULT) \
	F(call_id,         DECIMAL,        NULLABLE, SYSCALLMON_IN_SYSCALL, syscall, call_id,     0) \
	F(entry,           BOOL,           ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, h.flags,     SYSCALLMON_SYSCALL_ENTRY) \
	F(no_result,       BOOL,           ALWAYS,   SYSCALLMON_IN_SYSCALL, syscall, h.flags,     SYSCALLMON_SYSCALL_NO_RESULT) \
	F(exit_code,       DECIMAL,        ALWAYS,   SYSCALLMON_IN_EXIT,    exit,    exit_code,   0) \
	F(signal,          DECIMAL,        ALWAYS,   SYSCALLMON_IN_EXIT,    exit,    signal,      0) \
	F(utime_ns,        DECIMAL_STRING, ALWAYS,   SYSCALLMON_IN_EXIT,    exit,    utime_ns,    0) \
	F(stime_ns,        DECIMAL_STRING, ALWAYS,   SYSCALLMON_IN_EXIT,    exit,    stime_ns,    0) \
	F(kind,            STRING,         ALWAYS,   SYSCALLMON_IN_CONFIG,  config,  kind,        0) \
	F(id,              DECIMAL,        ALWAYS,   SYSCALLMON_IN_CONFIG,  config,  id,          0) \
	F(text,            STRING,         ALWAYS,   SYSCALLMON_IN_CONFIG,  config,  data,        0) \
	F(count,           DECIMAL,        ALWAYS,   SYSCALLMON_IN_LOST,    lost,    count,       0) \
	F(config,          DECIMAL,        ALWAYS,   SYSCALLMON_IN_LOST,    lost,    config,      0)

#endif /* _UAPI_SYSCALLMON_SCHEMA_H */
