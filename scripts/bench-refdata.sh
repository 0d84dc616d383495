#!/usr/bin/env bash
# What reference data costs: a table whose declared SQL fills it with BENCH_ROWS (default
# 100,000) rows by INSERT … SELECT, applied with `drover apply` to an empty database, then
# applied again unchanged, then with 3 rows changed. Measured against baselines from the
# same run on the same server: psql loading the same rows with the same INSERT … SELECT,
# and `drover apply` of the same table without rows (the schema alone). Prints wall seconds
# and drover's peak RSS (GNU time), the ratios to the baselines, and checks that the target
# holds exactly the declared rows and that the 3-row change rewrote exactly 3 rows (xmin).
#
# One private PostgreSQL (fsync off) serves both as the target and as drover's dev server
# (its `postgres` database), so normalising the declaration (which runs the INSERT there)
# is part of every drover figure, as it is of every real apply. Each figure is the median of
# BENCH_RUNS (default 3) runs, each on fresh databases.
#
#   scripts/bench-refdata.sh [--drover PATH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
drover=${DROVER_BIN:-}
[ "${1:-}" = --drover ] && drover=${2:?--drover needs a path}
rows=${BENCH_ROWS:-100000}
runs=${BENCH_RUNS:-3}
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

work=$(mktemp -d "${TMPDIR:-/tmp}/drover-bench-refdata.XXXXXX")
chmod 755 "$work"
server=$work/server
cleanup() { stop_private_postgres "$server"; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "==> starting PostgreSQL (socket in $server/sock)"
start_private_postgres "$server" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c shared_buffers=256MB -c max_wal_size=4GB
sock=$server/sock
psql_cmd=(env PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p 5432 -U postgres)
url() { echo "postgresql://postgres@/$1?host=$sock&port=5432"; }
devurl=$(url postgres)

# The declaration. Values are fixed (no now()): a date that moved at midnight would make
# every row differ between two applies. The changed one renames 3 rows spread over the table.
table="create table items (
  id int primary key,
  name text not null,
  price numeric(12,2) not null,
  day date,
  attrs jsonb
);"
mid=$((rows / 2))
changed_ids="3 $mid $((rows - 1))"
insert_sql() {  # insert_sql NAME_EXPRESSION
    echo "insert into items select g, $1, g * 1.5, date '2024-01-01' + g % 1000,
  jsonb_build_object('g', g, 'tag', 't' || g % 7, 'even', g % 2 = 0)
from generate_series(1, $rows) g;"
}
echo "$table" >"$work/schema.sql"
insert_sql "'name ' || g" >"$work/load.sql"
{ echo "$table"; cat "$work/load.sql"; } >"$work/rows.sql"
{ echo "$table"; insert_sql "case when g in (${changed_ids// /, }) then 'changed ' || g else 'name ' || g end"; } \
    >"$work/changed.sql"

