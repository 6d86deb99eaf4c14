#!/usr/bin/env bats
# qemu-launch --net: QEMU's user-mode network in a kernel target, set up by
# vm-init.  One guest with --net (a snapshot restore once the cache has
# its setup) serves the file; the guest without --net is boot.bats's.  The
# peer is a python3 http.server bound to the host's 127.0.0.1 alone, which
# the guest must reach at 10.0.2.2; the host has no curl or wget to count
# on, so the guest speaks HTTP with bash's /dev/tcp.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

setup_file() {
	vm_requires
	requires python3
	NET_T=$(mktemp -d /var/tmp/vt-net.XXXXXX)
	export NET_T
	head -c 30000 /dev/urandom | base64 >"$NET_T/file"
	sha256sum </etc/resolv.conf >"$NET_T/resolv.sum"
	# Port 0: the kernel picks a free one, which the server then names.
	python3 -u -m http.server --bind 127.0.0.1 --directory "$NET_T" 0 \
		>"$NET_T/http.out" 2>"$NET_T/http.err" </dev/null 3>&- &
	echo $! >"$NET_T/http.pid"
	wait_until 10 "the http server" grep -q '^Serving HTTP on 127\.0\.0\.1 port [0-9]' "$NET_T/http.out" ||
		{ cat "$NET_T/http.err" >&2; return 1; }
	sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' "$NET_T/http.out" >"$NET_T/port"
	qemu-launch --kernel "$(vm_kernel)" --accel tcg --net --share "$NET_T" \
		--detach >"$NET_T/launch.json" 2>"$NET_T/launch.err" 3>&- ||
		{ cat "$NET_T/launch.err" >&2; return 1; }
}

teardown_file() {
	qmp-send --sock "$(jq -r .qmp "$NET_T/launch.json")" --timeout 5s quit \
		>/dev/null 2>&1 || kill "$(jq -r .pid "$NET_T/launch.json")" 2>/dev/null
	kill "$(cat "$NET_T/http.pid")" 2>/dev/null
	rm -rf "$(jq -r .rundir "$NET_T/launch.json")" "$NET_T"
}

guest() { qga-exec --sock "$(jq -r .qga "$NET_T/launch.json")" --wait 90s "$@"; }

@test "--net: the guest fetches a file from a server on the host's 127.0.0.1, at 10.0.2.2" {
	run guest -- bash -c 'exec 3<>"/dev/tcp/10.0.2.2/$1" &&
		printf "GET /file HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n" >&3 &&
		sed "1,/^\r$/d" <&3 | sha256sum' _ "$(cat "$NET_T/port")"
	[ "$status" -eq 0 ]
	[ "$output" = "$(sha256sum <"$NET_T/file")" ]
}

@test "--net: lo and eth0 are up, eth0 10.0.2.15/24, the default route via 10.0.2.2" {
	run guest -- sh -c 'cd /sys/class/net && ls && cat lo/flags eth0/flags eth0/operstate &&
		cat /proc/net/route &&
		awk "/\\|-- /{a=\$2} /\/32 host LOCAL/{print \"local\", a}" /proc/net/fib_trie | sort -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = eth0 ] && [ "${lines[1]}" = lo ]
	# IFF_UP is 0x1.
	(( ${lines[2]} & 1 )) && (( ${lines[3]} & 1 ))
	[ "${lines[4]}" = up ]
	# /proc/net/route: IFACE DEST GATEWAY FLAGS ... MASK, little-endian hex.
	[ "$(awk '$2 == "00000000" && $8 == "00000000" { print $1, $3, $4 }' <<<"$output")" = "eth0 0202000A 0003" ]
	[ "$(awk '$2 == "0002000A" { print $1, $3, $8 }' <<<"$output")" = "eth0 00000000 00FFFFFF" ]
	# The addresses of the host itself (fib_trie's "/32 host LOCAL").
	[ "$(grep '^local ' <<<"$output")" = $'local 10.0.2.15\nlocal 127.0.0.1' ]
}

@test "--net: the guest's resolv.conf names 10.0.2.3; the host's is unchanged" {
	run guest -- grep '^nameserver' /etc/resolv.conf
	[ "$status" -eq 0 ]
	[ "$output" = "nameserver 10.0.2.3" ]
	[ "$(sha256sum </etc/resolv.conf)" = "$(cat "$NET_T/resolv.sum")" ]
}
