// CREATE_CHILD_SA for the IKE SA (RFC 7296 §1.3.2, §2.18): a new IKE SA
// keyed from the old one's SK_d and a fresh key exchange takes over its
// CHILD SAs; the old one is then deleted. Simultaneous rekeys are settled
// by the nonce rule of §2.8.2.
//
//   HDR, SK {SA, Ni, KEi}  -->
//                          <--  HDR, SK {SA, Nr, KEr}
#include <fmt/format.h>

#include "reference/ike/sa/tasks/common.h"

namespace ipsecref::ike::sa {
namespace {

Result<uint64_t> IkeSpiOf(const Proposal& p) {
  //= rfc7296#section-3.3.1
  //# In an IKE SA rekey the proposal's SPI is the sender's new IKE SPI,
  //# eight octets.
  ENSURE(p.spi.size() == 8, kInvalidSyntax, kNoOffset, "rfc7296#section-3.3.1",
         fmt::format("an IKE SPI in a rekey proposal is 8 octets, not {}", p.spi.size()));
  const uint64_t spi = LoadU64(p.spi.data());
  ENSURE(spi != 0, kInvalidSyntax, kNoOffset, "rfc7296#section-3.3.1", "a zero IKE SPI in a rekey proposal");
  return spi;
}

// The new IKE SA: keys from §2.18, the old one's peer facts and addresses.
Result<std::unique_ptr<IkeSa>> Successor(IkeSa& old, Role role, uint64_t spi_i, uint64_t spi_r,
                                         const IkeSuite& suite, ByteSpan ni, ByteSpan nr, const SecureBytes& g_ir) {
  //= rfc7296#section-2.18
  //# SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old PRF; the
  //# new keys follow from it as in §2.14, with the new SPIs and the new
  //# IKE SA's transforms.
  TRY_ASSIGN(SecureBytes skeyseed, keymat::RekeySkeyseed(old.suite.prf, old.keys.sk_d, g_ir, ni, nr));
  TRY_ASSIGN(keymat::IkeSaKeys keys, keymat::DeriveIkeSaKeys(KeymatSuite(suite), skeyseed, ni, nr, spi_i, spi_r));
  auto sa = std::make_unique<IkeSa>(old.peer(), role, old.local, old.remote);
  sa->spi_i = spi_i;
  sa->spi_r = spi_r;
  TRY(sa->InstallKeys(suite, std::move(keys)));
  sa->ni.assign(ni.begin(), ni.end());
  sa->nr.assign(nr.begin(), nr.end());
  sa->lowest_nonce = LowerNonce(ni, nr);
  sa->nat_here = old.nat_here;
  sa->nat_there = old.nat_there;
  sa->peer_fragmentation = old.peer_fragmentation;
  sa->peer_childless = old.peer_childless;
  sa->peer_hash_algorithms = old.peer_hash_algorithms;
  sa->peer_window = old.peer_window;
  sa->state = IkeState::kEstablished;
  sa->established_at = old.now();
  if (old.config().rekey_time != 0)
    sa->rekey_at = sa->established_at + old.config().rekey_time - old.RekeyJitter(old.config().rekey_time);
  return sa;
}

class IkeRekey final : public Task {
 public:
  IkeRekey() : Task(TaskKind::kIkeRekey) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    new_spi_ = sa.peer().NewIkeSpi();
    ni_ = sa.peer().NewNonce();
    offered_ = WithSpi(sa.config().proposals, SpiBytes(new_spi_));
    TRY_ASSIGN(ke_, crypto::MakeKeyExchange(FirstKeGroup(offered_), *sa.env().rng));
    sa.state = IkeState::kRekeying;
    return std::vector<Payload>{PayloadOf(iana::PayloadType::kSa, SaPayload{offered_}),
                                PayloadOf(iana::PayloadType::kNonce, NoncePayload{ni_}), KePayloadOf(*ke_)};
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& response) override {
    if (const NotifyPayload* n = FindErrorNotify(response)) {
      Settle(sa);
      if (n->notify_message_type == iana::NotifyType::kTemporaryFailure && sa.state == IkeState::kEstablished)
        sa.rekey_at = sa.now() + TemporaryFailureRetry(sa);
      return NotifiedError(*n, "rfc7296#section-1.3.2");
    }
    const SaPayload* sa_payload = FindBody<SaPayload>(response, iana::PayloadType::kSa);
    const KePayload* ke = FindBody<KePayload>(response, iana::PayloadType::kKe);
    const NoncePayload* nr = FindBody<NoncePayload>(response, iana::PayloadType::kNonce);
    if (sa_payload == nullptr || ke == nullptr || nr == nullptr) {
      Settle(sa);
      return Missing(response, "SA, KE and Nonce", "rfc7296#section-1.3.2");
    }
    auto done = Complete(sa, *sa_payload, *ke, nr->nonce_data);
    if (!done) Settle(sa);
    return done;
  }

