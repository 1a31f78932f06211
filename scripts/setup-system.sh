#!/usr/bin/env bash
# System packages the tests need: real Ganeti (the test oracle), the real OS definitions guestos runs,
# the tools those scripts and the disk tests use (sfdisk is in fdisk), and a compiler for better-sqlite3
# when npm cannot fetch its prebuilt binary. Debian/Ubuntu, as root.
# The interop tests' single-node cluster (test/interop/cluster.ts) runs in private namespaces made with
# unshare/nsenter (util-linux), mount(8) (mount) and ip(8) (iproute2); Ganeti's import/export moves disks
# through socat. ganeti-3.0 depends on iproute2 and socat already: they are listed because the harness and
# its checks call them directly.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  ganeti ganeti-3.0 ganeti-os-noop ganeti-instance-debootstrap debootstrap \
  zstd e2fsprogs util-linux mount fdisk coreutils dump python3 make g++ iproute2 socat
