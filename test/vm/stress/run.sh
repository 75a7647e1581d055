#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the reliability and security tests for syscallmon.ko (issue 6) and
# prints TAP 13 on stdout.  Inside the QEMU guest only, as root: the tests
# load and unload the module and run stress-ng.
#
#   SYSCALLMON_KO=/path/syscallmon.ko \
#   SYSCALLMON_STRESS_BIN=/repo/build/test/stress \
#   SYSCALLMON_RESULTS=/writable/dir \
#   test/vm/stress/run.sh [TEST_NUMBER...]
#
# Short forms by default (CI); SYSCALLMON_STRESS_LONG=1 runs the long forms
# (`npm run stress`).  When bin/syscallmon is built, the storm drains with
# `syscallmon tail --json` too (SYSCALLMON_CLI= leaves it out).  Each test's sizes can be overridden by the
# SYSCALLMON_STRESS_* variables named in its source's header comment.
#
# Per test, SYSCALLMON_RESULTS gets <prog>.log (its output), <prog>.dmesg
# (kernel log during it), <prog>.figures (measured figures, "key<TAB>value")
# and <prog>.stress-ng.log; stress.tap is a copy of stdout.  A test that
# leaves the module loaded fails; so does any WARNING/BUG/Oops/... line in
# the kernel log written during a test.  A test exiting 77 is skipped.
#
# Exit status: 0 all passed, 1 a test failed, 2 bad environment or usage.
set -u

TEST_TIMEOUT=${SYSCALLMON_TEST_TIMEOUT:-900}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

[ -n "${SYSCALLMON_KO:-}" ] || die "SYSCALLMON_KO is not set (path of syscallmon.ko)"
[ -r "$SYSCALLMON_KO" ] || die "SYSCALLMON_KO=$SYSCALLMON_KO is not a readable file"
[ -n "${SYSCALLMON_STRESS_BIN:-}" ] || die "SYSCALLMON_STRESS_BIN is not set (dir of the built tests)"
[ -x "$SYSCALLMON_STRESS_BIN/smon_util" ] ||
	die "no $SYSCALLMON_STRESS_BIN/smon_util: run 'make -C test/vm/stress' on the host first"
[ -n "${SYSCALLMON_RESULTS:-}" ] || die "SYSCALLMON_RESULTS is not set (a writable dir)"
mkdir -p "$SYSCALLMON_RESULTS" 2>/dev/null
[ -d "$SYSCALLMON_RESULTS" ] && [ -w "$SYSCALLMON_RESULTS" ] ||
	die "SYSCALLMON_RESULTS=$SYSCALLMON_RESULTS is not a writable directory"
[ "$(id -u)" = 0 ] || die "must run as root (it loads the module)"
case $TEST_TIMEOUT in
'' | *[!0-9]*) die "SYSCALLMON_TEST_TIMEOUT=$TEST_TIMEOUT is not a number of seconds" ;;
esac
case ${SYSCALLMON_STRESS_LONG:-0} in
0 | 1) ;;
*) die "SYSCALLMON_STRESS_LONG=$SYSCALLMON_STRESS_LONG: use 1 (long forms) or 0" ;;
esac

