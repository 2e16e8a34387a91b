#!/usr/bin/env bash
# Sets up code-server 4.96.4 (VS Code 1.96.4) from the npm registry under .cache/code-server,
# so the end-to-end suite can run a real VS Code offline (@vscode/test-electron and the
# `electron` package download from hosts these machines cannot reach).
#
# The recipe is the one in ENVIRONMENT.md: install without scripts; point the one
# GitHub-pinned dependency (@vscode/proxy-agent) at the registry's 0.27.0; install VS Code's
# server dependencies; rebuild the native modules against this Node; then do by hand what
# code-server's postinstall would do. Idempotent: a stamp file records the recipe's fingerprint
# and a second run with the same recipe is a no-op. The build happens in a sibling folder that
# is renamed into place at the end, so an interrupted run never leaves a half-built cache.
#
# Needs: Node 20, a C++ toolchain, Debian's libkrb5-dev (kerberos) and ripgrep (scripts/setup-system.sh).
# Prints the code-server package folder on its last line.
set -euo pipefail

VERSION=4.96.4
PROXY_AGENT=0.27.0
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${NIN_CODE_SERVER_CACHE:-$root/.cache/code-server}"
pkg="$cache/node_modules/code-server"
stamp="$cache/.stamp"
# The fingerprint changes when this script (the recipe) or Node's major version changes.
fingerprint="code-server@$VERSION proxy-agent@$PROXY_AGENT node-$(node -p 'process.versions.modules') $(sha256sum "$0" | cut -c1-16)"

log() { echo "[setup-code-server] $*" >&2; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && [ -f "$pkg/out/node/entry.js" ]; then
  log "cached: $pkg"
  echo "$pkg"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 20 ]; then
  log "code-server $VERSION needs Node 20; this is Node $(node -v)"
  exit 1
fi
for tool in rg make g++; do
  command -v "$tool" >/dev/null || { log "missing '$tool': run scripts/setup-system.sh (ripgrep, build tools)"; exit 1; }
done
[ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] || { log "missing krb5 headers: apt-get install libkrb5-dev"; exit 1; }

mkdir -p "$(dirname "$cache")"
work="$cache.partial.$$"
trap 'rm -rf "$work"' EXIT
rm -rf "$work"
mkdir -p "$work"
start=$SECONDS
npm_q=(--no-audit --no-fund --loglevel=error)

log "1/5 npm install --ignore-scripts code-server@$VERSION"
cd "$work"
printf '{ "name": "nin-e2e-code-server", "private": true }\n' >package.json
npm install "${npm_q[@]}" --ignore-scripts "code-server@$VERSION" >&2
wpkg="$work/node_modules/code-server"
vs="$wpkg/lib/vscode"

log "2/5 shrinkwrap: @vscode/proxy-agent -> registry $PROXY_AGENT; npm install --omit=dev in lib/vscode"
registry="$(npm config get registry)"
(cd "$vs" && PA_URL="${registry%/}/@vscode/proxy-agent/-/proxy-agent-$PROXY_AGENT.tgz" PA_VERSION="$PROXY_AGENT" node -e '
  const fs = require("fs");
  const file = "npm-shrinkwrap.json";
  const lock = JSON.parse(fs.readFileSync(file, "utf8"));
  const entry = lock.packages && lock.packages["node_modules/@vscode/proxy-agent"];
  if (!entry) throw new Error("no node_modules/@vscode/proxy-agent entry in " + file);
  entry.version = process.env.PA_VERSION;
  entry.resolved = process.env.PA_URL;
  delete entry.integrity;
  fs.writeFileSync(file + ".tmp", JSON.stringify(lock, null, 2) + "\n");
  fs.renameSync(file + ".tmp", file);
')
(cd "$vs" && npm install "${npm_q[@]}" --omit=dev --ignore-scripts >&2)

log "3/5 native rebuilds (node-pty, @parcel/watcher, @vscode/spdlog, kerberos, native-watchdog, @vscode/deviceid, argon2)"
(cd "$vs" && npm rebuild "${npm_q[@]}" node-pty @parcel/watcher @vscode/spdlog kerberos native-watchdog @vscode/deviceid >&2)
# argon2 is code-server's own dependency; npm hoists it next to code-server.
(cd "$work" && npm rebuild "${npm_q[@]}" argon2 >&2)

log "4/5 postinstall: node_modules.asar, bin scripts, ripgrep"
ln -sfn node_modules "$vs/node_modules.asar"
ln -sfn code-linux.sh "$vs/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vs/bin/helpers/browser.sh"
mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
cp -f "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"

log "5/5 npm install --omit=dev in lib/vscode/extensions"
(cd "$vs/extensions" && npm install "${npm_q[@]}" --omit=dev --ignore-scripts >&2)

# Smoke check before publishing the cache: the server's CLI answers (its config and data go to
# the work folder, not the user's home).
XDG_CONFIG_HOME="$work/.xdg" XDG_DATA_HOME="$work/.xdg" node "$wpkg/out/node/entry.js" --version >&2
rm -rf "$work/.xdg"

echo "$fingerprint" >"$work/.stamp"
rm -rf "$cache"
mv "$work" "$cache"
trap - EXIT
log "done in $((SECONDS - start)) s: $pkg"
echo "$pkg"
