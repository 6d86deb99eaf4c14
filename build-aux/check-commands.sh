#!/usr/bin/env bash
# check-commands: every command that the tests, fixtures, benchmarks, the
# demo and the driver call comes from a package that build-aux/debian-packages
# names, or from a minimal Debian root (Essential or Priority required, and
# apt, as mmdebstrap --variant=minbase installs, plus the git it is
# bootstrapped with).  A machine where everything happens to be installed
# keeps such a gap hidden; a new user's fresh root does not.
#
# Commands are read from shfmt's syntax tree (build-aux/commands.jq): the
# first literal word of every call, through wrappers (run, timeout, env,
# bash -c CODE, a guest's `qga-exec -- CODE`, ...).  Functions the scripts
# define, shell builtins and the project's own tools are not packages.
set -euo pipefail

prog=check-commands
top=$(cd "$(dirname "$0")/.." && pwd)
list=$top/build-aux/debian-packages
usage() { echo "usage: $prog [--list FILE] [SCRIPT...]"; }
while [ $# -gt 0 ]; do
	case $1 in
	--list) list=${2:?--list needs a file}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
if [ $# -eq 0 ]; then
	cd "$top"
	set -- tests/*.bats tests/*.bash tests/fixtures/*.sh tests/fixtures/*.bash \
		bench/*.sh bench/*.bash build-aux/deps.sh build-aux/demo.sh \
		build-aux/check-commands.sh bin/vmtest
fi
for tool in shfmt jq dpkg-query; do
	command -v "$tool" >/dev/null || { echo "$prog: error: $tool is not installed (make deps)" >&2; exit 2; }
done
[ -r "$list" ] || { echo "$prog: error: $list: cannot read the package list" >&2; exit 2; }

declare -A where funcs provided

# commands_of FILE [LINE]: reads a script on stdin and records, for each
# command it calls, the first FILE:LINE calling it, and each function it
# defines.  Code given as a string is read in turn, at the string's LINE.
commands_of() {
	local file=$1 at=${2:-} line kind value records
	# bats' `@test "name" {` is the one line that is not bash.
	records=$(sed -E 's/^@test ("([^"\\]|\\.)*"|'\''[^'\'']*'\'') \{/_test() {/' |
		shfmt -ln bash --to-json | jq -r -f "$top/build-aux/commands.jq") || {
		echo "$prog: error: $file${at:+:$at}: shfmt cannot parse it" >&2
		return 1
	}
	while IFS=$'\t' read -r line kind value; do
		line=${at:-$line}
		case $kind in
		cmd) [ -n "${where[$value]:-}" ] || where[$value]=$file:$line ;;
		func) funcs[$value]=1 ;;
		script) commands_of "$file" "$line" < <(jq -r . <<<"$value") ;;
		esac
	done <<<"$records"
}

for f in "$@"; do
	commands_of "$f" <"$f"
done

# The packages a new root has: minbase, the list, and what they depend on
# (the first installed alternative of each dependency).
# shellcheck disable=SC2016
while read -r pkg; do
	provided[$pkg]=1
done < <(dpkg-query -W -f '${db:Status-Status}\t${Package}\t${Essential}\t${Priority}\t${Provides}\t${Pre-Depends}, ${Depends}\n' |
	awk -F'\t' -v seeds="$(sed 's/#.*//' "$list" | tr -s ' \n' ' ') apt git" '
	$1 != "installed" { next }
	{
		inst[$2] = 1; deps[$2] = $6
		if ($3 == "yes" || $4 == "required") queue[++n] = $2
		np = split($5, pv, /, */)
		for (i = 1; i <= np; i++) { v = pv[i]; sub(/ .*/, "", v); if (v != "" && !(v in prov)) prov[v] = $2 }
	}
	END {
		ns = split(seeds, s, / +/)
		for (i = 1; i <= ns; i++) if (s[i] != "") queue[++n] = s[i]
		for (h = 1; h <= n; h++) {
			p = queue[h]
			if (!(p in inst)) { if (!(p in prov)) continue; p = prov[p] }
			if (p in seen) continue
			seen[p] = 1; print p
			nd = split(deps[p], d, /, */)
			for (j = 1; j <= nd; j++) {
				na = split(d[j], alt, / *[|] */)
				for (k = 1; k <= na; k++) {
					a = alt[k]; sub(/[ (].*/, "", a); sub(/:any$/, "", a)
					if (a in inst || a in prov) { queue[++n] = a; break }
				}
			}
		}
	}')

is_ours() {
	[ -e "$top/tools/$1" ] || [ -e "$top/bin/$1" ] ||
		case $1 in vm-init|vmtest-report) true ;; *) false ;; esac
}

# The commands to look up: not a function the scripts define, a builtin,
# bats' own or the project's, nor a path.
declare -A path_of owner
for cmd in "${!where[@]}"; do
	[ -z "${funcs[$cmd]:-}" ] || continue
	case $(type -t "$cmd" 2>/dev/null || true) in builtin|keyword) continue ;; esac
	case $cmd in load|run|skip|bats_*|*/*|*'$'*|'') continue ;; esac
	is_ours "$cmd" && continue
	path_of[$cmd]=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$cmd" || true)
done

# Who owns each path, asked of dpkg once: through merged /usr and
# alternatives, a path has several names.
candidates() {
	local p=$1 real
	real=$(readlink -f "$p")
	printf '%s\n' "$p" "$real" "${p#/usr}" "${real#/usr}" "/usr$p" "/usr$real"
}
mapfile -t paths < <(for cmd in "${!path_of[@]}"; do
	[ -z "${path_of[$cmd]}" ] || candidates "${path_of[$cmd]}"; done | sort -u)
while IFS= read -r line; do
	case $line in diversion*) continue ;; esac
	owner[${line#*: }]=${line%%[:,]*}
done < <([ ${#paths[@]} -eq 0 ] || dpkg-query -S "${paths[@]}" 2>/dev/null)

bad=0
for cmd in $(printf '%s\n' "${!path_of[@]}" | sort); do
	path=${path_of[$cmd]}
	if [ -z "$path" ]; then
		echo "${where[$cmd]}: $cmd: not installed here, and no package of $list provides it"
		bad=1
		continue
	fi
	pkg=
	for c in $(candidates "$path"); do
		pkg=${owner[$c]:-}
		[ -z "$pkg" ] || break
	done
	if [ -z "$pkg" ]; then
		echo "${where[$cmd]}: $cmd: $path belongs to no Debian package"
		bad=1
	elif [ -z "${provided[$pkg]:-}" ]; then
		echo "${where[$cmd]}: $cmd: its package $pkg is neither in $list nor in a minimal root"
		bad=1
	fi
done
exit "$bad"
