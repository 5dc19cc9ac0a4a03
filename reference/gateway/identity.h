// IKE identities written as strongSwan writes them (swanctl.conf's `id`
// settings; strongSwan docs, "Identity Parsing"), as the ID payloads
// (RFC 7296 §3.5) they stand for.
#pragma once

#include <string_view>

#include "reference/base/result.h"
#include "reference/ike/wire/payloads/id.h"

namespace ipsecref::gateway {

struct Identity {
  // %any (or "", or "%any6"): any remote identity matches; `id` means nothing.
  bool any = false;
  ike::IdPayload id;
};

// Reads an identity, tried in this order:
//   %any, %any6                          any identity
//   an IPv4 / IPv6 address               ID_IPV4_ADDR / ID_IPV6_ADDR (4 / 16 octets)
//   @#HEX                                ID_KEY_ID, the octets in hex
//   @NAME                                ID_FQDN NAME (the "@" dropped)
//   a DN, "ATTR=value, ATTR=value"       ID_DER_ASN1_DN, the DER Name (crypto::EncodeDistinguishedName)
//   NAME@DOMAIN                          ID_RFC822_ADDR
//   anything else                        ID_FQDN
// An explicit type prefix (strongSwan's "fqdn:", "email:", "keyid:" ...) is
// not supported. Errors (kInvalidArgument, no file:line: the caller adds
// it): bad hex after @#, a DN that does not encode, text over 255 bytes.
Result<Identity> ParseIdentity(std::string_view text);

}  // namespace ipsecref::gateway
