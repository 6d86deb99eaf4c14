#!/usr/bin/env bash
# make check-fresh: the README's two commands, run as a new user runs them.
#
# A fresh minimal Debian root is bootstrapped with mmdebstrap from the
# Debian archive this machine's apt uses, the commit under test is cloned
# into it, and the commands of the README's "Two commands" block run there,
# in order, as root, with a clean environment.  A failure names its step.
#
# Safety: /dev, /sys and a fresh /proc are mounted inside a private mount
# namespace, so no mount of the root is ever visible outside it and none
# outlives its processes.  On any exit the trap stops every process whose
# root or mount namespace is the fresh root's, unmounts whatever is still
# mounted below the root (deepest first), checks that nothing is, and only
# then deletes the root, without crossing into another file system.
set -euo pipefail

prog=fresh-root
usage() {
	cat <<EOF
usage: $prog [--keep] [--dir DIR] [--commit REV] [--suite SUITE]
       [--from TARBALL] [--run COMMAND]...
Bootstraps a minimal Debian root, clones REV (default HEAD) of this
checkout into it and runs the README's two commands there.
  --keep           leave the root in place (nothing stays mounted)
  --dir DIR        make the root below DIR (default \${TMPDIR:-/var/tmp})
  --commit REV     the commit to test (default HEAD)
  --suite SUITE    the Debian suite (default this machine's, e.g. bookworm)
  --from TARBALL   unpack this root instead of bootstrapping one
  --run COMMAND    run COMMAND in the clone instead of the README's commands
EOF
}
die() { echo "$prog: error: $*" >&2; exit 2; }
say() { echo "$prog: $*" >&2; }

args=("$@")
keep='' dir=${TMPDIR:-/var/tmp} commit=HEAD suite='' from='' commands=()
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=1 ;;
	--dir) dir=${2:?--dir needs a directory}; shift ;;
	--commit) commit=${2:?--commit needs a revision}; shift ;;
	--suite) suite=${2:?--suite needs a suite}; shift ;;
	--from) from=${2:?--from needs a tarball}; shift ;;
	--run) commands+=("${2:?--run needs a command}"); shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

src=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$src" rev-parse --verify -q "$commit^{commit}") ||
	die "$commit: not a commit of $src"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	say "warning: $src has uncommitted changes; testing commit ${rev:0:12} only"
[ -z "$from" ] || [ -r "$from" ] || die "$from: cannot read the root's tarball"
[ -d "$dir" ] || die "$dir: no such directory"
if [ -z "$suite" ]; then
	# shellcheck disable=SC1091
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$suite" ] || die "/etc/os-release names no codename: give --suite"
fi

