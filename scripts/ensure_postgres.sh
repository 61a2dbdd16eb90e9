#!/usr/bin/env bash
# PostgreSQL answering on 127.0.0.1:5432 for the tests that name a database (Optuna and MLflow storage,
# as postgres with trust authentication, the project's convention for a local database): started when
# installed and down, installed first (Debian's package, scripts/debian_packages.sh) when missing. A
# cluster this script installs gets trust for 127.0.0.1 only; an existing one keeps its configuration.
# Exits 1 with the reason when no server answers in the end.
set -euo pipefail
ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
ready && exit 0
here=$(dirname "$0")
fresh=0
if ! command -v pg_ctlcluster >/dev/null; then
  "$here/debian_packages.sh" pg_ctlcluster:postgresql
  fresh=1
fi
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
[ -n "$version" ] || { echo "error: PostgreSQL is installed but has no cluster: pg_createcluster <version> main" >&2; exit 1; }
if [ "$fresh" = 1 ]; then
  hba=/etc/postgresql/$version/main/pg_hba.conf
  "${as_root[@]}" sed -i '0,/^host/s//host    all             postgres        127.0.0.1\/32            trust\n&/' "$hba"
  "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
fi
echo "starting PostgreSQL $version (cluster main) ..."
"${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
for _ in $(seq 60); do
  ready && { echo "PostgreSQL answers on 127.0.0.1:5432"; exit 0; }
  sleep 0.5
done
echo "error: PostgreSQL $version does not answer on 127.0.0.1:5432: see /var/log/postgresql/ (port 5432 in postgresql.conf?)" >&2
exit 1
