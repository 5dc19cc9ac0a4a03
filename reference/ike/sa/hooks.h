// Where a harness may make a peer misbehave on purpose (DESIGN.md,
// "Deviations are first-class"). The reference calls these hooks at fixed
// points and otherwise runs its normal path; the default hooks change
// nothing. The named deviations themselves live in the harness
// (interop/deviations/), never here.
#pragma once

#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/ike/wire/message.h"
#include "reference/ike/wire/sk.h"

namespace ipsecref::ike::sa {

class IkeSa;

class Hooks {
 public:
  virtual ~Hooks() = default;
  // A message this peer built, before it is encoded: the payloads of an
  // IKE_SA_INIT message in m.payloads, those of an encrypted one in m.inner.
  virtual void OnBuilt(const IkeSa& /*sa*/, Message& /*m*/) {}
  // The SK protection of the message about to be encrypted (IV, padding).
  virtual void OnProtect(const IkeSa& /*sa*/, const Message& /*m*/, SkCrypter::ProtectOptions& /*options*/) {}
  // The datagrams (IKE messages without non-ESP marker: one, or one per
  // SKF fragment) about to be sent for `m`: they may be rewritten, added or
  // removed. Retransmissions resend what this returned.
  virtual void OnEncoded(const IkeSa& /*sa*/, const Message& /*m*/, std::vector<Bytes>& /*datagrams*/) {}
  // Whether a request due for retransmission is sent again.
  virtual bool OnRetransmit(const IkeSa& /*sa*/, uint32_t /*message_id*/) { return true; }
};

}  // namespace ipsecref::ike::sa
