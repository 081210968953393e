#!/bin/sh
# docker-entrypoint.sh: the container's entry point. `serve` (the default command) first creates
# the database with the embedded schema and fixtures when it does not exist yet (first start on
# a new volume), then becomes plenary; any other plenary command runs as given.
#
#   docker run IMAGE                         serve, creating /data/plenary.db if absent
#   docker run IMAGE serve --threads 4       flags after serve, as for plenary serve
#   docker run IMAGE export                  any other subcommand: plenary export
set -eu

# Bare flags mean serve's flags: `docker run IMAGE --log json`.
case "${1:-serve}" in
-*) set -- serve "$@" ;;
esac
[ $# -gt 0 ] || set -- serve

if [ "$1" = serve ]; then
    # The database serve will open: --db when given, else PLENARY_DB (set by the image).
    db=${PLENARY_DB:-./plenary.db}
    prev=
    for arg in "$@"; do
        case "$arg" in
        --db=*) db=${arg#--db=} ;;
        *) if [ "$prev" = --db ]; then db=$arg; fi ;;
        esac
        prev=$arg
    done
    if [ ! -e "$db" ]; then
        dir=$(dirname -- "$db")
        if [ ! -w "$dir" ]; then
            echo "docker-entrypoint: $dir is not writable by uid $(id -u), so $db cannot be" \
                "created; give the volume to uid $(id -u) (chown) or mount one Docker creates" >&2
            exit 1
        fi
        echo "docker-entrypoint: creating $db from the embedded schema and fixtures" >&2
        # Made aside and renamed into place, so that a first start cut short leaves no
        # half-made database for the next start to take as ready.
        rm -f -- "$db.new" "$db.new-wal" "$db.new-shm" "$db.new-journal"
        plenary init --db "$db.new" --with-fixtures
        mv -- "$db.new" "$db"
    fi
fi

# exec: plenary becomes PID 1 and receives SIGTERM itself (it stops accepting, finishes the
# requests in flight and exits 0).
exec plenary "$@"
