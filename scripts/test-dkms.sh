#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CI test of the DKMS packaging, on the host, as root.  Prints TAP.
#
#   scripts/test-dkms.sh
#
# 1. scripts/dkms-install.sh builds and installs syscallmon.ko with DKMS for
#    KVER (scripts/kver.sh) against the installed Debian headers;
# 2. the installed module is in /lib/modules/KVER/updates/dkms, built for KVER;
# 3. in the VM (KVER's kernel, host root read-only), `modprobe syscallmon`
#    loads that file, and
# 4. the basic integration tests pass against it (test/vm/kmod tests 1, 2
#    and 4: load/unload, LOG openat, BLOCK openat);
# 5. scripts/dkms-install.sh --remove leaves no trace, so a rerun starts
#    clean (it also runs on any exit).
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

if [ "${1:-}" = --guest ]; then
	# In the VM: results go to the writable share the runner mounted.
	kver=$2
	out=${SYSCALLMON_VM_SHARE:?not in the syscallmon VM}/dkms
	ko=/lib/modules/$kver/updates/dkms/$name.ko
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
echo "1..5"
[ "$(id -u)" = 0 ] || bail "must run as root (dkms writes /usr/src and /lib/modules)"
command -v dkms >/dev/null 2>&1 || bail "dkms is not installed (apt-get install dkms)"
[ -f dist/vm/runner.js ] || bail "no dist/vm/runner.js: run npm run build:ts"
[ -x build/test/kmod/t2_log_openat ] || bail "no build/test/kmod tests: run make -C test/vm/kmod"
kver=$(scripts/kver.sh) || bail "scripts/kver.sh found no kernel to build for"
ko=/lib/modules/$kver/updates/dkms/$name.ko
work=$(mktemp -d "${TMPDIR:-/tmp}/syscallmon-dkms.XXXXXX") || bail "mktemp"
trap 'scripts/dkms-install.sh --remove >/dev/null 2>&1; rm -rf "$work"' EXIT
echo "# kernel $kver"

start=$(date +%s)
if scripts/dkms-install.sh -k "$kver" >"$work/install.log" 2>&1 && [ -f "$ko" ]; then
	ok "dkms add/build/install for $kver ($(($(date +%s) - start)) s)"
else
	diag "$work/install.log"
	not_ok "dkms add/build/install for $kver"
fi

vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null)
case $vermagic in
"$kver "*) ok "$ko is built for $kver" ;;
*) not_ok "$ko is built for $kver (vermagic '$vermagic')" ;;
esac

start=$(date +%s)
if node --input-type=module -e '
	const [runner, script, kver, share] = process.argv.slice(1);
	const { runInVm } = await import(runner);
	const r = await runInVm({ command: ["sh", script, "--guest", kver], cwd: process.cwd(), shareDir: share, timeoutMs: 900000 });
	process.exit(r.exitCode);
' "$root/dist/vm/runner.js" "$root/scripts/test-dkms.sh" "$kver" "$work" >"$work/vm.log" 2>&1; then
	:
else
	diag "$work/vm.log" | tail -n 20
fi
if [ "$(cat "$work/dkms/modprobe.result" 2>/dev/null)" = ok ]; then
	ok "in the VM, modprobe loads $name from updates/dkms and unloads it"
else
	[ -f "$work/dkms/modprobe.log" ] && diag "$work/dkms/modprobe.log"
	not_ok "in the VM, modprobe loads $name from updates/dkms and unloads it"
fi
[ -f "$work/dkms/kmod.tap" ] && diag "$work/dkms/kmod.tap"
if [ "$(cat "$work/dkms/kmod.status" 2>/dev/null)" = 0 ]; then
	ok "basic tests (load/unload, LOG, BLOCK) pass with the DKMS-built module ($(($(date +%s) - start)) s in the VM)"
else
	[ -f "$work/dkms/kmod.stderr" ] && diag "$work/dkms/kmod.stderr"
	not_ok "basic tests (load/unload, LOG, BLOCK) pass with the DKMS-built module"
fi

if scripts/dkms-install.sh --remove >"$work/remove.log" 2>&1 && [ ! -e "$ko" ] &&
	[ -z "$(dkms status -m "$name" 2>/dev/null)" ] && ! ls -d /usr/src/$name-* >/dev/null 2>&1; then
	ok "dkms remove leaves no module, registration or sources"
else
	diag "$work/remove.log"
	not_ok "dkms remove leaves no module, registration or sources"
fi

echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
