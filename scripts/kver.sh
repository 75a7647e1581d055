#!/bin/sh
# Prints the one kernel release that syscallmon builds against and boots:
# the running kernel when it can load modules and has its build tree,
# else the newest installed kernel with both /boot/vmlinuz-$KVER and headers.
# SYSCALLMON_KVER overrides.  Needs no node: DKMS hosts may not have it.
set -eu
if [ -n "${SYSCALLMON_KVER:-}" ]; then
	echo "$SYSCALLMON_KVER"
	exit 0
fi
running=$(uname -r)
if [ -r /proc/modules ] && [ -d "/lib/modules/$running/build" ]; then
	echo "$running"
	exit 0
fi
best=$(for image in /boot/vmlinuz-*; do
	[ -e "$image" ] || continue
	kver=${image#/boot/vmlinuz-}
	if [ -d "/lib/modules/$kver/build" ] || [ -d "/usr/src/linux-headers-$kver" ]; then
		echo "$kver"
	fi
done | sort -V | tail -n 1)
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-KVER and its headers;" \
		"install linux-image-amd64 and linux-headers-amd64" >&2
	exit 1
fi
echo "$best"
