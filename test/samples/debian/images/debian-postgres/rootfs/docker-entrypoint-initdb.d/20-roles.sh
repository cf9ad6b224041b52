#!/usr/bin/env bash
# sourced by the entrypoint (not executable), as initdb.d shell scripts usually are
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-EOSQL
	CREATE ROLE app_reader NOLOGIN;
	GRANT SELECT ON items TO app_reader;
EOSQL
