// An IKEv2 end with one connection configuration: it starts IKE SAs as
// initiator, answers new ones as responder, routes each datagram to its IKE
// SA by SPI, guards against floods of IKE_SA_INIT requests (COOKIE above a
// half-open threshold with a rotating secret and no state per request, §2.6;
// a half-open limit), and answers messages for unknown IKE SAs as §2.21.4
// says. It owns no socket, clock or random source: Environment brings them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/ike/sa/config.h"
#include "reference/ike/sa/cookies.h"
#include "reference/ike/sa/environment.h"
#include "reference/ike/sa/hooks.h"
#include "reference/ike/sa/ike_sa.h"

namespace ipsecref::ike::sa {

// What happened, for logs and tests: "IKE SA 1a2b.. ESTABLISHED".
struct Event {
  Time at = 0;
  std::string text;
  uint64_t ike_spi = 0;  // the local SPI of the IKE SA it is about; 0: none
  bool peer_dead = false;  // the IKE SA was given up: its peer did not answer (§2.4)
};

// The top `bits` of every SPI a Peer picks (its IKE SPIs and the inbound
// SPIs of its CHILD SAs) hold `value`: a gateway with several SPUs marks
// each SPI with the SPU that owns it, so that a packet finds its SPU from
// its SPI alone, as multi-SPU devices do.
struct SpiTag {
  uint32_t value = 0;
  unsigned bits = 0;  // 0 to 16
};

class Peer {
 public:
  // `local` is the address and port this end sends from; `remote` the peer
  // an initiator talks to (a responder answers whoever asks).
  Peer(IkeConfig config, Environment env, Endpoint local, Endpoint remote);
  ~Peer();

  const IkeConfig& config() const { return config_; }
  Environment env() const { return env_; }
  const Endpoint& local() const { return local_; }
  // The deviation hooks; null restores the defaults, which change nothing.
  void set_hooks(Hooks* hooks);
  // Makes this Peer make and check cookies with `secrets`, which other
  // Peers may share (a gateway's SPUs).
  void ShareCookieSecrets(std::shared_ptr<CookieSecrets> secrets);
  void set_spi_tag(SpiTag tag);
  Hooks& hooks() const { return *hooks_; }

  // --- Operations (initiator side) ---
  // A new IKE SA with IKE_SA_INIT and IKE_AUTH queued (and the first CHILD
  // SA unless the configuration is childless); returns its local SPI.
  uint64_t Initiate();
  Status CreateChild(uint64_t ike_spi, size_t child_config = 0);
  Status RekeyChild(uint64_t ike_spi, uint32_t child_spi_in);
  Status RekeyIke(uint64_t ike_spi);
  Status DeleteChild(uint64_t ike_spi, uint32_t child_spi_in);
  Status DeleteIke(uint64_t ike_spi);
  Status CheckLiveness(uint64_t ike_spi);
  // Reauthentication (RFC 7296 §2.8.3): a new IKE SA from scratch, then the
  // old one deleted; returns the new IKE SA's local SPI.
  Result<uint64_t> Reauthenticate(uint64_t ike_spi);

  // --- Events ---
  // A UDP datagram that arrived for this end (non-ESP marker included on
  // port 4500).
  void Receive(const Datagram& datagram);
  // Runs what is due by the clock's now.
  void Tick();
  std::optional<Time> NextDeadline() const;

  // --- State ---
  IkeSa* Find(uint64_t local_spi) const;
  // The IKE SAs not destroyed, by local SPI.
  std::vector<IkeSa*> IkeSas() const;
  const std::vector<Event>& events() const { return events_; }
  // The events logged since the last call, handed over and forgotten (a
  // long-running gateway drains them so that they do not pile up).
  std::vector<Event> TakeEvents() { return std::exchange(events_, {}); }
  size_t half_open() const;

  // --- For the IKE SAs and tasks ---
  uint64_t NewIkeSpi();
  uint32_t NewChildSpi();
  Bytes NewNonce();
  void Log(std::string text, uint64_t ike_spi = 0, bool peer_dead = false);
  // Adds an IKE SA created by a task (an IKE SA rekey); returns it.
  IkeSa& Adopt(std::unique_ptr<IkeSa> sa);
  // Cookie for an IKE_SA_INIT request (§2.6), under this Peer's secrets or
  // the ones it shares with others (a gateway's SPUs: ShareCookieSecrets).
  Bytes MakeCookie(ByteSpan ni, const Endpoint& initiator, uint64_t spi_i) const;
  bool CookieValid(ByteSpan cookie, ByteSpan ni, const Endpoint& initiator, uint64_t spi_i) const;

 private:
  IkeSa* Lookup(const Header& h) const;
  void HandleInitRequest(const Datagram& datagram, ByteSpan message, const Header& h);
  void AnswerUnknownSpi(const Datagram& datagram, const Header& h);
  void Sweep();

  IkeConfig config_;
  Environment env_;
  Endpoint local_;
  Endpoint remote_;
  Hooks default_hooks_;
  Hooks* hooks_ = &default_hooks_;
  std::map<uint64_t, std::unique_ptr<IkeSa>> sas_;
  std::vector<Event> events_;
  std::shared_ptr<CookieSecrets> cookie_secrets_;
  SpiTag spi_tag_;
};

}  // namespace ipsecref::ike::sa
