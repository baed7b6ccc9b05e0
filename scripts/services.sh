#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 with a database "test":
# start the local cluster if it is stopped, install it from Debian if absent.
set -uo pipefail
# Debian's Chromium drives the console tests (Playwright never downloads a browser).
if [ ! -x /usr/bin/chromium ] && [ -z "${MODELSWAP_SKIP_BROWSER:-}" ]; then
  echo "== chromium: not installed; installing from Debian"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "cannot install chromium: console tests will fail"
fi
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if [ -n "${MODELSWAP_SKIP_PG:-}" ]; then echo "== postgres: skipped (MODELSWAP_SKIP_PG)"; exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "== postgres: not installed; installing from Debian"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) || { echo "cannot install postgresql"; exit 1; }
fi
if ! pg_ready; then
  echo "== postgres: starting"
  version="$(ls /etc/postgresql | sort -V | tail -1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  conf="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "modelswap-trust" "$conf" 2>/dev/null; then
    { echo "# modelswap-trust"; echo "host all all 127.0.0.1/32 trust"; echo "host all all ::1/128 trust"; } \
      | cat - "$conf" > "$conf.new" && mv "$conf.new" "$conf" && chown postgres:postgres "$conf" 2>/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 0.5; done
fi
pg_ready || { echo "postgres did not come up on 127.0.0.1:5432"; exit 1; }
if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null 2>&1; then
  createdb -h 127.0.0.1 -U postgres test 2>/dev/null || su postgres -c "createdb test" || true
fi
echo "== postgres: ready"
