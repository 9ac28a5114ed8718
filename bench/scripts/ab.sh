#!/usr/bin/env bash
# Alternating runs of one example of `bench/` built from two revisions, for
# changes too small to show above the noise of a shared machine in separate
# benchmark runs.
#
# Usage:
#     bench/scripts/ab.sh BASE EXAMPLE RUNS [ARGS...]
#
# BASE is a git revision (for example HEAD~1), EXAMPLE an example of the
# bench crate (profile_ntt, profile_rotate, profile_keygen), RUNS how many
# times each build runs, in turns, and ARGS its arguments. The base is built
# in a temporary worktree with its own target directory
# (target/ab-base); the other build is the working tree's. Each run's figure
# is the first number its output gives in µs or ms; the script prints the
# medians and minima of both builds and the median of the per-turn ratios
# (new / base).
set -euo pipefail

if [ $# -lt 3 ]; then
    sed -n '2,17p' "$0"
    exit 2
fi
base=$1 example=$2 runs=$3
shift 3

root=$(git rev-parse --show-toplevel)
cd "$root"
worktree=$(mktemp -d)
trap 'git worktree remove --force "$worktree"' EXIT
git worktree add --detach --quiet "$worktree" "$base"

(cd "$worktree" && CARGO_TARGET_DIR="$root/target/ab-base" \
    cargo build --quiet --release -p bench --example "$example")
cargo build --quiet --release -p bench --example "$example"
old="$root/target/ab-base/release/examples/$example"
new="$root/target/release/examples/$example"

figure() {
    "$@" | grep -oE '[0-9]+(\.[0-9]+)? ?(µs|ms)' | head -1 | grep -oE '^[0-9.]+'
}

for _ in $(seq "$runs"); do
    echo "$(figure "$old" "$@") $(figure "$new" "$@")"
done | python3 -c '
import statistics as st, sys
pairs = [tuple(map(float, line.split())) for line in sys.stdin]
base = [b for b, _ in pairs]
new = [n for _, n in pairs]
print("base: median %.3f, min %.3f" % (st.median(base), min(base)))
print("new:  median %.3f, min %.3f" % (st.median(new), min(new)))
print("new / base, median of %d turns: %.3f" % (len(pairs), st.median([n / b for b, n in pairs])))
'
