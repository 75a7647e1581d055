#!/bin/sh
# The integration suite, run as root against the real syscallmon.ko: inside
# the VM (chroot of the host, repo read-only) or on a host that can load
# modules. Writes every result to $SYSCALLMON_RESULTS; test/harness/suite.ts
# reads them:
#   kmod.tap, kmod.status       C tests (test/vm/kmod/run.sh), TAP; kmod/ its logs
#   stress.tap, stress.status   reliability tests, short forms (test/vm/stress/run.sh); stress/ its logs
#   vitest.json, vitest.status, vitest.log  TypeScript tests (test/vm/**/*.test.ts)
#   suite.tap                   failures of this script itself (TAP)
#   kernel-log.txt              the kernel log of the run (in the VM: from boot on)
#   kernel-problems.txt, kernel-log.status  its problem lines, judged by
#                               smon_util (the judge every C test's log gets too)
# SYSCALLMON_SUITE_STEPS picks the steps (default all: "kmod stress vitest");
# SYSCALLMON_KO the module (default: the build for the running kernel);
# SYSCALLMON_VITEST_FILES vitest's file filters (default: every file).
# Exit status: nonzero when any step failed.
set -u

if [ -z "${SYSCALLMON_ROOT:-}" ] || [ -z "${SYSCALLMON_RESULTS:-}" ]; then
	echo "guest-suite.sh: set SYSCALLMON_ROOT (repo) and SYSCALLMON_RESULTS (writable dir)" >&2
	exit 2
fi
root=$SYSCALLMON_ROOT
results=$SYSCALLMON_RESULTS
if [ "$(id -u)" != 0 ]; then
	echo "guest-suite.sh: must run as root (it loads kernel modules)" >&2
	exit 2
fi
mkdir -p "$results" || exit 2
cd "$root" || exit 2

export SYSCALLMON_KO="${SYSCALLMON_KO:-$root/build/kernel/$(uname -r)/syscallmon.ko}"
steps=" ${SYSCALLMON_SUITE_STEPS:-kmod stress vitest} "
for step in $steps; do
	case $step in
	kmod | stress | vitest) ;;
	*) echo "guest-suite.sh: unknown step '$step' in SYSCALLMON_SUITE_STEPS (kmod, stress, vitest)" >&2; exit 2 ;;
	esac
done
export SYSCALLMON_TEST_BIN="$root/build/test/kmod"
util=$SYSCALLMON_TEST_BIN/smon_util
# The repo may be read-only (VM): caches and temp files go to /tmp.
export TMPDIR="${TMPDIR:-/tmp}"
export HOME="${HOME:-/tmp}"
export XDG_CACHE_HOME="$TMPDIR/syscallmon-cache"
export npm_config_cache="$TMPDIR/syscallmon-npm-cache"

: > "$results/suite.tap"
suite_fail() {
	echo "not ok - $*" >> "$results/suite.tap"
	echo "guest-suite: $*" >&2
}

module_loaded() {
	grep -q '^syscallmon ' /proc/modules
}

# The kernel log this run is judged on: in the VM all of it, boot included;
# on a real host, whose log reaches back to its own boot, what follows the
# newest record now.
if [ "${SYSCALLMON_IN_VM:-}" = 1 ]; then
	log_since=-1
else
	log_since=$("$util" kmsg-seq) || {
		suite_fail "cannot read the kernel log with $util (built by make -C test/vm/kmod)"
		log_since=-1
	}
fi

if module_loaded; then
	suite_fail "syscallmon was already loaded before the suite started"
	rmmod syscallmon 2>/dev/null
fi

# Steps 1 and 2: C tests (module semantics, then reliability and security in
# their short forms). Their TAP goes to a file and, for live logs, to the
# console; each run.sh keeps per-test logs in its own subdirectory.
export SYSCALLMON_STRESS_BIN="$root/build/test/stress"
for step in kmod stress; do
	case $steps in *" $step "*) ;; *) continue ;; esac
	echo "# guest-suite: $step tests" >&2
	if [ -f "test/vm/$step/run.sh" ]; then
		mkdir -p "$results/$step"
		{
			SYSCALLMON_RESULTS="$results/$step" sh "test/vm/$step/run.sh" 2>&3
			echo $? > "$results/$step.status"
		} 3>&2 | tee "$results/$step.tap"
	else
		echo "not ok 1 - test/vm/$step/run.sh is missing" | tee "$results/$step.tap"
		echo 1 > "$results/$step.status"
	fi
done

# Step 3: TypeScript tests, all files in one vitest run (node starts slowly
# under TCG). --configLoader runner: the default bundler writes a temp file
# next to the config, i.e. into the read-only repo.
case $steps in *" vitest "*) run_vitest=1 ;; *) run_vitest=0 ;; esac
if [ $run_vitest = 1 ] && [ -n "$(find test/vm -name '*.test.ts' 2>/dev/null | head -n 1)" ]; then
	echo "# guest-suite: vitest" >&2
	# Piped, so vitest sees no terminal and prints a log instead of redrawing
	# a live summary on the serial console.
	{
		node node_modules/vitest/vitest.mjs run \
			--config test/vm/vitest.config.ts --configLoader runner \
			--reporter=default --reporter=json --outputFile.json="$results/vitest.json" \
			${SYSCALLMON_VITEST_FILES:-} 2>&1
		echo $? > "$results/vitest.status"
	} | tee "$results/vitest.log" >&2
fi

# A test that leaves the module loaded hides leaks; unloading it is part of
# the check.
if module_loaded; then
	echo "# syscallmon was left loaded by the tests; unloading" >> "$results/suite.tap"
	rmmod syscallmon || suite_fail "syscallmon still loaded after the suite and rmmod failed"
fi

"$util" kmsg-since "$log_since" > "$results/kernel-log.txt" 2>&1 || suite_fail "cannot read the kernel log"
"$util" kmsg-check "$log_since" > "$results/kernel-problems.txt" 2>&1
echo $? > "$results/kernel-log.status"

status=0
for step in kmod stress vitest; do
	if [ -f "$results/$step.status" ] && [ "$(cat "$results/$step.status")" != 0 ]; then
		status=1
	fi
done
grep -q '^not ok' "$results/suite.tap" && status=1
exit "$status"
