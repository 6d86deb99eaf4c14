#!/usr/bin/env bats
# build-aux/fresh-root.sh (make check-fresh) keeps its promises: commands
# run in a clone inside the root, a failure names its step, and whatever
# way it ends, nothing it started still runs, nothing stays mounted and
# the root is gone, without ever deleting through a bind mount.  A tiny
# busybox root (--from) stands in for mmdebstrap's, which CI bootstraps.

load helpers
bats_require_minimum_version 1.5.0

FRESH=$VT_ROOT/build-aux/fresh-root.sh

setup_file() {
	local r=$BATS_FILE_TMPDIR/root app
	[ "$(id -u)" = 0 ] || return 0
	mkdir -p "$r"/{bin,usr/bin,dev,proc,sys,root,tmp,mnt}
	cp /bin/busybox "$r/bin/"
	for app in sh env sleep touch cat pwd ls echo test true; do
		ln -s /bin/busybox "$r/bin/$app"
	done
	ln -s /bin/busybox "$r/usr/bin/env"
	tar -C "$r" -cf "$BATS_FILE_TMPDIR/root.tar" .
}

setup() {
	helpers_setup
	[ "$(id -u)" = 0 ] || skip "a root's mounts need root (fresh-root.sh runs sudo otherwise)"
	requires busybox unshare findmnt
	mkdir "$T/d"
}

# What a run may leave: processes rooted in $T/d, mounts below it, files.
nothing_left() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $r != "$T/d"* ]] || { echo "left running: ${p#/proc/} ($r)"; return 1; }
	done
	! findmnt -rn -o TARGET | grep -F "$T/d" || { echo "left mounted"; return 1; }
	[ -z "$(ls -A "$T/d")" ] || { echo "left: $(ls -A "$T/d")"; return 1; }
}

@test "fresh-root: the command runs in a clone of the commit, with a clean environment" {
	run --separate-stderr env VT_SECRET=1 "$FRESH" --dir "$T/d" --from "$BATS_FILE_TMPDIR/root.tar" \
		--run 'pwd; env; ls Makefile; cat /proc/self/mounts'
	[ "$status" -eq 0 ] || { echo "$output$stderr"; return 1; }
	[[ "$output" == *"/root/vmtest-tools"* ]]
	[[ "$output" == *"HOME=/root"* ]]
	[[ "$output" != *VT_SECRET* ]]
	[[ "$output" == *Makefile* ]]
	[[ "$output" == *" /proc proc "* ]]
	[[ "$stderr" == *"step clone:"*"checkout -q --detach $(git -C "$VT_ROOT" rev-parse HEAD)"* ]]
	[[ "$stderr" == *"step run: "*", exit 0"* ]]
	nothing_left
}

@test "fresh-root: a failing command names its step and passes its status" {
	run --separate-stderr "$FRESH" --dir "$T/d" --from "$BATS_FILE_TMPDIR/root.tar" --run 'exit 3'
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"fresh-root: error: step 'run' failed (exit 3)"* ]]
	nothing_left
}

@test "fresh-root: without --run, the README's two commands run, make demo first" {
	# busybox's root has no make: the README's first command is the step that fails.
	run -127 --separate-stderr "$FRESH" --dir "$T/d" --from "$BATS_FILE_TMPDIR/root.tar"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"step demo: in_root make demo"* ]]
	[[ "$stderr" == *"step 'demo' failed (exit 127)"* ]]
	nothing_left
}

@test "fresh-root: what the commands leave running in the root is stopped" {
	run --separate-stderr "$FRESH" --dir "$T/d" --from "$BATS_FILE_TMPDIR/root.tar" \
		--run 'sleep 600 </dev/null >/dev/null 2>&1 & echo started'
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"left processes behind in the root: "*"sleep 600"* ]]
	nothing_left
}

@test "fresh-root: SIGTERM mid-step stops everything, unmounts, and never deletes through a bind of /dev" {
	"$FRESH" --dir "$T/d" --from "$BATS_FILE_TMPDIR/root.tar" \
		--run 'touch /root/started; sleep 600' >"$T/out" 2>&1 &
	local pid=$! started
	wait_until 20 "the command to start" compgen -G "$T/d/vmtest-fresh.*/root/started"
	started=$(compgen -G "$T/d/vmtest-fresh.*/root/started")
	# A live bind mount of /dev in this namespace, as a careless cleanup
	# would delete through.
	mount --bind /dev "${started%/root/started}/mnt"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	cat "$T/out"
	[ "$rc" -eq 143 ]
	[ -c /dev/null ]
	grep -q "step 'run' failed (exit 143)" "$T/out"
	nothing_left
}

@test "fresh-root: misuse is an error naming the culprit, before anything starts" {
	run "$FRESH" --from "$T/none.tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/none.tar: cannot read"* ]]
	run "$FRESH" --commit no-such-rev
	[ "$status" -eq 2 ]
	[[ "$output" == *"no-such-rev: not a commit"* ]]
	run "$FRESH" --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: fresh-root"* ]]
	[ -z "$(ls -A "$T/d")" ]
}
