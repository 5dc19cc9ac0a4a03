#!/bin/sh
# Derives the swanctl directory of the swanctl.conf reader's tests
# (reference/gateway/swanctl_conf_test.cc) from vectors/x509 with the
# `openssl` command line: the same certificates and keys in the file formats
# a strongSwan swanctl directory holds (PROVENANCE.md). Run from anywhere.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
X509=$HERE/../x509
D=$HERE/swanctl
mkdir -p "$D/x509" "$D/x509ca" "$D/ecdsa" "$D/rsa" "$D/pkcs8" "$D/private" "$D/pubkey"
for f in ee-p256 ee-rsa-pkcs1 ee-p384; do
  openssl x509 -inform DER -in "$X509/$f.der" -outform PEM -out "$D/x509/$f.pem"
done
for f in int-p256 int-rsa-pkcs1 ca-p256; do
  openssl x509 -inform DER -in "$X509/$f.der" -outform PEM -out "$D/x509ca/$f.pem"
done
# SEC1 "EC PRIVATE KEY" PEM, as `pki --gen --type ecdsa --outform pem` writes
openssl ec -inform DER -in "$X509/ee-p256.key.der" -outform PEM -out "$D/ecdsa/ee-p256.pem" 2>/dev/null
# PKCS#1 "RSA PRIVATE KEY" PEM, as `pki --gen --type rsa --outform pem` writes
openssl rsa -inform DER -in "$X509/ee-rsa-pkcs1.key.der" -traditional -outform PEM -out "$D/rsa/ee-rsa-pkcs1.pem" 2>/dev/null
# SEC1 DER and PKCS#8 PEM/DER
openssl ec -inform DER -in "$X509/ee-p384.key.der" -outform DER -out "$D/private/ee-p384.sec1.der" 2>/dev/null
openssl pkey -inform DER -in "$X509/ee-p384.key.der" -outform PEM -out "$D/pkcs8/ee-p384.pem"
cp "$X509/ee-p256.key.der" "$D/pkcs8/ee-p256.der"
# a raw public key (pubkey/)
openssl pkey -inform DER -in "$X509/ee-rsa-pkcs1.key.der" -pubout -outform PEM -out "$D/pubkey/ee-rsa-pkcs1.pem"
# Made by strongSwan's own `pki` (Debian strongswan-pki 5.9.8), NOT derived
# from vectors/x509; kept as committed (a rerun makes new keys):
#   pki --gen --type ecdsa --size 256 --outform pem > ecdsa/pki-p256.pem
#   pki --gen --type rsa --size 2048 --outform pem > rsa/pki-rsa.pem
#   pki --self --in ecdsa/pki-p256.pem --type priv --dn "C=CH, O=ipsecref, CN=pki-p256.ipsecref.test" \
#       --san pki-p256.ipsecref.test --lifetime 36500 --outform pem > x509/pki-p256.pem
#   pki --self --in rsa/pki-rsa.pem --type priv --dn "C=CH, O=ipsecref, CN=pki-rsa.ipsecref.test" \
#       --san pki-rsa.ipsecref.test --lifetime 36500 --outform pem > x509/pki-rsa.pem
