#!/usr/bin/env bash
# bench/nbd.sh: nbd-fault as a plain NBD server, side by side with nbdkit
# and with QEMU's Python fault injector, over Unix sockets on this host:
#   1. an 8 GiB sequential read of a zero export (nbdcopy --no-extents to
#      null:), nbd-fault --backend zero --multi-conn against nbdkit null;
#   2. 4 KiB reads scattered over a prefilled 1 GiB RAM disk (qemu-img
#      bench), nbd-fault --backend memory against nbdkit memory;
#   2b. the same reads, and as many 4 KiB writes, through nbd-fault's
#      --volatile-cache over that RAM disk against the RAM disk alone (the
#      writes stay in the cache until qemu-img's closing flush);
#   3. if the injector script is at hand, the 8 GiB zero read and the 4 KiB
#      reads again, nbd-fault in its compatible mode against the injector,
#      through qemu-img (libnbd refuses the injector's handshake).
# Each run is timed directly, the servers taking turns, and the CPU time
# each server spent is read from /proc.
#
# stdout: one compact JSON line per figure, nothing else; progress goes to
# stderr.  BENCH_RUNS sets the runs per server and figure (default 5 here:
# a run moves 8 GiB); VT_BIN the directory holding nbd-fault (default
# build/bin); NBD_INJECTOR the injector script (default build/ or
# tests/compat/nbd-fault-injector.py); PYTHON its interpreter.
# Exit status: 0 done, 1 failure, 2 a required program is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=nbd
BENCH_RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.bash
. "$here/common.bash"
require jq timeout nbdkit nbdcopy nbdinfo qemu-img qemu-io
[[ -x $bin/nbd-fault ]] || missing "$bin/nbd-fault" "run 'make' (or set VT_BIN)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-nbd.XXXXXX")
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		stop "$pid"
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

