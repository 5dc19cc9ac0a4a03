// IKE_SA_INIT (RFC 7296 §1.2): negotiates the IKE SA's transforms, does the
// key exchange and swaps nonces; with it come COOKIE (§2.6), the retry
// after INVALID_KE_PAYLOAD (§1.3), NAT detection (§2.23) and the
// announcements of fragmentation (RFC 7383), signature hashes (RFC 7427)
// and childless setup (RFC 6023).
//
//   HDR, SAi1, KEi, Ni, [N(COOKIE)], N(NAT_DETECTION_*)... -->
//                                  <-- HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*)...
#include <fmt/format.h>

#include "reference/crypto/hash.h"
#include "reference/crypto/signature.h"
#include "reference/ike/sa/tasks/common.h"

namespace ipsecref::ike::sa {
namespace {

//= ipsecref#choice
//# An initiator follows at most this many COOKIE or INVALID_KE_PAYLOAD
//# answers in a row before it gives up: a responder that keeps asking is
//# broken or hostile.
constexpr unsigned kMaxRetries = 4;

//= rfc7296#section-2.23
//# NAT_DETECTION_*_IP data is SHA-1(SPIi | SPIr | IP address | port), with
//# SPIr zero in the IKE_SA_INIT request.
Bytes NatHash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  const Bytes i = SpiBytes(spi_i), r = SpiBytes(spi_r);
  const uint8_t port[2] = {static_cast<uint8_t>(e.port >> 8), static_cast<uint8_t>(e.port)};
  auto d = crypto::Digest(iana::HashAlgorithm::kSha1, {i, r, e.address, ByteSpan(port, 2)});
  return d ? *d : Bytes{};
}

std::vector<Payload> NatDetection(const IkeSa& sa, uint64_t spi_r) {
  // Forced encapsulation hashes the source as port 0, which no datagram
  // comes from: the peer sees this end as behind a NAT.
  Endpoint source = sa.local;
  if (sa.config().force_encapsulation) source.port = 0;
  return {NotifyPayloadOf(iana::NotifyType::kNatDetectionSourceIp, NatHash(sa.spi_i, spi_r, source)),
          NotifyPayloadOf(iana::NotifyType::kNatDetectionDestinationIp, NatHash(sa.spi_i, spi_r, sa.remote))};
}

// Reads the peer's NAT detection notifications: a source hash that matches
// no address the peer could have sent from means the peer is behind a NAT;
// a destination hash that does not match our address means we are.
void ReadNatDetection(IkeSa& sa, const Message& m, uint64_t spi_r, const Endpoint& from, const Endpoint& to) {
  bool saw_source = false, source_match = false, saw_destination = false, destination_match = false;
  const Bytes expected_source = NatHash(sa.spi_i, spi_r, from);
  const Bytes expected_destination = NatHash(sa.spi_i, spi_r, to);
  for (const Payload* p : m.Visible()) {
    const NotifyPayload* n = p->as<NotifyPayload>();
    if (n == nullptr) continue;
    if (n->notify_message_type == iana::NotifyType::kNatDetectionSourceIp) {
      saw_source = true;
      source_match = source_match || n->notification_data == expected_source;
    } else if (n->notify_message_type == iana::NotifyType::kNatDetectionDestinationIp) {
      saw_destination = true;
      destination_match = destination_match || n->notification_data == expected_destination;
    }
  }
  sa.nat_there = saw_source && !source_match;
  sa.nat_here = saw_destination && !destination_match;
  // Forced encapsulation: this end acts as the one behind a NAT, provided
  // the peer does NAT detection at all.
  if (sa.config().force_encapsulation && saw_destination) sa.nat_here = true;
}

//= rfc7427#section-4
//# SIGNATURE_HASH_ALGORITHMS lists, two octets each, the hashes the sender
//# can verify signatures with.
Payload SignatureHashAlgorithms() {
  ByteWriter data;
  for (iana::HashAlgorithm h : {iana::HashAlgorithm::kSha2_256, iana::HashAlgorithm::kSha2_384,
                                iana::HashAlgorithm::kSha2_512, iana::HashAlgorithm::kIdentity})
    data.U16(static_cast<uint16_t>(h));
  return NotifyPayloadOf(iana::NotifyType::kSignatureHashAlgorithms, std::move(data).Take());
}

// What both roles take from the other's IKE_SA_INIT message.
void ReadAnnouncements(IkeSa& sa, const Message& m) {
  sa.peer_fragmentation = FindNotify(m, iana::NotifyType::kIkev2FragmentationSupported) != nullptr;
  sa.peer_childless = FindNotify(m, iana::NotifyType::kChildlessIkev2Supported) != nullptr;
  sa.peer_certreq = FindPayload(m, iana::PayloadType::kCertreq) != nullptr;
  //= rfc4739#section-3.1
  //# The responder announces multiple authentication in its IKE_SA_INIT
  //# response (the initiator does so in IKE_AUTH, ike_auth.cc).
  if (sa.role == Role::kInitiator)
    sa.peer_multiple_auth = FindNotify(m, iana::NotifyType::kMultipleAuthSupported) != nullptr;
  sa.peer_hash_algorithms.clear();
  if (const NotifyPayload* n = FindNotify(m, iana::NotifyType::kSignatureHashAlgorithms))
    for (size_t i = 0; i + 1 < n->notification_data.size(); i += 2)
      sa.peer_hash_algorithms.push_back(
          static_cast<iana::HashAlgorithm>(LoadU16(n->notification_data.data() + i)));
}

// The announcements this end makes in its IKE_SA_INIT message; a
// responder makes those the initiator made (RFC 7383 §2.3).
void Announce(const IkeSa& sa, std::vector<Payload>& out) {
  //= rfc7383#section-2.3
  //# Fragmentation support is announced with N(IKEV2_FRAGMENTATION_SUPPORTED)
  //# in IKE_SA_INIT; the responder announces it only to an initiator that did.
  if (sa.config().fragmentation && (sa.role == Role::kInitiator || sa.peer_fragmentation))
    out.push_back(NotifyPayloadOf(iana::NotifyType::kIkev2FragmentationSupported));
  out.push_back(SignatureHashAlgorithms());
  //= rfc6023#section-3
  //# Each end that can set up an IKE SA without a CHILD SA says so with
  //# N(CHILDLESS_IKEV2_SUPPORTED) in IKE_SA_INIT.
  out.push_back(NotifyPayloadOf(iana::NotifyType::kChildlessIkev2Supported));
  if (sa.role == Role::kResponder && sa.config().UsesMultipleAuth())
    out.push_back(NotifyPayloadOf(iana::NotifyType::kMultipleAuthSupported));
}

Status DeriveKeys(IkeSa& sa, const SecureBytes& g_ir) {
  TRY_ASSIGN(SecureBytes skeyseed, keymat::Skeyseed(sa.suite.prf, sa.ni, sa.nr, g_ir));
  TRY_ASSIGN(keymat::IkeSaKeys keys,
             keymat::DeriveIkeSaKeys(KeymatSuite(sa.suite), skeyseed, sa.ni, sa.nr, sa.spi_i, sa.spi_r));
  sa.lowest_nonce = LowerNonce(sa.ni, sa.nr);
  return sa.InstallKeys(sa.suite, std::move(keys));
}

class IkeInit final : public Task {
 public:
  IkeInit() : Task(TaskKind::kIkeInit) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    if (sa.ni.empty()) sa.ni = sa.peer().NewNonce();
    if (group_ == iana::KeGroup::kNone) group_ = FirstKeGroup(sa.config().proposals);
    if (ke_ == nullptr || ke_->group() != group_) {
      TRY_ASSIGN(ke_, crypto::MakeKeyExchange(group_, *sa.env().rng));
    }
    std::vector<Payload> out;
    if (!cookie_.empty()) out.push_back(NotifyPayloadOf(iana::NotifyType::kCookie, cookie_));
    //= rfc7296#section-3.3.1
    //# Proposals for the first IKE SA carry no SPI (SPI Size 0).
    out.push_back(PayloadOf(iana::PayloadType::kSa, SaPayload{WithSpi(sa.config().proposals, {})}));
    out.push_back(KePayloadOf(*ke_));
    out.push_back(PayloadOf(iana::PayloadType::kNonce, NoncePayload{sa.ni}));
    for (Payload& p : NatDetection(sa, 0)) out.push_back(std::move(p));
    Announce(sa, out);
    return out;
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& response) override {
    //= rfc7296#section-2.6
    //# An initiator answered with N(COOKIE) sends its IKE_SA_INIT request
    //# again, with that cookie as the first payload and the rest unchanged.
    if (const NotifyPayload* n = FindNotify(response, iana::NotifyType::kCookie)) {
      ENSURE(++retries_ <= kMaxRetries, kInvalidArgument, kNoOffset, "rfc7296#section-2.6",
             fmt::format("the responder asked for a cookie {} times", retries_));
      cookie_ = n->notification_data;
      sa.RestartRequestIds();
      return Next::kRetry;
    }
    //= rfc7296#section-1.3
    //# INVALID_KE_PAYLOAD names the group the responder wants; the initiator
    //# retries with it when it proposed that group, and fails otherwise.
    if (const NotifyPayload* n = FindNotify(response, iana::NotifyType::kInvalidKePayload)) {
      ENSURE(n->notification_data.size() == 2, kInvalidSyntax, kNoOffset, "rfc7296#section-3.10.1",
             fmt::format("INVALID_KE_PAYLOAD data is {} octets, not 2", n->notification_data.size()));
      const auto wanted = static_cast<iana::KeGroup>(LoadU16(n->notification_data.data()));
      bool offered = false;
      for (const Proposal& p : sa.config().proposals)
        for (const Transform& t : p.transforms)
          offered = offered || (t.type == iana::TransformType::kKe && t.id == static_cast<uint16_t>(wanted));
      ENSURE(offered && wanted != group_ && ++retries_ <= kMaxRetries, kInvalidKePayload, kNoOffset,
             "rfc7296#section-1.3",
             fmt::format("the responder wants group {}, which was {}", static_cast<unsigned>(wanted),
                         offered ? "already used" : "not proposed"));
      group_ = wanted;
      sa.RestartRequestIds();
      return Next::kRetry;
    }
    if (const NotifyPayload* n = FindErrorNotify(response)) return NotifiedError(*n, "rfc7296#section-2.21.1");
    const SaPayload* sa_payload = FindBody<SaPayload>(response, iana::PayloadType::kSa);
    const KePayload* ke = FindBody<KePayload>(response, iana::PayloadType::kKe);
    const NoncePayload* nr = FindBody<NoncePayload>(response, iana::PayloadType::kNonce);
    if (sa_payload == nullptr || ke == nullptr || nr == nullptr)
      return Missing(response, "SA, KE and Nonce", "rfc7296#section-1.2");
    ENSURE(sa_payload->proposals.size() == 1, kInvalidSyntax, kNoOffset, "rfc7296#section-3.3",
           fmt::format("the response's SA payload holds {} proposals, not one", sa_payload->proposals.size()));
    TRY(CheckSelected(sa.config().proposals, sa_payload->proposals.front()));
    TRY_ASSIGN(sa.suite, IkeSuiteOf(sa_payload->proposals.front()));
    ENSURE(ke->group == group_ && sa.suite.ke == group_, kInvalidKePayload, kNoOffset, "rfc7296#section-1.2",
           fmt::format("the response's KE group {} is not the group {} this end sent",
                       static_cast<unsigned>(ke->group), static_cast<unsigned>(group_)));
    ENSURE(response.header.spi_r != 0, kInvalidSyntax, kNoOffset, "rfc7296#section-3.1",
           "the IKE_SA_INIT response has a zero responder SPI");
    TRY(CheckNonceSize(nr->nonce_data, sa.suite.prf));
    sa.spi_r = response.header.spi_r;
    sa.nr = nr->nonce_data;
    TRY_ASSIGN(SecureBytes g_ir, ke_->SharedSecret(ke->key_exchange_data));
    TRY(DeriveKeys(sa, g_ir));
    ReadAnnouncements(sa, response);
    ReadNatDetection(sa, response, sa.spi_r, sa.remote, sa.local);
    //= rfc7296#section-2.23
    //# When either end is behind a NAT the initiator moves to port 4500 for
    //# IKE_AUTH and everything after it.
    if (sa.nat_here || sa.nat_there) {
      sa.Log(fmt::format("NAT detected ({}): moving to port {}", sa.nat_here ? "here" : "at the peer",
                         kNatTraversalPort));
      sa.local.port = kNatTraversalPort;
      sa.remote.port = kNatTraversalPort;
    }
    return Next::kDone;
  }

