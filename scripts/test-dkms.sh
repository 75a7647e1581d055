#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CI test of the DKMS packaging, on the host, as root.  Prints TAP.
#
#   scripts/test-dkms.sh
#
# For every tested kernel line installed (scripts/kver.sh --lines), KVER
# being its release:
# 1. scripts/dkms-install.sh builds and installs syscallmon.ko with DKMS for
#    KVER against the installed Debian headers (one dkms add, a build per
#    kernel, as DKMS does for every kernel with headers);
# 2. the installed module is in /lib/modules/KVER/updates/dkms, built for KVER
#    (compressed where KVER's own modules are);
# 3. in the VM (KVER's kernel, host root read-only), `modprobe syscallmon`
#    loads that file, and
# 4. the basic integration tests pass against it (test/vm/kmod tests 1, 2
#    and 4: load/unload, LOG openat, BLOCK openat);
# then, once:
# 5. scripts/dkms-install.sh -k for one kernel again keeps every other
#    kernel's module;
# 6. scripts/dkms-install.sh --remove leaves no trace, of an older version
#    registered beside it either, so a rerun starts clean (it also runs on
#    any exit).
#
# Needs: dkms (apt-get install dkms), the built runner (npm run build:ts) and
# kmod tests (make -C test/vm/kmod).  The host never loads the module.
#
# Inside the VM this script runs itself as `test-dkms.sh --guest KVER`.
#
# Exit status: 0 all passed, 1 a test failed, 2 bad environment.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
name=syscallmon

# The module DKMS installed for a kernel: compressed as that kernel's own
# modules are (6.12's Debian kernel: .ko.xz), or not (6.1: .ko).
installed_ko() {
	for ko in /lib/modules/$1/updates/dkms/$name.ko /lib/modules/$1/updates/dkms/$name.ko.*; do
		[ -f "$ko" ] && { echo "$ko"; return; }
	done
	echo "/lib/modules/$1/updates/dkms/$name.ko"
}

if [ "${1:-}" = --guest ]; then
	# In the VM: results go to the writable share the runner mounted.
	kver=$2
	out=${SYSCALLMON_VM_SHARE:?not in the syscallmon VM}/dkms
	ko=$(installed_ko "$kver")
	mkdir -p "$out"
	cd "$root" || exit 2
	{
		echo "uname -r: $(uname -r)"
		modprobe "$name" && echo "modprobe: loaded"
		echo "modinfo -n: $(modinfo -n "$name" 2>&1)"
		if [ -d /sys/module/$name ] && [ -c /dev/$name ] && [ "$(modinfo -n "$name")" = "$ko" ]; then
			echo ok >"$out/modprobe.result"
		fi
		modprobe -r "$name" && echo "modprobe -r: unloaded"
		[ -d /sys/module/$name ] && rm -f "$out/modprobe.result"
	} >"$out/modprobe.log" 2>&1
	# The tests load with a plain finit_module: a compressed module is
	# expanded first (the bytes are the same object modprobe just loaded).
	case $ko in
	*.xz) xz -dc "$ko" >/tmp/$name.ko && ko=/tmp/$name.ko ;;
	*.zst) zstd -qdc "$ko" >/tmp/$name.ko && ko=/tmp/$name.ko ;;
	esac
	SYSCALLMON_KO=$ko SYSCALLMON_TEST_BIN=$root/build/test/kmod SYSCALLMON_RESULTS=$out/kmod \
		sh test/vm/kmod/run.sh 1 2 4 >"$out/kmod.tap" 2>"$out/kmod.stderr"
	echo $? >"$out/kmod.status"
	exit 0
fi

cd "$root" || exit 2
n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
diag() {
	sed 's/^/# /' "$@"
}
bail() {
	echo "Bail out! $*"
	exit 2
}

echo "TAP version 13"
[ "$(id -u)" = 0 ] || bail "must run as root (dkms writes /usr/src and /lib/modules)"
command -v dkms >/dev/null 2>&1 || bail "dkms is not installed (apt-get install dkms)"
[ -f dist/vm/runner.js ] || bail "no dist/vm/runner.js: run npm run build:ts"
[ -x build/test/kmod/t2_log_openat ] || bail "no build/test/kmod tests: run make -C test/vm/kmod"
kvers=
for line in $(scripts/kver.sh --lines); do
	# A line that is not installed is the integration suite's failure to report.
	if kver=$(scripts/kver.sh --line "$line" 2>/dev/null); then
		kvers="$kvers $kver"
	else
		echo "# the $line line is not installed: not tested here"
	fi
