#!/usr/bin/env bash
# Whether any reader's time grows faster than the length of a hostile line.
#
#   scripts/hostile.sh [SIZE_KB] [WORK_DIR]
#
# Log lines are attacker-controlled: a client chooses its request target,
# agent and referer, and damage can leave any bytes. A reader that tries
# each place a field could start and searches from there to the line's end
# takes time that grows with the square of the line's length, and one long
# line can then hold a scan for hours. For each log in tests/fixtures and
# each of ~30 byte patterns at a line's start, middle and end
# (scripts/make_hostile_logs.py), this scans a log holding one line of
# SIZE_KB (default 256) of the pattern and one of four times that, on one
# thread without hashing, and prints the cases whose time grew more than 8
# times (a reader linear in the line grows about 4 times; one quadratic, 16
# times) with both times, then the ten slowest. About 2,400 cases: 5-10
# minutes on two cores. LOGWITNESS=path measures another build. The logs
# take SIZE_KB * 5 * 2,200 bytes (about 2.8 GB at the default) while it
# runs, and are removed at its end; WORK_DIR/times.txt keeps every time.
#
# Needs: cargo, python3, that much free space in WORK_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

size_kb="${1:-256}"
work="${2:-${TMPDIR:-/tmp}/logwitness-hostile}"
cargo build --release --quiet --bin logwitness
lw="${LOGWITNESS:-$PWD/target/release/logwitness}"

small="$work/x1" large="$work/x4"
rm -rf "$small" "$large"
# The logs are removed however the script ends.
trap 'rm -rf "$small" "$large" "$work/out"' EXIT
python3 scripts/make_hostile_logs.py "$small" $((size_kb * 1024))
python3 scripts/make_hostile_logs.py "$large" $((size_kb * 4096))

# millis LOG: the wall time of a scan of LOG, in milliseconds.
millis() {
    local log=$1 args=() start end
    if [ -f "${log%.log}.format" ]; then
        args=(--log-format "$(cat "${log%.log}.format")")
    fi
    rm -rf "$work/out"
    start=$(date +%s%N)
    # Exit code 1 (caveats: the hostile line is unparsed) is a scan's answer.
    "$lw" scan --quiet --no-hash --threads 1 --exposed /forms/submissions/ \
        --window 2022-11-01..2022-12-01 --out "$work/out" "${args[@]}" "$log" \
        >/dev/null 2>&1 || [ $? -eq 1 ] || echo "hostile.sh: $log: the scan failed" >&2
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

results="$work/times.txt"
: >"$results"
for log in "$small"/*.log; do
    name=$(basename "$log")
    echo "$(millis "$log") $(millis "$large/$name") $name" >>"$results"
done

echo "hostile lines of ${size_kb} KB and $((size_kb * 4)) KB, $(wc -l <"$results") cases"
echo "grew more than 8 times (ms for each size):"
awk '$2 > 100 && $2 > 8 * $1 { print "  " $1 " -> " $2 "  " $3; n++ } END { if (!n) print "  none" }' "$results"
echo "slowest at $((size_kb * 4)) KB (ms):"
sort -k2 -n -r "$results" | awk 'NR <= 10 { print "  " $2 "  " $3 }'
