#!/usr/bin/env bash
# The main job on a fresh Debian machine, as root: install, build, and watch a
# sample command with syscallmon.  Where this kernel can't load modules (a
# container, a kernel without kprobes), it runs in a throw-away VM instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --one-kernel
npm run build

smon=./bin/syscallmon
sample='cat /etc/hostname; touch /tmp/syscallmon-demo; rm /tmp/syscallmon-demo || echo "rm was refused"'

host_can_load() {
	[ -r /proc/modules ] && [ "$(scripts/kver.sh)" = "$(uname -r)" ]
}

if ! host_can_load; then
	echo "== this kernel can't load modules here: running in a VM (syscallmon sandbox)" >&2
	echo "== 1. log what the sample command opens, runs and deletes" >&2
	"$smon" sandbox --log --syscall openat,execve,unlinkat -- sh -c "$sample"
	echo "== 2. the same with unlinkat blocked: rm fails, the file stays" >&2
	"$smon" sandbox --block --syscall unlinkat -- sh -c "$sample; ls -l /tmp/syscallmon-demo"
	exit 0
fi

echo "== loading syscallmon.ko into the running kernel" >&2
"$smon" load
cleanup() {
	"$smon" --off >/dev/null 2>&1 || true
	[ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null && wait "$tail_pid" 2>/dev/null
	"$smon" unload || true
}
trap cleanup EXIT

echo "== 1. log every process's execve and unlinkat while a sample command runs" >&2
"$smon" --log --syscall execve,unlinkat
"$smon" tail &
tail_pid=$!
sleep 2
sh -c "$sample"
sleep 1
echo "== 2. block unlinkat for one rm process: it fails, the file stays" >&2
touch /tmp/syscallmon-demo
gate=$(mktemp -u)
mkfifo "$gate"
sh -c 'read -r _ < "$0"; exec rm /tmp/syscallmon-demo' "$gate" &
rm_pid=$!
"$smon" --block --syscall unlinkat --pid "$rm_pid"
echo go > "$gate"
wait "$rm_pid" || echo "rm was refused"
ls -l /tmp/syscallmon-demo
rm -f "$gate" /tmp/syscallmon-demo
"$smon" --off
sleep 1
"$smon" status
