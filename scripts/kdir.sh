#!/bin/sh
# Prints the kernel build tree for KVER (default: scripts/kver.sh).
set -eu
kver=${1:-$("$(dirname "$0")/kver.sh")}
for dir in "/lib/modules/$kver/build" "/usr/src/linux-headers-$kver"; do
	if [ -d "$dir" ]; then
		echo "$dir"
		exit 0
	fi
done
echo "kdir.sh: no build tree for kernel $kver (install linux-headers-$kver)" >&2
exit 1
