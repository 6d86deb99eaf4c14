#!/usr/bin/env bats
# Every tool's man page: lints clean, its SYNOPSIS is the tool's usage
# text, and it documents every option that --help lists.

load helpers

tools() {
	local d
	for d in "$VT_ROOT"/tools/*/; do basename "$d"; done
}

render() {
	MANWIDTH=80 mandoc -Tascii -Owidth=80 "$VT_ROOT/tools/$1/$1.1" | col -b
}

# Whitespace-folded text, to compare layouts made by different hands.
fold_ws() {
	tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'
}

@test "every man page lints clean" {
	requires mandoc
	local t
	for t in $(tools); do
		run mandoc -Tlint -Wwarning "$VT_ROOT/tools/$t/$t.1"
		[ "$status" -eq 0 ] || { echo "$t.1: $output"; return 1; }
	done
}

@test "every SYNOPSIS is the tool's usage text" {
	requires mandoc
	local t synopsis usage
	for t in $(tools); do
		synopsis=$(render "$t" | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | fold_ws)
		usage=$("$VT_BIN/$t" --help | sed -n '/^usage:/,/^$/p' | sed 's/^usage: //' | fold_ws)
		[ "$synopsis" = "$usage" ] || { printf '%s\n%s\n' "man:   $synopsis" "usage: $usage"; return 1; }
	done
}

@test "every option in --help is in the man page" {
	requires mandoc
	local t opt page
	for t in $(tools); do
		page=$(render "$t")
		for opt in $("$VT_BIN/$t" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
			grep -qF -- "$opt" <<<"$page" || { echo "$t.1 lacks $opt"; return 1; }
		done
	done
}

@test "every man page has an EXIT STATUS and EXAMPLES" {
	requires mandoc
	local t
	for t in $(tools); do
		render "$t" | grep -q '^EXIT STATUS'
		render "$t" | grep -q '^EXAMPLES'
	done
}
