#!/usr/bin/env bash
# Peak memory of whole scans of a large input: the figure issue #6's memory
# target is stated in (anonymous memory under 200 MB on a 10 GB input, not
# growing with the input beyond the matched requests).
#
#   scripts/memory.sh [COPIES] [WORK_DIR]
#
# Generates the comparison's 1 GiB synthetic combined log (the benches'
# generator, as compare.sh makes it) and a file holding COPIES of it back
# to back (default 10: 10 GiB, 1.6 million requests for the exposed
# folder), then scans that file twice: with the comparison's rule (every
# output written), and with a rule that matches nothing; between them it
# re-runs the first scan for another window (rewindow). Last, it scans the
# same lines gzip-compressed (one file of COPIES gzip members) on one
# thread, where the whole file is one unit of the scan. For each it
# prints the peak anonymous memory (RssAnon, what logwitness allocates,
# sampled every 20 ms from /proc), the peak resident memory /usr/bin/time
# -v reports (which also counts the mapped log's pages, shared with the
# page cache), and the wall time. LOGWITNESS=path measures another build.
#
# Needs: cargo, python3, gzip, GNU time (apt-get install time), COPIES GiB free.
set -euo pipefail
cd "$(dirname "$0")/.."

copies="${1:-10}"
work="${2:-${TMPDIR:-/tmp}/logwitness-memory}"
mkdir -p "$work"
[ -x /usr/bin/time ] || {
    echo "memory.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
}

cargo build --release --quiet --bin logwitness --example synthetic_log
lw="${LOGWITNESS:-$PWD/target/release/logwitness}"
one="$work/access.log"
bytes=$((1024 * 1024 * 1024))
if [ ! -f "$one" ] || [ "$(stat -c %s "$one")" -lt "$bytes" ]; then
    echo "generating 1024 MB of combined log in $one" >&2
    target/release/examples/synthetic_log "$bytes" combined >"$one"
fi
big="$work/access-x$copies.log"
# The same lines compressed: one gzip file of COPIES members, which a scan
# reads as one stream (on one thread, as one unit of the scan).
gz="$work/access-x$copies.log.gz"
if [ ! -f "$one.gz" ] || [ "$one.gz" -ot "$one" ]; then
    gzip -6 -c "$one" >"$one.gz"
fi
if [ ! -f "$gz" ] || [ "$(stat -c %s "$gz")" -ne $(($(stat -c %s "$one.gz") * copies)) ]; then
    for _ in $(seq "$copies"); do cat "$one.gz"; done >"$gz"
fi
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -ne $(($(stat -c %s "$one") * copies)) ]; then
    echo "writing $copies copies of it to $big" >&2
    for _ in $(seq "$copies"); do cat "$one"; done >"$big"
fi

# measure NAME OUT COMMAND...: one run of COMMAND (writing into OUT), its
# peaks and time.
measure() {
    local name=$1 out=$2 report="$work/time-v.txt" peak=0 anon
    shift 2
    cat "$big" "$gz" >/dev/null
    local start=$SECONDS
    # logwitness exits 1 when a window has caveats: that is no failure here.
    /usr/bin/time -v -o "$report" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep 0.05
    # The child of /usr/bin/time is logwitness.
    local child
    child=$(pgrep -P "$pid" | head -1 || true)
    while [ -n "$child" ] && kill -0 "$child" 2>/dev/null; do
        anon=$(awk '/^RssAnon/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
        [ "${anon:-0}" -gt "$peak" ] && peak=$anon
        sleep 0.02
    done
    wait "$pid" || true
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$report")
    local requests
    requests=$(($(wc -l <"$out/requests.csv") - 1))
    printf '%-30s %8d MB anonymous %8d MB resident %5d s %9d matched requests\n' \
        "$name" $((peak / 1024)) $((rss / 1024)) $((SECONDS - start)) "$requests"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; $lw on $big ($(stat -c %s "$big") bytes)"
window=2022-11-01..2022-12-01
measure "the comparison's rule" "$work/out" "$lw" scan --quiet --exposed /forms/submissions/ \
    --window "$window" --out "$work/out" "$big"
# A re-run of that scan for another window, from its evidence.sqlite alone.
measure "its re-run (rewindow)" "$work/rewindow" "$lw" rewindow "$work/out" \
    --window 2022-11-05..2022-11-20 --out "$work/rewindow"
measure "a rule that matches nothing" "$work/out-none" "$lw" scan --quiet --exposed /nothing/here/ \
    --window "$window" --out "$work/out-none" "$big"
measure "the rule, gzip, one thread" "$work/out-gz" "$lw" scan --quiet -j 1 --exposed /forms/submissions/ \
    --window "$window" --out "$work/out-gz" "$gz"