  void Abandon(IkeSa& sa) override { Settle(sa); }

  Status ProcessR(IkeSa& sa, const Message& request) override {
    const SaPayload* sa_payload = FindBody<SaPayload>(request, iana::PayloadType::kSa);
    const KePayload* ke = FindBody<KePayload>(request, iana::PayloadType::kKe);
    const NoncePayload* ni = FindBody<NoncePayload>(request, iana::PayloadType::kNonce);
    if (sa_payload == nullptr || ke == nullptr || ni == nullptr)
      return Missing(request, "SA, KE and Nonce", "rfc7296#section-1.3.2");
    //= ipsecref#choice
    //# While one of this end's CHILD SA exchanges is outstanding on the IKE
    //# SA, the peer's rekey of it is refused with TEMPORARY_FAILURE (§2.25):
    //# its answer would come back on an IKE SA about to go, and a CHILD SA
    //# it creates would miss the move (strongSwan refuses the same way).
    for (TaskKind k : {TaskKind::kChildCreate, TaskKind::kChildRekey, TaskKind::kChildDelete})
      ENSURE(!sa.HasOutstanding(k), kTemporaryFailure, kNoOffset, "rfc7296#section-2.25",
             fmt::format("a {} exchange of this end is outstanding on the IKE SA", Name(k)));
    TRY_ASSIGN(selected_, SelectProposal(sa.config().proposals, *sa_payload, iana::SecurityProtocol::kIke));
    TRY_ASSIGN(suite_, IkeSuiteOf(selected_));
    TRY_ASSIGN(peer_spi_, IkeSpiOf(selected_));
    TRY(CheckNonceSize(ni->nonce_data, suite_.prf));
    ni_ = ni->nonce_data;
    if (ke->group != suite_.ke) {
      refusal_ = InvalidKePayloadFor(suite_.ke);
      return OkStatus();
    }
    TRY_ASSIGN(ke_, crypto::MakeKeyExchange(suite_.ke, *sa.env().rng));
    TRY_ASSIGN(g_ir_, ke_->SharedSecret(ke->key_exchange_data));
    return OkStatus();
  }

  Result<Response> BuildR(IkeSa& sa) override {
    if (refusal_) return Response{{*refusal_}, true, false};
    const uint64_t spi = sa.peer().NewIkeSpi();
    const Bytes nr = sa.peer().NewNonce();
    // The rekey's initiator is the new IKE SA's original initiator.
    TRY_ASSIGN(std::unique_ptr<IkeSa> next, Successor(sa, Role::kResponder, peer_spi_, spi, suite_, ni_, nr, g_ir_));
    Proposal answer = selected_;
    answer.spi = SpiBytes(spi);
    IkeSa& adopted = sa.peer().Adopt(std::move(next));
    adopted.Log("created by the peer's rekey");
    Response r{{PayloadOf(iana::PayloadType::kSa, SaPayload{{answer}}),
                PayloadOf(iana::PayloadType::kNonce, NoncePayload{nr}), KePayloadOf(*ke_)},
               true};
    if (sa.state == IkeState::kRekeying) {
      // Simultaneous rekey: settled once this end's own rekey completes;
      // until then the IKE SA stays REKEYING.
      sa.peer_rekeyed_into = adopted.local_spi();
      r.succeeded = false;
    } else {
      sa.HandOver(adopted);
    }
    return r;
  }

