#!/usr/bin/env bash
# Instructions a whole scan executes, counted by valgrind's callgrind: a
# figure that, unlike a time, does not move with the machine's load, so
# that two builds can be compared on a shared machine.
#
#   scripts/instructions.sh [SIZE_MB] [WORK_DIR]
#
# Generates a reproducible combined log of SIZE_MB (default 64) with the
# benches' generator, then counts two scans of it: with a rule that no
# request matches, on one thread (the cost of reading lines), and with the
# comparison's rule (3% of requests matched, every output written), on two
# threads. Both use --no-hash: valgrind does not run sha2's SHA-NI code, so
# a hashed scan would count the portable code, which no real run uses (the
# matched lines are still hashed, so the second count holds some of it).
# LOGWITNESS=path counts another build (say, one of an earlier commit)
# on the same log.
#
# Needs: cargo, valgrind, python3 (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb="${1:-64}"
work="${2:-${TMPDIR:-/tmp}/logwitness-instructions}"
mkdir -p "$work"
command -v valgrind >/dev/null || {
    echo "instructions.sh: valgrind is missing (apt-get install valgrind)" >&2
    exit 2
}

cargo build --release --quiet --bin logwitness --example synthetic_log
lw="${LOGWITNESS:-$PWD/target/release/logwitness}"
log="$work/access-$size_mb.log"
if [ ! -f "$log" ]; then
    target/release/examples/synthetic_log $((size_mb * 1024 * 1024)) combined >"$log"
fi
lines=$(wc -l <"$log")

# count NAME THREADS RULE: prints the scan's instructions, in all and per line.
count() {
    local name=$1 threads=$2 rule=$3 report="$work/$1.valgrind"
    # logwitness exits 1 when a window has caveats: that is no failure here.
    valgrind --tool=callgrind --callgrind-out-file="$work/$name.callgrind" \
        "$lw" scan --quiet --no-hash -j "$threads" --exposed "$rule" \
        --window 2022-11-01..2022-12-01 --out "$work/out" "$log" >/dev/null 2>"$report" || true
    python3 - "$name" "$report" "$lines" <<'EOF'
import re, sys
name, report, lines = sys.argv[1], sys.argv[2], int(sys.argv[3])
found = re.search(r"Collected : (\d+)", open(report).read())
if not found:
    sys.exit(f"instructions.sh: no count for {name}; see {report}")
total = int(found.group(1))
print(f"{name:34} {total:>15,} instructions  {total / lines:8,.0f} per line")
EOF
}

echo "# $lw on $log ($lines lines)"
count "no match, 1 thread" 1 /nothing/here/
count "bench rule, 2 threads" 2 /forms/submissions/
