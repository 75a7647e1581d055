# SPDX-License-Identifier: GPL-2.0
# What test/vm/kmod/run.sh and test/vm/stress/run.sh share, sourced by both:
# their environment checks and the loop that runs each test program and
# prints TAP 13.  Inside the QEMU guest only, as root.
#
# A run.sh sets, before the calls below:
#   TESTS         one test a line: number|program|description
#   TEST_TIMEOUT  seconds a test may run
#   KMSG_TAG      prefix of the begin/end lines written to the kernel log
#   SKIP_STATUS   exit status that marks a test skipped (empty: none does);
#                 the reason is the test's first "# SKIP ..." line
# and may redefine the hooks test_start PROG and test_end PROG SECONDS.
#
# Per test, $results gets <prog>.log (its output), <prog>.dmesg (kernel log
# during it) and <prog>.dmesg-problems.  Before each test whatever module a
# failed one left behind is unloaded, so one failure does not become the
# next test's failure; a test that passes but leaves the module loaded
# fails, and so does any WARNING/BUG/Oops/... line in the kernel log written
# during it.

die() {
	echo "run.sh: $*" >&2
	exit 2
}

# require_env BIN_VAR MAKE_DIR: checks the environment every run.sh needs
# (BIN_VAR names the variable holding the dir of the built tests, MAKE_DIR
# the source dir that builds them) and sets bin, results and util.
require_env() {
	eval "bin=\${$1:-}"
	[ -n "${SYSCALLMON_KO:-}" ] || die "SYSCALLMON_KO is not set (path of syscallmon.ko)"
	[ -r "$SYSCALLMON_KO" ] || die "SYSCALLMON_KO=$SYSCALLMON_KO is not a readable file"
	[ -n "$bin" ] || die "$1 is not set (dir of the built tests)"
	[ -x "$bin/smon_util" ] || die "no $bin/smon_util: run 'make -C $2' on the host first"
	[ -n "${SYSCALLMON_RESULTS:-}" ] || die "SYSCALLMON_RESULTS is not set (a writable dir)"
	mkdir -p "$SYSCALLMON_RESULTS" 2>/dev/null
	[ -d "$SYSCALLMON_RESULTS" ] && [ -w "$SYSCALLMON_RESULTS" ] ||
		die "SYSCALLMON_RESULTS=$SYSCALLMON_RESULTS is not a writable directory"
	[ "$(id -u)" = 0 ] || die "must run as root (it loads the module)"
	case $TEST_TIMEOUT in
	'' | *[!0-9]*) die "SYSCALLMON_TEST_TIMEOUT=$TEST_TIMEOUT is not a number of seconds" ;;
	esac
	export SYSCALLMON_KO
	results=$SYSCALLMON_RESULTS
	util=$bin/smon_util
}

# tap_open NAME: $results/NAME.tap, emptied, gets a copy of stdout.
tap_open() {
	tap=$results/$1.tap
	: >"$tap"
}

# select_tests [NUMBER...]: the tests to run (default all), each one of
# $TESTS; sets selection and count.
select_tests() {
	all=$(printf '%s\n' "$TESTS" | cut -d'|' -f1 | tr '\n' ' ')
	for want in "$@"; do
		case " $all" in
		*" $want "*) ;;
		*) die "unknown test '$want' (tests are ${all% })" ;;
		esac
	done
	selection=${*:-$all}
	count=0
	for n in $all; do
		if wanted "$n"; then count=$((count + 1)); fi
	done
}

wanted() {
	for want in $selection; do [ "$want" = "$1" ] && return 0; done
	return 1
}

out() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$tap"
}

# Test output and kernel lines become TAP diagnostics.
diag_file() {
	sed -e 's/^# //' -e 's/^/# /' "$1" | tee -a "$tap"
}

kmsg_note() {
	echo "$KMSG_TAG: $*" >/dev/kmsg 2>/dev/null
}

tap_plan() {
	out "TAP version 13"
	out "1..$count"
}

test_start() { :; }
test_end() { :; }

# Runs the selected tests, one TAP line each; exits 0 if all passed, else 1.
run_tests() {
	failed=0
	index=0
	while IFS='|' read -r n prog name <&3; do
		wanted "$n" || continue
		index=$((index + 1))
		log=$results/$prog.log
		: >"$log"
		test_start "$prog"
		ok=1
		skip=

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
		"${SKIP_STATUS:-}")
			skip=$(grep -m1 '^# SKIP' "$log" | sed 's/^# SKIP *//')
			[ -n "$skip" ] || skip=skipped
			;;
		124 | 137) ok=0; echo "# timed out after ${TEST_TIMEOUT} s" >>"$log" ;;
		*) ok=0; echo "# exit status $rc" >>"$log" ;;
		esac

		# Whatever the test left loaded must go, or every later test fails too.
		if [ -d /sys/module/syscallmon ]; then
			if [ $ok = 1 ] && [ -z "$skip" ]; then
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
		test_end "$prog" "$elapsed"

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
}
