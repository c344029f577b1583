#!/usr/bin/env bash
# The composite Action's installer: puts the release binary of catalog-lint for the runner's OS and
# architecture on PATH, verified against the release's checksums.txt, from the tool cache when a
# previous run (or actions/cache) left it there.
#
#   install.sh resolve   the version to install, written as `version=X.Y.Z` to $GITHUB_OUTPUT:
#                        $INPUT_VERSION when set ("latest", "1.2.3", "v1.2.3", "v1", "v1.2"), else the
#                        Action's own ref ($ACTION_REF, the tag in `uses: catalog-lint/catalog-lint@v1.2.3`)
#   install.sh install   downloads, verifies and installs $CATALOG_LINT_VERSION
#
# Variables the runner sets: RUNNER_OS (Linux, macOS, Windows), RUNNER_ARCH (X64, ARM64),
# RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_PATH, GITHUB_OUTPUT. CATALOG_LINT_RELEASES (the releases'
# address) and CATALOG_LINT_RELEASES_API (their API) default to github.com's; GITHUB_TOKEN, when set,
# is sent to the API only when it is api.github.com's.
set -euo pipefail

releases=${CATALOG_LINT_RELEASES:-https://github.com/catalog-lint/catalog-lint/releases}
api=${CATALOG_LINT_RELEASES_API:-https://api.github.com/repos/catalog-lint/catalog-lint/releases}

fail() {
  echo "::error title=catalog-lint::$*"
  exit 1
}

fetch() { # fetch URL FILE: 0, or 22 for an HTTP error, with curl's message on stderr
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 --proto '=https,http' -o "$2" "$1"
}

api_get() { # api_get PATH: the JSON body
  local auth=() # expanded as ${auth[@]+...}: bash 3.2 (macOS) calls an empty array unbound under set -u
  if [ -n "${GITHUB_TOKEN:-}" ] && [ "$api" = "https://api.github.com/repos/catalog-lint/catalog-lint/releases" ]; then
    auth=(-H "Authorization: Bearer $GITHUB_TOKEN")
  fi
  curl --fail --silent --show-error --location --retry 3 --proto '=https,http' \
    -H "Accept: application/vnd.github+json" ${auth[@]+"${auth[@]}"} "$api$1"
}

resolve() {
  local want=${INPUT_VERSION:-}
  [ -n "$want" ] || want=${ACTION_REF:-}
  local version
  case "$want" in
    latest)
      version=$(api_get /latest | grep -o '"tag_name": *"[^"]*"' | head -1 | sed 's/.*"v\{0,1\}\([^"]*\)"$/\1/') ||
        fail "could not find catalog-lint's latest release at $api"
      ;;
    v[0-9]*.[0-9]*.[0-9]* | [0-9]*.[0-9]*.[0-9]*)
      version=${want#v}
      ;;
    v[0-9]* | v[0-9]*.[0-9]*)
      # A major (v1) or minor (v1.2) tag: the newest release within it.
      local prefix=${want#v}.
      version=$(api_get "?per_page=100" | grep -o '"tag_name": *"v[0-9][^"]*"' | sed 's/.*"v\([^"]*\)"$/\1/' |
        grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | awk -v p="$prefix" 'index($0, p) == 1' |
        sort -t. -k1,1n -k2,2n -k3,3n | tail -1) || true
      [ -n "$version" ] || fail "no catalog-lint release matches $want"
      ;;
    "")
      fail "the catalog-lint version is unknown: use a tagged version (uses: catalog-lint/catalog-lint@v1) or set the version input"
      ;;
    *)
      fail "catalog-lint@$want is not a release: use a tagged version (uses: catalog-lint/catalog-lint@v1), set the version input, or run the container (docker://ghcr.io/catalog-lint/catalog-lint:<version>)"
      ;;
  esac
  echo "catalog-lint $version"
  echo "version=$version" >> "${GITHUB_OUTPUT:-/dev/null}"
}

install() {
  local version=${CATALOG_LINT_VERSION:?CATALOG_LINT_VERSION is not set}
  local os arch ext=tar.gz exe=""
  case "${RUNNER_OS:-}" in
    Linux) os=linux ;;
    macOS) os=darwin ;;
    Windows) os=windows ext=zip exe=.exe ;;
    *) fail "runner OS ${RUNNER_OS:-?} has no catalog-lint release; run the container (docker://ghcr.io/catalog-lint/catalog-lint:$version) instead" ;;
  esac
  case "${RUNNER_ARCH:-}" in
    X64) arch=amd64 ;;
    ARM64) arch=arm64 ;;
    *) fail "runner architecture ${RUNNER_ARCH:-?} has no catalog-lint release" ;;
  esac
  local dir=${RUNNER_TOOL_CACHE:?}/catalog-lint/$version/$arch
  local bin=$dir/catalog-lint$exe
  if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null)" = "catalog-lint $version" ]; then
    echo "catalog-lint $version from the tool cache"
  else
    local asset=catalog-lint_${version}_${os}_${arch}.$ext
    work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/catalog-lint.XXXXXX") # global: the EXIT trap removes it
    trap 'rm -rf "$work"' EXIT
    fetch "$releases/download/v$version/checksums.txt" "$work/checksums.txt" ||
      fail "catalog-lint v$version has no release at $releases (checksums.txt could not be downloaded)"
    local want
    want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/checksums.txt")
    [ -n "$want" ] || fail "the release v$version has no $asset (not in its checksums.txt)"
    fetch "$releases/download/v$version/$asset" "$work/$asset" || fail "could not download $asset of release v$version"
    local got
    if command -v sha256sum >/dev/null; then
      got=$(sha256sum "$work/$asset" | awk '{print $1}')
    else
      got=$(shasum -a 256 "$work/$asset" | awk '{print $1}')
    fi
    [ "$got" = "$want" ] || fail "$asset does not match checksums.txt (sha256 $got, want $want): not installed"
    mkdir -p "$work/x"
    if [ "$ext" = zip ]; then
      (cd "$work/x" && unzip -q "../$asset") || (cd "$work/x" && tar -xf "../$asset")
    else
      tar -xzf "$work/$asset" -C "$work/x"
    fi
    [ -f "$work/x/catalog-lint$exe" ] || fail "$asset holds no catalog-lint$exe"
    mkdir -p "$dir"
    mv "$work/x/catalog-lint$exe" "$bin"
    chmod +x "$bin"
    echo "catalog-lint $version installed from $asset (sha256 $got)"
  fi
  local path_dir=$dir
  if [ "$os" = windows ] && command -v cygpath >/dev/null; then
    path_dir=$(cygpath -w "$dir")
  fi
  echo "$path_dir" >> "${GITHUB_PATH:?}"
}

case "${1:-}" in
  resolve) resolve ;;
  install) install ;;
  *) echo "usage: install.sh resolve|install" >&2; exit 2 ;;
esac
