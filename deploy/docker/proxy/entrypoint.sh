#!/bin/sh
# The proxy container's start: renders services/proxy/nginx.conf.template (the template
# `npm start` renders too) with render-config.sh, checks it with `nginx -t`, and runs nginx in the
# foreground as PID 1 (SIGQUIT stops it gracefully). Settings: see render-config.sh.
set -eu

home=/opt/berth/proxy
prefix=/var/lib/berth-proxy
conf="$prefix/nginx.conf"

mkdir -p "$prefix/logs" "$prefix/tmp"
"$home/render-config.sh" > "$conf.new"
mv "$conf.new" "$conf"
nginx -p "$prefix" -c "$conf" -e stderr -t -q
echo "berth-proxy: $conf rendered and checked; starting nginx"
exec nginx -p "$prefix" -c "$conf" -e stderr -g 'daemon off;'
