#!/bin/sh
# Installs the tools syscallmon is benchmarked against, all from Debian, and
# builds the Falco kernel driver (scap.ko) with DKMS for the kernel the VM
# boots (scripts/kver.sh), which need not be the host's running kernel.
# Idempotent; `npm run bench` calls it unless given --no-setup.  Root only.
set -eu
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
	echo "scripts/bench/setup.sh: needs root (apt-get, dkms)" >&2
	exit 4
fi
KVER=$(sh scripts/kver.sh)
export DEBIAN_FRONTEND=noninteractive

# DKMS builds a package's module for every installed kernel that has headers,
# and Debian 12's snapshot of the Falco driver does not build on 6.12: the
# failed build would leave the package half-configured (apt exits 100).  DKMS
# reads /etc/dkms/<module>.conf after the package's own dkms.conf, so this
# limits the driver to the kernel the bench boots; other kernels are skipped,
# now and when DKMS rebuilds it later.
mkdir -p /etc/dkms
printf '%s\n' "# Written by syscallmon's scripts/bench/setup.sh: build the Falco driver only for" \
	"# the kernel its benchmark boots ($KVER)." \
	"BUILD_EXCLUSIVE_KERNEL=\"^$(printf '%s' "$KVER" | sed 's/[.+]/\\&/g')\$\"" >/etc/dkms/scap.conf
# An earlier run that failed that way left the package half-configured.
case $(dpkg-query -W -f='${Status}' falcosecurity-scap-dkms 2>/dev/null || true) in
"install ok half-configured" | "install ok unpacked") dpkg --configure falcosecurity-scap-dkms ;;
esac

# strace, perf trace (linux-perf), bpftrace and sysdig with the Falco driver
# are the peers; dkms and the headers build that driver for $KVER.
missing=""
for pkg in strace linux-perf bpftrace sysdig falcosecurity-scap-dkms dkms "linux-headers-$KVER"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing$missing"
	apt-get update
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y --no-install-recommends $missing
fi

# The package's postinst builds for the running kernel (and any other with
# headers); make sure the guest's kernel has it, whatever the host runs.
if ! find "/lib/modules/$KVER" -name 'scap.ko*' 2>/dev/null | grep -q .; then
	echo "setup.sh: building scap.ko for $KVER with DKMS"
	dkms autoinstall -k "$KVER"
fi
if ! find "/lib/modules/$KVER" -name 'scap.ko*' | grep -q .; then
	echo "setup.sh: DKMS did not produce scap.ko for $KVER; see /var/lib/dkms/scap/*/build/make.log" >&2
	exit 1
fi
depmod "$KVER"
for tool in strace perf bpftrace sysdig; do
	command -v "$tool" >/dev/null || { echo "setup.sh: $tool missing after install" >&2; exit 1; }
done
echo "setup.sh: strace, perf, bpftrace, sysdig and scap.ko ($KVER) are ready"
