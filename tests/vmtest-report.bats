#!/usr/bin/env bats
# vmtest-report from fixture result lines, no VM: the summary table and
# the JUnit report as bin/vmtest's jq made them (the golden files are jq's
# own output), escaping of hostile bytes into well-formed XML, output
# tails, merged inputs, every kind of bad input, and the report file
# replaced whole or not at all.

load helpers
bats_require_minimum_version 1.5.0

FIX=$VT_ROOT/tests/fixtures/report

# well_formed FILE: python's XML parser reads it.
well_formed() {
	python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' "$1"
}

# normalised FILE: the report with its timestamp made the golden file's.
normalised() {
	sed -E 's/ timestamp="[^"]*"/ timestamp="TIMESTAMP"/' "$1"
}

# no_temp_files DIR: nothing but what the test put there.
no_temp_files() {
	local left
	left=$(find "$1" -name '*.tmp.*')
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

@test "vmtest-report --help, --version and misuse" {
	run vmtest-report --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: vmtest-report [--summary] [--junit FILE] [--color] [--max-output SIZE]" ]]
	run vmtest-report --version
	[ "$status" -eq 0 ]
	[[ "$output" == "vmtest-report (vmtest-tools) "* ]]
	run -2 vmtest-report --bogus
	[[ "$output" == *"usage: vmtest-report"* ]]
	run -2 vmtest-report --max-output 1x "$FIX/results.jsonl"
	[[ "$output" == *"--max-output: invalid size '1x'"* ]]
	run -2 vmtest-report --junit '' "$FIX/results.jsonl"
	[[ "$output" == *"--junit: empty file name"* ]]
}

@test "vmtest-report: the summary is vmtest's table, wide names in display columns" {
	cd "$FIX"
	run --separate-stderr vmtest-report results.jsonl
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	diff -u summary.txt - <<<"$output"
	# The status column starts at one display column in every row,
	# whatever the name's bytes: 日本語 is 9 bytes, 3 characters, 6 columns.
	python3 - "$output" <<'PY'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = sys.argv[1].splitlines()[1:]
cols = {width(re.match(r"(.*?  )(PASS|FAILED|TIMEOUT|PANIC|ERROR)", r).group(1)) for r in rows}
assert cols == {3 + 15 + 2}, (cols, rows)
PY
}

@test "vmtest-report --color: bin/vmtest's escapes around the heading and statuses" {
	run vmtest-report --color "$FIX/matrix-a.jsonl"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'\e[1m=> Summary\e[0m' ]
	[ "${lines[1]}" = $'   x86_64/6.1  \e[32mPASS\e[0m              8 s' ]
	[ "${lines[2]}" = $'   x86_64/6.6  \e[1;31mFAILED (exit 1)\e[0m   6 s' ]
	run vmtest-report "$FIX/matrix-a.jsonl"
	[[ "$output" != *$'\e'* ]]
}

@test "vmtest-report: stdin, '-', blank lines, CRLF and a last line without newline" {
	local want
	want=$(vmtest-report "$FIX/results.jsonl")
	run vmtest-report <"$FIX/results.jsonl"
	[ "$status" -eq 0 ] && [ "$output" = "$want" ]
	run vmtest-report - <"$FIX/results.jsonl"
	[ "$status" -eq 0 ] && [ "$output" = "$want" ]
	{ printf '\n  \t\n'; sed 's/$/\r/' "$FIX/results.jsonl" | head -c -2; } >"$T/odd.jsonl"
	run vmtest-report "$T/odd.jsonl"
	[ "$status" -eq 0 ] && [ "$output" = "$want" ]
	run vmtest-report </dev/null
	[ "$status" -eq 0 ] && [ "$output" = "=> Summary" ]
}

