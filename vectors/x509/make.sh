#!/usr/bin/env bash
# Writes the X.509 test certificates of vectors/x509/ with the openssl command
# line (OpenSSL 3.0, Debian 12 package `openssl`). The files are committed;
# tests never run this script. Run it from anywhere:
#   vectors/x509/make.sh
# New keys and new ECDSA/PSS signatures come out on every run, so the
# committed files change; their tests do not (they read the companion files
# written here by openssl, never values computed by ipsecref).
#
# Per signature family F (rsa-pkcs1, rsa-pss, p256, p384, p521, ed25519):
#   ca-F.der      self-signed root CA (basicConstraints CA, keyCertSign)
#   int-F.der     intermediate CA issued by ca-F (pathLenConstraint 0)
#   ee-F.der      end entity issued by int-F (digitalSignature, SANs)
#   ee-F.key.der  the end entity's private key, PKCS#8 DER
# Negative cases, all in the p256 family:
#   ee-expired.der          validity 2025-01-01 .. 2026-01-01
#   ee-not-yet-valid.der    validity 2120-01-01 .. 2125-01-01
#   ee-wrong-issuer.der     issued by other-ca.der, a root the tests do not trust
#   ee-bad-signature.der    names int-p256 as issuer but is signed by another
#                           key (and has no authorityKeyIdentifier)
#   ee-non-ca-issuer.der    issued by ee-p256 (an end entity, CA:FALSE)
#   ee-key-encipherment.der keyUsage keyEncipherment only (no digitalSignature)
# and cases that are not path failures:
#   ee-non-repudiation.der  keyUsage nonRepudiation only (fit for IKE, RFC 4945)
#   ee-without-key-usage.der no keyUsage at all (fit for IKE)
#   ee-ip-address-5-octets.der    a subjectAltName iPAddress of 5 octets
# And for every certificate NAME.der, as openssl sees it:
#   NAME.txt          `openssl x509 -noout -text -nameopt RFC2253`
#   NAME.subject.txt  the subject (RFC 2253) and subjectAltName lines
#   NAME.subject.der  the subject Name's DER, cut out of the certificate at
#                     the offsets `openssl asn1parse` gives
#   NAME.spki.der     the SubjectPublicKeyInfo, `openssl pkey -pubin -outform DER`
#
# Every valid certificate is valid from 2025-01-01 to 2125-01-01 (tests pass
# `now` explicitly, e.g. 2030-01-01 = 1893456000).
set -euo pipefail

OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

START=20250101000000Z
END=21250101000000Z
SERIAL=4096

cat >openssl.cnf <<'EOF'
[ca]
default_ca = testca
[testca]
dir = .
database = ./index.txt
new_certs_dir = ./issued
serial = ./serial
policy = policy_anything
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_anything]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[root_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[end_entity]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${ENV::SAN}
[end_entity_without_authority_key_identifier]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = none
subjectAltName = ${ENV::SAN}
[end_entity_key_encipherment]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${ENV::SAN}
[end_entity_non_repudiation]
basicConstraints = critical, CA:FALSE
keyUsage = critical, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${ENV::SAN}
[end_entity_without_key_usage]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${ENV::SAN}
# subjectAltName as raw DER: GeneralNames { iPAddress C0 00 02 01 FF }, five
# octets where RFC 5280 §4.2.1.6 allows four or sixteen.
[end_entity_ip_address_5_octets]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
2.5.29.17 = DER:30078705C0000201FF
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused
EOF
touch index.txt
mkdir issued
export SAN="DNS:unused.invalid"

# key FAMILY NAME: a new private key for FAMILY in NAME.key.pem.
key() {
  case $1 in
    rsa-pkcs1|rsa-pss) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2.key.pem" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$2.key.pem" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$2.key.pem" ;;
    p521) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve -out "$2.key.pem" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2.key.pem" ;;
  esac
}

