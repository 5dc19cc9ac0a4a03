#include "reference/gateway/identity.h"

#include <arpa/inet.h>

#include <string>

#include <fmt/format.h>

#include "reference/crypto/x509.h"

namespace ipsecref::gateway {
namespace {

Bytes Octets(std::string_view text) { return Bytes(text.begin(), text.end()); }

//= ipsecref#choice
//# An identity is at most 255 bytes of text: long enough for any FQDN
//# (RFC 1035 §2.3.4) and any practical DN, short enough that nothing a
//# configuration says makes an ID payload of surprising size.
constexpr size_t kMaxIdentityText = 255;

}  // namespace

Result<Identity> ParseIdentity(std::string_view text) {
  ENSURE(text.size() <= kMaxIdentityText, kInvalidArgument, kNoOffset, "",
         fmt::format("identity longer than {} bytes", kMaxIdentityText));
  if (text.empty() || text == "%any" || text == "%any6") return Identity{true, {}};
  ENSURE(text.find('\0') == std::string_view::npos, kInvalidArgument, kNoOffset, "",
         "identity holds a NUL character");
  const std::string s(text);
  uint8_t address[16];
  if (inet_pton(AF_INET, s.c_str(), address) == 1)
    return Identity{false, {iana::IdType::kIpv4Addr, Bytes(address, address + 4)}};
  if (inet_pton(AF_INET6, s.c_str(), address) == 1)
    return Identity{false, {iana::IdType::kIpv6Addr, Bytes(address, address + 16)}};
  if (text.starts_with("@#")) {
    auto key_id = FromHex(text.substr(2));
    ENSURE(key_id.ok() && !key_id->empty(), kInvalidArgument, kNoOffset, "",
           fmt::format("'{}': @# must be followed by an even number of hex digits (a key ID)", text));
    return Identity{false, {iana::IdType::kKeyId, std::move(*key_id)}};
  }
  if (text.starts_with('@')) {
    ENSURE(text.size() > 1, kInvalidArgument, kNoOffset, "", "'@' without a name after it");
    return Identity{false, {iana::IdType::kFqdn, Octets(text.substr(1))}};
  }
  if (text.find('=') != std::string_view::npos) {
    auto dn = crypto::EncodeDistinguishedName(text);
    ENSURE(dn.ok(), kInvalidArgument, kNoOffset, "",
           fmt::format("'{}' is no distinguished name: {}", text, dn.error().detail));
    return Identity{false, {iana::IdType::kDerAsn1Dn, std::move(*dn)}};
  }
  if (text.find('@') != std::string_view::npos) return Identity{false, {iana::IdType::kRfc822Addr, Octets(text)}};
  return Identity{false, {iana::IdType::kFqdn, Octets(text)}};
}

}  // namespace ipsecref::gateway
