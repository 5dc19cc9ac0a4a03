// CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1, §1.3.3): a new CHILD SA,
// with or without a PFS key exchange, and the rekey of one, with the
// simultaneous-rekey rule of §2.8.1.
//
//   HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], TSi, TSr}  -->
//                                  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
#include <fmt/format.h>

#include "reference/ike/sa/tasks/common.h"

namespace ipsecref::ike::sa {
namespace {

const ChildConfig* ConfigNamed(const IkeSa& sa, std::string_view name) {
  for (const ChildConfig& c : sa.config().children)
    if (c.name == name) return &c;
  return nullptr;
}

class ChildCreate final : public Task {
 public:
  explicit ChildCreate(size_t config) : Task(TaskKind::kChildCreate), config_(config) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    ENSURE(config_ < sa.config().children.size(), kInvalidArgument, kNoOffset, "",
           fmt::format("no CHILD SA configuration #{}", config_));
    return child_.Request(sa, sa.config().children[config_], true);
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& response) override {
    if (const NotifyPayload* n = FindErrorNotify(response)) return NotifiedError(*n, "rfc7296#section-1.3.1");
    TRY_ASSIGN(ChildSa child, child_.Complete(sa, response, true));
    InstallChild(sa, std::move(child));
    return Next::kDone;
  }

  Status ProcessR(IkeSa& sa, const Message& request) override { return child_.Accept(sa, request, true); }

  Result<Response> BuildR(IkeSa& sa) override {
    ChildSa child;
    TRY_ASSIGN(std::vector<Payload> payloads, child_.Answer(sa, true, child));
    const bool accepted = !child_.refusal;
    if (accepted) InstallChild(sa, std::move(child));
    return Response{std::move(payloads), true, accepted};
  }

 private:
  size_t config_;
  ChildNegotiation child_;
};

//= rfc7296#section-2.8
//# A CHILD SA is rekeyed by creating its successor with N(REKEY_SA) naming
//# it, then deleting it; the successor keeps its traffic selectors.
class ChildRekey final : public Task {
 public:
  explicit ChildRekey(uint32_t spi_in) : Task(TaskKind::kChildRekey), spi_in_(spi_in) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    ChildSa* old = sa.FindChildByInbound(spi_in_);
    ENSURE(old != nullptr && old->state == ChildState::kInstalled, kChildSaNotFound, kNoOffset,
           "rfc7296#section-1.3.3", fmt::format("no installed CHILD SA {:08x} to rekey", spi_in_));
    const ChildConfig* config = ConfigNamed(sa, old->config_name);
    ENSURE(config != nullptr, kChildSaNotFound, kNoOffset, "rfc7296#section-1.3.3",
           fmt::format("CHILD SA {:08x} has no configuration '{}'", spi_in_, old->config_name));
    successor_ = *config;
    successor_.local_ts = old->local_ts;
    successor_.remote_ts = old->remote_ts;
    successor_.transport_mode = old->transport_mode;
    old->state = ChildState::kRekeying;
    started_ = true;
    //= rfc7296#section-1.3.3
    //# N(REKEY_SA) carries the protocol and the SPI of the SA being rekeyed,
    //# the one this end receives on.
    std::vector<Payload> out{NotifyPayloadOf(iana::NotifyType::kRekeySa, {}, old->protocol, SpiBytes(spi_in_))};
    TRY_ASSIGN(std::vector<Payload> child, child_.Request(sa, successor_, true));
    for (Payload& p : child) out.push_back(std::move(p));
    return out;
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& response) override {
    ChildSa* old = sa.FindChildByInbound(spi_in_);
    if (const NotifyPayload* n = FindErrorNotify(response)) {
      Settle(sa, old);
      if (old != nullptr && n->notify_message_type == iana::NotifyType::kChildSaNotFound) {
        //= rfc7296#section-2.25
        //# CHILD_SA_NOT_FOUND: the peer no longer has the SA; this end
        //# deletes it silently and creates a new CHILD SA from scratch,
        //# unless the peer's own crossing rekey of it already made its
        //# successor (the peer answers NOT_FOUND once its rekey is done).
        const bool succeeded = old->rekeyed_into != 0 && sa.FindChildByInbound(old->rekeyed_into) != nullptr;
        if (!succeeded)
          for (size_t c = 0; c < sa.config().children.size(); ++c)
            if (sa.config().children[c].name == old->config_name) sa.Queue(MakeChildCreate(c));
        sa.RemoveChild(spi_in_);
      } else if (old != nullptr && n->notify_message_type == iana::NotifyType::kTemporaryFailure &&
                 old->state == ChildState::kInstalled) {
        old->rekey_at = sa.now() + TemporaryFailureRetry(sa);
      }
      return NotifiedError(*n, "rfc7296#section-1.3.3");
    }
    TRY_ASSIGN(ChildSa child, child_.Complete(sa, response, true));
    const uint32_t ours = child.spi_in;
    const Bytes our_nonce = child.lowest_nonce;
    InstallChild(sa, std::move(child));
    old = sa.FindChildByInbound(spi_in_);  // the install may have moved it
    // The CHILD SA the peer's crossing rekey of the same SA created, if
    // there was one (recorded when this end answered it, with its lowest
    // nonce, kept even if the peer has deleted or rekeyed either SA since).
    const IkeSa::CrossedRekey theirs = sa.ChildHolder().TakeCrossedRekey(spi_in_);
    if (theirs.successor_spi_in != 0 &&
        !std::lexicographical_compare(theirs.lowest_nonce.begin(), theirs.lowest_nonce.end(), our_nonce.begin(),
                                      our_nonce.end())) {
      //= rfc7296#section-2.8.1
      //# Simultaneous rekeys: of the two new SAs, the one whose exchange had
      //# the lowest of the four nonces is redundant and is deleted by the end
      //# that created it; the other end deletes the old SA.
      sa.Log(fmt::format("rekey collision on CHILD SA {:08x}: this end's {:08x} has the lowest nonce and goes",
                         spi_in_, ours));
      if (old != nullptr) old->state = ChildState::kRekeyed;
      sa.Queue(MakeChildDelete(ours));
      return Next::kDone;
    }
    if (theirs.successor_spi_in != 0) {
      sa.Log(fmt::format("rekey collision on CHILD SA {:08x}: the peer's {:08x} has the lowest nonce and goes",
                         spi_in_, theirs.successor_spi_in));
      //= rfc7296#section-2.8.1
      //# The redundant CHILD SA is the peer's to delete: until it does, this
      //# end holds it as replaced (by this end's new SA), so it is neither
      //# rekeyed nor used to send; a successor of it would outlive its
      //# Delete next to the SA that replaced it.
      if (ChildSa* redundant = sa.FindChildByInbound(theirs.successor_spi_in);
          redundant != nullptr && redundant->state == ChildState::kInstalled) {
        redundant->state = ChildState::kRekeyed;
        redundant->rekeyed_into = ours;
      }
    }
    //= rfc7296#section-2.25.1
    //# If the peer deleted the old SA while the rekey was under way, the new
    //# one stands and there is nothing left to delete.
    if (old == nullptr) return Next::kDone;
    old->state = ChildState::kRekeyed;
    sa.Queue(MakeChildDelete(spi_in_));
    return Next::kDone;
  }

