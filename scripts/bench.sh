#!/usr/bin/env bash
# Benchmarks `drover diff` against migra on generated schemas of 1,000 and 5,000 tables.
#
#   scripts/bench.sh [--drover PATH]        (or: make bench)
#
# For each size N it builds bench_N_a (the base schema from scripts/bench_schema.py) and
# bench_N_b (the same with about 5% of the tables changed) in a private PostgreSQL, then
# times `drover diff --from A --to B` and `migra --unsafe A B` BENCH_RUNS times each, taking
# turns, and prints the median wall time, the peak RSS and the ratio. Outputs are kept in
# .bench/out.
#
# Environment:
#   DROVER_BIN    the drover binary (default .build/release/drover, built when missing)
#   BENCH_SIZES   table counts (default "1000 5000")
#   BENCH_RUNS    runs per tool and size (default 5), drover and migra taking turns
#   BENCH_WARMUP  unmeasured runs per tool before those (default 1): the first reads of a
#                 freshly loaded catalog set hint bits and prune pages, a one-time cost that
#                 a database in service does not have, and that would land on whichever
#                 tool happens to run first
#   BENCH_VERIFY  1 (default): apply drover's plan to a copy of A and check that drover and
#                 migra then find no difference to B; 0 skips this
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; }
drover=${DROVER_BIN:-}
while (($#)); do
    case $1 in
        --drover) drover=${2:?--drover needs a path}; shift 2 ;;
        --drover=*) drover=${1#--drover=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
sizes=${BENCH_SIZES:-1000 5000}
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
verify=${BENCH_VERIFY:-1}
# A given binary is relative to the caller's directory.
if [ -n "$drover" ]; then
    [ -x "$drover" ] || { echo "no drover binary at $drover" >&2; exit 1; }
    drover=$(cd "$(dirname "$drover")" && pwd)/$(basename "$drover")
fi
cd "$root"
. scripts/lib.sh

ensure_packages
[ -x /usr/bin/time ] || apt_install time

drover=$(bench_drover "$drover")

# migra in its own virtualenv (migra breaks with SQLAlchemy 2), made once.
venv=$root/.bench/venv
if ! "$venv/bin/python" -c 'import migra, psycopg2, sqlalchemy; assert sqlalchemy.__version__ < "2"' 2>/dev/null; then
    echo "==> creating $venv with migra"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        /usr/bin/python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check migra psycopg2-binary 'sqlalchemy<2'
fi
migra=$venv/bin/migra
python=$venv/bin/python

# A private PostgreSQL for the run, Unix socket only, stopped on any exit.
server=$(mktemp -d "${TMPDIR:-/tmp}/drover-bench.XXXXXX")
cleanup() { stop_private_postgres "$server"; rm -rf "$server"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "==> starting PostgreSQL (socket in $server/sock)"
# Creating thousands of tables in one transaction needs a large lock table.
start_private_postgres "$server" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_locks_per_transaction=4096 -c shared_buffers=256MB
sock=$server/sock
psql_cmd=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p 5432 -U postgres)
url() { echo "postgresql://postgres@/$1?host=$sock&port=5432"; }

out_root=$root/.bench/out
mkdir -p "$out_root"

# median FILE: the median of the numbers in FILE, one per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# max FILE: the largest number in FILE.
max() { sort -n "$1" | tail -n 1; }

# run_once NAME EXPECTED_RC OUTDIR -- COMMAND…: runs COMMAND once under /usr/bin/time,
# keeps its stdout in OUTDIR/NAME.out, and appends seconds and peak KiB to NAME.secs/.kib.
run_once() {
    local name=$1 expected=$2 dir=$3; shift 4
    local rc=0 line
    /usr/bin/time -f '%e %M' -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
    if [ "$rc" -ne "$expected" ]; then
        echo "$name exited $rc (expected $expected): $*" >&2
        sed 's/^/    /' "$dir/$name.err" >&2
        exit 1
    fi
    # GNU time puts "Command exited with non-zero status N" before the format line.
    line=$(tail -n 1 "$dir/$name.time")
    echo "${line%% *}" >>"$dir/$name.secs"
    echo "${line##* }" >>"$dir/$name.kib"
    printf '    %-6s run %d: %ss, %s MiB\n' "$name" "$((i))" "${line%% *}" "$((${line##* } / 1024))"
}

# min FILE: the smallest number in FILE.
min() { sort -n "$1" | head -n 1; }

results=()
spreads=()
notes=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $sizes; do
    dir=$out_root/$n
    rm -rf "$dir"; mkdir -p "$dir"
    a=bench_${n}_a b=bench_${n}_b
    echo "==> $n tables: generating and loading $a and $b"
    for variant in a b; do
        db=bench_${n}_${variant}
        "$python" scripts/bench_schema.py --tables "$n" --variant "$variant" >"$dir/$variant.sql"
        "${psql_cmd[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
        "${psql_cmd[@]}" -d "$db" -1 -f "$dir/$variant.sql"
        # Fresh catalogs have no statistics; a real database would have been analysed.
        "${psql_cmd[@]}" -d "$db" -c "VACUUM ANALYZE"
    done
    echo "    $(grep -c '^CREATE TABLE' "$dir/a.sql") / $(grep -c '^CREATE TABLE' "$dir/b.sql") tables," \
        "$(grep -c '^CREATE .*INDEX' "$dir/a.sql") indexes, $(grep -c 'FOREIGN KEY' "$dir/a.sql") foreign keys in A;" \
        "$(diff "$dir/a.sql" "$dir/b.sql" | grep -c '^[<>]') lines of the SQL differ"

    # The tools take turns, run by run, so a slow spell of the machine (other work, a busy
    # host) falls on both rather than on whichever ran during it.
    echo "==> $n tables: drover diff and migra --unsafe, $runs runs each, alternating (migra exits 2: differences found)"
    drover_cmd=("$drover" diff --from "$(url "$a")" --to "$(url "$b")")
    migra_cmd=("$migra" --unsafe "$(url "$a")" "$(url "$b")")
    for tool in drover migra; do : >"$dir/$tool.secs"; : >"$dir/$tool.kib"; done
    for ((i = 1; i <= warmup; i++)); do
        "${drover_cmd[@]}" >/dev/null 2>&1 || true
        "${migra_cmd[@]}" >/dev/null 2>&1 || true
    done
    for ((i = 1; i <= runs; i++)); do
        run_once drover 0 "$dir" -- "${drover_cmd[@]}"
        run_once migra 2 "$dir" -- "${migra_cmd[@]}"
    done

    for tool in drover migra; do
        [ -s "$dir/$tool.out" ] || { echo "$tool printed nothing for $n tables: no changes found" >&2; exit 1; }
    done
    d_secs=$(median "$dir/drover.secs") d_mib=$(( $(max "$dir/drover.kib") / 1024 ))
    m_secs=$(median "$dir/migra.secs") m_mib=$(( $(max "$dir/migra.kib") / 1024 ))
    ratio=$(awk -v m="$m_secs" -v d="$d_secs" 'BEGIN { if (d > 0) printf "%.1f", m / d; else print "inf" }')
    d_lines=$(wc -l <"$dir/drover.out") m_lines=$(wc -l <"$dir/migra.out")
    results+=("$(printf '%6s %10s %10s %10s %10s %8s %12s %12s' "$n" "$d_secs" "$d_mib" "$m_secs" "$m_mib" "$ratio" "$d_lines" "$m_lines")")
    spreads+=("$n tables: drover $(min "$dir/drover.secs")-$(max "$dir/drover.secs") s, migra $(min "$dir/migra.secs")-$(max "$dir/migra.secs") s")

    if [ "$verify" = 1 ]; then
        # drover's plan applied to a copy of A must leave nothing for drover or migra to do.
        v=bench_${n}_verify
        "${psql_cmd[@]}" -d postgres -c "DROP DATABASE IF EXISTS $v" -c "CREATE DATABASE $v TEMPLATE $a"
        verdict="converges"
        if ! "${psql_cmd[@]}" -d "$v" -1 -f "$dir/drover.out" >"$dir/verify.log" 2>&1; then
            verdict="FAILS to apply (see $dir/verify.log)"
        else
            rc=0; "$drover" diff --from "$(url "$v")" --to "$(url "$b")" >"$dir/verify-drover.out" 2>&1 || rc=$?
            [ "$rc" -eq 0 ] && [ ! -s "$dir/verify-drover.out" ] || verdict="does not converge for drover (see $dir/verify-drover.out)"
            rc=0; "$migra" --unsafe "$(url "$v")" "$(url "$b")" >"$dir/verify-migra.out" 2>&1 || rc=$?
            [ "$rc" -eq 0 ] || verdict="$verdict; migra still finds differences (see $dir/verify-migra.out)"
        fi
        notes+=("$n tables: drover's plan applied to a copy of A $verdict")
        "${psql_cmd[@]}" -d postgres -c "DROP DATABASE $v"
    fi
done

echo
echo "drover diff vs migra --unsafe: median of $runs alternating runs after $warmup warm-up run(s) each, peak RSS = largest of the runs; outputs in .bench/out/N/"
printf '%6s %10s %10s %10s %10s %8s %12s %12s\n' N drover_s drover_MiB migra_s migra_MiB ratio drover_lines migra_lines
printf '%s\n' "${results[@]}"
echo "fastest and slowest run: ${spreads[*]}"
((${#notes[@]} == 0)) || printf '%s\n' "${notes[@]}"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores; other work on the machine skews the times)"
echo "target: ratio >= 10 at 1000 and 5000 tables, drover peak RSS < 150 MiB"
