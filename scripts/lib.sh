# Shared helpers for the demo and test scripts (sourced, not run).

# Installs the Debian packages drover needs, only those missing.
ensure_packages() {
    # openssh-server, openssh-client, openssl and python3: the SSH and HTTPS git servers of the tests;
    # libcurl4-openssl-dev: webhooks (FoundationNetworking) in a --static-swift-stdlib build.
    local needed=(libgit2-dev libpq-dev libcurl4-openssl-dev postgresql postgresql-client git make pkg-config openssh-server
                  openssh-client openssl python3 curl)
    local missing=()
    for package in "${needed[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
}

# What the tests need beyond that: PostGIS for the server's major (a real extension with
# types, operators, tables and rules of its own).
ensure_test_packages() {
    ensure_packages
    local major package
    major=$(basename "$(dirname "$(pg_bindir)")")
    package="postgresql-$major-postgis-3"
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        echo "installing: $package" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null
    fi
}

# The PostgreSQL server binaries: pg_config --bindir, else the newest /usr/lib/postgresql/<major>/bin.
pg_bindir() {
    local dir
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] || { echo "no PostgreSQL server binaries found" >&2; exit 1; }
    echo "$dir"
}

# Runs a command as the postgres OS user when we are root (initdb refuses root), else as is.
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a private PostgreSQL in $1 (data in $1/data, socket in $1/sock, Unix socket only).
# Extra arguments are passed to postgres (-c name=value …).
start_private_postgres() {
    local dir=$1; shift
    local bindir; bindir=$(pg_bindir)
    mkdir -p "$dir/sock"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    as_server_user "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses='' -k $dir/sock -p 5432 $*" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
}

# Stops the private PostgreSQL in $1 if it runs.
stop_private_postgres() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_server_user "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# Installs apt packages, with sudo unless root.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: $*" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# The drover binary a benchmark measures, as an absolute path: $1, else the release build
# (.build/release/drover, built as `make release` builds it when missing or older than the
# sources: an old binary would measure old code).
bench_drover() {
    local drover=${1:-.build/release/drover}
    if [ -z "${1:-}" ] && { [ ! -x "$drover" ] \
        || [ -n "$(find Sources Package.swift -newer "$drover" -print -quit)" ]; }; then
        echo "==> building drover (release, as installed: make release)" >&2
        swift build -c release --static-swift-stdlib --product drover >&2
    fi
    [ -x "$drover" ] || { echo "no drover binary at $drover" >&2; exit 1; }
    echo "$(cd "$(dirname "$drover")" && pwd)/$(basename "$drover")"
}