  void Abandon(IkeSa& sa) override {
    sa.ChildHolder().TakeCrossedRekey(spi_in_);
    Settle(sa, sa.FindChildByInbound(spi_in_));
  }

  Status ProcessR(IkeSa& sa, const Message& request) override {
    const NotifyPayload* rekey = FindNotify(request, iana::NotifyType::kRekeySa);
    TRY_ASSIGN(uint32_t spi, ChildSpiOf(rekey->spi, kNoOffset));
    ChildSa* old = sa.FindChildByOutbound(spi);
    //= ipsecref#choice
    //# While this end's own CHILD SA creation or rekey is outstanding, a
    //# rekey of an SPI it does not know may name the SA that exchange is
    //# creating (the peer answered, the answer is still on its way): it is
    //# answered TEMPORARY_FAILURE, not CHILD_SA_NOT_FOUND, which would make
    //# the peer drop an SA this end is about to install.
    bool creating = false;
    sa.ForEachTask([&](const Task& t) {
      creating = creating || t.kind() == TaskKind::kChildCreate || t.kind() == TaskKind::kChildRekey;
    });
    ENSURE(old != nullptr || !creating, kTemporaryFailure, kNoOffset, "rfc7296#section-2.25",
           fmt::format("no CHILD SA with outbound SPI {:08x} yet: this end's CHILD SA exchange is under way", spi));
    //= rfc7296#section-2.25.1
    //# A rekey of a CHILD SA the responder does not have is answered
    //# CHILD_SA_NOT_FOUND; one of a CHILD SA it is deleting, TEMPORARY_FAILURE.
    ENSURE(old != nullptr && old->state != ChildState::kRekeyed, kChildSaNotFound, kNoOffset, "rfc7296#section-2.25.1",
           fmt::format("no CHILD SA with outbound SPI {:08x}", spi));
    ENSURE(old->state != ChildState::kDeleting, kTemporaryFailure, kNoOffset, "rfc7296#section-2.25.1",
           fmt::format("CHILD SA {:08x} is being deleted", old->spi_in));
    old_spi_in_ = old->spi_in;
    return child_.Accept(sa, request, true);
  }

  Result<Response> BuildR(IkeSa& sa) override {
    ChildSa child;
    TRY_ASSIGN(std::vector<Payload> payloads, child_.Answer(sa, true, child));
    if (child_.refusal) return Response{std::move(payloads), true, false};
    if (ChildSa* old = sa.FindChildByInbound(old_spi_in_)) {
      old->rekeyed_into = child.spi_in;
      if (old->state == ChildState::kRekeying)
        sa.ChildHolder().RecordCrossedRekey(old->spi_in, child.spi_in, child.lowest_nonce);
      // With this end's own rekey outstanding the collision is settled when
      // that completes; otherwise the initiator deletes the old SA.
      if (old->state == ChildState::kInstalled) old->state = ChildState::kRekeyed;
    }
    InstallChild(sa, std::move(child));
    return Response{std::move(payloads), true};
  }

 private:
  // A rekey that did not complete: the old SA carries traffic again,
  // unless the peer's own rekey of it completed, which then stands.
  void Settle(IkeSa& /*sa*/, ChildSa* old) {
    if (!started_ || old == nullptr || old->state != ChildState::kRekeying) return;
    old->state = old->rekeyed_into != 0 ? ChildState::kRekeyed : ChildState::kInstalled;
  }

  uint32_t spi_in_;
  bool started_ = false;  // this task marked the old SA REKEYING
  uint32_t old_spi_in_ = 0;
  ChildConfig successor_;
  ChildNegotiation child_;
};

}  // namespace

std::unique_ptr<Task> MakeChildCreate(size_t config) { return std::make_unique<ChildCreate>(config); }
std::unique_ptr<Task> MakeChildRekey(uint32_t spi_in) { return std::make_unique<ChildRekey>(spi_in); }

}  // namespace ipsecref::ike::sa