@test "vmtest-report --junit: bin/vmtest's report, byte for byte but the time" {
	cd "$FIX"
	run --separate-stderr vmtest-report --junit "$T/junit.xml" results.jsonl
	[ "$status" -eq 0 ]
	[ -z "$output" ] && [ -z "$stderr" ]
	normalised "$T/junit.xml" | diff -u junit.xml -
	well_formed "$T/junit.xml"
	# The timestamp is now, in UTC, as date -u +%Y-%m-%dT%H:%M:%S.
	local ts
	ts=$(grep -o 'timestamp="[^"]*"' "$T/junit.xml" | cut -d'"' -f2)
	[[ "$ts" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$ ]]
	(( $(date -u +%s) - $(date -u -d "$ts" +%s) < 60 ))
	[ "$(stat -c %a "$T/junit.xml")" = "$(printf '%o' $((0666 & ~$(umask))))" ]
}

@test "vmtest-report --summary --junit: both" {
	cd "$FIX"
	run vmtest-report --summary --junit "$T/junit.xml" results.jsonl
	[ "$status" -eq 0 ]
	diff -u summary.txt - <<<"$output"
	normalised "$T/junit.xml" | diff -u junit.xml -
}

@test "vmtest-report: hostile names, messages and output make well-formed XML" {
	# Control bytes, ill-formed UTF-8, quotes, ]]>, references, a
	# surrogate's encoding, non-characters; raw bytes in the line itself.
	printf '{"name":"ev\\u0001il\\u0000 ]]> \\"q\\" '"'"'s\\u001b[31m \\u007f\\ufffe\\uffff \xff\xc3\x28 \xed\xa0\x80 <x>&amp;","status":"fail","exit_code":1,"message":"line1\\nline2\\ttab\\r\\n]]><![CDATA[ \\u0008","output":"%s","seconds":{"total":1}}\n' \
		"$T/hostile.out" >"$T/hostile.jsonl"
	python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)) * 2 + b"]]><![CDATA[x]]>\r\n\xe6\x97\xa5\xe6\x97 \xf0\x9f\x98\x80 end\r")' "$T/hostile.out"
	run vmtest-report --junit "$T/h.xml" "$T/hostile.jsonl"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	well_formed "$T/h.xml"
	# What a parser reads back is the input, repaired as Python repairs
	# UTF-8 and less what XML 1.0 cannot hold, CR, tab and LF included.
	python3 - "$T/h.xml" "$T/hostile.jsonl" "$T/hostile.out" <<'PY'
import json, sys, xml.dom.minidom
def xmlable(s):
    return "".join(c for c in s if c in "\t\n\r" or (ord(c) >= 0x20 and c not in "\x7f\ufffe\uffff"))
doc = xml.dom.minidom.parse(sys.argv[1])
line = json.loads(open(sys.argv[2], "rb").read().decode("utf-8", "replace"))
out = open(sys.argv[3], "rb").read().decode("utf-8", "replace")
case = doc.getElementsByTagName("testcase")[0]
assert case.getAttribute("name") == xmlable(line["name"]), repr(case.getAttribute("name"))
msg = doc.getElementsByTagName("failure")[0].getAttribute("message")
assert msg == xmlable(line["message"]), repr(msg)
text = doc.getElementsByTagName("system-out")[0].firstChild.data
assert text == xmlable(out), repr(text)
PY
}

@test "vmtest-report --max-output: the end of the output, with what is left out" {
	cd "$FIX"
	local size
	size=$(stat -c %s beta.out)
	run vmtest-report --max-output 100 --junit "$T/j.xml" results.jsonl
	[ "$status" -eq 0 ]
	well_formed "$T/j.xml"
	python3 - "$T/j.xml" "$size" <<'PY'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
outs = {c.getAttribute("name"): c.getElementsByTagName("system-out") for c in doc.getElementsByTagName("testcase")}
beta = outs["beta"][0].firstChild.data
tail = open("beta.out").read()[-100:]
assert beta == "[the first %d bytes are left out]\n%s" % (int(sys.argv[2]) - 100, tail), repr(beta)
assert outs["alpha"][0].firstChild.data == "from-alpha\n/tmp file\n"
assert not outs["gamma-long-name"]   # its output file is not there
PY
	# A cut inside a character moves past it: é is two bytes.
	printf 'é%.0s' {1..100} >"$T/e.out"
	printf '{"name":"e","status":"pass","output":"%s"}\n' "$T/e.out" >"$T/e.jsonl"
	run vmtest-report --max-output 51 --junit "$T/e.xml" "$T/e.jsonl"
	[ "$status" -eq 0 ]
	grep -q "<system-out>\[the first 150 bytes are left out\]" "$T/e.xml"
	[ "$(sed -n 's/^\(é*\)<\/system-out>$/\1/p' "$T/e.xml")" = "$(printf 'é%.0s' {1..25})" ]
	run vmtest-report --max-output 0 --junit "$T/z.xml" "$T/e.jsonl"
	[ "$status" -eq 0 ]
	grep -q '<system-out>\[the first 200 bytes are left out\]$' "$T/z.xml"
}

