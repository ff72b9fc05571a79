#!/usr/bin/env bash
# Whole-run comparison: logwitness against the tools an investigator would
# otherwise use, on the same synthetic data, in one run.
#
#   scripts/compare.sh [SIZE_MB] [WORK_DIR]
#
# Generates a reproducible combined-format log of SIZE_MB (default 1024)
# with the benches' generator (realistic paths and agents, 3% requests for
# /forms/submissions/, some encoded, dot-segment or absolute-form, a little
# noise), and a gzip copy; times each command with hyperfine (warm page
# cache), then prints each median, logwitness's ratio to each tool, and the
# peak memory of the logwitness runs. GoAccess and lnav are timed on a
# slice of a fifth of the log (they are far slower) and compared with a
# logwitness scan of the same slice; the output says so. A scan with a rule
# that no request matches shows the cost of reading the lines alone, apart
# from the matched requests' outputs. The slice is also cut into files of
# about 20 KB (some 10,000, as load balancers and S3 write their logs),
# timed against `rg -c` and `openssl dgst -sha256` over the same files, to
# show what each file costs beyond its bytes, and gzip copies of them
# against `zcat`.
#
# Needs: cargo, hyperfine, ripgrep, goaccess, lnav, openssl, gzip, python3
# (apt-get install hyperfine ripgrep goaccess lnav).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb="${1:-1024}"
work="${2:-${TMPDIR:-/tmp}/logwitness-compare}"
runs="${RUNS:-5}"
mkdir -p "$work"

for tool in hyperfine rg goaccess lnav openssl gzip zcat python3; do
    command -v "$tool" >/dev/null || {
        echo "compare.sh: $tool is missing (apt-get install hyperfine ripgrep goaccess lnav)" >&2
        exit 2
    }
done

cargo build --release --quiet --bin logwitness --example synthetic_log
lw="$PWD/target/release/logwitness"
log="$work/access.log"
bytes=$((size_mb * 1024 * 1024))
# Made again when any of the files is missing or the log is too short.
if [ ! -f "$log" ] || [ "$(stat -c %s "$log")" -lt "$bytes" ] || [ ! -f "$log.gz" ] ||
    [ ! -f "$work/slice.log" ] || [ ! -d "$work/rotated" ] || [ ! -d "$work/small" ] || [ ! -d "$work/small-gz" ]; then
    echo "generating $size_mb MB of combined log in $log" >&2
    target/release/examples/synthetic_log "$bytes" combined >"$log"
    gzip -6 -n -c "$log" >"$log.gz"
    # A fifth, cut on a line end, for the slow tools.
    head -c $((bytes / 5)) "$log" | head -n -1 >"$work/slice.log"
    # The same lines in eight gzip files, as rotated logs arrive.
    rm -rf "$work/rotated" && mkdir -p "$work/rotated"
    split -n l/8 -d "$log" "$work/rotated/access.log."
    gzip -6 -n "$work/rotated"/access.log.*
    # The slice in files of about 20 KB, cut on line ends.
    rm -rf "$work/small" && mkdir -p "$work/small"
    split -C 20k -a 6 -d "$work/slice.log" "$work/small/access.log."
    rm -rf "$work/small-gz" && cp -r "$work/small" "$work/small-gz"
    find "$work/small-gz" -type f -print0 | xargs -0 gzip -6 -n
fi
small_files=$(find "$work/small" -type f | wc -l)
slice_ratio=$(python3 -c "import os; print(os.path.getsize('$log') / os.path.getsize('$work/slice.log'))")

