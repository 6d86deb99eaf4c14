#!/usr/bin/env bats
# examples/: the GitHub Actions workflow parses, and its shell steps do
# what they say against a sample config (no VM: the kernel is a dud).

load helpers

WORKFLOW=$VT_ROOT/examples/github-actions/vmtest.yml

# step JOB NAME: the run script of the workflow's step NAME in JOB.
step() {
	python3 - "$WORKFLOW" "$1" "$2" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for s in doc["jobs"][sys.argv[2]]["steps"]:
    if s.get("name", "").startswith(sys.argv[3]):
        print(s["run"])
        break
else:
    sys.exit("no step " + sys.argv[3])
PY
}

setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/vt.XXXXXX")
	: >"$T/peers"
	export VMTEST_BINDIR=$VT_BIN VMTEST_NO_UI=1
	mkdir "$T/project"
	echo "not a kernel" >"$T/project/dud"
	# Names a filter must tell apart: '.' would match any character.
	printf '[target a.b+]\nkernel = dud\ncommand = true\n\n[target aXbb]\nkernel = dud\ncommand = true\n' \
		>"$T/project/vmtest.ini"
	PATH=$VT_ROOT/bin:$PATH
}

@test "examples: the workflow is valid YAML with a targets job feeding a matrix" {
	requires python3
	python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	python3 - "$WORKFLOW" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
jobs = doc["jobs"]
assert jobs["test"]["needs"] == "targets"
assert "fromJSON(needs.targets.outputs.names)" in jobs["test"]["strategy"]["matrix"]["target"]
assert jobs["targets"]["outputs"]["names"] == "${{ steps.list.outputs.names }}"
PY
}

@test "examples: the list step prints every target's name as a JSON array" {
	python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	step targets "List the targets" >"$T/list.sh"
	cd "$T/project"
	GITHUB_OUTPUT=$T/out bash -e "$T/list.sh"
	[ "$(cat "$T/out")" = 'names=["a.b+","aXbb"]' ]
}

@test "examples: the run step runs exactly its target and writes its JUnit report" {
	python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	step test "Run " >"$T/run.sh"
	cd "$T/project"
	TARGET='a.b+' run bash -e "$T/run.sh"
	# The dud kernel cannot boot: the one target is an error, 69.
	[ "$status" -eq 69 ]
	[[ "$output" == *"=> a.b+"* ]]
	[[ "$output" != *"aXb"* ]]
	python3 - "$T/project/junit-a.b+.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["a.b+"], cases
assert cases[0].find("error") is not None
assert suite.get("errors") == "1" and suite.get("tests") == "1"
PY
}
