#!/usr/bin/env bash
# Runs the conformance judge (../shared/conformance) on the whole corpus and fails when fewer
# cases pass than the floor recorded in .ci/conformance-floor, or when the judge itself
# errs; then on the project's own cases (Tests/conformance/cases), which must all pass.
# The floor only ever goes up: raise it when the engine improves.
# Usage: scripts/conformance.sh [extra run.py arguments]; DROVER=path overrides the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${DROVER_SHARED:-$root/../shared}
if [ ! -f "$shared/conformance/run.py" ]; then
    echo "conformance: $shared/conformance not found; skipped (a user's clone has none)"
    exit 0
fi
drover=${DROVER:-$root/.build/debug/drover}
[ -x "$drover" ] || (cd "$root" && swift build --product drover)

work=$(mktemp -d "${TMPDIR:-/tmp}/drover-conformance.XXXXXX")
chmod 755 "$work"   # the judge's server runs as the postgres OS user when we are root
trap 'rm -rf "$work"' EXIT
set +e
python3 "$shared/conformance/run.py" --drover "$drover" --start-cluster "$work/judge" \
    --json "$work/results.json" "$@" | tee "$work/output.txt"
set -e
closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/output.txt" | tail -n 1)
[ -n "$closing" ] || { echo "conformance: the judge printed no closing line" >&2; exit 1; }
passed=${closing%% passed*}
floor=$(cat "$root/.ci/conformance-floor")
judge_errors=$(python3 -c 'import json,sys; print(sum(r["result"] == "judge-error" for r in json.load(open(sys.argv[1]))))' "$work/results.json")
echo "conformance: $closing (floor $floor, judge errors $judge_errors)"
if [ "$judge_errors" -gt 0 ]; then echo "conformance: the judge reported errors" >&2; exit 1; fi
if [ "$passed" -lt "$floor" ]; then echo "conformance: $passed passing is below the floor of $floor" >&2; exit 1; fi

# The project's own cases (Tests/conformance/cases, the same layout): one per kind of object
# and attribute drover manages beyond the shared corpus. Every one must pass.
set +e
python3 "$shared/conformance/run.py" --drover "$drover" --start-cluster "$work/own" \
    --cases "$root/Tests/conformance/cases" --json "$work/own.json" "$@" | tee "$work/own.txt"
set -e
own=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/own.txt" | tail -n 1)
[ -n "$own" ] || { echo "conformance: the judge printed no closing line for the project's cases" >&2; exit 1; }
echo "conformance (project cases): $own"
case "$own" in
    *" 0 failed"*) ;;
    *) echo "conformance: a project case failed" >&2; exit 1 ;;
esac
