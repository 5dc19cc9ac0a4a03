// What the tasks share: payload builders and readers that several
// exchanges use (Nonce, KE, NAT detection, the CHILD SA negotiation).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "reference/crypto/ke.h"
#include "reference/ike/sa/ike_sa.h"
#include "reference/ike/sa/peer.h"
#include "reference/ike/sa/proposals.h"
#include "reference/ike/sa/traffic_selectors.h"

namespace ipsecref::ike::sa {

template <typename Body>
Payload PayloadOf(iana::PayloadType type, Body body) {
  Payload p;
  p.type = type;
  p.body = std::move(body);
  return p;
}

// The typed body of the first payload of `type`, or null.
template <typename Body>
const Body* FindBody(const Message& m, iana::PayloadType type) {
  const Payload* p = FindPayload(m, type);
  return p == nullptr ? nullptr : p->as<Body>();
}

// An error naming a payload the message lacks.
Error Missing(const Message& m, std::string_view what, std::string_view requirement);

// A failure to report upward when the response carries an error Notify.
Error NotifiedError(const NotifyPayload& n, std::string_view requirement);

// The proposals with every SPI set to `spi` (4 octets for ESP/AH, 8 for an
// IKE SA rekey, none in IKE_SA_INIT).
std::vector<Proposal> WithSpi(std::vector<Proposal> proposals, ByteSpan spi);
// The proposals without their Key Exchange Method transforms (Transform
// Type 4 and the Additional Key Exchanges of RFC 9370): the form an SA
// payload takes in IKE_AUTH, where no KE payload travels.
std::vector<Proposal> WithoutKeyExchange(std::vector<Proposal> proposals);
Bytes SpiBytes(uint32_t spi);
Bytes SpiBytes(uint64_t spi);
Result<uint32_t> ChildSpiOf(ByteSpan spi, size_t offset);

// The peer's nonce against RFC 7296 §2.10: at least 128 bits and at least
// half the key size of the negotiated PRF. kInvalidSyntax otherwise.
Status CheckNonceSize(ByteSpan nonce, iana::Prf prf);

// The key length for the keymat and SK layers: 0 for a cipher with one
// fixed key length.
size_t KeyBitsFor(iana::Encr encr, uint16_t key_bits);
keymat::Suite KeymatSuite(const IkeSuite& s);

// The CHILD SA half of a CREATE_CHILD_SA or IKE_AUTH exchange (§1.3.1,
// §2.17): what this end offers or accepts, and the SA that results.
// A child's local and remote selectors for this IKE SA (ChildConfig's
// configured lists resolved with its addresses, or its lists as given).
std::vector<TrafficSelector> LocalSelectors(const IkeSa& sa, const ChildConfig& config);
std::vector<TrafficSelector> RemoteSelectors(const IkeSa& sa, const ChildConfig& config);

class ChildNegotiation {
 public:
  // Initiator: the payloads that ask for a CHILD SA of `config`
  // (SA with a fresh SPI, TSi, TSr; Nonce and KE when `with_nonce`, outside
  // IKE_AUTH).
  Result<std::vector<Payload>> Request(IkeSa& sa, const ChildConfig& config, bool with_nonce);
  // Initiator: the response's SA, TSi, TSr (and Nr, KEr) into a CHILD SA.
  // When the answer names an SA but does not fit the request, the error is
  // returned and the peer's CHILD SA is deleted (a Delete is queued).
  Result<ChildSa> Complete(IkeSa& sa, const Message& response, bool with_nonce);
  // Responder: the request's SA, TSi, TSr (and Ni, KEi) against the
  // configuration; errors carry the Notify to answer with.
  Status Accept(IkeSa& sa, const Message& request, bool with_nonce);
  // Responder: the payloads of the answer, and the CHILD SA installed.
  Result<std::vector<Payload>> Answer(IkeSa& sa, bool with_nonce, ChildSa& out);

  const ChildConfig* config() const { return config_; }
  // When a request was refused with a Notify that carries data.
  std::optional<Payload> refusal;

 private:
  Result<ChildSa> Read(IkeSa& sa, const Message& response, bool with_nonce);
  Result<keymat::ChildSaKeys> Keys(IkeSa& sa, const SecureBytes& g_ir) const;

  const ChildConfig* config_ = nullptr;
  uint32_t spi_in_ = 0;
  std::vector<Proposal> offered_;
  TsPayload tsi_, tsr_;
  Proposal selected_;
  ChildSuite suite_{};
  Bytes ni_, nr_;
  std::unique_ptr<crypto::KeyExchange> ke_;
  SecureBytes g_ir_;
  uint32_t spi_out_ = 0;
  bool transport_mode_ = false;
  Narrowed narrowed_;
};

// Virtual IPs (RFC 7296 §2.19, §3.15; virtual_ip.cc).
// Initiator: CP(CFG_REQUEST) for the configured vips and their DNS
// servers; nothing when none is configured.
std::optional<Payload> ConfigRequest(const IkeSa& sa);
// Initiator: the addresses and DNS servers of the response's CFG_REPLY into
// sa.local_vips and sa.dns_servers (addresses of a family not asked for are
// ignored; no reply leaves the IKE SA without a virtual IP).
void ReadConfigReply(IkeSa& sa, const Message& response);
// Responder: for the request's CFG_REQUEST, an address of each family asked
// for, leased to `identity` from the configured pools (into
// sa.remote_vips), and the CFG_REPLY that hands them out with the pools' DNS
// servers; nullopt without a CFG_REQUEST. kInternalAddressFailure when an
// address was asked for and none given (§3.15.4), kFailedCpRequired when
// the connection has pools and the request no CFG_REQUEST.
Result<std::optional<Payload>> AnswerConfigRequest(IkeSa& sa, const Message& request, std::string identity);

// A CERTREQ naming the configured trust anchors (by the SHA-1 hash of each
// one's SubjectPublicKeyInfo), or nothing when none is configured.
std::optional<Payload> CertificateRequest(const IkeSa& sa);

//= rfc7296#section-3.10.1
//# INVALID_KE_PAYLOAD carries the group the responder wants, two octets.
Payload InvalidKePayloadFor(iana::KeGroup wanted);

// The KE payload for this end's public value.
Payload KePayloadOf(const crypto::KeyExchange& ke);

}  // namespace ipsecref::ike::sa

namespace ipsecref::ike::sa {

//= rfc7296#section-2.25
//# After TEMPORARY_FAILURE the request is not repeated at once: the peer
//# needs time to finish what it is doing.
//= ipsecref#choice
//# The rekey is tried again 10 to 20 seconds later, a random delay so that
//# two ends refused by each other do not collide again.
Time TemporaryFailureRetry(IkeSa& sa);

// Adds a CHILD SA to the IKE SA with its rekey and expiry times from its
// configuration (rekey time less a random jitter).
void InstallChild(IkeSa& sa, ChildSa child);
// The lower of two nonces, byte-wise (the §2.8.1 rule compares them).
Bytes LowerNonce(ByteSpan a, ByteSpan b);

}  // namespace ipsecref::ike::sa