@test "vmtest-report: several files merge, in order" {
	run vmtest-report --summary --junit "$T/all.xml" "$FIX/matrix-a.jsonl" "$FIX/matrix-b.jsonl"
	[ "$status" -eq 0 ]
	[ "$output" = "=> Summary
   x86_64/6.1   PASS              8 s
   x86_64/6.6   FAILED (exit 1)   6 s
   aarch64/6.1  PASS              40 s" ]
	grep -q '<testsuites tests="3" failures="1" errors="0" time="54">' "$T/all.xml"
	[ "$(grep -o 'testcase classname="vmtest" name="[^"]*"' "$T/all.xml" | cut -d'"' -f4 | tr '\n' ' ')" = "x86_64/6.1 x86_64/6.6 aarch64/6.1 " ]
	# cat */results.jsonl | vmtest-report is the same.
	run vmtest-report < <(cat "$FIX/matrix-a.jsonl" "$FIX/matrix-b.jsonl")
	[ "${lines[3]}" = "   aarch64/6.1  PASS              40 s" ]
}

@test "vmtest-report: each bad line is one error naming FILE:LINE, 76, and no report" {
	local ok='{"name":"ok","status":"pass"}' line why
	echo old >"$T/junit.xml"
	while IFS='|' read -r line why; do
		printf '%s\n\n%s\n' "$ok" "$line" >"$T/bad.jsonl"
		run --separate-stderr vmtest-report --summary --junit "$T/junit.xml" "$T/bad.jsonl"
		[ "$status" -eq 76 ] || { echo "$line: status $status"; return 1; }
		[ -z "$output" ]
		[ "$stderr" = "vmtest-report: error: $T/bad.jsonl:3: $why" ] ||
			{ echo "$line: $stderr"; return 1; }
		[ "$(cat "$T/junit.xml")" = old ]
	done <<'EOF'
not json|not JSON: invalid token near 'not' at column 3
[1,2]|not a JSON object
"name"|not a JSON object
{"name":"a","status":"pass"} x|not JSON: end of file expected near 'x' at column 30
{"name":"a","name":"b","status":"pass"}|not JSON: duplicate object key near '"name"' at column 18
{"status":"pass"}|"name" is missing
{"name":1,"status":"pass"}|"name" is not a string
{"name":"a"}|"status" is missing
{"name":"a","status":true}|"status" is not a string
{"name":"a","status":"bogus"}|"status" is "bogus", not pass, fail, timeout, panic or error
{"name":"a","status":"PASS"}|"status" is "PASS", not pass, fail, timeout, panic or error
{"name":"a","status":"pass","exit_code":"0"}|"exit_code" is not a whole number
{"name":"a","status":"pass","exit_code":0.5}|"exit_code" is not a whole number
{"name":"a","status":"pass","message":[]}|"message" is not a string
{"name":"a","status":"pass","faults":"2"}|"faults" is not a whole number
{"name":"a","status":"pass","seconds":1}|"seconds" is not an object
{"name":"a","status":"pass","seconds":{"total":"1"}}|"seconds.total" is not a number
{"name":"a","status":"pass","seconds":{"boot":false}}|"seconds.boot" is not a number
{"name":"a","status":"pass","output":7}|"output" is not a file's path
{"name":"a","status":"pass","output":""}|"output" is not a file's path
{"name":"a","status":"pass","start":1}|"start" is not a string
EOF
	# stdin is named so; a runaway line is refused with its number.
	run --separate-stderr vmtest-report <<<"$ok"$'\n'"{"
	[ "$status" -eq 76 ]
	[[ "$stderr" == "vmtest-report: error: stdin:2: not JSON: "* ]]
	{ echo "$ok"; head -c $((17 << 20)) /dev/zero | tr '\0' ' '; } >"$T/long.jsonl"
	run --separate-stderr vmtest-report "$T/long.jsonl"
	[ "$status" -eq 76 ]
	[ "$stderr" = "vmtest-report: error: $T/long.jsonl:2: line longer than 16 MiB" ]
}

@test "vmtest-report: a FILE that cannot be read is 71, named, and nothing is written" {
	run --separate-stderr vmtest-report --summary "$FIX/matrix-a.jsonl" "$T/missing.jsonl"
	[ "$status" -eq 71 ]
	[ -z "$output" ]
	[ "$stderr" = "vmtest-report: error: $T/missing.jsonl: No such file or directory" ]
	run --separate-stderr vmtest-report "$T"
	[ "$status" -eq 71 ]
	[ "$stderr" = "vmtest-report: error: $T: Is a directory" ]
}

@test "vmtest-report --junit: replaced atomically, the old file kept on any failure" {
	cd "$FIX"
	mkdir "$T/out"
	echo old >"$T/out/junit.xml"
	# Success replaces it and leaves nothing else.
	run vmtest-report --junit "$T/out/junit.xml" matrix-a.jsonl
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/out")" = junit.xml ]
	grep -q 'tests="2"' "$T/out/junit.xml"
	# An output file that is there but cannot be read: 71, old file kept.
	echo old >"$T/out/junit.xml"
	printf '{"name":"a","status":"pass","output":"%s"}\n' "$T/out" >"$T/dir-output.jsonl"
	run --separate-stderr vmtest-report --junit "$T/out/junit.xml" "$T/dir-output.jsonl"
	[ "$status" -eq 71 ]
	[ "$stderr" = "vmtest-report: error: $T/out: not a regular file" ]
	[ "$(cat "$T/out/junit.xml")" = old ]
	no_temp_files "$T"
	# A directory that is not there: 71 naming the report.
	run --separate-stderr vmtest-report --junit "$T/nowhere/junit.xml" matrix-a.jsonl
	[ "$status" -eq 71 ]
	[ "$stderr" = "vmtest-report: error: $T/nowhere/junit.xml: No such file or directory" ]
	# A symbolic link is followed, not replaced.
	ln -s out/junit.xml "$T/link.xml"
	run vmtest-report --junit "$T/link.xml" matrix-b.jsonl
	[ "$status" -eq 0 ]
	[ -L "$T/link.xml" ]
	grep -q 'aarch64/6.1' "$T/out/junit.xml"
	no_temp_files "$T"
	# What is not a regular file is written in place.
	run vmtest-report --junit /dev/stdout matrix-b.jsonl
	[ "$status" -eq 0 ]
	[[ "$output" == "<?xml "*"aarch64/6.1"*"</testsuites>" ]]
}

@test "vmtest-report: stdout that cannot be written is 71" {
	# bats captures stdout itself: send it to /dev/full from inside.
	run --separate-stderr bash -c 'vmtest-report "$1" >/dev/full' _ "$FIX/results.jsonl"
	[ "$status" -eq 71 ]
	[ "$stderr" = "vmtest-report: error: stdout: No space left on device" ]
}

@test "fuzz target vmtest_report replays its corpus" {
	[ -x "$VT_FUZZBIN/vmtest_report" ] || skip "fuzz targets not built (make fuzz needs clang)"
	run "$VT_FUZZBIN/vmtest_report" -runs=0 "$VT_ROOT/fuzz/corpus/vmtest_report"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}
