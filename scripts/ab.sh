#!/usr/bin/env bash
# Times two builds of logwitness against each other on the same log, runs
# alternating (old, new, old, new, ...), and prints each build's median
# wall and CPU time: on a shared machine whose load drifts over minutes,
# alternating keeps the drift out of the comparison, where one tool's runs
# after the other's (hyperfine's order) let it in.
#
#   scripts/ab.sh OLD_BINARY NEW_BINARY LOG [RUNS] [-- SCAN_ARGS...]
#
# LOG may be a directory (of small files, say).
# Each run is the comparison's scan (the rule and window of compare.sh,
# every output written) of LOG, with the page cache filled before it;
# SCAN_ARGS replace the rule and window (say, `--no-hash --exposed
# /nothing/here/`). RUNS defaults to 7. An older build is made with, for
# example: git worktree add /tmp/old COMMIT && cargo build --release
# --manifest-path /tmp/old/Cargo.toml.
#
# Needs: python3, /usr/bin/time (apt-get install time).
set -euo pipefail

if [ $# -lt 3 ]; then
    sed -n '2,16p' "$0" >&2
    exit 2
fi
old=$1 new=$2 log=$3
shift 3
runs=7
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    runs=$1
    shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
if [ $# -gt 0 ]; then
    scan_args=("$@")
else
    scan_args=(--exposed /forms/submissions/ --window 2022-11-01..2022-12-01)
fi
command -v /usr/bin/time >/dev/null || {
    echo "ab.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for _ in $(seq "$runs"); do
    for build in old new; do
        binary=$old
        [ "$build" = new ] && binary=$new
        find "$log" -type f -print0 | xargs -0 cat >/dev/null
        # logwitness exits 1 when a window has caveats: that is no failure.
        /usr/bin/time -o "$work/time" -f "$build %e %U %S" \
            "$binary" scan --quiet "${scan_args[@]}" --out "$work/out-$build" "$log" \
            >/dev/null 2>&1 || true
        # time -o writes "Command exited with non-zero status" first.
        tail -n 1 "$work/time" >>"$work/times"
    done
done

python3 - "$work/times" "$old" "$new" <<'EOF'
import statistics, sys
times, builds = sys.argv[1], {"old": sys.argv[2], "new": sys.argv[3]}
runs = {"old": [], "new": []}
for line in open(times):
    build, wall, user, system = line.split()
    runs[build].append((float(wall), float(user) + float(system)))
medians = {}
for build, binary in builds.items():
    wall = statistics.median(w for w, _ in runs[build])
    cpu = statistics.median(c for _, c in runs[build])
    medians[build] = (wall, cpu)
    print(f"{build}  {binary}: median wall {wall:.3f} s, CPU {cpu:.3f} s ({len(runs[build])} runs)")
(old_wall, old_cpu), (new_wall, new_cpu) = medians["old"], medians["new"]
print(f"new / old: wall {new_wall / old_wall:.3f}, CPU {new_cpu / old_cpu:.3f}")
EOF