# The README's commands: the lines of the fenced block under "Two commands".
[ ${#commands[@]} -gt 0 ] || mapfile -t commands < <(git -C "$src" show "$rev:README.md" | awk '
	/^## Two commands/ { sect = 1; next }
	sect && /^```/ { if (block) exit; block = 1; next }
	block { sub(/[ \t]*#.*/, ""); if ($0 != "") print }')
[ ${#commands[@]} -gt 0 ] || die "README.md at ${rev:0:12} has no \"Two commands\" block"

if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "a root's mounts need root: run as root, or install sudo"
	say "a root's mounts need root: running under sudo"
	exec sudo -- "$0" "${args[@]}"
fi
for tool in unshare chroot findmnt git; do
	command -v "$tool" >/dev/null || die "$tool is missing"
done

# Debian's entries of this machine's apt sources: its mirror, with the
# suite's updates and security, and none of the third-party archives.
debian_sources() {
	# shellcheck disable=SC2016
	apt-get indextargets --format '$(ORIGIN)|$(REPO_URI)|$(RELEASE)|$(COMPONENT)' \
		'Identifier: Packages' 2>/dev/null | awk -F'|' -v s="$suite" '
		$1 == "Debian" && ($3 == s || index($3, s "-") == 1) { print "deb " $2 " " $3 " " $4 }' | sort -u
}
sources=()
if [ -z "$from" ]; then
	mapfile -t sources < <(debian_sources)
	if [ ${#sources[@]} -eq 0 ] || ! command -v mmdebstrap >/dev/null; then
		say "updating apt's lists"
		apt-get update -q >&2 || die "apt-get update failed"
		mapfile -t sources < <(debian_sources)
	fi
	if ! command -v mmdebstrap >/dev/null; then
		say "installing mmdebstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends mmdebstrap >&2 ||
			die "cannot install mmdebstrap"
	fi
	[ ${#sources[@]} -gt 0 ] ||
		say "apt knows no Debian $suite archive: mmdebstrap uses its default mirror"
fi

root=$(mktemp -d "$dir/vmtest-fresh.XXXXXX")
step=setup
step_pid=
host_mntns=$(readlink /proc/self/ns/mnt)

# The step's own process, every process whose root is the fresh root, and
# every process in one of their mount namespaces (the shell that mounts
# before it chroots).  A root is compared as a file (-ef), since the path
# /proc shows for a process in another mount namespace is not ours when
# this script runs in a chroot itself.
root_pids() {
	local p r ns nss=" "
	[ -n "$step_pid" ] && kill -0 "$step_pid" 2>/dev/null && echo "$step_pid"
	[ -n "$step_pid" ] && ns=$(readlink "/proc/$step_pid/ns/mnt" 2>/dev/null) &&
		[ "$ns" != "$host_mntns" ] && nss+="$ns "
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		if [ "$p/root" -ef "$root" ] || [[ $r == "$root"/* ]]; then
			ns=$(readlink "$p/ns/mnt" 2>/dev/null) && [ "$ns" != "$host_mntns" ] &&
				[[ $nss != *" $ns "* ]] && nss+="$ns "
		fi
	done
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
		[ "${p#/proc/}" != "$step_pid" ] || continue
		if [ "$p/root" -ef "$root" ] || [[ $r == "$root"/* ]] || [[ $nss == *" $ns "* ]]; then
			echo "${p#/proc/}"
		fi
	done
}

stop_root_processes() {
	local sig pids tenths
	for sig in TERM KILL; do
		mapfile -t pids < <(root_pids)
		[ ${#pids[@]} -gt 0 ] || return 0
		say "stopping what still runs in the root (SIG$sig): ${pids[*]}"
		kill -s "$sig" "${pids[@]}" 2>/dev/null || true
		for (( tenths = 30; tenths > 0; tenths-- )); do
			[ -n "$(root_pids)" ] || return 0
			sleep 0.1
		done
	done
	[ -z "$(root_pids)" ]
}

mounts_below_root() {
	findmnt -rn -o TARGET | awk -v r="$root" '$0 == r || index($0, r "/") == 1' | sort -r
}

cleanup() {
	local rc=$? m
	# Cleaning up is bounded (a few seconds) and is not to be cut short.
	trap '' INT TERM HUP
	trap - EXIT
	if ! stop_root_processes; then
		say "error: processes in $root survive SIGKILL; leaving it in place"
		exit 71
	fi
	for m in $(mounts_below_root); do
		umount "$m" || umount -l "$m" || true
	done
	if [ -n "$(mounts_below_root)" ]; then
		say "error: still mounted below $root, so it is left in place:"
		mounts_below_root >&2
		exit 71
	fi
	if [ -n "$keep" ]; then
		say "the root stays in $root"
	else
		rm -rf --one-file-system "$root"
	fi
	rm -f "${log:-}"
	[ "$rc" -eq 0 ] || say "error: step '$step' failed (exit $rc)"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# run_step NAME CMD...: one step, timed, its output on stdout and in the
# log; in the background, so that a signal reaches the trap at once.
run_step() {
	local t0 rc=0
	step=$1
	shift
	say "step $step: $*"
	t0=$(date +%s)
	"$@" </dev/null >&3 2>&1 3>&- &
	step_pid=$!
	wait "$step_pid" || rc=$?
	step_pid=
	say "step $step: $(( $(date +%s) - t0 )) s, exit $rc"
	return "$rc"
}

# in_root CMD: CMD as a new root user's shell would run it, in the clone,
# with /dev, /sys and /proc mounted in a mount namespace of its own.  It
# execs, so that the step's PID is the process in the root.  The new
# namespace's mounts are made private, so that none propagates back; in a
# chroot, where / is no mount point and cannot be, that is needed only if
# a mount here is shared at all (in this script's own root, none is).
# shellcheck disable=SC2016
in_root() {
	local propagation=unchanged
	! grep -q ' shared:' /proc/self/mountinfo || propagation=private
	exec unshare --mount --propagation "$propagation" -- bash -euc '
		r=$1; shift
		mount --rbind /dev "$r/dev"
		mount --rbind /sys "$r/sys"
		mount -t proc proc "$r/proc"
		exec chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
			SHELL=/bin/sh LANG=C.UTF-8 TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/sh -c "cd /root/vmtest-tools && $1"' in_root "$root" "$1"
}

log=$root.log
exec 3> >(tee "$log")
tee_pid=$!
say "root $root, Debian $suite, commit ${rev:0:12}"
if [ -n "$from" ]; then
	run_step bootstrap tar -C "$root" -xf "$from"
else
	run_step bootstrap mmdebstrap --variant=minbase --include=git,make,ca-certificates \
		"$suite" "$root" "${sources[@]}"
fi
run_step clone git clone -q --no-local --no-checkout "$src" "$root/root/vmtest-tools"
run_step clone git -C "$root/root/vmtest-tools" checkout -q --detach "$rev"
for cmd in "${commands[@]}"; do
	case $cmd in
	make\ *) name=${cmd#make }; name=${name%% *} ;;
	*) name=run ;;
	esac
	run_step "$name" in_root "$cmd"
done
step=finish
say "the root holds $(du -sxh "$root" | cut -f1)"
left=$(root_pids | paste -sd, -)
[ -z "$left" ] || say "warning: the commands left processes behind in the root:" \
	"$(ps -o pid=,args= -p "$left" | tr -s ' ' | paste -sd ';' -)"
stop_root_processes
# Only what this script started still writes into the log's pipe.
exec 3>&-
wait "$tee_pid" || true
summary=$(grep -E '^check: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
rm -f "$log"
say "the commands pass in a fresh root: ${commands[*]}"
[ -z "$summary" ] || echo "$summary"
