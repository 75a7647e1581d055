#!/bin/sh
# The kernels syscallmon builds for, boots and is tested on.  Needs no node:
# DKMS hosts and the kernel Makefile use it too.
#
#   kver.sh              the default kernel release: $SYSCALLMON_KVER when set;
#                        else the running kernel when it can load modules and
#                        has its build tree (a real host); else the release of
#                        the default line (the first below).  The addon's
#                        syscall table comes from its headers; the sandbox,
#                        the demo, `npm run stress` and the benchmarks boot it.
#   kver.sh --lines      the tested kernel lines, the default line first
#   kver.sh --line LINE  the release installed for LINE: the newest one of
#                        that line with both /boot/vmlinuz-RELEASE and its
#                        headers; exit 1 with what to install when none is
#   kver.sh --packages [LINE]  the Debian packages (image, headers) of every
#                        tested line, or of LINE
#
# The tested lines are Debian 12's two kernels: 6.1, the release's own, and
# 6.12, from its security suite.  A line's releases are the generic amd64
# flavour (6.1.0-57-amd64, 6.12.118+deb12-amd64), never -cloud or -rt.
set -eu

lines='6.1   linux-image-amd64       linux-headers-amd64
6.12  linux-image-6.12-amd64  linux-headers-6.12-amd64'

die() {
	echo "kver.sh: $*" >&2
	exit 1
}

# line_packages LINE: its image and headers packages; dies on a line not tested.
line_packages() {
	packages=$(printf '%s\n' "$lines" | awk -v line="$1" '$1 == line { print $2, $3 }')
	[ -n "$packages" ] ||
		die "unknown kernel line '$1' (tested lines: $(printf '%s\n' "$lines" | awk '{ printf "%s%s", sep, $1; sep = " " }'))"
	echo "$packages"
}

has_headers() {
	[ -d "/lib/modules/$1/build" ] || [ -d "/usr/src/linux-headers-$1" ]
}

release_of_line() {
	packages=$(line_packages "$1") || exit 1
	pattern=$(printf '^%s\\.[0-9]+(-[0-9]+|\\+deb[0-9]+)-amd64$' "$(printf '%s' "$1" | sed 's/\./\\./g')")
	best=$(for image in /boot/vmlinuz-*; do
		[ -e "$image" ] || continue
		release=${image#/boot/vmlinuz-}
		if printf '%s\n' "$release" | grep -Eq "$pattern" && has_headers "$release"; then
			echo "$release"
		fi
	done | sort -V | tail -n 1)
	[ -n "$best" ] || die "no $1 kernel with its headers is installed (apt-get install $packages)"
	echo "$best"
}

case ${1:-} in
--lines)
	printf '%s\n' "$lines" | awk '{ print $1 }'
	;;
--line)
	[ $# -eq 2 ] || die "usage: kver.sh --line LINE"
	release_of_line "$2"
	;;
--packages)
	[ $# -le 2 ] || die "usage: kver.sh --packages [LINE]"
	if [ $# -eq 2 ]; then
		packages=$(line_packages "$2") || exit 1
		printf '%s\n' $packages
	else
		printf '%s\n' "$lines" | awk '{ print $2; print $3 }'
	fi
	;;
'')
	if [ -n "${SYSCALLMON_KVER:-}" ]; then
		echo "$SYSCALLMON_KVER"
		exit 0
	fi
	running=$(uname -r)
	if [ -r /proc/modules ] && [ -d "/lib/modules/$running/build" ]; then
		echo "$running"
		exit 0
	fi
	release_of_line "$(printf '%s\n' "$lines" | awk 'NR == 1 { print $1 }')"
	;;
*)
	die "usage: kver.sh [--lines | --line LINE | --packages [LINE]]"
	;;
esac
