#!/bin/bash
# Docker HEALTHCHECK of the proxy: nginx answers HTTP on its plain port (the landing page, or the
# redirect to HTTPS). bash's /dev/tcp, so the image needs no HTTP client.
exec 3<>/dev/tcp/127.0.0.1/8080 || exit 1
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || exit 1
case "$status" in
  "HTTP/1."[01]" "[23]*) exit 0 ;;
  *) echo "proxy answered: $status" >&2; exit 1 ;;
esac
