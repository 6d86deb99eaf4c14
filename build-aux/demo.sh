#!/usr/bin/env bash
# make demo: the README's first command.  vmtest boots this machine's own
# kernel under QEMU with this machine's root file system shared in, and
# runs `uname -a` there: the line printed comes from the guest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export VMTEST_BINDIR=${VT_BIN:?}

# The newest kernel in /boot whose modules are installed (make deps
# installs Debian's linux-image package when there is none).
kernel=
for f in $(printf '%s\n' /boot/vmlinuz-* | sort -rV); do
	if [ -f "$f" ] && [ -d "/lib/modules/${f#/boot/vmlinuz-}" ]; then
		kernel=$f
		break
	fi
done
if [ -z "$kernel" ]; then
	echo "demo: no kernel in /boot with its modules in /lib/modules" >&2
	echo "demo: install one: apt-get install linux-image-$(dpkg --print-architecture)" >&2
	exit 2
fi
[ -r "$kernel" ] || { echo "demo: $kernel is not readable: run make demo as root" >&2; exit 2; }

echo "$ bin/vmtest -k $kernel -- uname -a"
exec "$root/bin/vmtest" -k "$kernel" -- uname -a
