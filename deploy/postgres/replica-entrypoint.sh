#!/bin/sh
# The streaming replica: on first start, a copy of the primary (`pg_basebackup -R` writes
# standby.signal and primary_conninfo), then PostgreSQL replaying what the primary streams.
# Runs as the image's postgres user (compose's `user: postgres`).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do sleep 1; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator \
    -D "$PGDATA" -R -X stream -c fast
fi
exec postgres -c hot_standby=on
