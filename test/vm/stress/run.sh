#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the reliability and security tests for syscallmon.ko and
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

. "$(dirname "$0")/../lib.sh"

TEST_TIMEOUT=${SYSCALLMON_TEST_TIMEOUT:-900}
KMSG_TAG=syscallmon-stress
SKIP_STATUS=77

require_env SYSCALLMON_STRESS_BIN test/vm/stress
case ${SYSCALLMON_STRESS_LONG:-0} in
0 | 1) ;;
*) die "SYSCALLMON_STRESS_LONG=$SYSCALLMON_STRESS_LONG: use 1 (long forms) or 0" ;;
esac

# The storm also drains with `syscallmon tail --json` when the CLI is built
# (TypeScript and addon); SYSCALLMON_CLI= (empty) leaves it out.
root=$(cd "$(dirname "$0")/../../.." && pwd)
if [ -z "${SYSCALLMON_CLI+set}" ] && [ -x "$root/bin/syscallmon" ] && [ -f "$root/dist/bundle/syscallmon.js" ] &&
	ls "$root"/build/Release/*.node >/dev/null 2>&1; then
	SYSCALLMON_CLI=$root/bin/syscallmon
fi
export SYSCALLMON_CLI
tap_open stress

# number|program|description
TESTS='1|s1_storm|storm: stress-ng open, fork/exec and read/write on every vCPU while LOG targets openat, read, write, execve and clone; logged == delivered + lost exactly, status answers within 30 s
2|s2_unload|unload under load: refused while a reader holds the device, succeeds with probes armed once it exits, LOG and BLOCK work after reloading, load/unload cycles leave no allocation live
3|s3_dead_reader|slow, stopped and dead readers do not stall the watched syscalls; overwritten and lost counts are exact
4|s4_ioctl_fuzz|ioctl fuzzer: only success or the allowed errnos come back, and the basic LOG/BLOCK checks pass afterwards
5|s5_proc_fuzz|/proc/syscallmon/control fuzzing: random and overlong writes get EINVAL and change nothing
6|s6_security|security: nobody cannot open the device, write control or read the log, even after chmod; pid 1 and holders need force; exit/exit_group/rt_sigreturn cannot be blocked
7|s7_ia32|complete blocking: int $0x80 unlink and open are blocked, with the IA32 flag on their records'

# Each test writes its figures and stress-ng's output next to its log.
test_start() {
	: >"$results/$1.figures"
	export SYSCALLMON_STRESS_FIGURES="$results/$1.figures"
	export SYSCALLMON_STRESS_NG_LOG="$results/$1.stress-ng.log"
}
test_end() {
	printf 'test.seconds\t%s\n' "$2" >>"$results/$1.figures"
}

select_tests "$@"
tap_plan
if [ "${SYSCALLMON_STRESS_LONG:-0}" = 1 ]; then
	out "# long forms (SYSCALLMON_STRESS_LONG=1)"
else
	out "# short forms (SYSCALLMON_STRESS_LONG=1 runs the long ones)"
fi
run_tests
