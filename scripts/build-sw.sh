#!/bin/sh
# Writes the service worker into Trunk's staging directory (run by
# scripts/post-build.sh after everything else is built): public/sw.js with
# this build's file list (hashed names included; every file Trunk staged,
# except sw.js) and a version, a digest of all those files' contents, so
# any change to any file gives a new cache and a new sw.js.
set -eu
cd "${TRUNK_SOURCE_DIR:-.}"
stage="${TRUNK_STAGING_DIR:-dist}"
files=$(cd "$stage" && find . -type f ! -name sw.js | sed 's|^\./||' | LC_ALL=C sort)
[ -n "$files" ] || { echo "build-sw: nothing staged in $stage" >&2; exit 1; }
case "$files" in
  *index.html*) ;;
  *) echo "build-sw: no index.html in $stage" >&2; exit 1 ;;
esac
version=$(cd "$stage" && printf '%s\n' "$files" | while IFS= read -r f; do sha256sum "$f"; done | sha256sum | cut -c1-16)
list=$(printf '%s\n' "$files" | sed "s|.*|'./&'|" | paste -s -d, -)
# Whole-line comments stay in the source, not in what every visitor downloads.
sed -e '/^[[:space:]]*\/\//d' -e "s|__PREFLIGHT_VERSION__|$version|" -e "s|__PREFLIGHT_ASSETS__|$list|" public/sw.js > "$stage/sw.js"
echo "build-sw: sw.js version $version, $(printf '%s\n' "$files" | wc -l) files"
