#!/usr/bin/env bash
# Builds the Debian package of ordercast with dpkg-deb (make deb):
#   deploy/debian/build.sh [-o DIR] [-v VERSION]
# It holds the binary (/usr/bin/ordercast), the systemd unit, an example configuration
# (/etc/ordercast/ordercast.env, a conffile), the README, and maintainer scripts that create the
# ordercast system user and the root-only credentials folder. Prints the package's path.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$root/bin
version=
while getopts "o:v:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	v) version=$OPTARG ;;
	*) echo "usage: $0 [-o DIR] [-v VERSION]" >&2; exit 2 ;;
	esac
done
# A release tag vX.Y.Z gives X.Y.Z; otherwise 0.0~git<commit date>.<hash>, which sorts before any release.
if [ -z "$version" ]; then
	if tag=$(git -C "$root" describe --tags --exact-match 2>/dev/null) && [[ $tag =~ ^v[0-9] ]]; then
		version=${tag#v}
	else
		version="0.0~git$(git -C "$root" log -1 --format=%cd --date=format:%Y%m%d%H%M 2>/dev/null || date +%Y%m%d%H%M).$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	fi
fi
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/ordercast" \
	"$stage/usr/share/doc/ordercast"
(cd "$root" && CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X main.version=$version -X main.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	-o "$stage/usr/bin/ordercast" ./cmd/ordercast)
install -m 0644 "$root/deploy/systemd/ordercast.service" "$stage/lib/systemd/system/ordercast.service"
install -m 0640 "$root/deploy/systemd/ordercast.env" "$stage/etc/ordercast/ordercast.env"
install -m 0644 "$root/README.md" "$stage/usr/share/doc/ordercast/README.md"
installed_kb=$(du -sk "$stage" | cut -f1)

cat >"$stage/DEBIAN/control" <<CONTROL
Package: ordercast
Version: $version
Architecture: $arch
Maintainer: ordercast <ops@ordercast.invalid>
Installed-Size: $installed_kb
Depends: adduser
Recommends: postgresql (>= 15), clickhouse-server
Section: net
Priority: optional
Homepage: https://github.com/ordercast/ordercast
Description: retail terminal ordering and demand forecasting
 ordercast serves the ordering API and pages for licensed retail outlets, runs the
 weekly order cycle (cut-off, settlement, delivery), forecasts demand per outlet and
 brand over a ClickHouse history and allocates scarce brands fairly.
CONTROL
echo "/etc/ordercast/ordercast.env" >"$stage/DEBIAN/conffiles"

cat >"$stage/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if ! getent passwd ordercast >/dev/null; then
		adduser --system --group --no-create-home --home /nonexistent ordercast >/dev/null
	fi
	install -d -m 0700 -o root -g root /etc/ordercast/credentials
	chgrp ordercast /etc/ordercast/ordercast.env
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
	fi
fi
SCRIPT
cat >"$stage/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	systemctl stop ordercast.service >/dev/null 2>&1 || true
fi
SCRIPT
cat >"$stage/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	rm -rf /etc/ordercast/credentials
	if getent passwd ordercast >/dev/null; then
		deluser --system ordercast >/dev/null 2>&1 || true
	fi
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
SCRIPT
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/ordercast_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