scan="$lw scan --quiet --exposed /forms/submissions/ --window 2022-11-01..2022-12-01"
json="$work/times.json"
# Every input is read into the page cache before each timed run: on a
# shared machine the cache is taken back within seconds (seen: half of a
# 1 GiB log gone in 45 idle seconds), and a run that reads from the disk
# measures the disk, unevenly from tool to tool.
warm="cat $log $log.gz $work/slice.log $work/rotated/* > /dev/null && find $work/small $work/small-gz -type f -print0 | xargs -0 cat > /dev/null"
hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json "$json" --prepare "$warm" \
    -n "logwitness scan" "$scan --out $work/out $log" \
    -n "logwitness scan --no-hash" "$scan --no-hash --out $work/out $log" \
    -n "logwitness scan --no-hash, no match" "$lw scan --quiet --exposed /nothing/here/ --window 2022-11-01..2022-12-01 --no-hash --out $work/out $log" \
    -n "logwitness scan, no match" "$lw scan --quiet --exposed /nothing/here/ --window 2022-11-01..2022-12-01 --out $work/out $log" \
    -n "logwitness scan (gzip)" "$scan --out $work/out $log.gz" \
    -n "logwitness scan (8 gzip files)" "$scan --out $work/out $work/rotated" \
    -n "rg -c LITERAL" "rg -c /forms/submissions/ $log" \
    -n "wc -l" "wc -l $log" \
    -n "openssl dgst -sha256" "openssl dgst -sha256 $log" \
    -n "zcat > /dev/null" "zcat $log.gz" \
    -n "logwitness scan (slice)" "$scan --out $work/out $work/slice.log" \
    -n "goaccess (slice)" "goaccess $work/slice.log --log-format=COMBINED --no-progress -o $work/goaccess.json" \
    -n "lnav (slice)" "lnav -n -q -c ';SELECT count(*) FROM access_log WHERE cs_uri_stem LIKE \"%/forms/submissions/%\"' $work/slice.log" \
    -n "logwitness scan (small files)" "$scan --out $work/out $work/small" \
    -n "logwitness scan --no-hash, no match (small files)" "$lw scan --quiet --exposed /nothing/here/ --window 2022-11-01..2022-12-01 --no-hash --out $work/out $work/small" \
    -n "rg -c LITERAL (small files)" "rg -c /forms/submissions/ $work/small" \
    -n "openssl dgst -sha256 (small files)" "find $work/small -type f -print0 | xargs -0 openssl dgst -sha256" \
    -n "logwitness scan (small gzip files)" "$scan --out $work/out $work/small-gz" \
    -n "zcat > /dev/null (small gzip files)" "find $work/small-gz -type f -print0 | xargs -0 zcat" \
    >&2

# Peak resident memory of the logwitness runs: all of it (which counts the
# memory-mapped log's pages, shared with the page cache) and the anonymous
# part alone (what logwitness itself allocates), sampled every 20 ms.
peak_memory() {
    "$@" >/dev/null 2>&1 &
    local pid=$! peak_rss=0 peak_anon=0 rss anon
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$peak_rss" ] && peak_rss=$rss
        [ "${anon:-0}" -gt "$peak_anon" ] && peak_anon=$anon
        sleep 0.02
    done
    wait "$pid" || true
    echo "$((peak_rss / 1024)) MB resident, $((peak_anon / 1024)) MB anonymous"
}

echo "# $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# log: $(stat -c %s "$log") bytes, $(wc -l <"$log") lines; gzip copy: $(stat -c %s "$log.gz") bytes; slice: $(stat -c %s "$work/slice.log") bytes, also in $small_files small files"
python3 - "$json" "$slice_ratio" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
slice_ratio = float(sys.argv[2])
median = {name: r["median"] for name, r in results.items()}
print(f"{'command':50} {'median s':>9}")
for name, m in median.items():
    print(f"{name:50} {m:9.3f}")
print()
print("ratios (logwitness / tool; below 1 is faster than the tool):")
pairs = [
    ("logwitness scan --no-hash", "rg -c LITERAL"),
    ("logwitness scan --no-hash", "wc -l"),
    ("logwitness scan --no-hash, no match", "rg -c LITERAL"),
    ("logwitness scan --no-hash, no match", "wc -l"),
    ("logwitness scan", "openssl dgst -sha256"),
    ("logwitness scan, no match", "openssl dgst -sha256"),
    ("logwitness scan (gzip)", "zcat > /dev/null"),
    ("logwitness scan (8 gzip files)", "zcat > /dev/null"),
    ("logwitness scan (slice)", "goaccess (slice)"),
    ("logwitness scan (slice)", "lnav (slice)"),
    ("logwitness scan (small files)", "openssl dgst -sha256 (small files)"),
    ("logwitness scan --no-hash, no match (small files)", "rg -c LITERAL (small files)"),
    ("logwitness scan (small files)", "logwitness scan (slice)"),
    ("logwitness scan (small gzip files)", "zcat > /dev/null (small gzip files)"),
]
for ours, theirs in pairs:
    print(f"  {ours:50} / {theirs:34} = {median[ours] / median[theirs]:6.2f}")
print(f"(the slice is 1/{slice_ratio:.1f} of the log; ratios on it are like for like)")
EOF
echo "peak memory, logwitness scan: $(peak_memory $scan --out "$work/out" "$log")"
echo "peak memory, logwitness scan (gzip): $(peak_memory $scan --out "$work/out" "$log.gz")"
