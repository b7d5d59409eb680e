#!/bin/sh
# The proxy container's start: renders services/proxy/nginx.conf.template (the template
# `npm start` renders too) with render-config.sh — which first checks the settings and, with
# HTTPS, the certificate and key (check-tls.sh) — checks the result with `nginx -t`, and runs
# nginx in the foreground as PID 1 (SIGQUIT stops it gracefully). Settings: see render-config.sh.
# A bad setting or certificate ends it with exit 2 and the reasons.
set -eu

home=/opt/berth/proxy
prefix=/var/lib/berth-proxy
conf="$prefix/nginx.conf"

mkdir -p "$prefix/logs" "$prefix/tmp"
"$home/render-config.sh" > "$conf.new"
mv "$conf.new" "$conf"
nginx -p "$prefix" -c "$conf" -e stderr -t -q

# nginx looks up the log-collector's name (its syslog server) only when it reads its config: when
# the address behind the name changes — the collector's container was recreated — it would go on
# sending its lines to the old one. So a background loop looks the name up every few seconds and
# has nginx read its config again (`nginx -s reload`, graceful) when the address changed. It runs
# beside nginx (a child of it, once nginx is PID 1) and ends with the container.
syslog_host="${BERTH_SYSLOG_HOST:-log-collector}"
addresses() { getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u | paste -sd ' ' -; }
watch_syslog_host() {
  seen=$(addresses "$syslog_host")
  while sleep "${BERTH_PROXY_WATCH_SECONDS:-5}"; do
    now=$(addresses "$syslog_host")
    if [ -n "$now" ] && [ "$now" != "$seen" ]; then
      echo "berth-proxy: $syslog_host is now at $now (was ${seen:-unknown}); reloading nginx"
      nginx -p "$prefix" -c "$conf" -e stderr -s reload && seen=$now
    fi
  done
}
case "$syslog_host" in
  *[!0-9.]*) watch_syslog_host & ;;
esac

echo "berth-proxy: $conf rendered and checked; starting nginx"
exec nginx -p "$prefix" -c "$conf" -e stderr -g 'daemon off;'
