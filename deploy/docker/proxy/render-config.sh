#!/bin/sh
# Writes the proxy's nginx.conf to stdout: services/proxy/nginx.conf.template rendered by
# render-template.awk from the container's settings, with the same values deploy/local's
# renderProxyConfig computes for `npm start` (a unit test renders both and compares).
#
# Settings (the compose file sets them; the defaults fit it):
#   BERTH_REGISTRY_URL, BERTH_CORE_URL, BERTH_JOBSERVICE_URL   http://host:port of each service
#   BERTH_PROXY_RESOLVER      DNS server for those names, looked up at request time so replicas
#                             are noticed (default 127.0.0.11, Docker's); empty: addresses fixed
#                             at start, with keep-alive connections
#   BERTH_SYSLOG_HOST, BERTH_SYSLOG_PORT                        the log-collector's syslog (UDP)
#   BERTH_STORAGE_FILESYSTEM_ROOT                               where the blob volume is mounted
#   BERTH_TRUSTED_PROXIES     proxies in front whose X-Forwarded-For is believed (CIDRs)
# and, for tests, BERTH_PROXY_HOME (template, renderer, html/), BERTH_PROXY_PREFIX (nginx's
# prefix) and BERTH_PROXY_LISTEN.
set -eu

home="${BERTH_PROXY_HOME:-/opt/berth/proxy}"
prefix="${BERTH_PROXY_PREFIX:-/var/lib/berth-proxy}"

fail() { echo "berth-proxy: $*" >&2; exit 2; }
# http://host:port/… → host:port
address() { printf '%s' "$1" | sed -e 's#^[a-z]*://##' -e 's#/.*$##'; }

# deploy/local's realIpDirectives, for BERTH_TRUSTED_PROXIES (commas or spaces between entries).
real_ip=""
for entry in $(printf '%s' "${BERTH_TRUSTED_PROXIES:-}" | tr ',' ' '); do
  printf '%s' "$entry" | grep -Eq '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$' \
    || fail "BERTH_TRUSTED_PROXIES: \"$entry\" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)"
  real_ip="$real_ip    set_real_ip_from $entry;
"
done
if [ -z "$real_ip" ]; then
  real_ip="    # (no trusted proxies: BERTH_TRUSTED_PROXIES is empty)"
else
  real_ip="$real_ip    real_ip_header X-Forwarded-For;
    real_ip_recursive on;"
fi

resolver="${BERTH_PROXY_RESOLVER-127.0.0.11}"
names="USER_DIRECTIVE PREFIX HTML_ROOT LISTEN UPSTREAM_REGISTRY UPSTREAM_CORE UPSTREAM_JOBSERVICE STATIC_UPSTREAMS DNS_UPSTREAMS SYSLOG_HOST SYSLOG_PORT BLOB_ROOT REAL_IP"
if [ -n "$resolver" ]; then
  export BERTH_TPL_STATIC_UPSTREAMS=off BERTH_TPL_DNS_UPSTREAMS=on BERTH_TPL_RESOLVER="$resolver"
  names="$names RESOLVER"
else
  export BERTH_TPL_STATIC_UPSTREAMS=on BERTH_TPL_DNS_UPSTREAMS=off
fi
export BERTH_TPL_USER_DIRECTIVE=""
export BERTH_TPL_PREFIX="$prefix"
export BERTH_TPL_HTML_ROOT="$home/html"
export BERTH_TPL_LISTEN="${BERTH_PROXY_LISTEN:-0.0.0.0:8080}"
BERTH_TPL_UPSTREAM_REGISTRY=$(address "${BERTH_REGISTRY_URL:-http://registry:8080}")
BERTH_TPL_UPSTREAM_CORE=$(address "${BERTH_CORE_URL:-http://core:8080}")
BERTH_TPL_UPSTREAM_JOBSERVICE=$(address "${BERTH_JOBSERVICE_URL:-http://jobservice:8080}")
export BERTH_TPL_UPSTREAM_REGISTRY BERTH_TPL_UPSTREAM_CORE BERTH_TPL_UPSTREAM_JOBSERVICE
export BERTH_TPL_SYSLOG_HOST="${BERTH_SYSLOG_HOST:-log-collector}"
export BERTH_TPL_SYSLOG_PORT="${BERTH_SYSLOG_PORT:-1514}"
export BERTH_TPL_BLOB_ROOT="${BERTH_STORAGE_FILESYSTEM_ROOT:-/data/registry}"
export BERTH_TPL_REAL_IP="$real_ip"

exec awk -v names="$names" -f "$home/render-template.awk" "$home/nginx.conf.template"
