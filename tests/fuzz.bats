#!/usr/bin/env bats
# Every libFuzzer target replays its seed corpus cleanly: the targets keep
# building and the seeds keep passing.  `make fuzz-run` fuzzes for real.

load helpers

replay() {
	[ -x "$VT_FUZZBIN/$1" ] || skip "fuzz targets not built (make fuzz needs clang)"
	run "$VT_FUZZBIN/$1" -runs=0 "$VT_ROOT/fuzz/corpus/$1"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "fuzz target base64 replays its corpus" { replay base64; }
@test "fuzz target control replays its corpus" { replay control; }
@test "fuzz target jsonl_reader replays its corpus" { replay jsonl_reader; }
@test "fuzz target launch_config replays its corpus" { replay launch_config; }
@test "fuzz target launch_toml replays its corpus" { replay launch_toml; }
@test "fuzz target kernel_version replays its corpus" { replay kernel_version; }
@test "fuzz target kernel_image replays its corpus" { replay kernel_image; }
@test "fuzz target nbd_handshake replays its corpus" { replay nbd_handshake; }
@test "fuzz target nbd_request replays its corpus" { replay nbd_request; }
@test "fuzz target parse replays its corpus" { replay parse; }
@test "fuzz target qga_reply replays its corpus" { replay qga_reply; }
@test "fuzz target rules replays its corpus" { replay rules; }
@test "fuzz target window_line replays its corpus" { replay window_line; }
@test "fuzz target write_log replays its corpus" { replay write_log; }
@test "fuzz target vmtest_report replays its corpus" { replay vmtest_report; }
@test "fuzz target snapfile replays its corpus" { replay snapfile; }
@test "fuzz target fw_desc replays its corpus" { replay fw_desc; }
@test "fuzz target modules_order replays its corpus" { replay modules_order; }

@test "every fuzz target has a corpus and a test here" {
	local f n
	for f in "$VT_ROOT"/fuzz/*.c; do
		n=$(basename "$f" .c)
		[ -d "$VT_ROOT/fuzz/corpus/$n" ]
		grep -q "replay $n;" "$BATS_TEST_FILENAME"
	done
}
