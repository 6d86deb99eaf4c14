#!/usr/bin/env bats
# The real-guest fixture (tests/fixtures/vm.bash): Debian's kernel under TCG
# with the host's qemu-ga on a virtio-serial port, reached with socat and jq
# only.  Each test boots its own guest.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

@test "the guest's agent answers guest-sync-delimited after its 0xFF sentinel" {
	vm_requires
	start_vm_qga
	vm_wait_agent 60
	# QEMU's chardev drops the connection when the client shuts down its
	# sending side, so socat must not (shut-none): it closes after -t.
	local reply= tries=20 LC_ALL=C
	until [[ $reply == *$'\377{"return": 12345}'* ]]; do
		(( tries-- > 0 )) || { printf 'last reply: %q\n' "$reply" >&2; vm_dump; false; }
		reply=$(printf '\377{"execute":"guest-sync-delimited","arguments":{"id":12345}}\n' |
			LC_ALL=C socat -t 1 - "UNIX-CONNECT:$T/qga.sock,shut-none") || :
	done
}

@test "guest-exec runs uname -r in the guest and returns the booted kernel's version" {
	vm_requires
	start_vm_qga
	vm_wait_agent 60
	local reply pid tries=100 out
	reply=$(vm_qga '{"execute":"guest-exec","arguments":{"path":"uname","arg":["-r"],"capture-output":true}}')
	pid=$(jq -er '.return.pid' <<<"$reply")
	while :; do
		reply=$(vm_qga "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
		[ "$(jq -r '.return.exited' <<<"$reply")" = true ] && break
		(( tries-- > 0 )) || { echo "not exited: $reply" >&2; false; }
		sleep 0.1
	done
	[ "$(jq -r '.return.exitcode' <<<"$reply")" = 0 ]
	out=$(jq -r '.return["out-data"]' <<<"$reply" | base64 -d)
	[ "$out" = "$(vm_kernel_version)" ]
}
