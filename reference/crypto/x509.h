// X.509 certificates for IKEv2 signature authentication (RFC 7296 §3.6,
// RFC 4945): parsing what the CERT payload carries, checking the path from
// a peer's certificate to a configured trust anchor (RFC 5280 §6.1), and
// whether a certificate vouches for the identity of an ID payload
// (RFC 4945 §3.1).
//
// All certificates are DER. The parsing and the path checks are OpenSSL's
// libcrypto (Debian libssl-dev), private to this module: nothing here names
// it. The signature over the AUTH payload stays with signature.h, which
// takes the Certificate's subject_public_key_info as it is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/ike.h"

namespace ipsecref::crypto {

// What IKE needs of one certificate.
struct Certificate {
  Bytes der;                           // the whole Certificate, as given
  Bytes subject_dn;                    // the subject Name, DER, as encoded in `der`
  std::vector<std::string> dns_names;  // subjectAltName dNSName entries, in order
  std::vector<std::string> rfc822_names;
  std::vector<Bytes> ip_addresses;     // iPAddress entries: 4 (IPv4) or 16 (IPv6) octets
  Bytes subject_public_key_info;       // DER SubjectPublicKeyInfo (signature.h's public key)
  std::string subject_text;            // the subject as RFC 4514 text, e.g. "CN=a,O=b"
};

// Parses a DER Certificate (RFC 5280 §4.1). Errors, all kBadFile but the
// last: a Certificate that does not decode (rfc5280#section-4.1); one that
// is not DER, with the offset of the offending TLV (a SEQUENCE or SET in
// the primitive form, an indefinite or non-minimal length); a
// subjectAltName that is malformed, repeated or holds an iPAddress of
// another length than 4 or 16 (rfc5280#section-4.2.1.6); kTrailingBytes
// with the offset of the first octet after the Certificate.
Result<Certificate> ParseCertificate(ByteSpan der);

// Checks the path from `end_entity`, through any of `intermediates` (in any
// order, unused ones ignored), to one of `trust_anchors` (RFC 5280 §6.1):
// every signature, every validity period at `now` (seconds since the epoch,
// the caller's clock), basicConstraints cA, pathLenConstraint and keyCertSign
// on every issuer, critical extensions understood, and the end entity's
// keyUsage fit for signing the AUTH payload when present (RFC 4945
// §5.1.3.2). A trust anchor ends the path where it appears (it need not be
// self-signed), so a pinned certificate is an anchor of its own.
// Errors: kBadFile for a certificate that does not parse (which one: "the
// end-entity certificate", "intermediate certificate 2", "trust anchor 0");
// kAuthenticationFailed for a path that does not hold, naming the
// certificate (its depth, 0 the end entity, and subject), the check that
// failed and its RFC 5280 section; kInvalidArgument without trust anchors.
Status VerifyChain(ByteSpan end_entity, std::span<const Bytes> intermediates,
                   std::span<const Bytes> trust_anchors, int64_t now);

// Whether `c` vouches for the identity in an ID payload (RFC 7296 §3.5,
// RFC 4945 §3.1): ID_FQDN matches a dNSName, ID_RFC822_ADDR an rfc822Name,
// ID_IPV4_ADDR / ID_IPV6_ADDR an iPAddress of that family, ID_DER_ASN1_DN
// the subject Name byte for byte. Other types (ID_KEY_ID, ID_DER_ASN1_GN,
// ...) never match.
bool CertificateMatchesId(const Certificate& c, iana::IdType type, ByteSpan identification_data);

// Files as strongSwan's swanctl directory holds them (x509/, x509ca/,
// private/, ecdsa/, rsa/, pkcs8/, pubkey/: "either DER or PEM encoded",
// docs.strongswan.org, swanctl Directory).

// The key types signature.h signs with.
enum class KeyType : uint8_t { kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

struct PrivateKey {
  Bytes pkcs8;                     // PKCS#8 PrivateKeyInfo DER (signature.h's private key)
  KeyType type;
  Bytes subject_public_key_info;   // its public key, DER, to match certificates
};

// Reads an unencrypted private key: PEM ("PRIVATE KEY" PKCS#8, "EC PRIVATE
// KEY" SEC1 as `pki --gen --type ecdsa --outform pem` writes it, "RSA
// PRIVATE KEY" PKCS#1 as `pki --gen --type rsa`) or the same in DER, and
// gives it as PKCS#8. Errors: kBadFile for anything else (an encrypted key,
// another key type or curve, bytes that are no key).
Result<PrivateKey> ReadPrivateKey(ByteSpan pem_or_der);

// A certificate file (PEM "CERTIFICATE" or DER) as DER; the first of a PEM
// file. kBadFile when it is neither.
Result<Bytes> CertificateToDer(ByteSpan pem_or_der);

// A public key file (PEM "PUBLIC KEY" or DER SubjectPublicKeyInfo) as DER
// SubjectPublicKeyInfo. kBadFile when it is neither.
Result<Bytes> PublicKeyToDer(ByteSpan pem_or_der);

// A Distinguished Name written as strongSwan writes one
// ("C=CH, O=strongSwan, CN=moon.strongswan.org": RDNs in encoding order,
// separated by "," or "/", "\," for a comma in a value; attribute names
// C, ST, L, O, OU, CN, DC, UID, serialNumber, E or emailAddress) as the DER
// Name, as strongSwan encodes it: a value of PrintableString's characters
// as PrintableString, any other as UTF8String (`openssl req` writes
// UTF8String for all but C: compare such names with SameDistinguishedName).
// kInvalidArgument, naming the RDN, for
// an unknown attribute, an RDN without "=" or an empty DN.
Result<Bytes> EncodeDistinguishedName(std::string_view text);

// Whether two DER Names are the same name by RFC 5280 §7.1's comparison
// (libcrypto's canonical form: string types, case and repeated blanks do
// not matter); false when either does not decode.
bool SameDistinguishedName(ByteSpan a, ByteSpan b);

}  // namespace ipsecref::crypto
