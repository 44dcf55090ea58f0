#!/bin/sh
# lint-openapi.sh lints cmd/ordercast/openapi.json with Redocly CLI, pinned by deploy/local/openapi-lint's
# package-lock.json and installed there with npm ci (nothing global). Any problem fails it (redocly.yaml: recommended-strict).
# Needs Node.js and npm. Usage: deploy/local/lint-openapi.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir="$here/openapi-lint"
if ! command -v npm >/dev/null 2>&1; then
	echo "lint-openapi.sh: installing nodejs and npm from Debian's packages" >&2
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >&2 ||
		{ echo "lint-openapi.sh: npm not found: install Node.js (20 or later) and npm" >&2; exit 1; }
fi
# Install only when the lock file changed since the last install.
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
fi
cd "$dir"
exec ./node_modules/.bin/redocly lint --config redocly.yaml --max-problems 100 \
	--format stylish "$root/cmd/ordercast/openapi.json"