(( ${#dir} < 90 )) || die "socket directory too long for AF_UNIX: $dir (set TMPDIR)"
tick=$(getconf CLK_TCK)

# alive PID: running and not a zombie bash has yet to reap.
alive() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# cpu_ticks PID: user + system time the process has used, in clock ticks.
cpu_ticks() {
	local stat f
	read -r stat <"/proc/$1/stat"
	# Fields after the ")" that ends the command name: state is the 1st,
	# utime the 12th, stime the 13th.
	read -ra f <<<"${stat##*) }"
	echo $(( f[11] + f[12] ))
}

# serve NAME READY CMD...: starts a server with its output in $dir/NAME.log
# and sets pid.  READY is "listening" (wait for the "Listening on" line the
# injector and nbd-fault print) or a socket path to wait for (nbdkit).
serve() {
	local name=$1 ready=$2
	shift 2
	"$@" </dev/null >"$dir/$name.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	for _ in {1..100}; do
		if [[ $ready == listening ]]; then
			grep -qs '^Listening on ' "$dir/$name.log" && return 0
		else
			[[ -S $ready ]] && return 0
		fi
		alive "$pid" || { cat "$dir/$name.log" >&2; die "$name exited early: $*"; }
		sleep 0.1
	done
	cat "$dir/$name.log" >&2
	die "$name not ready after 10 s: $*"
}

# check_alive NAME PID WHEN: fails with the server's log if it is gone.
check_alive() {
	alive "$2" && return 0
	cat "$dir/$1.log" >&2
	die "$1 died $3"
}

url() { printf 'nbd+unix:///?socket=%s' "$1"; }

# timed NAME PID OUT CMD...: runs CMD once; appends to $dir/OUT.runs a
# JSON object with its wall seconds and the server's CPU seconds.  qemu-img
# bench's own figure ("Run completed in N seconds", which leaves out
# qemu's start-up and the connection) replaces the wall time when present.
timed() {
	local name=$1 spid=$2 out=$3 c0 c1 t0 t1 rc=0 own
	shift 3
	c0=$(cpu_ticks "$spid")
	t0=$(date +%s%N)
	timeout 300 "$@" >"$dir/cmd.out" 2>&1 || rc=$?
	t1=$(date +%s%N)
	check_alive "$name" "$spid" "during: $*"
	if (( rc != 0 )); then
		cat "$dir/cmd.out" >&2
		die "exit status $rc from: $*"
	fi
	c1=$(cpu_ticks "$spid")
	own=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' "$dir/cmd.out")
	jq -cn --argjson wall "$(( t1 - t0 ))e-9" --arg own "$own" \
		--argjson cpu "$(( c1 - c0 ))" --argjson tick "$tick" \
		'{s: (if $own == "" then $wall else ($own | tonumber) end),
		  cpu_s: ($cpu / $tick)}' >>"$dir/$out.runs"
}

# summary FIGURE OUT [UNITS]: a timing line from $dir/OUT.runs.  UNITS is
# bytes (adds MB/s) or a request count (adds IOPS), as "bytes:N" or "ops:N".
summary() {
	jq -cs --arg fig "$1" --arg units "${3:-}" '
		def r: . * 1000 | round / 1000;
		def median: sort as $s | ($s | length) as $n
			| if $n % 2 == 1 then $s[($n - 1) / 2]
			  else ($s[$n / 2 - 1] + $s[$n / 2]) / 2 end;
		(map(.s) | add / length) as $mean
		| ($units | split(":")) as $u
		| {bench: "nbd", figure: $fig, runs: length, mean_s: ($mean | r),
		   median_s: (map(.s) | median | r),
		   server_cpu_s: (map(.cpu_s) | add / length | r)}
		+ if $u[0] == "bytes" then
			{mb_per_s: (($u[1] | tonumber) / $mean / 1e6 | round)}
		  elif $u[0] == "ops" then
			{iops: (($u[1] | tonumber) / $mean | round)}
		  else {} end
	' "$dir/$2.runs"
}

# ratio FIGURE A B GOAL: mean time of B over mean time of A (so A's
# throughput over B's: higher is better for A), and the same for CPU.
ratio() {
	jq -cn --arg fig "$1" --arg goal "$4" \
		--slurpfile a "$dir/$2.runs" --slurpfile b "$dir/$3.runs" '
		def r: . * 1000 | round / 1000;
		def mean(f): map(f) | add / length;
		{bench: "nbd", figure: $fig,
		 ratio: (($b | mean(.s)) / ($a | mean(.s)) | r),
		 cpu_ratio: (if ($a | mean(.cpu_s)) == 0 then null
			else ($b | mean(.cpu_s)) / ($a | mean(.cpu_s)) | r end),
		 goal: $goal}'
}

zero_size=$((8 << 30))
mem_size=$((1 << 30))

# 1. Sequential read of 8 GiB of zeros: nbdcopy, four connections where the
# server allows multi-conn (both do), extents ignored so every byte moves.
log "1/3: nbdcopy --no-extents of an 8 GiB zero export (nbd-fault zero vs nbdkit null)"
serve ours-zero listening "$bin/nbd-fault" --backend zero --size 8G \
	--multi-conn "$dir/ours-zero.sock"
ours_zero=$pid
serve nbdkit-null "$dir/nbdkit-null.sock" nbdkit --unix "$dir/nbdkit-null.sock" \
	-f null 8G
nbdkit_null=$pid
for s in ours-zero nbdkit-null; do
	[[ $(nbdinfo --size "$(url "$dir/$s.sock")") == "$zero_size" ]] ||
		die "$s does not export $zero_size bytes"
	[[ $(nbdinfo --can multi-conn "$(url "$dir/$s.sock")" && echo y) == y ]] ||
		log "warning: $s does not advertise multi-conn"
	qemu-io -r -f raw -c 'read -P 0 0 1M' -c "read -P 0 $((zero_size - (1 << 20))) 1M" \
		"$(url "$dir/$s.sock")" >/dev/null || die "$s does not read as zeros"
done
for _ in $(seq "$runs"); do
	timed ours-zero "$ours_zero" seq-ours nbdcopy --no-extents \
		"$(url "$dir/ours-zero.sock")" null:
	timed nbdkit-null "$nbdkit_null" seq-nbdkit nbdcopy --no-extents \
		"$(url "$dir/nbdkit-null.sock")" null:
done
stop "$ours_zero"
stop "$nbdkit_null"

# 2. 4 KiB reads of a prefilled RAM disk.  qemu-img bench has no random
# mode: each request starts -S bytes after the last, modulo the size.  A
# stride of 104729 pages (an odd number: every 4 KiB page once in 262144
# requests) puts successive reads ~400 MiB apart, each on a page not read
# before: scattered as random reads are, with no cache reuse.
count=200000
stride=$((104729 * 4096))
log "2/3: qemu-img bench, $count 4 KiB reads at depth 32 over 1 GiB (nbd-fault memory vs nbdkit memory)"
serve ours-memory listening "$bin/nbd-fault" --backend memory --size 1G \
	"$dir/ours-memory.sock"
ours_memory=$pid
serve nbdkit-memory "$dir/nbdkit-memory.sock" nbdkit --unix "$dir/nbdkit-memory.sock" \
	-f memory 1G
nbdkit_memory=$pid
# A cache large enough for a run's writes (data and pages: 2 x 800 MB).
serve ours-volatile listening "$bin/nbd-fault" --backend memory --size 1G \
	--volatile-cache=4G "$dir/ours-volatile.sock"
ours_volatile=$pid
for s in ours-memory nbdkit-memory ours-volatile; do
	# Every page written, so reads hit allocated memory, not holes.
	qemu-img bench -f raw -t none -w --pattern=0x5a -c $((mem_size >> 16)) \
		-d 16 -s 65536 -S 65536 "$(url "$dir/$s.sock")" >/dev/null ||
		die "prefilling $s failed"
	qemu-io -r -f raw -c 'read -P 0x5a 0 64k' -c "read -P 0x5a $((stride % mem_size)) 4k" \
		-c "read -P 0x5a $((mem_size - 4096)) 4k" "$(url "$dir/$s.sock")" >/dev/null ||
		die "$s does not read back the prefill"
done
declare -A spids=([ours-memory]=$ours_memory [nbdkit-memory]=$nbdkit_memory
	[ours-volatile]=$ours_volatile)
for _ in $(seq "$runs"); do
	for s in ours-memory nbdkit-memory ours-volatile; do
		timed "$s" "${spids[$s]}" "rand-$s" qemu-img bench -f raw -t none \
			-c "$count" -d 32 -s 4096 -S "$stride" "$(url "$dir/$s.sock")"
	done
	for s in ours-memory ours-volatile; do
		timed "$s" "${spids[$s]}" "write-$s" qemu-img bench -w --pattern=0x33 \
			-f raw -t none -c "$count" -d 32 -s 4096 -S "$stride" \
			"$(url "$dir/$s.sock")"
	done
done
stop "$ours_memory"
stop "$nbdkit_memory"
stop "$ours_volatile"

summary "nbd-fault zero 8G, nbdcopy --no-extents" seq-ours "bytes:$zero_size"
summary "nbdkit null 8G, nbdcopy --no-extents" seq-nbdkit "bytes:$zero_size"
ratio "ratio nbd-fault/nbdkit sequential read MB/s" seq-ours seq-nbdkit ">= 1.0"
summary "nbd-fault memory 1G, 4 KiB reads" rand-ours-memory "ops:$count"
summary "nbdkit memory 1G, 4 KiB reads" rand-nbdkit-memory "ops:$count"
ratio "ratio nbd-fault/nbdkit 4 KiB read IOPS" rand-ours-memory rand-nbdkit-memory ">= 1.0"
summary "nbd-fault memory 1G --volatile-cache, 4 KiB reads" rand-ours-volatile "ops:$count"
ratio "ratio volatile/plain memory 4 KiB read IOPS" rand-ours-volatile rand-ours-memory ">= 0.9"
summary "nbd-fault memory 1G, 4 KiB writes" write-ours-memory "ops:$count"
summary "nbd-fault memory 1G --volatile-cache, 4 KiB writes" write-ours-volatile "ops:$count"
ratio "ratio volatile/plain memory 4 KiB write IOPS" write-ours-volatile write-ours-memory ">= 0.9"

# 3. The Python injector.  It serves 8 GiB of zeros with non-fixed newstyle
# and transmission flags 0, which libnbd (nbdcopy) refuses, so qemu-img is
# the client for both servers: convert to a null-co target for the zero
# read (-S 0: no hunting for zeros in what it read), bench for 4 KiB reads.
injector=${NBD_INJECTOR:-}
if [[ -z $injector ]]; then
	for f in "$repo/build/nbd-fault-injector.py" "$repo/tests/compat/nbd-fault-injector.py"; do
		[[ -f $f ]] && { injector=$f; break; }
	done
fi
if [[ -z $injector || ! -f $injector ]]; then
	log "3/3: skipped: no nbd-fault-injector.py"
	jq -cn '{bench: "nbd", figure: "ratio nbd-fault/python injector, 8 GiB zero read",
		ratio: null, reason: "nbd-fault-injector.py not found (build/ or tests/compat/, or set NBD_INJECTOR)"}'
	exit 0
fi
choose_python
: >"$dir/empty.conf"
log "3/3: 8 GiB zero read and 4 KiB reads through qemu-img (nbd-fault compatible mode vs $injector)"

# Whether libnbd talks to it (it did not when this was written); a client
# that hangs up mid-handshake kills the injector, so on its own instance.
serve probe listening "$py" "$injector" "$dir/probe.sock" "$dir/empty.conf"
probe=$pid
if timeout 30 nbdcopy --no-extents "$(url "$dir/probe.sock")" null: 2>"$dir/probe.err"; then
	log "note: nbdcopy now accepts the injector"
else
	log "nbdcopy refuses the injector: $(head -1 "$dir/probe.err")"
fi
stop "$probe"

serve python-injector listening "$py" "$injector" "$dir/python.sock" "$dir/empty.conf"
python_inj=$pid
serve ours-compat listening "$bin/nbd-fault" "$dir/ours-compat.sock" "$dir/empty.conf"
ours_compat=$pid
convert=(qemu-img convert -S 0 -m 16 -W -n -f raw --target-image-opts)
target=driver=null-co,size=$zero_size
# QEMU's own client, as iotest 083 uses it, must get zeros from both.
for s in python ours-compat; do
	if ! timeout 60 qemu-io -r -f raw -c 'read -P 0 0 1M' \
		-c "read -P 0 $((zero_size - (1 << 20))) 1M" "$(url "$dir/$s.sock")" \
		>"$dir/qemu-io.out" 2>&1; then
		reason="qemu-io cannot read zeros from $s: $(grep -m1 -v '^read\|^1 MiB' "$dir/qemu-io.out")"
		log "$reason"
		jq -cn --arg reason "$reason" '{bench: "nbd",
			figure: "ratio nbd-fault/python injector, 8 GiB zero read", ratio: null, reason: $reason}'
		exit 0
	fi
