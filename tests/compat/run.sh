#!/usr/bin/env bash
# Runs the real third-party clients against a fresh local org each:
#   run.sh python   simple-salesforce (needs $PYTHON with simple-salesforce installed)
#   run.sh node     jsforce (needs `npm ci` done here)
#   run.sh sf       the Salesforce CLI (needs `npm ci` done in sfcli/)
# The org runs over HTTPS; each client is told to trust the org's CA.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sfkit=${SFKIT_BIN:-$here/../../target/debug/sfkit}
client=${1:?usage: run.sh python|node|sf}

log=$(mktemp)
"$sfkit" emulator --tls --memory --addr 127.0.0.1:0 --schema "$here/schema.toml" > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 200); do
  grep -q "^  data:" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
url=$(sed -n 's/^sfkit local org listening on //p' "$log")
ca=$(sed -n 's/^  trust: *\([^ ]*\) .*/\1/p' "$log")
jwt_key=$(sed -n 's/^  JWT key: *\([^ ]*\).*/\1/p' "$log")
[ -n "$url" ] && [ -f "$ca" ] || { echo "the org did not start:"; cat "$log"; exit 1; }
export SFKIT_URL="$url" REQUESTS_CA_BUNDLE="$ca" NODE_EXTRA_CA_CERTS="$ca" SFKIT_JWT_KEY="$jwt_key"

case "$client" in
  python) "${PYTHON:-python3}" "$here/simple_salesforce_compat.py" ;;
  node) (cd "$here" && node jsforce_compat.mjs) ;;
  sf) node "$here/sf_cli_compat.mjs" ;;
  *) echo "unknown client $client"; exit 2 ;;
esac
