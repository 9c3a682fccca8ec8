#!/bin/sh
# Regenerates the TEST-ONLY CA and the localhost server certificate the fake Graph server uses.
# The private keys are committed on purpose: they protect nothing. Run from anywhere.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 9125 \
  -subj "/CN=touchbase test CA (never trust outside tests)" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$tmp/ca-key.pem" -out ca.pem
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
  -keyout server-key.pem -out "$tmp/server.csr"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' > "$tmp/ext.cnf"
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca-key.pem" -CAcreateserial \
  -days 9000 -sha256 -extfile "$tmp/ext.cnf" -out server.pem
rm -rf "$tmp" ca.srl
openssl verify -CAfile ca.pem server.pem