# sign_options FAMILY: the `openssl ca` options that choose the signature
# algorithm of certificates signed with a FAMILY key.
sign_options() {
  case $1 in
    rsa-pkcs1|p256) echo "-md sha256" ;;
    rsa-pss) echo "-md sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" ;;
    p384) echo "-md sha384" ;;
    p521) echo "-md sha512" ;;
    ed25519) echo "-md default" ;;
  esac
}

# issue NAME SUBJECT EXTENSIONS ISSUER FAMILY [START END]: NAME.pem for the
# key NAME.key.pem, signed by ISSUER (NAME itself for a root) with a FAMILY
# signature.
issue() {
  local name=$1 subject=$2 extensions=$3 issuer=$4 family=$5 start=${6:-$START} end=${7:-$END}
  openssl req -new -key "$name.key.pem" -subj "$subject" -config openssl.cnf -out "$name.csr"
  printf '%X\n' "$SERIAL" >serial
  SERIAL=$((SERIAL + 1))
  local self=()
  [ "$issuer" = "$name" ] && self=(-selfsign)
  # shellcheck disable=SC2046
  openssl ca -batch -config openssl.cnf -notext -preserveDN -utf8 "${self[@]}" \
    -in "$name.csr" -cert "$issuer.pem" -keyfile "$issuer.key.pem" \
    -extensions "$extensions" -startdate "$start" -enddate "$end" \
    $(sign_options "$family") -out "$name.pem" 2>ca.log || { cat ca.log >&2; exit 1; }
}

# A self-signed root needs its own certificate as -cert; `openssl ca
# -selfsign` ignores it but opens it, so a placeholder stands in.
root() {
  local name=$1 subject=$2 family=$3
  key "$family" "$name"
  openssl req -new -x509 -key "$name.key.pem" -subj "$subject" -config openssl.cnf -days 1 -out "$name.pem"
  issue "$name" "$subject" root_ca "$name" "$family"
}

DN="/O=ipsecref/OU=vectors"
n=0
for family in rsa-pkcs1 rsa-pss p256 p384 p521 ed25519; do
  n=$((n + 1))
  root "ca-$family" "$DN/CN=ipsecref test root CA $family" "$family"
  key "$family" "int-$family"
  issue "int-$family" "$DN/CN=ipsecref test intermediate CA $family" intermediate_ca "ca-$family" "$family"
  key "$family" "ee-$family"
  SAN="DNS:ee-$family.ipsecref.test, DNS:*.ee-$family.ipsecref.test, email:ee-$family@ipsecref.test, IP:192.0.2.$n, IP:2001:db8::$n"
  issue "ee-$family" "$DN/CN=ee-$family.ipsecref.test" end_entity "int-$family" "$family"
done

# Negative cases (p256 family).
n=100
negative() {
  local name=$1 extensions=$2 issuer=$3; shift 3
  n=$((n + 1))
  key p256 "$name"
  SAN="DNS:$name.ipsecref.test, email:$name@ipsecref.test, IP:192.0.2.$n, IP:2001:db8::$n"
  issue "$name" "$DN/CN=$name.ipsecref.test" "$extensions" "$issuer" p256 "$@"
}
negative ee-expired end_entity int-p256 20250101000000Z 20260101000000Z
negative ee-not-yet-valid end_entity int-p256 21200101000000Z 21250101000000Z
root other-ca "$DN/CN=ipsecref test other root CA" p256
negative ee-wrong-issuer end_entity other-ca
# An impostor with int-p256's subject but a key of its own.
key p256 impostor-int-p256
issue impostor-int-p256 "$DN/CN=ipsecref test intermediate CA p256" intermediate_ca ca-p256 p256
# Without an authorityKeyIdentifier, which would tell the impostor's key
# from int-p256's before any signature is checked (RFC 5280 §4.2.1.1).
negative ee-bad-signature end_entity_without_authority_key_identifier impostor-int-p256
negative ee-non-ca-issuer end_entity ee-p256
negative ee-key-encipherment end_entity_key_encipherment int-p256
negative ee-non-repudiation end_entity_non_repudiation int-p256
negative ee-without-key-usage end_entity_without_key_usage int-p256
negative ee-ip-address-5-octets end_entity_ip_address_5_octets int-p256

