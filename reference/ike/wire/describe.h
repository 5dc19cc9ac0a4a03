// A message as a tree of named fields, as a reader of RFC 7296 names them;
// ike-decode renders it as text or JSON.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "reference/ike/wire/message.h"

namespace ipsecref::ike {

struct Node {
  std::string name;                                         // "SA", "proposal 1", "KE"
  std::vector<std::pair<std::string, std::string>> fields;  // ("group", "ECP_256")
  std::vector<Node> children;
};

Node DescribePayload(const Payload& p);
// The header as fields, then one child per payload (SK's inner payloads
// under it when decrypted).
Node DescribeMessage(const Message& m);

}  // namespace ipsecref::ike
