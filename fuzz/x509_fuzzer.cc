// Fuzz target: X.509 certificates as a peer's CERT payload brings them
// (crypto::ParseCertificate, VerifyChain, CertificateMatchesId).
//
// Input: one DER Certificate (the seeds are vectors/x509/*.der).
//
// Checked: ParseCertificate refuses only with kBadFile or kTrailingBytes,
// always naming the RFC requirement; what it accepts keeps the input as its
// `der`, has a subject Name and a SubjectPublicKeyInfo that are DER
// SEQUENCEs, iPAddress entries of 4 or 16 octets, and vouches for each of
// its own names (every dNSName as ID_FQDN, rfc822Name as ID_RFC822_ADDR,
// iPAddress as ID_IPV4/IPV6_ADDR, a non-empty subject as ID_DER_ASN1_DN).
// VerifyChain with the input as the end entity and as its own pinned trust
// anchor, at a fixed time, never fails with anything but kBadFile,
// kTrailingBytes or kAuthenticationFailed with a requirement, and agrees
// with ParseCertificate on whether the input is a certificate at all.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/check.h"
#include "reference/bytes/bytes.h"
#include "reference/crypto/x509.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  using iana::IdType;
  const ByteSpan input(data, size);

  auto cert = crypto::ParseCertificate(input);
  if (!cert.ok()) {
    Check(cert.error().code == Code::kBadFile || cert.error().code == Code::kTrailingBytes);
    Check(!cert.error().requirement.empty());
  } else {
    Check(std::equal(cert->der.begin(), cert->der.end(), input.begin(), input.end()));
    Check(cert->subject_dn.size() >= 2 && cert->subject_dn[0] == 0x30);
    Check(cert->subject_public_key_info.size() >= 2 && cert->subject_public_key_info[0] == 0x30);
    for (const std::string& name : cert->dns_names)
      Check(name.empty() || crypto::CertificateMatchesId(*cert, IdType::kFqdn, ByteSpan(
                                reinterpret_cast<const uint8_t*>(name.data()), name.size())));
    for (const std::string& name : cert->rfc822_names) {
      const ByteSpan id(reinterpret_cast<const uint8_t*>(name.data()), name.size());
      Check(name.find('@') == std::string::npos || crypto::CertificateMatchesId(*cert, IdType::kRfc822Addr, id));
    }
    for (const Bytes& address : cert->ip_addresses) {
      Check(address.size() == 4 || address.size() == 16);
      Check(crypto::CertificateMatchesId(*cert, address.size() == 4 ? IdType::kIpv4Addr : IdType::kIpv6Addr,
                                         address));
    }
    Check(cert->subject_dn.size() == 2 || crypto::CertificateMatchesId(*cert, IdType::kDerAsn1Dn, cert->subject_dn));
    Check(!crypto::CertificateMatchesId(*cert, IdType::kKeyId, cert->subject_dn));
  }

  // 2030-01-01T00:00:00Z.
  const std::vector<Bytes> anchors{Bytes(input.begin(), input.end())};
  const Status chain = crypto::VerifyChain(input, {}, anchors, 1893456000);
  if (!chain.ok()) {
    const Code code = chain.error().code;
    Check(code == Code::kBadFile || code == Code::kTrailingBytes || code == Code::kAuthenticationFailed);
    Check(!chain.error().requirement.empty());
    Check((code == Code::kAuthenticationFailed) == cert.ok());
  } else {
    Check(cert.ok());
  }
  return 0;
}
