#!/bin/sh
# Prints the unistd_64.h the addon's syscall table is generated from: the one
# of the kernel syscallmon.ko is built for (scripts/kver.sh, scripts/kdir.sh),
# so the addon and the module agree on every number.  Without kernel headers
# it falls back to the libc copy, with a warning: numbers are stable, but the
# list may differ from the kernel's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if kdir=$("$root/scripts/kdir.sh" 2>/dev/null); then
	file="$kdir/arch/x86/include/generated/uapi/asm/unistd_64.h"
	if [ -f "$file" ]; then
		echo "$file"
		exit 0
	fi
fi
fallback=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
if [ -f "$fallback" ]; then
	echo "warning: no kernel headers for $("$root/scripts/kver.sh" 2>/dev/null || echo '?');" \
		"generating the syscall table from $fallback" >&2
	echo "$fallback"
	exit 0
fi
echo "unistd-path.sh: no unistd_64.h (install linux-headers-amd64 or linux-libc-dev)" >&2
exit 1