done
check_alive python-injector "$python_inj" "after a qemu-io read"
for _ in $(seq "$runs"); do
	timed ours-compat "$ours_compat" inj-seq-ours "${convert[@]}" \
		"$(url "$dir/ours-compat.sock")" "$target"
	timed python-injector "$python_inj" inj-seq-python "${convert[@]}" \
		"$(url "$dir/python.sock")" "$target"
	timed ours-compat "$ours_compat" inj-rand-ours qemu-img bench -f raw -t none \
		-c "$count" -d 32 -s 4096 -S 4096 "$(url "$dir/ours-compat.sock")"
	timed python-injector "$python_inj" inj-rand-python qemu-img bench -f raw -t none \
		-c "$count" -d 32 -s 4096 -S 4096 "$(url "$dir/python.sock")"
done

summary "nbd-fault compatible mode, qemu-img convert 8G zeros" inj-seq-ours "bytes:$zero_size"
summary "python injector, qemu-img convert 8G zeros" inj-seq-python "bytes:$zero_size"
ratio "ratio nbd-fault/python injector, 8 GiB zero read" inj-seq-ours inj-seq-python ">= 20"
summary "nbd-fault compatible mode, 4 KiB reads" inj-rand-ours "ops:$count"
summary "python injector, 4 KiB reads" inj-rand-python "ops:$count"
ratio "ratio nbd-fault/python injector, 4 KiB read IOPS" inj-rand-ours inj-rand-python ">= 20"