# The storm also drains with `syscallmon tail --json` when the CLI is built
# (TypeScript and addon); SYSCALLMON_CLI= (empty) leaves it out.
root=$(cd "$(dirname "$0")/../../.." && pwd)
if [ -z "${SYSCALLMON_CLI+set}" ] && [ -x "$root/bin/syscallmon" ] && [ -f "$root/dist/cli/main.js" ] &&
	ls "$root"/build/Release/*.node >/dev/null 2>&1; then
	SYSCALLMON_CLI=$root/bin/syscallmon
fi
export SYSCALLMON_KO SYSCALLMON_CLI
bin=$SYSCALLMON_STRESS_BIN
results=$SYSCALLMON_RESULTS
util=$bin/smon_util
tap=$results/stress.tap
: >"$tap"

# number|program|description (issue 6)
TESTS='1|s1_storm|storm: stress-ng open, fork/exec and read/write on every vCPU while LOG targets openat, read, write, execve and clone; logged == delivered + lost exactly, status answers within 30 s
2|s2_unload|unload under load: refused while a reader holds the device, succeeds with probes armed once it exits, LOG and BLOCK work after reloading, load/unload cycles leave no allocation live
3|s3_dead_reader|slow, stopped and dead readers do not stall the watched syscalls; overwritten and lost counts are exact
4|s4_ioctl_fuzz|ioctl fuzzer: only success or the allowed errnos come back, and the basic LOG/BLOCK checks pass afterwards
5|s5_proc_fuzz|/proc/syscallmon/control fuzzing: random and overlong writes get EINVAL and change nothing
6|s6_security|security: nobody cannot open the device, write control or read the log, even after chmod; pid 1 and holders need force; exit/exit_group/rt_sigreturn cannot be blocked
7|s7_ia32|complete blocking: int $0x80 unlink and open are blocked, with the IA32 flag on their records'
ALL='1 2 3 4 5 6 7'

for want in "$@"; do
	case " $ALL " in
	*" $want "*) ;;
	*) die "unknown test '$want' (tests are $ALL)" ;;
	esac
done
[ $# -gt 0 ] || set -- $ALL
selection=$*

out() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$tap"
}

diag_file() {
	sed -e 's/^# //' -e 's/^/# /' "$1" | tee -a "$tap"
}

wanted() {
	for want in $selection; do [ "$want" = "$1" ] && return 0; done
	return 1
}

out "TAP version 13"
out "1..$#"
if [ "${SYSCALLMON_STRESS_LONG:-0}" = 1 ]; then
	out "# long forms (SYSCALLMON_STRESS_LONG=1)"
else
	out "# short forms (SYSCALLMON_STRESS_LONG=1 runs the long ones)"
fi

failed=0
index=0
while IFS='|' read -r n prog name <&3; do
	wanted "$n" || continue
	index=$((index + 1))
	log=$results/$prog.log
	: >"$log"
	: >"$results/$prog.figures"
	ok=1
	skip=

	if ! "$util" unload >>"$log" 2>&1; then
		echo "# a syscallmon module loaded before this test could not be unloaded" >>"$log"
	fi

	seq=$("$util" kmsg-seq 2>>"$log") || seq=-1
	echo "syscallmon-stress: begin test $n $prog" >/dev/kmsg 2>/dev/null
	start=$(date +%s)
	if [ -x "$bin/$prog" ]; then
		SYSCALLMON_STRESS_FIGURES=$results/$prog.figures \
		SYSCALLMON_STRESS_NG_LOG=$results/$prog.stress-ng.log \
			timeout -k 10 "$TEST_TIMEOUT" "$bin/$prog" </dev/null >>"$log" 2>&1
		rc=$?
	else
		echo "# $bin/$prog is missing or not executable" >>"$log"
		rc=127
	fi
	elapsed=$(($(date +%s) - start))
	case $rc in
	0) ;;
	77)
		skip=$(grep -m1 '^# SKIP' "$log" | sed 's/^# SKIP *//')
		[ -n "$skip" ] || skip=skipped
		;;
	124 | 137) ok=0; echo "# timed out after ${TEST_TIMEOUT} s" >>"$log" ;;
	*) ok=0; echo "# exit status $rc" >>"$log" ;;
	esac

	if [ -d /sys/module/syscallmon ]; then
		if [ $ok = 1 ] && [ -z "$skip" ]; then
			ok=0
			echo "# the test passed but left the module loaded" >>"$log"
		fi
		"$util" unload >>"$log" 2>&1 ||
			echo "# the module could not be unloaded after the test" >>"$log"
	fi
	echo "syscallmon-stress: end test $n $prog" >/dev/kmsg 2>/dev/null

	"$util" kmsg-since "$seq" >"$results/$prog.dmesg" 2>&1
	if ! "$util" kmsg-check "$seq" >"$results/$prog.dmesg-problems" 2>&1; then
		ok=0
		echo "# kernel log during the test reports a problem:" >>"$log"
		sed 's/^/#   /' "$results/$prog.dmesg-problems" >>"$log"
	fi
	echo "# ${elapsed} s" >>"$log"
	printf 'test.seconds\t%s\n' "$elapsed" >>"$results/$prog.figures"

	diag_file "$log"
	if [ -n "$skip" ]; then
		out "ok $index - $name # SKIP $skip"
	elif [ $ok = 1 ]; then
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
