#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for rollgate, then says how to run the demo.
#
#   bash scripts/setup.sh
#
# - installs `prometheus` (with promtool) and `redis-server` from the distribution when they are
#   not on PATH (as root, or through sudo);
# - installs the npm packages (`npm ci`) and builds (`npm run build`).
# Node.js 20.19+ and npm must already be installed (https://nodejs.org or your distribution).
# Debian starts the packaged Prometheus and Redis services on install; rollgate's demo and tests
# start their own on free loopback ports and do not need them.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "setup: $*"; }
die() { printf '%s\n' "setup: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH: install Node.js 20.19 or newer first (https://nodejs.org)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH: install Node.js 20.19 or newer (it comes with npm)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: rollgate needs 20.19 or newer"

missing=()
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get here: install them with your package manager, then run this again"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    die "missing ${missing[*]}: run this as root, or install them: apt-get install ${missing[*]}"
  fi
  say "installing ${missing[*]} with apt-get"
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "prometheus, promtool and redis-server are already installed"
fi

say "installing npm packages"
npm ci --no-audit --no-fund
say "building"
npm run build

cat <<'DONE'

rollgate is ready. Try the sandbox (about 30 seconds; needs nothing but this machine):

  node bin/rollgate demo                # or: npm run demo
  node bin/rollgate demo --dir ./demo   # keep the plans and the evidence in ./demo

Put `rollgate` on PATH with: npm link
Run the tests with:          npm test
DONE
