#!/bin/sh
# Installs the Debian packages in build-aux/debian-packages that are missing.
# As root it runs apt-get; otherwise it prints the line to run and fails.
set -eu
list=${VT_DEBIAN_PACKAGES:-$(dirname "$0")/debian-packages}
missing=
for pkg in $(sed 's/#.*//' "$list"); do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages; as root, run:" >&2
	echo "  apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -q -y --no-install-recommends$missing
