// An IKEv1 message as a tree of named fields (the same ike::Node that
// IKEv2's describer builds), for ike-decode's text and JSON.
#pragma once

#include "reference/ike/wire/describe.h"
#include "reference/ikev1/message.h"

namespace ipsecref::ikev1 {

ike::Node DescribePayload(const Payload& p);
// The header as fields, then one child per payload; an encrypted body as
// one child with its size.
ike::Node DescribeMessage(const Message& m);
// A one-line title:
// "IKEv1 Main Mode", "IKEv1 Quick Mode (encrypted)".
std::string Title(const Header& h);

}  // namespace ipsecref::ikev1
