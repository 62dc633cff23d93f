#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from the server binaries Debian's `postgresql`
# package installs (/usr/lib/postgresql/<major>/bin; PG_BINDIR overrides the search).
#
#   scripts/pg-server.sh start [DIR]   initdb into DIR (a new temporary directory when omitted),
#                                      start the server on 127.0.0.1 and a free port, create the
#                                      database `notifpolicy_test`, and print two lines:
#                                        NOTIFPOLICY_TEST_PG_DIR=<DIR>
#                                        NOTIFPOLICY_TEST_PG=<conninfo>
#                                      (`eval "$(scripts/pg-server.sh start)"` sets both.)
#   scripts/pg-server.sh stop DIR      stop that server and delete DIR.
#   scripts/pg-server.sh env DIR       print the two lines again for a running server.
#   scripts/pg-server.sh bindir        print the binaries' directory, or exit 1 when there is none.
#
# For tests only: trust authentication, fsync off, listening on 127.0.0.1 alone.  With
# PG_DURABLE=1 the server keeps PostgreSQL's durable defaults (fsync, synchronous_commit,
# full_page_writes on), as the benchmarks want.  The server
# refuses to run as root, so as root everything runs as the `postgres` user (created by the
# package); as any other user it runs as that user.  Exit status 3 means "no server binaries".
set -euo pipefail

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] && { echo "$PG_BINDIR"; return 0; }
        return 1
    fi
    local dir
    # Highest major version first.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# Run a server binary as the user the server accepts.
as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

print_env() {
    local dir=$1
    # Single-quoted, so that `eval` keeps the conninfo's spaces.
    echo "NOTIFPOLICY_TEST_PG_DIR='$dir'"
    echo "NOTIFPOLICY_TEST_PG='host=127.0.0.1 port=$(cat "$dir/port") user=postgres dbname=notifpolicy_test'"
}

start() {
    local bindir dir port attempt
    if ! bindir=$(find_bindir); then
        echo "no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin; apt-get install postgresql)" >&2
        exit 3
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "running as root and there is no postgres user to run the server as" >&2
        exit 3
    fi
    dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/notifpolicy-pg.XXXXXX")}
    mkdir -p "$dir"
    # A server that did not come up leaves nothing behind.
    trap 'stop "$dir"' ERR
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if ! as_server_user "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        stop "$dir"
        exit 1
    fi
    local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${PG_DURABLE:-}" = 1 ]; then fast=""; fi
    # A free port can be taken between the probe and the server's bind: try a few.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $fast -c max_connections=200" \
            start >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            echo "$bindir" >"$dir/bindir"
            as_server_user "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres notifpolicy_test
            trap - ERR
            print_env "$dir"
            return 0
        fi
        echo "attempt $attempt: the server did not start on port $port" >&2
    done
    cat "$dir/server.log" >&2
    stop "$dir"
    exit 1
}

stop() {
    local dir=${1:?usage: pg-server.sh stop DIR}
    if [ -f "$dir/bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_server_user "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    env) print_env "${2:?usage: pg-server.sh env DIR}" ;;
    bindir) find_bindir || exit 3 ;;
    *)
        echo "usage: $0 start [DIR] | stop DIR | env DIR | bindir" >&2
        exit 2
        ;;
esac
