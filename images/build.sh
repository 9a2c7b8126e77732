#!/usr/bin/env bash
# Builds one image per plugin, hangar/<plugin>:dev (`pnpm images [plugin...]`):
#   1. bundles the plugins (scripts/build.ts),
#   2. picks the base image: $HANGAR_BASE_IMAGE, else the official node:24-bookworm-slim when it is
#      present or can be pulled, else a local stand-in built by images/base/build.sh,
#   3. `docker build`s images/Dockerfile with only the plugin's dist/ as the build context; a plugin
#      with images/<plugin>/Dockerfile (emulator-e2e: its Appium/WebdriverIO runtime in a layer below
#      the bundle, images/<plugin>/runtime.ts) gets that one, with runtime/ and dist/ as the context.
# Each image records its base in the label org.opencontainers.image.base.name (bench/ reads it).
#
# Environment (all optional):
#   HANGAR_BASE_IMAGE        base image to use, no detection
#   HANGAR_PULL_TIMEOUT      seconds to try pulling node:24-bookworm-slim (default 20; 0 = do not try)
#   HANGAR_LOCAL_BASE_IMAGE  name of the stand-in base (default hangar/node-base:24-local)
#   HANGAR_IMAGE_TAG         tag of the plugin images (default dev)
#   HANGAR_VERSION           org.opencontainers.image.version (default: DRONE_TAG without "v", else the
#                            plugin's package.json version)
#   HANGAR_VERBOSE=1         show docker build's output
set -euo pipefail
# The whole script is one block, read before it runs: editing it (or a git checkout) meanwhile is safe.
{

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

official_base="node:24-bookworm-slim"
local_base="${HANGAR_LOCAL_BASE_IMAGE:-hangar/node-base:24-local}"
tag="${HANGAR_IMAGE_TAG:-dev}"
started=$SECONDS

now_ms() { date +%s%3N; }
say() { printf '==> [images %3ss] %s\n' "$((SECONDS - started))" "$*"; }
die() {
  printf 'error: [images] %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null || die "node is not on PATH (Node 24 is needed; see .ci/setup)"
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 24 ] || die "node $(node --version) is too old to run scripts/build.ts; Node 24 is needed (see .ci/setup)"
command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "cannot talk to the docker daemon (is dockerd running? are you in the docker group?)"

# --- 1. bundles -------------------------------------------------------------------------------------
say "bundling${*:+ $*}"
node scripts/build.ts "$@"

plugins=()
if [ "$#" -gt 0 ]; then
  plugins=("$@")
else
  for dir in plugins/*/; do
    p="$(basename "$dir")"
    [ -f "plugins/$p/src/index.ts" ] && [ -f "plugins/$p/dist/index.mjs" ] && plugins+=("$p")
  done
fi
[ "${#plugins[@]}" -gt 0 ] || die "no plugin bundles to build images from"

# --- 2. base image ----------------------------------------------------------------------------------
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

if [ -n "${HANGAR_BASE_IMAGE:-}" ]; then
  base="$HANGAR_BASE_IMAGE"
  say "base image $base (HANGAR_BASE_IMAGE)"
  if ! have_image "$base"; then
    say "pulling $base"
    docker pull "$base" >/dev/null || die "HANGAR_BASE_IMAGE=$base is not present and cannot be pulled"
  fi
elif have_image "$official_base"; then
  base="$official_base"
  say "base image $base (present locally)"
else
  base=""
  pull_timeout="${HANGAR_PULL_TIMEOUT:-20}"
  if [ "$pull_timeout" != 0 ]; then
    say "trying to pull $official_base (timeout ${pull_timeout}s)"
    if pull_error="$(timeout "$pull_timeout" docker pull -q "$official_base" 2>&1 >/dev/null)"; then
      base="$official_base"
      say "base image $base (pulled)"
    else
      say "cannot pull $official_base: $(printf '%s' "${pull_error:-timed out}" | tail -n 1)"
    fi
  fi
  if [ -z "$base" ]; then
    say "using the local stand-in base $local_base"
    HANGAR_LOCAL_BASE_IMAGE="$local_base" bash "$root/images/base/build.sh"
    base="$local_base"
  fi
fi
base_size="$(docker image inspect -f '{{ .Size }}' "$base")"

# --- 3. plugin images -------------------------------------------------------------------------------
json_field() { node -p "const v = require(process.argv[1])$2; v === undefined ? '' : String(v)" "$1"; }

revision="${DRONE_COMMIT_SHA:-${CI_COMMIT_SHA:-$(git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)}}"
source="${DRONE_REPO_LINK:-${CI_REPO_URL:-$(json_field "$root/package.json" '.homepage')}}"
release="${HANGAR_VERSION:-${DRONE_TAG:-${CI_COMMIT_TAG:-}}}"
release="${release#v}"
log="$(mktemp)"
contexts=()
trap 'rm -rf "$log" "${contexts[@]}"' EXIT

for p in "${plugins[@]}"; do
  dist="plugins/$p/dist"
  [ -f "$dist/index.mjs" ] || die "$dist/index.mjs does not exist"
  pkg="$root/plugins/$p/package.json"
  version="${release:-$(json_field "$pkg" '.version')}"
  description="$(json_field "$pkg" '.description')"
  licenses="$(json_field "$pkg" '.license')"
  [ -n "$licenses" ] || licenses="$(json_field "$root/package.json" '.license')"
  image="hangar/$p:$tag"
  say "building $image (version ${version:-?}, revision ${revision:0:12}, base $base)"
  t0="$(now_ms)"
  dockerfile=images/Dockerfile
  context="$dist"
  if [ -f "images/$p/Dockerfile" ]; then
    # A plugin with a runtime of its own (images/<plugin>/runtime.ts): staged once per lockfile in
    # ~/.cache/hangar, then a context of runtime/ (hard links when the cache is on the same disk) + dist/.
    staged="$(node "images/$p/runtime.ts" 2> >(sed 's/^/    /' >&2))" || die "staging the runtime of $p failed (output above)"
    dockerfile="images/$p/Dockerfile"
    context="$(mktemp -d)"
    contexts+=("$context")
    mkdir "$context/runtime"
    cp -al "$staged/." "$context/runtime/" 2>/dev/null || cp -a "$staged/." "$context/runtime/"
    cp -a "$dist" "$context/dist"
  fi
  args=(
    build
    --file "$dockerfile"
    --build-arg "BASE_IMAGE=$base"
    --build-arg "PLUGIN=$p"
    --build-arg "VERSION=${version:-0.0.0-dev}"
    --build-arg "REVISION=$revision"
    --build-arg "SOURCE=$source"
    --build-arg "DOCUMENTATION=$source/blob/main/docs/$p.md"
    --build-arg "DESCRIPTION=${description:-hangar Drone CI plugin $p}"
    --build-arg "LICENSES=${licenses:-NOASSERTION}"
    --tag "$image"
    "$context"
  )
  if [ "${HANGAR_VERBOSE:-0}" = 1 ]; then
    docker "${args[@]}"
  elif ! docker "${args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    die "docker build of $image failed (output above)"
  fi
  if [ "$context" != "$dist" ]; then rm -rf "$context"; fi
  size="$(docker image inspect -f '{{ .Size }}' "$image")"
  own=$((size - base_size))
  say "built $image in $(($(now_ms) - t0)) ms: own layers $((own / 1000)) kB on a $((base_size / 1000000)) MB base"
done

say "done: ${#plugins[@]} image(s) on $base in $((SECONDS - started))s"
exit
}
