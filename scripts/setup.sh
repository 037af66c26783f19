#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for rollgate: everything the demo and the whole test
# suite need, then says what to run.
#
#   bash scripts/setup.sh
#
# - installs from the distribution what is not on PATH (as root, or through sudo):
#   prometheus + promtool, redis-server, redis-sentinel, prometheus-pushgateway,
#   prometheus-alertmanager (sla audit --pushgateway, serve), chromium + fonts-liberation (the
#   HTML report test renders the page), tmux (the `init` test types into a real terminal), zsh and
#   fish (the completion tests load `rollgate completion zsh|fish` in the real shells);
# - installs the npm packages (`npm ci`) and builds (`npm run build`).
# Node.js 20.19+ and npm must already be installed (https://nodejs.org or your distribution).
# Debian would start the packaged Prometheus, Redis, Pushgateway and Alertmanager services on
# install; rollgate's demo and tests start their own on free loopback ports, so a policy-rc.d
# keeps the packaged ones off during the install (only when none is there already).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "setup: $*"; }
die() { printf '%s\n' "setup: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH: install Node.js 20.19 or newer first (https://nodejs.org)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH: install Node.js 20.19 or newer (it comes with npm)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old: rollgate needs 20.19 or newer"

# program on PATH → Debian package(s) that provide it
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("${@:2}"); }
need prometheus prometheus
need promtool prometheus
need redis-server redis-server
need redis-sentinel redis-sentinel
need prometheus-pushgateway prometheus-pushgateway
need prometheus-alertmanager prometheus-alertmanager
need chromium chromium fonts-liberation
need tmux tmux
need zsh zsh
need fish fish
need openssl openssl   # certificates for the rediss:// (TLS) state store test
# one package may provide two programs (prometheus + promtool): list it once
if [ "${#missing[@]}" -gt 0 ]; then mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++'); fi

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
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # exit 101 = "action not allowed": invoke-rc.d then starts none of the packaged services.
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${as_root[@]}" chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
  if [ -n "$own_policy" ]; then "${as_root[@]}" rm -f /usr/sbin/policy-rc.d; fi
  [ "$status" -eq 0 ] || die "apt-get install failed (exit $status)"
else
  say "prometheus, promtool, redis-server, redis-sentinel, pushgateway, alertmanager, chromium, tmux, zsh and fish are already installed"
fi

say "installing npm packages"
npm ci --no-audit --no-fund
say "building"
npm run build

cat <<'DONE'

rollgate is ready. Try the sandbox (about 30 seconds; needs nothing but this machine):

  node bin/rollgate demo                # or: npm run demo
  node bin/rollgate demo --dir ./demo   # keep the plans and the evidence in ./demo

Start a plan for your own service:   node bin/rollgate init
Put `rollgate` on PATH with:         npm link
Run the tests with:                  npm test
DONE
