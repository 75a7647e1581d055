#!/usr/bin/env bash
# Installs everything syscallmon needs on a fresh Debian 12 machine (as root):
# Debian packages and the npm dependencies.  Used by .ci/run and
# scripts/demo.sh, so the package list lives only here.
#
#   setup.sh                 every tested kernel line (the tests boot each)
#   setup.sh --one-kernel    only the default line (the demo: on a real host a
#                            second, newer kernel would be the one it boots next)
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

case ${1:-} in
'') kernels=$(sh scripts/kver.sh --packages) ;;
--one-kernel) kernels=$(sh scripts/kver.sh --packages "$(sh scripts/kver.sh --lines | head -n 1)") ;;
*) echo "usage: scripts/setup.sh [--one-kernel]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (it installs Debian packages)" >&2
	exit 4
fi

apt-get update
# Debian 12's 6.12 kernel is in its security suite, which a trimmed sources list may lack.
for package in $kernels; do
	if [ -z "$(apt-cache policy "$package" | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ]; then
		echo "setup.sh: apt has no $package; Debian 12's kernels come from bookworm and" \
			"bookworm-security (deb http://deb.debian.org/debian-security bookworm-security main)" >&2
		exit 1
	fi
done
# qemu/seabios: the VM for hosts that can't load modules; the image and headers
# of each tested kernel line (scripts/kver.sh): the module is built for each,
# the VM boots each; busybox-static: the guest's initramfs; kmod: insmod/rmmod;
# cpio/xz/zstd: initramfs and compressed modules; strace/procps/util-linux/
# stress-ng/libcap2-bin (capsh): used inside the guest, which runs this
# machine's own root file system; dkms: the packaging test; prometheus (with
# promtool) and iproute2 (the guest's loopback): scrape the daemon in the guest;
# systemd (systemd-analyze) and logrotate: the service files' test;
# btrfs-progs: file rules on btrfs subvolumes, in the guest.
# shellcheck disable=SC2086 # one word per package
apt-get install -y --no-install-recommends \
	qemu-system-x86 seabios \
	$kernels \
	busybox-static kmod cpio xz-utils zstd \
	build-essential gcc g++ make python3 \
	strace util-linux coreutils procps findutils stress-ng libcap2-bin dkms \
	prometheus iproute2 systemd logrotate btrfs-progs

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
	echo "setup.sh: need node >= 20, found $(node --version 2>&1 || echo none)" >&2
	exit 1
fi

npm ci
