#!/usr/bin/env bash
# Publishes the locally built plugin images (hangar/<plugin>:dev, from images/build.sh) to a registry.
#
#   images/publish.sh [--dry-run] [plugin...]
#
# Environment:
#   REGISTRY             registry host, e.g. gitea.example.com or 127.0.0.1:5000
#   IMAGE_PREFIX         path under the registry, e.g. acme/hangar -> REGISTRY/acme/hangar/<plugin>
#   REGISTRY_USERNAME    }
#   REGISTRY_PASSWORD    } login (the password goes to docker on stdin, never to a command line or log)
#   DRONE_TAG            the version to publish (or CI_COMMIT_TAG, or HANGAR_VERSION; a leading "v" is dropped)
#   HANGAR_IMAGE_TAG     tag of the local images (default dev)
#
# Tags: the version itself; for a release version X.Y.Z also X.Y, X (not for 0.x: minor versions
# may break there) and latest; a pre-release (X.Y.Z-rc.1) gets only its own tag. A "+build" suffix
# becomes "_build" (Docker tags cannot hold "+"). Without plugin names: every plugin that has a
# local image. --dry-run prints the plan and touches neither docker login nor the registry.
# Logs in with a throw-away DOCKER_CONFIG, so the credentials never land in ~/.docker.
set -euo pipefail
{ set +x; } 2>/dev/null # never trace: this script handles a password, even under `bash -x`

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_tag="${HANGAR_IMAGE_TAG:-dev}"

say() { printf '==> [publish] %s\n' "$*"; }
die() {
  printf 'error: [publish] %s\n' "$*" >&2
  exit 1
}

dry_run=0
plugins=()
for arg in "$@"; do
  case "$arg" in
  --dry-run) dry_run=1 ;;
  -*) die "unknown option $arg (usage: publish.sh [--dry-run] [plugin...])" ;;
  *) plugins+=("$arg") ;;
  esac
done

# --- what to publish --------------------------------------------------------------------------------
problems=()
[ -n "${REGISTRY:-}" ] || problems+=("REGISTRY is not set (e.g. gitea.example.com)")
[ -n "${IMAGE_PREFIX:-}" ] || problems+=("IMAGE_PREFIX is not set (e.g. acme/hangar)")
version="${HANGAR_VERSION:-${DRONE_TAG:-${CI_COMMIT_TAG:-}}}"
[ -n "$version" ] || problems+=("no version: set DRONE_TAG (a tag build), CI_COMMIT_TAG or HANGAR_VERSION")
if [ "$dry_run" = 0 ]; then
  [ -n "${REGISTRY_USERNAME:-}" ] || problems+=("REGISTRY_USERNAME is not set")
  [ -n "${REGISTRY_PASSWORD:-}" ] || problems+=("REGISTRY_PASSWORD is not set")
fi
if [ "${#problems[@]}" -gt 0 ]; then
  printf 'error: [publish] %s\n' "${problems[@]}" >&2
  exit 1
fi

version="${version#v}"
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'
tags=()
if [[ "$version" =~ $semver ]]; then
  major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" pre="${BASH_REMATCH[4]}"
  tags+=("${version//+/_}")
  if [ -z "$pre" ]; then
    tags+=("$major.$minor")
    [ "$major" != 0 ] && tags+=("$major")
    tags+=(latest)
  fi
else
  [[ "$version" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "'$version' is neither a semantic version nor a valid image tag"
  tags+=("$version")
fi

prefix="${REGISTRY%/}/${IMAGE_PREFIX#/}"
prefix="${prefix%/}"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
if [ "${#plugins[@]}" -eq 0 ]; then
  for dir in "$root"/plugins/*/; do
    p="$(basename "$dir")"
    have_image "hangar/$p:$local_tag" && plugins+=("$p")
  done
  [ "${#plugins[@]}" -gt 0 ] || die "no local hangar/<plugin>:$local_tag images: run images/build.sh first"
elif [ "$dry_run" = 0 ]; then
  for p in "${plugins[@]}"; do
    have_image "hangar/$p:$local_tag" || die "hangar/$p:$local_tag does not exist: run images/build.sh $p first"
  done
fi

say "version $version -> tags ${tags[*]}"
if [ "$dry_run" = 1 ]; then
  for p in "${plugins[@]}"; do
    for t in "${tags[@]}"; do echo "would push hangar/$p:$local_tag as $prefix/$p:$t"; done
  done
  exit 0
fi

# --- log in, tag, push, log out ---------------------------------------------------------------------
DOCKER_CONFIG="$(mktemp -d)"
export DOCKER_CONFIG
logout() {
  docker logout "$REGISTRY" >/dev/null 2>&1 || true
  rm -rf "$DOCKER_CONFIG"
}
trap logout EXIT

say "logging in to $REGISTRY as $REGISTRY_USERNAME"
if ! out="$(printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USERNAME" --password-stdin "$REGISTRY" 2>&1)"; then
  printf '%s\n' "$out" | grep -v -e 'credentials are stored unencrypted' -e 'credential helper' -e 'credential-store' >&2
  die "docker login to $REGISTRY failed"
fi

for p in "${plugins[@]}"; do
  for t in "${tags[@]}"; do
    target="$prefix/$p:$t"
    docker tag "hangar/$p:$local_tag" "$target"
    say "pushing $target"
    docker push --quiet "$target" >/dev/null || die "docker push $target failed"
    docker image rm "$target" >/dev/null 2>&1 || true
  done
done
say "published ${#plugins[@]} image(s) as ${tags[*]}"
