#!/usr/bin/env bash
# Installs everything syscallmon needs on a fresh Debian 12 machine (as root):
# Debian packages and the npm dependencies.  Used by .ci/run and
# scripts/demo.sh, so the package list lives only here.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (it installs Debian packages)" >&2
	exit 4
fi

apt-get update
# qemu/seabios: the VM for hosts that can't load modules; linux-image/headers-amd64:
# one kernel release to build the module against and boot (scripts/kver.sh);
# busybox-static: the guest's initramfs; kmod: insmod/rmmod; cpio/xz/zstd: initramfs
# and compressed modules; strace/procps/util-linux/stress-ng/libcap2-bin (capsh): used
# inside the guest, which runs this machine's own root file system; dkms: the packaging test.
apt-get install -y --no-install-recommends \
	qemu-system-x86 seabios \
	linux-image-amd64 linux-headers-amd64 \
	busybox-static kmod cpio xz-utils zstd \
	build-essential gcc g++ make python3 \
	strace util-linux coreutils procps findutils stress-ng libcap2-bin dkms

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
	echo "setup.sh: need node >= 20, found $(node --version 2>&1 || echo none)" >&2
	exit 1
fi

npm ci
