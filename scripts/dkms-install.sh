#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs syscallmon.ko with DKMS, so it is rebuilt for every kernel the
# machine installs.  Needs root, dkms, and the headers of each kernel.
#
#   scripts/dkms-install.sh [-k KVER]...   copy the sources to
#                                          /usr/src/syscallmon-<version>/, then
#                                          dkms add, build and install for each
#                                          KVER (default: every installed
#                                          kernel that has its headers; those
#                                          DKMS does not build for, older than
#                                          6.1, are skipped) and for every
#                                          kernel that had it installed
#   scripts/dkms-install.sh --remove       dkms remove every build, delete the
#                                          sources from /usr/src
#
# The version is package.json's.  The copy holds kernel/*.c, *.h, Kbuild,
# dkms.conf, the uapi header and scripts/gen-syscalls.sh next to the Kbuild
# (which looks there first): the build needs nothing but sh and awk.
#
# Exit status: 0 done, 1 a dkms step failed, 2 bad usage or environment.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
name=syscallmon

die() {
	echo "dkms-install.sh: $*" >&2
	exit 2
}

usage() {
	echo "usage: scripts/dkms-install.sh [-k KVER]... | --remove" >&2
	exit 2
}

remove=0
kvers=
asked=0
while [ $# -gt 0 ]; do
	case $1 in
	-k)
		[ $# -ge 2 ] && [ -n "$2" ] || usage
		kvers="$kvers $2"
		asked=1
		shift 2
		;;
	--remove) remove=1; shift ;;
	-h | --help) usage ;;
	*) echo "dkms-install.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[ $remove = 0 ] || [ -z "$kvers" ] || die "--remove takes no -k"

[ "$(id -u)" = 0 ] || die "must run as root (it writes /usr/src and /lib/modules)"
command -v dkms >/dev/null 2>&1 || die "dkms is not installed (apt-get install dkms)"

version=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$root/package.json" | head -n 1)
case $version in
'' | *[!0-9A-Za-z.+~-]*) die "no usable \"version\" in $root/package.json (got '$version')" ;;
esac
src=/usr/src/$name-$version

# Every version of ours that DKMS knows, so --remove and a reinstall leave nothing behind.
known_versions() {
	dkms status -m "$name" 2>/dev/null | sed -n "s|^$name/\([^,:]*\)[,:].*|\1|p" | sort -u
}

# The kernels some version of ours is installed for ("syscallmon/0.1.0, 6.1.0-57-amd64, x86_64: installed").
installed_kernels() {
	dkms status -m "$name" 2>/dev/null | sed -n "s|^$name/[^,]*, \([^,]*\), [^:]*: installed.*|\1|p" | sort -u
}

remove_all() {
	for v in $(known_versions); do
		echo "dkms remove $name/$v --all"
		dkms remove -m "$name" -v "$v" --all || return 1
		rm -rf "/usr/src/$name-$v"
	done
	rm -rf "$src"
}

if [ $remove = 1 ]; then
	remove_all || exit 1
	exit 0
fi

if [ -z "$kvers" ]; then
	for dir in /lib/modules/*/build; do
		[ -d "$dir" ] || continue
		kver=${dir#/lib/modules/}
		kvers="$kvers ${kver%/build}"
	done
	[ -n "$kvers" ] || die "no kernel headers in /lib/modules/*/build (apt-get install linux-headers-amd64)"
fi
for kver in $kvers; do
	[ -d "/lib/modules/$kver/build" ] || die "no headers for kernel $kver (/lib/modules/$kver/build)"
done
# The sources are replaced below, and every build of them with it: a kernel
# that had the module gets it again, or -k for one kernel would take it from
# the others.
for kver in $(installed_kernels); do
	case " $kvers " in
	*" $kver "*) ;;
	*)
		if [ -d "/lib/modules/$kver/build" ]; then
			kvers="$kvers $kver"
		else
			echo "dkms-install.sh: kernel $kver had $name but has no headers now: it is left without it" >&2
		fi
		;;
	esac
done

# A stale registration of this version (an earlier run) would make dkms add fail.
remove_all || exit 1

mkdir -p "$src/include/uapi"
for f in "$root"/kernel/*.c "$root"/kernel/*.h; do
	case $f in
	*.mod.c) continue ;;	# build artefact
	esac
	cp "$f" "$src/"
done
cp "$root/kernel/Kbuild" "$src/"
cp "$root/kernel/include/uapi/syscallmon.h" "$src/include/uapi/"
cp "$root/scripts/gen-syscalls.sh" "$src/"
sed "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$version\"/" "$root/kernel/dkms.conf" >"$src/dkms.conf"

dkms add -m "$name" -v "$version" || exit 1
for kver in $kvers; do
	rc=0
	dkms build -m "$name" -v "$version" -k "$kver" || rc=$?
	# 77: a kernel dkms.conf's BUILD_EXCLUSIVE_* leaves out (older than 6.1): skipped, unless asked for by -k.
	if [ $rc = 77 ] && [ $asked = 0 ]; then
		echo "skipped kernel $kver: $name builds for x86_64 Linux 6.1 or newer"
		continue
	fi
	[ $rc = 0 ] || exit 1
	dkms install -m "$name" -v "$version" -k "$kver" || exit 1
done
dkms status -m "$name"