# The files, and what openssl reads in them.
for pem in *.pem; do
  name=${pem%.pem}
  case $name in *.key|impostor-*) continue ;; esac
  openssl x509 -in "$pem" -outform DER -out "$OUT/$name.der"
  openssl x509 -in "$pem" -noout -text -nameopt RFC2253 >"$OUT/$name.txt"
  { openssl x509 -in "$pem" -noout -subject -nameopt RFC2253
    openssl x509 -in "$pem" -noout -ext subjectAltName 2>/dev/null || true
  } >"$OUT/$name.subject.txt"
  openssl x509 -in "$pem" -noout -pubkey | openssl pkey -pubin -outform DER -out "$OUT/$name.spki.der"
  # The subject is the sixth element of tbsCertificate (RFC 5280 §4.1:
  # version, serialNumber, signature, issuer, validity, subject): the sixth
  # line at depth 2 of asn1parse, "OFFSET:d=2  hl=H l= L cons: SEQUENCE".
  read -r offset header length < <(openssl asn1parse -in "$OUT/$name.der" -inform DER |
    awk '/d=2/ { if (++k == 6) { split($0, a, ":"); o = a[1] + 0;
                 match($0, /hl= *[0-9]+/); h = substr($0, RSTART + 3) + 0;
                 match($0, / l= *[0-9]+/); l = substr($0, RSTART + 3) + 0;
                 print o, h, l } }')
  tail -c +$((offset + 1)) "$OUT/$name.der" | head -c $((header + length)) >"$OUT/$name.subject.der"
done
for name in ee-rsa-pkcs1 ee-rsa-pss ee-p256 ee-p384 ee-p521 ee-ed25519; do
  openssl pkcs8 -topk8 -nocrypt -in "$name.key.pem" -outform DER -out "$OUT/$name.key.der"
done

# openssl's own verdicts on the chains the tests check, at 2030-01-01
# (1893456000), in verify.txt: the known answers of VerifyChain.
verify() {
  local ee=$1 intermediate=$2 ca=$3
  printf '%s: ' "$ee"
  openssl verify -attime 1893456000 -CAfile "$ca.pem" -untrusted "$intermediate.pem" \
    "$ee.pem" 2>&1 | grep -E '^error .* depth lookup|: OK$' | sed "s|^$ee.pem: ||; s|^error [0-9]* at \([0-9]*\) depth lookup: |depth \1: |" || true
}
{
  for family in rsa-pkcs1 rsa-pss p256 p384 p521 ed25519; do
    verify "ee-$family" "int-$family" "ca-$family"
  done
  for name in ee-expired ee-not-yet-valid ee-wrong-issuer ee-bad-signature ee-key-encipherment \
              ee-non-repudiation ee-without-key-usage ee-ip-address-5-octets; do
    verify "$name" int-p256 ca-p256
  done
  cat int-p256.pem ee-p256.pem >int-and-ee-p256.pem
  verify ee-non-ca-issuer int-and-ee-p256 ca-p256
} >"$OUT/verify.txt"
# The seed corpus of fuzz/x509_fuzzer.cc: every certificate, and three that
# are not quite one (a BER length, a trailing octet, a truncation).
CORPUS=$OUT/../../fuzz/corpus/x509
rm -rf "$CORPUS"
mkdir -p "$CORPUS"
for der in "$OUT"/*.der; do
  case $der in *.subject.der|*.spki.der|*.key.der) continue ;; esac
  cp "$der" "$CORPUS/"
done
{ printf '\x30\x83\x00'; tail -c +3 "$OUT/ee-p256.der"; } >"$CORPUS/ber-long-length-ee-p256.der"
{ cat "$OUT/ee-p256.der"; printf '\x00'; } >"$CORPUS/trailing-octet-ee-p256.der"
head -c 300 "$OUT/ee-p256.der" >"$CORPUS/truncated-ee-p256.der"

echo "make.sh: wrote $(ls "$OUT"/*.der | wc -l) DER files to $OUT"
