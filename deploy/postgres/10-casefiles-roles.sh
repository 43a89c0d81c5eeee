#!/bin/sh
# Run once by the postgres image, on an empty data directory (docker-entrypoint-initdb.d),
# as the superuser over the container's local socket. docs/operations.md, "Database roles":
#   casefiles_owner  owns the database and every table; `migrate` and
#                    `grant_runtime_role` run as it.
#   casefiles_app    what web, worker and beat log in as: owns nothing, is no superuser;
#                    its privileges come from `manage.py grant_runtime_role casefiles_app`.
# The superuser keeps no password: it logs in only inside this container
# (docker-compose exec db psql -U postgres casefiles), never over the network.
set -e
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (the owner's password)}"
: "${CASEFILES_APP_DB_PASSWORD:?set CASEFILES_APP_DB_PASSWORD (the runtime role's password)}"

# Passwords come from the environment through \getenv (psql 15), never on a command line.
psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc \
     --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv database POSTGRES_DB
\getenv superuser POSTGRES_USER
\getenv owner_password POSTGRES_PASSWORD
\getenv app_password CASEFILES_APP_DB_PASSWORD
CREATE ROLE casefiles_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    PASSWORD :'owner_password';
CREATE ROLE casefiles_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
    PASSWORD :'app_password';
-- The database owner also owns the schema public (PostgreSQL 15: pg_database_owner).
ALTER DATABASE :"database" OWNER TO casefiles_owner;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO casefiles_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO casefiles_app;
ALTER ROLE :"superuser" PASSWORD NULL;
SQL
