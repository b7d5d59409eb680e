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
#   BERTH_TLS, BERTH_TLS_CERT, BERTH_TLS_KEY   HTTPS on port 8443 (docs/configuration.md):
#                             `self-signed` serves $BERTH_DATA_DIR/secrets/tls/server.crt and .key
#                             (made by the prepare step); the operator's own files are read where
#                             the compose file mounts them, BERTH_PROXY_TLS_CERT and
#                             BERTH_PROXY_TLS_KEY (default: BERTH_TLS_CERT and BERTH_TLS_KEY), and
#                             checked first (check-tls.sh)
#   BERTH_HTTPS_PORT          the HTTPS port clients reach, which the redirect from HTTP names
#                             (default 8443)
#   BERTH_TLS_HSTS_MAX_AGE    Strict-Transport-Security max-age in seconds (default 0: none)
#   BERTH_EXTERNAL_URL        its host is one the certificate should name (a warning when not)
#   BERTH_DATA_DIR            where the secrets volume is mounted, under secrets/ (default /data)
# and, for tests, BERTH_PROXY_HOME (template, renderer, html/), BERTH_PROXY_PREFIX (nginx's
# prefix), BERTH_PROXY_LISTEN and BERTH_PROXY_LISTEN_TLS.
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

# HTTPS: the same settings, and the same checks, as @berth/tls and deploy/local.
number() { printf '%s' "$2" | grep -Eq '^[0-9]{1,9}$' && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || fail "$1: \"$2\" is not a whole number from $3 to $4"; }
https_port="${BERTH_HTTPS_PORT:-8443}"
number BERTH_HTTPS_PORT "$https_port" 1 65535
hsts="${BERTH_TLS_HSTS_MAX_AGE:-0}"
number BERTH_TLS_HSTS_MAX_AGE "$hsts" 0 63072000
cert="${BERTH_TLS_CERT:-}"
key="${BERTH_TLS_KEY:-}"
tls=off
case "${BERTH_TLS:-}" in
  "") ;;
  self-signed)
    [ -z "$cert$key" ] || fail "BERTH_TLS: \"self-signed\" and BERTH_TLS_CERT/BERTH_TLS_KEY are both set; choose one (a generated certificate, or yours)"
    tls=on
    cert_file="${BERTH_DATA_DIR:-/data}/secrets/tls/server.crt"
    key_file="${BERTH_DATA_DIR:-/data}/secrets/tls/server.key"
    cert_name="the generated certificate ($cert_file)"
    key_name="its key ($key_file)"
    ;;
  *) fail "BERTH_TLS: must be \"self-signed\" (or unset: HTTPS from BERTH_TLS_CERT and BERTH_TLS_KEY, or none)" ;;
esac
if [ -n "$cert$key" ]; then
  [ -n "$key" ] || fail "BERTH_TLS_KEY: required with BERTH_TLS_CERT (the certificate's private key, PEM)"
  [ -n "$cert" ] || fail "BERTH_TLS_CERT: required with BERTH_TLS_KEY (the certificate, PEM, with its chain after it)"
  tls=on
  cert_file="${BERTH_PROXY_TLS_CERT:-$cert}"
  key_file="${BERTH_PROXY_TLS_KEY:-$key}"
  cert_name="BERTH_TLS_CERT ($cert)"
  key_name="BERTH_TLS_KEY ($key)"
fi
names="USER_DIRECTIVE PREFIX HTML_ROOT LISTEN UPSTREAM_REGISTRY UPSTREAM_CORE UPSTREAM_JOBSERVICE STATIC_UPSTREAMS DNS_UPSTREAMS SYSLOG_HOST SYSLOG_PORT BLOB_ROOT REAL_IP HSTS TLS"
export BERTH_TPL_TLS="$tls" BERTH_TPL_HSTS=""
[ "$tls" = off ] || [ "$hsts" = 0 ] || BERTH_TPL_HSTS="max-age=$hsts"
if [ "$tls" = on ]; then
  external_host=$(printf '%s' "${BERTH_EXTERNAL_URL:-}" | sed -e 's#^[a-z]*://##' -e 's#[/?].*$##' -e 's#^\[\(.*\)\].*$#\1#' -e 's#^\([^:]*\):[0-9]*$#\1#')
  # Its warnings on stderr: stdout is the config.
  sh "$home/check-tls.sh" "$cert_file" "$key_file" "$cert_name" "$key_name" "$external_host" >&2 || exit 2
  export BERTH_TPL_LISTEN_TLS="${BERTH_PROXY_LISTEN_TLS:-0.0.0.0:8443}" BERTH_TPL_TLS_CERT="$cert_file" BERTH_TPL_TLS_KEY="$key_file"
  BERTH_TPL_REDIRECT_PORT=":$https_port"
  [ "$https_port" != 443 ] || BERTH_TPL_REDIRECT_PORT=""
  export BERTH_TPL_REDIRECT_PORT
  names="$names LISTEN_TLS TLS_CERT TLS_KEY REDIRECT_PORT"
fi

resolver="${BERTH_PROXY_RESOLVER-127.0.0.11}"
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
