#!/bin/sh
# web-assets.sh builds the front-end packages embedded in ordercast's pages from npm, reproducibly:
# npm ci in cmd/ordercast/web/npm (pinned by its package-lock.json), then copies each package's
# built bundle and licence into cmd/ordercast/web/static/vendor/, which is committed, so that a plain
# `go build` embeds it. Run it (make web-assets) after changing the lock file; make test runs it and
# fails when the copy committed differs from what the lock file builds.
#   Apache ECharts: dist/echarts.min.js, LICENSE and NOTICE, for the charts of the manager's and
#   planner's pages (the retailer's page loads none).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir="$root/cmd/ordercast/web/npm"
vendor="$root/cmd/ordercast/web/static/vendor"
if ! command -v npm >/dev/null 2>&1; then
	echo "web-assets.sh: installing nodejs and npm from Debian's packages" >&2
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm >&2
fi
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
fi
mkdir -p "$vendor/echarts"
for f in dist/echarts.min.js LICENSE NOTICE; do
	cp "$dir/node_modules/echarts/$f" "$vendor/echarts/$(basename "$f")"
done
