#!/bin/sh
# Builds a variant of syscallmon.ko: the current kernel/ with a patch applied,
# in .cache/bench/variants/NAME/, to measure a proposed kernel change before it
# lands:
#   scripts/bench/build-variant.sh NAME [PATCH.diff]   (no patch: a stock copy)
#   npm run bench -- --module .cache/bench/variants/NAME/build/kernel/KVER/syscallmon.ko --experiment NAME ...
set -eu
cd "$(dirname "$0")/../.."
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: scripts/bench/build-variant.sh NAME [PATCH.diff]" >&2
	exit 2
fi
name=$1
case $name in *[!A-Za-z0-9_.-]*|'') echo "build-variant.sh: bad name $name" >&2; exit 2;; esac
dir=.cache/bench/variants/$name
rm -rf "$dir"
mkdir -p "$dir/scripts"
# Only the sources: a copy of a built tree would carry stale objects.
git ls-files kernel | tar -cf - -T - | tar -xf - -C "$dir"
# Uncommitted edits in kernel/ count too: this measures the tree as it is.
for f in $(git ls-files -m kernel); do cp "$f" "$dir/$f"; done
cp scripts/kver.sh scripts/kdir.sh scripts/gen-syscalls.sh "$dir/scripts/"
if [ $# -eq 2 ]; then
	patch -d "$dir" -p1 --quiet < "$2"
fi
kver=$(sh scripts/kver.sh)
make -C "$dir/kernel" KVER="$kver" >"$dir/build.log" 2>&1 || { tail -20 "$dir/build.log" >&2; exit 1; }
echo "$dir/build/kernel/$kver/syscallmon.ko"
