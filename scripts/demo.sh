#!/usr/bin/env bash
# The quick-start demo on a fresh machine: installs what is missing, builds drover, starts a
# private PostgreSQL (Unix socket only) standing in for CloudNativePG's cluster-example,
# pushes examples/quickstart/schemas to a local bare git repository, runs
# `drover run --once`, and shows the table it created and the status branch's README.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/lib.sh
ensure_packages

echo "==> building drover"
swift build --product drover
drover="$root/.build/debug/drover"

# Everything lives in a folder the postgres OS user can reach (the clone may be in a private
# home folder); .demo points there so examples/quickstart/drover.yaml finds it.
demo="${TMPDIR:-/tmp}/drover-demo-$(id -u)"
stop_private_postgres "$demo"
for dev in "$demo"/state/devpg/*/; do stop_private_postgres "${dev%/}"; done   # one per major version
rm -rf "$demo"
mkdir -p "$demo"
ln -sfn "$demo" "$root/.demo"

echo "==> starting PostgreSQL for cluster-example (socket in $demo/sock)"
start_private_postgres "$demo"
password=$(cat examples/quickstart/secrets/cluster-example-app/password)
# The app role logs in with the password from the secret, as on CloudNativePG.
sed -i '1i local all app scram-sha-256' "$demo/data/pg_hba.conf"
as_server_user "$(pg_bindir)/pg_ctl" -D "$demo/data" reload >/dev/null
psql -X -q -h "$demo/sock" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v pw="$password" <<'SQL'
create role app login password :'pw';
create database app owner app;
SQL

echo "==> pushing examples/quickstart/schemas to $demo/schemas.git"
git -c init.defaultBranch=main init -q --bare "$demo/schemas.git"
work=$(mktemp -d)
git -c init.defaultBranch=main init -q "$work"
cp -r examples/quickstart/schemas "$work/"
git -C "$work" add -A
git -C "$work" -c user.name=demo -c user.email=demo@localhost commit -q -m "quick-start schema"
git -C "$work" push -q "$demo/schemas.git" HEAD:refs/heads/main
rm -rf "$work"

echo "==> drover run --config examples/quickstart/drover.yaml --once"
"$drover" run --config examples/quickstart/drover.yaml --once

echo "==> table t1 in database app, as psql shows it"
PGPASSWORD="$password" psql -X -h "$demo/sock" -U app -d app -c '\d t1'

echo "==> README.md of the status branch (drover/status)"
git --git-dir "$demo/schemas.git" show drover/status:README.md

echo "==> demo/atlasschema-pg.yaml of the status branch"
git --git-dir "$demo/schemas.git" show drover/status:demo/atlasschema-pg.yaml

echo
echo "The demo's PostgreSQL keeps running; stop it with: make demo-stop"
