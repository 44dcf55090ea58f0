#!/bin/sh
# browser-deps.sh makes ready what the browser tests and the Lighthouse measurement of the pages need:
# Debian's Chromium (apt-get install chromium, never a downloaded browser) and the npm packages pinned by
# deploy/local/browser/package-lock.json (axe-core, lighthouse), installed there with npm ci.
# Idempotent: installs only what is missing or changed. Usage: deploy/local/browser-deps.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/browser"
say() { echo "browser-deps.sh: $*" >&2; }
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi
pkgs=""
command -v chromium >/dev/null 2>&1 || pkgs="$pkgs chromium"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
if [ -n "$pkgs" ]; then
	say "installing$pkgs from Debian's packages"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	# shellcheck disable=SC2086 # the list is meant to split
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >&2
fi
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
	say "npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
fi
