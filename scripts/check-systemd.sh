#!/usr/bin/env bash
# Checks the systemd units in systemd/: `systemd-analyze verify` (syntax, directives,
# referenced binaries) and `systemd-analyze security --offline=true` (the sandbox), printing
# each unit's exposure score and failing when one is above the limit (2.0).
#
# Needs no running systemd (works in containers and CI). Installs the systemd package when
# systemd-analyze is missing (fresh Debian 12, as root or with sudo).
#
#   bash scripts/check-systemd.sh            # both units
#   bash scripts/check-systemd.sh systemd/drover.service
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

max_exposure=2.0
units=("$@")
((${#units[@]})) || units=(systemd/drover.service systemd/drover@.service)

# systemd-analyze comes with the systemd package (252 on Debian 12; --offline needs 250+).
# Kept apart from lib.sh's ensure_packages, which also insists on the Swift toolchain.
ensure_systemd_analyze() {
    command -v systemd-analyze >/dev/null && return
    echo "installing: systemd (for systemd-analyze)" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq systemd >/dev/null
    command -v systemd-analyze >/dev/null || { echo "systemd-analyze is still missing after installing systemd" >&2; exit 1; }
}

ensure_systemd_analyze
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat
systemd-analyze --version | sed -n 1p

work=$(mktemp -d "${TMPDIR:-/tmp}/drover-check-systemd.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0

# --- verify ---------------------------------------------------------------------------
# The units start /usr/local/bin/drover, which a build or CI machine usually lacks, and
# verify rejects a unit whose binary does not exist. So verify copies (same file names,
# same line numbers) whose ExecStart runs /bin/true unless drover is installed there.
# verify reports unknown keys and bad values as warnings with exit status 0, so any line
# it prints about our units counts as a failure.
probe="$work/probe"
mkdir -p "$probe"
printf '[Service]\nExecStart=/bin/true\n' >"$probe/drover-check-probe.service"
if ! probe_output=$(systemd-analyze verify --man=no --generators=no "$probe/drover-check-probe.service" 2>&1); then
    echo "verify: SKIPPED, systemd-analyze verify does not work on this machine even for a trivial unit:"
    echo "$probe_output" | sed 's/^/  /'
else
    copies="$work/verify"
    mkdir -p "$copies"
    copied=()
    rename=()
    for unit in "${units[@]}"; do
        [ -f "$unit" ] || { echo "no such unit file: $unit" >&2; exit 1; }
        copy="$copies/$(basename "$unit")"
        cp "$unit" "$copy"
        if [ ! -x /usr/local/bin/drover ]; then
            sed -i -E 's|^(ExecStart=)/usr/local/bin/drover |\1/bin/true |' "$copy"
        fi
        copied+=("$copy")
        rename+=(-e "s|$copy|$unit|g")
    done
    [ -x /usr/local/bin/drover ] || echo "verify: /usr/local/bin/drover is not installed; verifying copies whose ExecStart runs /bin/true"
    status=0
    verify_output=$(systemd-analyze verify --man=no --generators=no --recursive-errors=no "${copied[@]}" 2>&1) || status=$?
    # Show file names as in the repository, not the temporary copies.
    verify_output=$(echo "$verify_output" | sed "${rename[@]}")
    if [ "$status" -ne 0 ] || [ -n "$verify_output" ]; then
        echo "verify: FAILED (exit status $status)"
        echo "$verify_output" | sed 's/^/  /'
        failed=1
    else
        echo "verify: OK (${units[*]})"
    fi
fi

# --- security -------------------------------------------------------------------------
for unit in "${units[@]}"; do
    status=0
    report=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || status=$?
    line=$(echo "$report" | grep -E 'Overall exposure level for' | tail -n 1 || true)
    score=$(echo "$line" | sed -nE 's/.*: ([0-9]+(\.[0-9]+)?) .*/\1/p')
    if [ "$status" -ne 0 ] || [ -z "$score" ]; then
        echo "security: FAILED for $unit: no exposure score (exit status $status)"
        echo "$report" | tail -n 20 | sed 's/^/  /'
        failed=1
        continue
    fi
    echo "$unit: $line"
    if awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
        echo "security: FAILED for $unit: exposure $score is above $max_exposure; what counts against it:"
        echo "$report" | grep -E '^✗' | sed 's/^/  /'
        failed=1
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "check-systemd: FAILED"
    exit 1
fi
echo "check-systemd: OK (exposure at most $max_exposure)"
