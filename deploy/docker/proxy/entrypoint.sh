#!/bin/sh
# The proxy container's start: renders services/proxy/nginx.conf.template (the same template
# `npm start` renders) from the container's settings, checks it with `nginx -t`, and runs nginx
# in the foreground as PID 1 (SIGQUIT stops it gracefully).
#
# Settings (the compose file sets them; defaults fit it):
#   BERTH_REGISTRY_URL, BERTH_CORE_URL, BERTH_JOBSERVICE_URL   http://host:port of each service
#   BERTH_SYSLOG_HOST, BERTH_SYSLOG_PORT                        the log-collector's syslog (UDP)
#   BERTH_STORAGE_FILESYSTEM_ROOT                               where the blob volume is mounted
set -eu

home=/opt/berth/proxy
prefix=/var/lib/berth-proxy
conf="$prefix/nginx.conf"

# http://host:port → host:port
address() { printf '%s' "$1" | sed -e 's#^[a-z]*://##' -e 's#/.*$##'; }

export BERTH_TPL_USER_DIRECTIVE=""
export BERTH_TPL_PREFIX="$prefix"
export BERTH_TPL_HTML_ROOT="$home/html"
export BERTH_TPL_LISTEN="0.0.0.0:8080"
export BERTH_TPL_UPSTREAM_REGISTRY="$(address "${BERTH_REGISTRY_URL:-http://registry:8080}")"
export BERTH_TPL_UPSTREAM_CORE="$(address "${BERTH_CORE_URL:-http://core:8080}")"
export BERTH_TPL_UPSTREAM_JOBSERVICE="$(address "${BERTH_JOBSERVICE_URL:-http://jobservice:8080}")"
export BERTH_TPL_SYSLOG_HOST="${BERTH_SYSLOG_HOST:-log-collector}"
export BERTH_TPL_SYSLOG_PORT="${BERTH_SYSLOG_PORT:-1514}"
export BERTH_TPL_BLOB_ROOT="${BERTH_STORAGE_FILESYSTEM_ROOT:-/data/registry}"
names="USER_DIRECTIVE PREFIX HTML_ROOT LISTEN UPSTREAM_REGISTRY UPSTREAM_CORE UPSTREAM_JOBSERVICE SYSLOG_HOST SYSLOG_PORT BLOB_ROOT"

mkdir -p "$prefix/logs" "$prefix/tmp"
awk -v names="$names" -f "$home/render-template.awk" "$home/nginx.conf.template" > "$conf.new"
mv "$conf.new" "$conf"
nginx -p "$prefix" -c "$conf" -e stderr -t -q
echo "berth-proxy: nginx.conf rendered and checked; starting nginx"
exec nginx -p "$prefix" -c "$conf" -e stderr -g 'daemon off;'