done
[ -n "$kvers" ] || bail "no tested kernel is installed (scripts/kver.sh --lines)"
# DKMS's state (/usr/src, /var/lib/dkms, /lib/modules) is the machine's: two
# runs at once (two checkouts) would remove each other's module.
command -v flock >/dev/null 2>&1 || bail "flock is missing (apt-get install util-linux)"
exec 9>/run/lock/syscallmon-test-dkms.lock
flock 9
set -- $kvers
echo "1..$(($# * 4 + 3))"
work=$(mktemp -d "${TMPDIR:-/tmp}/syscallmon-dkms.XXXXXX") || bail "mktemp"
trap 'scripts/dkms-install.sh --remove >/dev/null 2>&1; rm -rf "$work"' EXIT
echo "# kernels$kvers"

start=$(date +%s)
k_args=
for kver; do k_args="$k_args -k $kver"; done
# shellcheck disable=SC2086 # one word per argument
scripts/dkms-install.sh $k_args >"$work/install.log" 2>&1
install_status=$?
install_seconds=$(($(date +%s) - start))
[ $install_status = 0 ] || diag "$work/install.log"

for kver; do
	ko=$(installed_ko "$kver")
	if [ $install_status = 0 ] && [ -f "$ko" ]; then
		ok "dkms add/build/install for $kver ($install_seconds s for all)"
	else
		not_ok "dkms add/build/install for $kver"
	fi

	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null)
	case $vermagic in
	"$kver "*) ok "$ko is built for $kver" ;;
	*) not_ok "$ko is built for $kver (vermagic '$vermagic')" ;;
	esac

	share=$work/$kver
	mkdir -p "$share"
	start=$(date +%s)
	if node --input-type=module -e '
		const [runner, script, kver, share] = process.argv.slice(1);
		const { runInVm } = await import(runner);
		const r = await runInVm({ command: ["sh", script, "--guest", kver], cwd: process.cwd(), shareDir: share, kver, timeoutMs: 900000 });
		process.exit(r.exitCode);
	' "$root/dist/vm/runner.js" "$root/scripts/test-dkms.sh" "$kver" "$share" >"$share/vm.log" 2>&1; then
		:
	else
		diag "$share/vm.log" | tail -n 20
	fi
	if [ "$(cat "$share/dkms/modprobe.result" 2>/dev/null)" = ok ]; then
		ok "in the VM booted with $kver, modprobe loads $name from updates/dkms and unloads it"
	else
		[ -f "$share/dkms/modprobe.log" ] && diag "$share/dkms/modprobe.log"
		not_ok "in the VM booted with $kver, modprobe loads $name from updates/dkms and unloads it"
	fi
	[ -f "$share/dkms/kmod.tap" ] && diag "$share/dkms/kmod.tap"
	if [ "$(cat "$share/dkms/kmod.status" 2>/dev/null)" = 0 ]; then
		ok "basic tests (load/unload, LOG, BLOCK) pass with the DKMS-built module on $kver ($(($(date +%s) - start)) s in the VM)"
	else
		[ -f "$share/dkms/kmod.stderr" ] && diag "$share/dkms/kmod.stderr"
		not_ok "basic tests (load/unload, LOG, BLOCK) pass with the DKMS-built module on $kver"
	fi
done

# Installing again for one kernel (-k) keeps the module of every other
# kernel that had it: the sources are replaced, and their builds with them.
if [ $# -ge 2 ]; then
	scripts/dkms-install.sh -k "$1" >"$work/install-one.log" 2>&1
	kept=0
	for kver; do [ -f "$(installed_ko "$kver")" ] && kept=$((kept + 1)); done
	if [ $kept = $# ]; then
		ok "dkms-install.sh -k $1 again: all $# kernels keep their module"
	else
		diag "$work/install-one.log"
		not_ok "dkms-install.sh -k $1 again: all $# kernels keep their module ($kept do)"
	fi
else
	ok "# SKIP dkms-install.sh -k again: one kernel line installed"
fi

# An older version left registered (an upgrade without --remove): --remove
# takes it and its sources too.
old=/usr/src/$name-0.0.0
if mkdir -p "$old" && sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="0.0.0"/' kernel/dkms.conf >"$old/dkms.conf" &&
	dkms add -m "$name" -v 0.0.0 >"$work/add-old.log" 2>&1; then
	ok "an older version registered beside this one"
else
	diag "$work/add-old.log"
	not_ok "an older version registered beside this one"
fi
if scripts/dkms-install.sh --remove >"$work/remove.log" 2>&1 && ! ls /lib/modules/*/updates/dkms/$name.ko* >/dev/null 2>&1 &&
	[ -z "$(dkms status -m "$name" 2>/dev/null)" ] && ! ls -d /usr/src/$name-* >/dev/null 2>&1; then
	ok "dkms remove leaves no module, registration or sources"
else
	diag "$work/remove.log"
	not_ok "dkms remove leaves no module, registration or sources"
fi

echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
