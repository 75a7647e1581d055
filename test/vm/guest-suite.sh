#!/bin/sh
# The integration suite, run as root against the real syscallmon.ko: inside
# the VM (chroot of the host, repo read-only) or on a host that can load
# modules. Writes every result to $SYSCALLMON_RESULTS; src/vm/test-vm.ts
# reads them:
#   kmod.tap, kmod.status       C tests (test/vm/kmod/run.sh), TAP; kmod/ its logs
#   stress.tap, stress.status   reliability tests, short forms (test/vm/stress/run.sh); stress/ its logs
#   vitest.json, vitest.status, vitest.log  TypeScript tests (test/vm/**/*.test.ts)
#   suite.tap                   failures of this script itself (TAP)
#   dmesg-marker, dmesg.txt     kernel log, from the marker line on
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

export SYSCALLMON_KO="$root/kernel/syscallmon.ko"
export SYSCALLMON_TEST_BIN="$root/build/test/kmod"
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

# On a real host the kernel log reaches back to boot; the marker lets the
# checker look only at what this run produced.
marker="syscallmon-guest-suite: start $(date +%s)-$$"
echo "$marker" > "$results/dmesg-marker"
echo "$marker" > /dev/kmsg 2>/dev/null || suite_fail "cannot write the dmesg marker to /dev/kmsg"

if module_loaded; then
	suite_fail "syscallmon was already loaded before the suite started"
	rmmod syscallmon 2>/dev/null
fi

# Steps 1 and 2: C tests (module semantics, then reliability and security in
# their short forms). Their TAP goes to a file and, for live logs, to the
# console; each run.sh keeps per-test logs in its own subdirectory.
export SYSCALLMON_STRESS_BIN="$root/build/test/stress"
for step in kmod stress; do
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
if [ -n "$(find test/vm -name '*.test.ts' 2>/dev/null | head -n 1)" ]; then
	echo "# guest-suite: vitest" >&2
	# Piped, so vitest sees no terminal and prints a log instead of redrawing
	# a live summary on the serial console.
	{
		node node_modules/vitest/vitest.mjs run \
			--config test/vm/vitest.config.ts --configLoader runner \
			--reporter=default --reporter=json --outputFile.json="$results/vitest.json" 2>&1
		echo $? > "$results/vitest.status"
	} | tee "$results/vitest.log" >&2
fi

# A test that leaves the module loaded hides leaks; unloading it is part of
# the check.
if module_loaded; then
	echo "# syscallmon was left loaded by the tests; unloading" >> "$results/suite.tap"
	rmmod syscallmon || suite_fail "syscallmon still loaded after the suite and rmmod failed"
fi

dmesg > "$results/dmesg.txt" 2>/dev/null || suite_fail "cannot read dmesg"

status=0
for step in kmod stress vitest; do
	if [ -f "$results/$step.status" ] && [ "$(cat "$results/$step.status")" != 0 ]; then
		status=1
	fi
done
grep -q '^not ok' "$results/suite.tap" && status=1
exit "$status"
