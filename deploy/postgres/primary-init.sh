#!/bin/sh
# Runs once, when the primary's data folder is created (/docker-entrypoint-initdb.d): a role
# for the replica's streaming connection, allowed in by pg_hba.conf (the image lets `all`
# databases in, which does not cover `replication`).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
create role replicator with replication login password '${REPLICATION_PASSWORD}';
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
