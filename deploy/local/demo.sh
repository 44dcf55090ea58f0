#!/usr/bin/env bash
# The README's main command (make demo): local stores up, schemas migrated, demo data loaded once,
# then ordercast serves the API and pages on http://127.0.0.1:8080 until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -x bin/ordercast ] || go build -o bin/ordercast ./cmd/ordercast

eval "$(deploy/local/up.sh)"
export ORDERCAST_PG_DSN ORDERCAST_CH_DSN
bin/ordercast migrate
exec bin/ordercast serve --log-format text "$@"
