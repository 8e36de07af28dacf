#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a free loopback port, for the store tests.
#   scripts/postgres-cluster.sh start DIR   → prints the cluster's URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   scripts/postgres-cluster.sh stop DIR    → stops it and removes DIR
#   scripts/postgres-cluster.sh pause DIR   → stops the server, keeping DIR (an outage, for fault tests)
#   scripts/postgres-cluster.sh resume DIR  → starts the paused server again, on the same port
#   (down and up are the same as pause and resume)
# Uses Debian's `postgresql` package (its versioned bin folder). initdb refuses to run as root,
# so as root the cluster belongs to the `postgres` user.
set -euo pipefail

command="${1:?start, stop, pause or resume}"
dir="${2:?a directory for the cluster}"

bin_dir() {
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
    found="$(dirname "$(command -v initdb 2>/dev/null || true)")"
    if [ -x "$found/initdb" ]; then echo "$found"; return; fi
    echo "no PostgreSQL server binaries (install Debian's postgresql package)" >&2
    return 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts the server of DIR's cluster on loopback port $2 and waits until it accepts connections.
start_server() {
    as_owner "$1/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $2 -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
}

case "$command" in
start)
    bin="$(bin_dir)"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    echo "$port" >"$dir/port"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    start_server "$bin" "$port"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
pause | down)
    bin="$(bin_dir)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume | up)
    bin="$(bin_dir)"
    start_server "$bin" "$(cat "$dir/port")"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        bin="$(bin_dir)"
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop|pause|resume|down|up DIR" >&2
    exit 2
    ;;
esac
