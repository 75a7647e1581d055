#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs syscallmon's daemon as a systemd service, from this checkout
# (built: npm ci && npm run build; the module through DKMS,
# scripts/dkms-install.sh, so that a new kernel gets it too).
#
#   packaging/install.sh            /usr/local/lib/syscallmon -> this checkout,
#                                   the unit, the logrotate config, and the
#                                   example policy as /etc/syscallmon/policy.yaml
#                                   unless one is there; it says how to start
#                                   it (systemctl enable --now syscallmon)
#   packaging/install.sh --remove   the unit, the logrotate config and the link
#                                   (the policy and the events stay)
#
# The service runs the checkout through the link, so the checkout must be
# where the service sees it: not under /tmp or /var/tmp, which the unit's
# PrivateTmp=yes replaces with the service's own.
#
# Exit status: 0 done, 2 bad usage or environment.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
link=/usr/local/lib/syscallmon
unit=/etc/systemd/system/syscallmon.service
rotate=/etc/logrotate.d/syscallmon
policy=/etc/syscallmon/policy.yaml

die() {
	echo "install.sh: $*" >&2
	exit 2
}

remove=0
case ${1:-} in
'') ;;
--remove) remove=1 ;;
*) echo "usage: packaging/install.sh [--remove]" >&2; exit 2 ;;
esac
if [ $remove = 0 ]; then
	case $root in
	/tmp | /tmp/* | /var/tmp | /var/tmp/*)
		die "the service cannot see $root (PrivateTmp=yes gives it a /tmp of its own): clone syscallmon under /opt or /usr/local/src, say, build it there and run its packaging/install.sh" ;;
	esac
fi
[ "$(id -u)" = 0 ] || die "must run as root (it writes /etc and /usr/local)"

systemd_runs() {
	[ -d /run/systemd/system ]
}

if [ $remove = 1 ]; then
	if systemd_runs; then
		systemctl disable --now syscallmon.service 2>/dev/null || true
	fi
	rm -f "$unit" "$rotate" "$link"
	systemd_runs && systemctl daemon-reload
	echo "removed $unit, $rotate and $link; $policy and /var/log/syscallmon are left"
	exit 0
fi

[ -x /usr/bin/node ] || die "the unit runs /usr/bin/node, which is missing (install Node.js 20 or newer)"
[ -f "$root/dist/bundle/syscallmon.js" ] || die "$root is not built (npm ci && npm run build)"

ln -sfn "$root" "$link"
install -m 0644 "$root/packaging/syscallmon.service" "$unit"
install -m 0644 "$root/packaging/syscallmon.logrotate" "$rotate"
if [ ! -e "$policy" ]; then
	install -d -m 0755 /etc/syscallmon
	install -m 0644 "$root/packaging/policy.example.yaml" "$policy"
	echo "installed the example policy as $policy: edit it, then systemctl reload syscallmon"
fi
echo "installed $unit, $rotate; $link -> $root"
if systemd_runs; then
	systemctl daemon-reload
	echo "start it with: systemctl enable --now syscallmon"
fi
