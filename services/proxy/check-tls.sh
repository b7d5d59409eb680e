#!/bin/sh
# Checks the certificate and key nginx is about to serve (BERTH_TLS_CERT, BERTH_TLS_KEY): both
# files readable by this user; the certificate file PEM, the server's own certificate first and
# then its chain, each of them valid now; the key PEM, not encrypted (nginx cannot ask for a
# passphrase), and the one of the first certificate. The proxy image's entrypoint runs it at every
# start, and so does `npm start` (deploy/local), so both deployments refuse the same files with
# the same words.
#
#   check-tls.sh CERT KEY [CERT_NAME KEY_NAME [HOST]]
#
# CERT_NAME and KEY_NAME are how the files are named in messages (default: their paths). HOST
# (the external URL's) is one the certificate should name. Problems go to stderr, one line each,
# and make it exit 2; warnings (a certificate that ends within 30 days, a HOST it does not name)
# go to stdout and do not. Needs openssl and GNU date.
set -u

cert=$1 key=$2 cert_name=${3:-$1} key_name=${4:-$2} host=${5:-}
bad=0
problem() { printf '%s: %s\n' "$1" "$2" >&2; bad=1; }
warning() { printf 'warning: %s: %s\n' "$1" "$2"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# FILE NAME: whether FILE is a file this user can read (a problem is reported when not).
readable() {
  if [ ! -e "$1" ]; then problem "$2" "no such file"
  elif [ -d "$1" ]; then problem "$2" "is a directory, not a file"
  elif ! head -c 1 "$1" >/dev/null 2>&1; then problem "$2" "cannot be read by uid $(id -u) (permission denied): make it readable by that user"
  elif [ ! -s "$1" ]; then problem "$2" "is empty"
  else return 0
  fi
  return 1
}

leaf_ok=0
if readable "$cert" "$cert_name"; then
  # One file per certificate: cert1.pem (the server's), cert2.pem … (its chain).
  awk -v dir="$work" '
    /^-----BEGIN CERTIFICATE-----/ { n++; inside = 1 }
    inside { print > (dir "/cert" n ".pem") }
    /^-----END CERTIFICATE-----/ { inside = 0 }
    END { print n + 0 > (dir "/count") }' "$cert"
  count=$(cat "$work/count")
  [ "$count" -gt 0 ] || problem "$cert_name" "holds no PEM certificate (a block starting with -----BEGIN CERTIFICATE-----)"
  now=$(date +%s)
  i=1
  while [ "$i" -le "$count" ]; do
    f="$work/cert$i.pem"
    if [ "$i" = 1 ]; then which="the certificate"; else which="certificate $i in the file (its chain)"; fi
    if ! openssl x509 -in "$f" -noout 2>/dev/null; then
      problem "$cert_name" "$which is not a readable X.509 certificate"
    else
      [ "$i" = 1 ] && leaf_ok=1
      subject=$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
      ends=$(openssl x509 -in "$f" -noout -enddate | sed 's/^notAfter=//')
      starts=$(openssl x509 -in "$f" -noout -startdate | sed 's/^notBefore=//')
      if ! openssl x509 -in "$f" -noout -checkend 0 >/dev/null; then
        problem "$cert_name" "$which ($subject) expired on $ends"
      elif [ "$(date -d "$starts" +%s)" -gt "$now" ]; then
        problem "$cert_name" "$which ($subject) is not valid before $starts (is this machine's clock right?)"
      else
        openssl x509 -in "$f" -noout -checkend 2592000 >/dev/null || warning "$cert_name" "$which ($subject) expires on $ends, in less than 30 days"
      fi
    fi
    i=$((i + 1))
  done
fi

key_ok=0
if readable "$key" "$key_name"; then
  if grep -q 'ENCRYPTED' "$key"; then
    problem "$key_name" "is encrypted, and nginx cannot ask for its passphrase: store it decrypted (openssl pkey -in KEY -out KEY.plain), readable only by the server"
  elif ! openssl pkey -in "$key" -noout -passin pass: 2>/dev/null; then
    problem "$key_name" "holds no PEM private key (a block starting with -----BEGIN PRIVATE KEY-----, or RSA/EC PRIVATE KEY)"
  else
    key_ok=1
  fi
fi

if [ "$leaf_ok" = 1 ] && [ "$key_ok" = 1 ]; then
  if [ "$(openssl x509 -in "$work/cert1.pem" -noout -pubkey)" != "$(openssl pkey -in "$key" -pubout -passin pass:)" ]; then
    problem "$key_name" "does not belong to the certificate in $cert_name (the first certificate in that file must be the server's own, then its chain)"
  elif [ -n "$host" ]; then
    case "$host" in
      *:*) check="-checkip" ;;
      *[!0-9.]*) check="-checkhost" ;;
      *) check="-checkip" ;;
    esac
    openssl x509 -in "$work/cert1.pem" -noout "$check" "$host" | grep -q ' does match ' \
      || warning "$cert_name" "the certificate does not name $host, the external URL's host: clients that connect by that name refuse it"
  fi
fi

[ "$bad" = 0 ] || exit 2
exit 0