  Status ProcessR(IkeSa& sa, const Message& request) override {
    const SaPayload* sa_payload = FindBody<SaPayload>(request, iana::PayloadType::kSa);
    const KePayload* ke = FindBody<KePayload>(request, iana::PayloadType::kKe);
    const NoncePayload* ni = FindBody<NoncePayload>(request, iana::PayloadType::kNonce);
    if (sa_payload == nullptr || ke == nullptr || ni == nullptr)
      return Missing(request, "SA, KE and Nonce", "rfc7296#section-1.2");
    TRY_ASSIGN(selected_, SelectProposal(sa.config().proposals, *sa_payload, iana::SecurityProtocol::kIke));
    TRY_ASSIGN(sa.suite, IkeSuiteOf(selected_));
    TRY(CheckNonceSize(ni->nonce_data, sa.suite.prf));
    sa.ni = ni->nonce_data;
    ReadAnnouncements(sa, request);
    ReadNatDetection(sa, request, 0, sa.remote, sa.local);
    //= rfc7296#section-1.2
    //# A KE payload of another group than the chosen proposal's is answered
    //# with INVALID_KE_PAYLOAD naming the group wanted; no state is kept.
    if (ke->group != sa.suite.ke) {
      invalid_ke_ = true;
      return OkStatus();
    }
    TRY_ASSIGN(ke_, crypto::MakeKeyExchange(sa.suite.ke, *sa.env().rng));
    TRY_ASSIGN(g_ir_, ke_->SharedSecret(ke->key_exchange_data));
    return OkStatus();
  }

