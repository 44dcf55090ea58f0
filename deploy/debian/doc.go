// Package debian builds ordercast's Debian package (build.sh, run by `make deb`). It has no code; its
// test builds the package, installs it with dpkg, starts the service as its systemd unit would and
// removes it again.
package debian