 private:
  Result<Next> Complete(IkeSa& sa, const SaPayload& sa_payload, const KePayload& ke, ByteSpan nr) {
    ENSURE(sa_payload.proposals.size() == 1, kInvalidSyntax, kNoOffset, "rfc7296#section-3.3",
           fmt::format("the response's SA payload holds {} proposals, not one", sa_payload.proposals.size()));
    const Proposal& chosen = sa_payload.proposals.front();
    TRY(CheckSelected(offered_, chosen));
    TRY_ASSIGN(IkeSuite suite, IkeSuiteOf(chosen));
    TRY_ASSIGN(uint64_t peer_spi, IkeSpiOf(chosen));
    TRY(CheckNonceSize(nr, suite.prf));
    ENSURE(ke.group == ke_->group() && suite.ke == ke_->group(), kInvalidKePayload, kNoOffset, "rfc7296#section-1.3.2",
           "the response's KE payload is not of the group this end sent");
    TRY_ASSIGN(SecureBytes g_ir, ke_->SharedSecret(ke.key_exchange_data));
    TRY_ASSIGN(std::unique_ptr<IkeSa> next, Successor(sa, Role::kInitiator, new_spi_, peer_spi, suite, ni_, nr, g_ir));
    IkeSa& ours = sa.peer().Adopt(std::move(next));
    ours.Log("created by this end's rekey");
    //= rfc7296#section-2.8.2
    //# The peer deleted the old IKE SA once its own rekey of it stood (its
    //# new IKE SA took the CHILD SAs then): this end's new IKE SA is the
    //# redundant one, and this end created it, so this end deletes it.
    if (sa.replaced_by != 0) {
      sa.Log("rekey collision: the peer's rekey stood already; this end's new IKE SA goes");
      ours.Queue(MakeIkeDelete());
      return Next::kDone;
    }
    IkeSa* theirs = sa.peer_rekeyed_into != 0 ? sa.peer().Find(sa.peer_rekeyed_into) : nullptr;
    //= rfc7296#section-2.8.2
    //# Simultaneous IKE SA rekeys: the new IKE SA whose exchange had the
    //# lowest of the four nonces is deleted by the end that created it; the
    //# other survives, takes the CHILD SAs, and its creator deletes the old.
    if (theirs != nullptr && !std::lexicographical_compare(theirs->lowest_nonce.begin(), theirs->lowest_nonce.end(),
                                                           ours.lowest_nonce.begin(), ours.lowest_nonce.end())) {
      sa.Log("rekey collision: this end's new IKE SA has the lowest nonce and goes");
      sa.HandOver(*theirs);
      ours.Queue(MakeIkeDelete());
      return Next::kDone;
    }
    if (theirs != nullptr) {
      sa.Log("rekey collision: the peer's new IKE SA has the lowest nonce and goes");
      sa.peer_redundant = theirs->local_spi();
    }
    sa.HandOver(ours);
    // The old IKE SA is deleted by this end, unless the peer already did.
    if (sa.state != IkeState::kDeleting) sa.Queue(MakeIkeDelete());
    return Next::kDone;
  }

  // A rekey that did not complete: the IKE SA goes on, unless the peer's
  // own rekey of it completed, which then stands.
  void Settle(IkeSa& sa) {
    if (sa.replaced_by != 0) return;  // the peer's rekey stood already
    if (sa.peer_rekeyed_into != 0) {
      if (IkeSa* theirs = sa.peer().Find(sa.peer_rekeyed_into)) {
        sa.HandOver(*theirs);
        sa.MoveTo(IkeState::kRekeyed, "the peer's rekey stands");
        return;
      }
    }
    if (sa.state == IkeState::kRekeying) sa.state = IkeState::kEstablished;
  }

  uint64_t new_spi_ = 0;
  uint64_t peer_spi_ = 0;
  Bytes ni_;
  std::vector<Proposal> offered_;
  std::unique_ptr<crypto::KeyExchange> ke_;
  Proposal selected_;
  IkeSuite suite_{};
  SecureBytes g_ir_;
  std::optional<Payload> refusal_;
};

}  // namespace

std::unique_ptr<Task> MakeIkeRekey() { return std::make_unique<IkeRekey>(); }

}  // namespace ipsecref::ike::sa