# measure NAME COMMAND…: runs COMMAND under GNU time, its output in $work/NAME.out; appends
# its wall seconds and peak KiB to $work/NAME.secs and .kib. A failure stops the benchmark
# with the command's error output.
measure() {
    local name=$1; shift
    local line
    /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
        echo "$name failed: $*" >&2
        sed 's/^/    /' "$work/$name.err" "$work/$name.out" >&2
        exit 1
    }
    # GNU time puts "Command exited with non-zero status N" before the format line.
    line=$(tail -n 1 "$work/$name.time")
    echo "${line%% *}" >>"$work/$name.secs"
    echo "${line##* }" >>"$work/$name.kib"
    printf '    %-14s %8ss %6s MiB\n' "$name" "${line%% *}" "$(( ${line##* } / 1024 ))"
}
median() { sort -n "$work/$1.secs" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -n "$work/$1.secs" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
max_mib() { echo $(( $(sort -n "$work/$1.kib" | tail -n 1) / 1024 )); }
createdb() { "${psql_cmd[@]}" -d postgres -c "create database $1"; }
dropdb() { "${psql_cmd[@]}" -d postgres -c "drop database $1"; }
apply=("$drover" apply --dev-url "$devurl")
# The table's content, one digest, to compare two databases.
digest() {
    "${psql_cmd[@]}" -d "$1" -At -c "select count(*) || ' ' || md5(string_agg(t::text, E'\n' order by id)) from items t"
}
xmins() { "${psql_cmd[@]}" -d "$1" -At -F ' ' -c "select id, xmin from items order by id"; }
failures=()
check() {  # check RUN RESULT: RESULT is ok, or what went wrong
    [ "$2" = ok ] || failures+=("run $1: $2")
}

# Unmeasured: the first run of the binary reads it from disk, a cost the first measured
# command would otherwise carry alone.
createdb warmup
"$drover" plan --url "$(url warmup)" --desired "$work/schema.sql" --dev-url "$devurl" >"$work/warmup.out" 2>&1 \
    || { cat "$work/warmup.out" >&2; exit 1; }
# The measurements take turns run by run, so a slow spell of the machine falls on all alike.
for ((i = 1; i <= runs; i++)); do
    echo "==> run $i of $runs: baselines, then drover with $rows reference rows"
    createdb psql_$i
    "${psql_cmd[@]}" -d psql_$i -c "$table"
    measure psql_load "${psql_cmd[@]}" -d psql_$i -f "$work/load.sql"
    createdb schema_$i
    measure schema_apply "${apply[@]}" --url "$(url schema_$i)" --desired "$work/schema.sql"

    # (a) the first apply, to an empty database.
    createdb target_$i
    measure first_apply "${apply[@]}" --url "$(url target_$i)" --desired "$work/rows.sql"
    grep -q "reference rows: $rows inserted, 0 updated, 0 deleted" "$work/first_apply.out" && ok=ok \
        || ok="(a) reported $(tail -n 1 "$work/first_apply.out")"
    check "$i" "$ok"
    want=$(digest psql_$i) got=$(digest target_$i)
    [ "$want" = "$got" ] && ok=ok || ok="(a) the target's rows differ from psql's load: $got, not $want"
    check "$i" "$ok"

    # (b) the same declaration again: nothing to do.
    measure second_apply "${apply[@]}" --url "$(url target_$i)" --desired "$work/rows.sql"
    [ "$(tail -n 1 "$work/second_apply.out")" = "-- no changes" ] && ok=ok \
        || ok="(b) the unchanged apply reported $(tail -n 1 "$work/second_apply.out")"
    check "$i" "$ok"
    measure plan_unchanged "$drover" plan --url "$(url target_$i)" --desired "$work/rows.sql" --dev-url "$devurl"
    [ ! -s "$work/plan_unchanged.out" ] && ok=ok \
        || ok="(b) the plan is not empty: $(head -c 300 "$work/plan_unchanged.out")"
    check "$i" "$ok"

    # (c) 3 rows changed: exactly those get a new row version (xmin).
    xmins target_$i >"$work/xmin.before"
    measure changed_apply "${apply[@]}" --url "$(url target_$i)" --desired "$work/changed.sql"
    xmins target_$i >"$work/xmin.after"
    grep -q "reference rows: 0 inserted, 3 updated, 0 deleted" "$work/changed_apply.out" && ok=ok \
        || ok="(c) reported $(tail -n 1 "$work/changed_apply.out")"
    check "$i" "$ok"
    rewritten=$({ diff "$work/xmin.before" "$work/xmin.after" || true; } | awk '/^>/ { print $2 }' | xargs)
    [ "$rewritten" = "$changed_ids" ] && ok=ok || ok="(c) rows with a new xmin: [$rewritten], not [$changed_ids]"
    check "$i" "$ok"
    renamed=$("${psql_cmd[@]}" -d target_$i -At -c "select string_agg(id::text, ' ' order by id) from items
        where name <> ('name ' || id)")
    [ "$renamed" = "$changed_ids" ] && ok=ok || ok="(c) renamed rows: [$renamed], not [$changed_ids]"
    check "$i" "$ok"
    for db in psql_$i schema_$i target_$i; do dropdb "$db"; done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
row() {  # row LABEL NAME: median seconds, spread, peak MiB, ratios to the baselines
    local secs; secs=$(median "$2")
    printf '%-36s %8s %12s %6s %9s %10s\n' "$1" "$secs" "$(spread "$2")" "${3:-$(max_mib "$2")}" \
        "$(ratio "$secs" "$(median psql_load)")" "$(ratio "$secs" "$(median schema_apply)")"
}
echo
echo "bench-refdata: $rows reference rows (int key, text, numeric, date, jsonb); median of $runs run(s)," \
    "peak RSS = largest of the runs; drover $drover"
printf '%-36s %8s %12s %6s %9s %10s\n' "" seconds "(min-max)" MiB "vs psql" "vs schema"
row "psql INSERT ... SELECT (baseline)" psql_load -
row "drover apply, schema only (baseline)" schema_apply
row "(a) first apply, $rows rows" first_apply
row "(b) second apply, no change" second_apply
row "(b) plan, no change" plan_unchanged
row "(c) apply, 3 rows changed" changed_apply
echo "(c) rows with a new xmin in the last run: [$rewritten] (declared changed: [$changed_ids])"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores; other work on the machine skews the times)"
if ((${#failures[@]})); then
    printf 'FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "checks passed in every run: the target's rows match psql's load, the unchanged apply and plan did" \
    "nothing, the change rewrote exactly 3 rows"
