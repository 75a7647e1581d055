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
# unloads it; after each one this script unloads whatever a failed test left
# behind, so one failure does not become the next test's failure, and checks
# the kernel log written during the test for WARNING/BUG/Oops/... lines.
# Per test, SYSCALLMON_RESULTS gets <prog>.log (its output) and <prog>.dmesg
# (kernel log during it); kmod.tap is a copy of stdout.
#
# Exit status: 0 all passed, 1 a test failed, 2 bad environment or usage.
set -u

TEST_TIMEOUT=${SYSCALLMON_TEST_TIMEOUT:-300}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

[ -n "${SYSCALLMON_KO:-}" ] || die "SYSCALLMON_KO is not set (path of syscallmon.ko)"
[ -r "$SYSCALLMON_KO" ] || die "SYSCALLMON_KO=$SYSCALLMON_KO is not a readable file"
[ -n "${SYSCALLMON_TEST_BIN:-}" ] || die "SYSCALLMON_TEST_BIN is not set (dir of the built tests)"
[ -x "$SYSCALLMON_TEST_BIN/smon_util" ] ||
	die "no $SYSCALLMON_TEST_BIN/smon_util: run 'make -C test/vm/kmod' on the host first"
[ -n "${SYSCALLMON_RESULTS:-}" ] || die "SYSCALLMON_RESULTS is not set (a writable dir)"
mkdir -p "$SYSCALLMON_RESULTS" 2>/dev/null
[ -d "$SYSCALLMON_RESULTS" ] && [ -w "$SYSCALLMON_RESULTS" ] ||
	die "SYSCALLMON_RESULTS=$SYSCALLMON_RESULTS is not a writable directory"
[ "$(id -u)" = 0 ] || die "must run as root (it loads the module)"
case $TEST_TIMEOUT in
'' | *[!0-9]*) die "SYSCALLMON_TEST_TIMEOUT=$TEST_TIMEOUT is not a number of seconds" ;;
esac

export SYSCALLMON_KO
bin=$SYSCALLMON_TEST_BIN
results=$SYSCALLMON_RESULTS
util=$bin/smon_util
tap=$results/kmod.tap
: >"$tap"

# number|program|description (1-8: issue 2, section 3; 9-12: issue 4)
TESTS='1|t1_load_unload|load/unload 3 times: device and /proc files appear and disappear, the kprobe is listed while armed and gone after disarm and unload
2|t2_log_openat|LOG openat: a scoped child opening a known path 100 times yields exactly 100 openat events with its pid, tgid, uid, comm and path
3|t3_off_untargeted|OFF, and a syscall not targeted: zero events, zero probes
4|t4_block_openat|BLOCK openat for one pid: open(O_CREAT) fails with EPERM and creates nothing, another process is unaffected, events say blocked; LOG mode says would block
5|t5_ring_overwrite|ring overwrite: capacity 1024, 5000 scoped events give one lost marker of exactly 3976 and then the newest 1024
6|t6_clear_on_read|clear_on_read on and off: /proc/syscallmon/log CSV lines consumed or kept
7|t7_bad_ioctls|bad ioctls give the right errno; a root opener dropped to nobody gets EPERM
8|t8_reader_wakeup|a reader blocked in poll() and one blocked in read() wake when an event arrives
9|t9_task_lister|task lister: rows for a 3-thread, an 8 MB and an other-uid process agree with /proc/<pid>/status, task_detail TIDS match /proc/<pid>/task, task_stats states add up to the total
10|t10_exit_events|exit events: exit(7) after 300 ms of CPU gives one record with code 7 and its utime, SIGTERM gives signal 15, one record per multithreaded process, the counter follows, off means none
11|t11_proc_control|/proc control: pid add/del scope later targets; openat log + unlink block make coreutils unlink fail with EPERM while openat is logged; garbage is EINVAL and changes nothing; mode off, clear
12|t12_pid_intercept|per-pid intercept: EBUSY, EINVAL, ESRCH, monitor start/stop; a monitored pid leaves the scope when its process ends however it ends, and a reused pid is not monitored'

for want in "$@"; do
	case $want in
	[1-9] | 1[0-2]) ;;
	*) die "unknown test '$want' (tests are 1-12)" ;;
	esac
done
[ $# -gt 0 ] || set -- 1 2 3 4 5 6 7 8 9 10 11 12

out() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$tap"
}

# Test output and kernel lines become TAP diagnostics.
diag_file() {
	sed -e 's/^# //' -e 's/^/# /' "$1" | tee -a "$tap"
}

kmsg_note() {
	echo "syscallmon-test: $*" >/dev/kmsg 2>/dev/null
}

wanted() {
	for want in $selection; do [ "$want" = "$1" ] && return 0; done
	return 1
}
selection=$*
count=0
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
	if wanted "$n"; then count=$((count + 1)); fi
done

out "TAP version 13"
out "1..$count"

failed=0
index=0
while IFS='|' read -r n prog name <&3; do
	wanted "$n" || continue
	index=$((index + 1))
	log=$results/$prog.log
	: >"$log"
	ok=1

	# A module left by something before us would make this test's load fail.
	if ! "$util" unload >>"$log" 2>&1; then
		echo "# a syscallmon module loaded before this test could not be unloaded" >>"$log"
	fi

	seq=$("$util" kmsg-seq 2>>"$log") || seq=-1
	kmsg_note "begin test $n $prog"
	start=$(date +%s)
	if [ -x "$bin/$prog" ]; then
		timeout -k 10 "$TEST_TIMEOUT" "$bin/$prog" </dev/null >>"$log" 2>&1
		rc=$?
	else
		echo "# $bin/$prog is missing or not executable" >>"$log"
		rc=127
	fi
	elapsed=$(($(date +%s) - start))
	case $rc in
	0) ;;
	124 | 137) ok=0; echo "# timed out after ${TEST_TIMEOUT} s" >>"$log" ;;
	*) ok=0; echo "# exit status $rc" >>"$log" ;;
	esac

	# Whatever the test left loaded must go, or every later test fails too.
	if [ -d /sys/module/syscallmon ]; then
		if [ $ok = 1 ]; then
			ok=0
			echo "# the test passed but left the module loaded" >>"$log"
		fi
		"$util" unload >>"$log" 2>&1 ||
			echo "# the module could not be unloaded after the test" >>"$log"
	fi
	kmsg_note "end test $n $prog"

	"$util" kmsg-since "$seq" >"$results/$prog.dmesg" 2>&1
	if ! "$util" kmsg-check "$seq" >"$results/$prog.dmesg-problems" 2>&1; then
		ok=0
		echo "# kernel log during the test reports a problem:" >>"$log"
		sed 's/^/#   /' "$results/$prog.dmesg-problems" >>"$log"
	fi
	echo "# ${elapsed} s" >>"$log"

	diag_file "$log"
	if [ $ok = 1 ]; then
		out "ok $index - $name"
	else
		out "not ok $index - $name"
		failed=$((failed + 1))
	fi
done 3<<EOF
$TESTS
EOF
[ $failed -eq 0 ] || exit 1
exit 0
