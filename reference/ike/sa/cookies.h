// The responder's COOKIE secret (RFC 7296 §2.6): cookies made from the
// initiator's nonce, address and SPI under a local secret that changes now
// and then, so that a responder keeps no state per request. One instance
// may serve several Peers at once (a gateway's SPUs: a retried request
// that reaches another SPU must still find its cookie valid); it is
// thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/ike/sa/environment.h"

namespace ipsecref::ike::sa {

class CookieSecrets {
 public:
  // Makes the first secret (a Peer does so when it is made).
  void Start(Time now, crypto::Rng& rng);
  // Changes the secret when it is due (a Peer's timers call it).
  void Tick(Time now, crypto::Rng& rng);
  // The cookie for an IKE_SA_INIT request; the secret changes first when
  // it is due (taking its random bytes from `rng`).
  Bytes Make(ByteSpan ni, const Endpoint& initiator, uint64_t spi_i, Time now, crypto::Rng& rng);
  // Whether `cookie` is one Make gave under the current or the previous
  // secret (compared in constant time).
  bool Valid(ByteSpan cookie, ByteSpan ni, const Endpoint& initiator, uint64_t spi_i, Time now, crypto::Rng& rng);

 private:
  struct Secret {
    uint8_t version = 0;
    SecureBytes secret;
  };
  void Rotate(Time now, crypto::Rng& rng);
  void RotateIfDue(Time now, crypto::Rng& rng);

  std::mutex mu_;
  Secret current_, previous_;
  Time since_ = 0;
  bool started_ = false;
};

}  // namespace ipsecref::ike::sa
