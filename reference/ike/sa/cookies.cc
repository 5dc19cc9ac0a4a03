#include "reference/ike/sa/cookies.h"

#include "reference/crypto/prf.h"

namespace ipsecref::ike::sa {
namespace {

//= ipsecref#choice
//# The cookie secret changes every 60 seconds; a cookie made with the
//# previous secret is still accepted, so a cookie lives 60 to 120 seconds.
constexpr Time kCookieSecretLifetime = 60'000;
constexpr size_t kCookieSecretSize = 32;

//= rfc7296#section-2.6
//# Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>): any
//# function of the initiator's nonce, address and SPI under a local secret
//# that changes now and then will do.
Bytes CookieFor(uint8_t version, ByteSpan secret, ByteSpan ni, const Endpoint& initiator, uint64_t spi_i) {
  Bytes out{version};
  auto prf = crypto::MakePrf(iana::Prf::kHmacSha2_256, secret);
  if (!prf) return out;
  uint8_t spi[8];
  StoreU64(spi, spi_i);
  Bytes mac((*prf)->output_size());
  (*prf)->Compute({ni, initiator.address, ByteSpan(spi, 8)}, mac);
  out.insert(out.end(), mac.begin(), mac.end());
  return out;
}

}  // namespace

void CookieSecrets::Rotate(Time now, crypto::Rng& rng) {
  previous_ = current_;
  current_.version = static_cast<uint8_t>(current_.version + 1);
  current_.secret.assign(kCookieSecretSize, 0);
  rng.Fill(current_.secret);
  since_ = now;
  started_ = true;
}

void CookieSecrets::Start(Time now, crypto::Rng& rng) {
  std::lock_guard lock(mu_);
  if (!started_) Rotate(now, rng);
}

void CookieSecrets::Tick(Time now, crypto::Rng& rng) {
  std::lock_guard lock(mu_);
  if (!started_ || now >= since_ + kCookieSecretLifetime) Rotate(now, rng);
}

void CookieSecrets::RotateIfDue(Time now, crypto::Rng& rng) {
  if (started_ && now < since_ + kCookieSecretLifetime) return;
  // No Tick came in time: after two lifetimes no secret made before is
  // valid any more.
  if (started_ && now >= since_ + 2 * kCookieSecretLifetime) Rotate(now, rng);
  Rotate(now, rng);
}

Bytes CookieSecrets::Make(ByteSpan ni, const Endpoint& initiator, uint64_t spi_i, Time now, crypto::Rng& rng) {
  std::lock_guard lock(mu_);
  RotateIfDue(now, rng);
  return CookieFor(current_.version, current_.secret, ni, initiator, spi_i);
}

bool CookieSecrets::Valid(ByteSpan cookie, ByteSpan ni, const Endpoint& initiator, uint64_t spi_i, Time now,
                          crypto::Rng& rng) {
  if (cookie.empty()) return false;
  std::lock_guard lock(mu_);
  RotateIfDue(now, rng);
  for (const Secret* s : {&current_, &previous_}) {
    if (s->secret.empty() || s->version != cookie[0]) continue;
    const Bytes expected = CookieFor(s->version, s->secret, ni, initiator, spi_i);
    if (expected.size() == cookie.size() && ConstantTimeEqual(expected, cookie)) return true;
  }
  return false;
}

}  // namespace ipsecref::ike::sa
