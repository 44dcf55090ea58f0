# The two set-up commands of the README, and a few conveniences.
#   make demo   stores up, migrate, demo data, serve on http://127.0.0.1:8080
#   make test   stores up, the whole test suite against them
#   make deb    the Debian package of the binary, with its systemd unit (bin/ordercast_*.deb)
#   make web-deps     Debian's Chromium and the pinned npm packages of the browser tests (npm ci)
#   make web-assets   rebuild the pages' embedded front-end bundles (ECharts) from npm (npm ci), to commit
#   make lighthouse   Lighthouse mobile scores of the retailer's page (docs/BENCHMARKS.md, "Pages")
.PHONY: build demo test stop deb web-deps web-assets lighthouse

VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

build:
	go build -ldflags "-X main.version=$(VERSION) -X main.revision=$(REVISION)" -o bin/ordercast ./cmd/ordercast

demo: build
	deploy/local/demo.sh

test:
	deploy/local/test.sh

stop:
	deploy/local/down.sh

deb:
	deploy/debian/build.sh

web-deps:
	deploy/local/browser-deps.sh

web-assets:
	deploy/local/web-assets.sh

lighthouse:
	deploy/local/lighthouse.sh
