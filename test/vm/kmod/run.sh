#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the syscallmon.ko integration tests and prints TAP 13 on stdout.
# Inside the QEMU guest only, as root: the tests load and unload the module.
#
#   SYSCALLMON_KO=/path/syscallmon.ko \
#   SYSCALLMON_TEST_BIN=/repo/build/test/kmod \
#   SYSCALLMON_RESULTS=/writable/dir \
#   test/vm/kmod/run.sh [TEST_NUMBER...]
#
# Each test program loads the module with the parameters it needs and
# unloads it; the loop around them (test/vm/lib.sh) unloads whatever a failed
# test left behind and checks the kernel log written during each test for
# WARNING/BUG/Oops/... lines.  Per test, SYSCALLMON_RESULTS gets <prog>.log
# (its output) and <prog>.dmesg (kernel log during it); kmod.tap is a copy
# of stdout.
#
# Exit status: 0 all passed, 1 a test failed, 2 bad environment or usage.
set -u

. "$(dirname "$0")/../lib.sh"

TEST_TIMEOUT=${SYSCALLMON_TEST_TIMEOUT:-300}
KMSG_TAG=syscallmon-test
SKIP_STATUS=

require_env SYSCALLMON_TEST_BIN test/vm/kmod
tap_open kmod

# number|program|description
TESTS='1|t1_load_unload|load/unload 3 times: device and /proc files appear and disappear, the openat entry point is hooked while armed and not after disarm and unload
2|t2_log_openat|LOG openat: a scoped child opening a known path 100 times yields exactly 100 openat events with its pid, tgid, uid, comm and path
3|t3_off_untargeted|OFF, and a syscall not targeted: zero events, zero probes
4|t4_block_openat|BLOCK openat for one pid: open(O_CREAT) fails with EPERM and creates nothing, another process is unaffected, events say blocked; LOG mode says would block
5|t5_ring_overwrite|ring overwrite: the smallest ring holds 409 getppid records; 5000 scoped calls give one lost marker of exactly 4591 and then the newest 409
6|t6_clear_on_read|clear_on_read on and off: /proc/syscallmon/log CSV lines consumed or kept
7|t7_bad_ioctls|bad ioctls give the right errno; a root opener dropped to nobody gets EPERM; a GET_TARGETS waiting on a userfaultfd fault does not hold up SET_MODE
8|t8_reader_wakeup|a reader blocked in poll() and one blocked in read() wake when an event arrives; a reader with a wakeup only past it, or at once when it lowers it or seeks back
9|t9_task_lister|task lister: rows for a 3-thread, an 8 MB and an other-uid process agree with /proc/<pid>/status, task_detail TIDS match /proc/<pid>/task, task_stats states add up to the total
10|t10_exit_events|exit events: exit(7) after 300 ms of CPU gives one record with code 7 and its utime, SIGTERM gives signal 15, one record per multithreaded process, the counter follows, off means none
11|t11_proc_control|/proc control: pid add/del scope later targets; openat log + unlink block make coreutils unlink fail with EPERM while openat is logged; garbage is EINVAL and changes nothing; mode off, clear
12|t12_pid_intercept|per-pid intercept: EBUSY, EINVAL, ESRCH, monitor start/stop (a gone pid named beside a live one does not keep it); a monitored pid leaves the scope when its process ends however it ends, and a reused pid is not monitored
13|t13_proc_access|root under capsh --drop=cap_sys_admin,cap_dac_override,cap_dac_read_search gets EPERM opening every /proc/syscallmon file and the device; full root opens and reads them
14|t14_task_pid_namespace|task lister in unshare -pf --mount-proc: exactly the namespace'"'"'s processes, numbered as its /proc numbers them (PPID, TIDS, totals); the initial namespace still sees every process
15|t15_log_partial_read|clear_on_read drops only fully read lines: 10 bytes keep all 30 records, one line byte by byte clears 1, a line and a piece clears 1 more; the CSV is byte for byte what the records say
16|t16_lost_vs_cleared|a reader behind CLEAR_LOG or clear_on_read gets no lost record for cleared records, and an exact one for overwritten ones, config records counted among them; a faulting read loses nothing
17|t17_entry_points|every entry point from the kernel tables: stat, fstat, lstat, sendfile, uname, umount2 blocked for 64-bit and all their i386 forms, socket and connect through i386 socketcall (no fd target read from its call number), semget through i386 ipc, the path and fd of i386 old mmap and fanotify_mark where they are, x32 when enabled, stat and x32 with bits above 32 set in rax
18|t18_toggle_race|a target toggled as fast as possible between log-everyone and block-one-process, through the ioctls and /proc control, then whole policies (mode and rules) between BLOCK with an exception and LOG: a bystander never fails, the process fails only with EPERM
19|t19_arm_all|every implemented syscall on every ABI hooked in one mode change and unhooked in another: status and ftrace agree, nothing left behind
20|t20_process_identity|a zombie or reaped pid is refused (ESRCH); the device opener forks, its child keeps the file, the opener exits: the child is monitored, and a new process given the pid of the opener is logged and can be blocked; an opener that closes its last fd while its child keeps the file is monitored
21|t21_complete_calls|complete calls: results, errnos and fd targets (a file, a pipe, a socket, an eventfd) of known calls equal what the process saw, a waiting read lasts 300 ms, a blocked call is one record, NULL is no path, failures only, entry and result linked by call_id
22|t22_return_slots|1000 threads waiting in read: all get their results by default, exactly 900 are recorded at entry without one with return_slots=100, all 1000 with return_slots=0; unload while they wait is clean
23|t23_mapped_reader|the mapped reader sees what read() sees, is told exactly what it lost, cannot write the ring; mapping and closing while a producer runs is safe; a FETCH position inside a record, however much its bytes look like a header, is EINVAL
24|t24_rule_selectors|selectors: uid (setpriv), euid, gid, login uid, comm exact and prefix, exe (hard link, #! script, exec before load), cgroup v2 group and child group, path exact and prefix, pids each refuse only their processes; counters exact; records name the rule
25|t25_rule_actions|rules in order: allow dpkg before block, counters exact, records name their rule; audit logs would_block and the call runs, enforced it is refused, LOG mode is the master switch; kill ends a 4-thread process before its create runs; the holder is exempt unless forced
26|t26_process_tree|process trees: 10 processes over three levels are listed while they live, each has its first syscall and its open recorded and a bystander nothing; the tree empties as they exit; 501 live processes are listed, none missed
27|t27_rule_lifetime|a file owned rule goes when its last holder exits, is killed or its child lets go, hand rules stay; 27 bad rule requests get their errno and add nothing; a policy with one bad rule changes nothing; 4096 rules fit and the next is ENOSPC; several rules deleted at once go together or not at all
28|t28_file_rules|a file rule refuses opening a file by path, symlink, hard link, /proc/self/root and relative paths, its exec (as a program interpreter too), unlink, rename, link and truncate, and a path swapped mid-call for 10 s; an allow rule lets cat through, not a traced cat; the record names the resolved file; audit, directories, a file replaced by rename is stale, and a file in another btrfs subvolume with the same inode number is not the protected one
29|t29_config_records|every change by another process (mode, targets, pids, rules, policy with its tag, exit events, close), through /proc and a module parameter, is a config record with its pid, uid and comm; a clear leaves its record; an overtaken reader is told how many config records it lost
30|t30_path_copy|a path argument is copied whole when it ends against an inaccessible page, unreadable when it runs into one, and truncated exactly at the record limit
31|t31_mode_hold|a file holding BLOCK or LOG keeps that mode while it is open, whatever is set meanwhile or another holder does, and exit events held on stay on when set off; a holder that exits lets go; each change says who held or let go; bad holds are EINVAL or EFAULT'

select_tests "$@"
tap_plan
run_tests