  Result<Response> BuildR(IkeSa& sa) override {
    if (invalid_ke_) {
      return Response{{InvalidKePayloadFor(sa.suite.ke)}, false};
    }
    sa.nr = sa.peer().NewNonce();
    TRY(DeriveKeys(sa, g_ir_));
    Response r;
    r.payloads.push_back(PayloadOf(iana::PayloadType::kSa, SaPayload{{selected_}}));
    r.payloads.push_back(KePayloadOf(*ke_));
    r.payloads.push_back(PayloadOf(iana::PayloadType::kNonce, NoncePayload{sa.nr}));
    for (Payload& p : NatDetection(sa, sa.spi_r)) r.payloads.push_back(std::move(p));
    if (std::optional<Payload> certreq = CertificateRequest(sa)) r.payloads.push_back(std::move(*certreq));
    Announce(sa, r.payloads);
    return r;
  }

 private:
  iana::KeGroup group_ = iana::KeGroup::kNone;
  std::unique_ptr<crypto::KeyExchange> ke_;
  Bytes cookie_;
  unsigned retries_ = 0;
  Proposal selected_;
  SecureBytes g_ir_;
  bool invalid_ke_ = false;
};

}  // namespace

std::unique_ptr<Task> MakeIkeInit() { return std::make_unique<IkeInit>(); }

}  // namespace ipsecref::ike::sa
