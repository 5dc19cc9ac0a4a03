// INFORMATIONAL (RFC 7296 §1.4): deleting CHILD SAs and the IKE SA, and
// the empty request that checks the peer is alive (§2.4).
//
//   HDR, SK {[D]...}  -->
//                     <--  HDR, SK {[D]...}
#include <fmt/format.h>

#include "reference/ike/sa/tasks/common.h"

namespace ipsecref::ike::sa {
namespace {

Payload DeleteOf(iana::SecurityProtocol protocol, const std::vector<uint32_t>& spis) {
  DeletePayload d;
  d.protocol_id = protocol;
  d.spi_size = 4;
  d.num_of_spis = static_cast<uint16_t>(spis.size());
  for (uint32_t spi : spis) d.spis.push_back(SpiBytes(spi));
  return PayloadOf(iana::PayloadType::kDelete, std::move(d));
}

class ChildDelete final : public Task {
 public:
  explicit ChildDelete(uint32_t spi_in, std::optional<iana::SecurityProtocol> refused = std::nullopt)
      : Task(TaskKind::kChildDelete), spi_in_(spi_in), refused_(refused) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    ChildSa* c = sa.FindChildByInbound(spi_in_);
    if (c == nullptr && refused_) return std::vector<Payload>{DeleteOf(*refused_, {spi_in_})};
    ENSURE(c != nullptr, kChildSaNotFound, kNoOffset, "rfc7296#section-1.4.1",
           fmt::format("no CHILD SA {:08x} to delete", spi_in_));
    c->state = ChildState::kDeleting;
    //= rfc7296#section-1.4.1
    //# A Delete names the SPIs this end receives on; the peer answers with
    //# the SPIs of the other direction.
    return std::vector<Payload>{DeleteOf(c->protocol, {spi_in_})};
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& /*response*/) override {
    //= rfc7296#section-2.25.1
    //# A response without the Delete (the peer was closing the SA too)
    //# still ends it.
    sa.RemoveChild(spi_in_);
    sa.Log(fmt::format("CHILD SA {:08x} deleted", spi_in_));
    return Next::kDone;
  }

  // The IKE SA ended with the Delete unanswered. If the CHILD SA moved to
  // an IKE SA that replaced this one, the Delete is sent again there (the
  // peer may or may not have seen it); otherwise it goes with the IKE SA.
  void Abandon(IkeSa& sa) override {
    if (refused_) return;  // nothing of it is held here
    IkeSa& holder = sa.ChildHolder();
    if (&holder != &sa && holder.state != IkeState::kDestroyed && holder.FindChildByInbound(spi_in_) != nullptr) {
      holder.Queue(MakeChildDelete(spi_in_));
      return;
    }
    sa.RemoveChild(spi_in_);
  }

  Status ProcessR(IkeSa& sa, const Message& request) override {
    for (const Payload* p : request.Visible()) {
      const DeletePayload* d = p->as<DeletePayload>();
      if (d == nullptr || d->protocol_id == iana::SecurityProtocol::kIke) continue;
      for (const Bytes& spi_bytes : d->spis) {
        auto spi = ChildSpiOf(spi_bytes, p->offset);
        if (!spi) continue;
        ChildSa* c = sa.FindChildByOutbound(*spi);
        //= rfc7296#section-1.4.1
        //# SPIs of SAs the responder does not have are ignored.
        if (c == nullptr) {
          //= ipsecref#choice
          //# Unless this end's own CHILD SA exchange is outstanding: the SPI
          //# may be of the SA it creates, whose answer is still on its way;
          //# that SA is then not installed when the answer comes.
          if (sa.HasOutstanding(TaskKind::kChildCreate) || sa.HasOutstanding(TaskKind::kChildRekey))
            sa.ChildHolder().deleted_before_known.push_back(*spi);
          continue;
        }
        //= rfc7296#section-2.25.1
        //# When both ends delete the same CHILD SA at once, each answers
        //# without a Delete for it.
        if (c->state != ChildState::kDeleting) answer_[c->protocol].push_back(c->spi_in);
        sa.Log(fmt::format("CHILD SA {:08x} deleted by the peer", c->spi_in));
        sa.RemoveChild(c->spi_in);
      }
    }
    return OkStatus();
  }

  Result<Response> BuildR(IkeSa& /*sa*/) override {
    Response r;
    for (const auto& [protocol, spis] : answer_) r.payloads.push_back(DeleteOf(protocol, spis));
    return r;
  }

 private:
  uint32_t spi_in_;
  std::optional<iana::SecurityProtocol> refused_;  // a CHILD SA only the peer installed
  std::map<iana::SecurityProtocol, std::vector<uint32_t>> answer_;
};

class IkeDelete final : public Task {
 public:
  IkeDelete() : Task(TaskKind::kIkeDelete) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    sa.state = IkeState::kDeleting;
    DeletePayload d;
    //= rfc7296#section-3.11
    //# The IKE SA is deleted with Protocol ID 1, SPI Size 0 and no SPIs: the
    //# header names it.
    d.protocol_id = iana::SecurityProtocol::kIke;
    d.spi_size = 0;
    return std::vector<Payload>{PayloadOf(iana::PayloadType::kDelete, std::move(d))};
  }
  Result<Next> ProcessI(IkeSa& /*sa*/, const Message& /*response*/) override { return Next::kDone; }
  Status ProcessR(IkeSa& /*sa*/, const Message& /*request*/) override { return OkStatus(); }
  //= rfc7296#section-1.4.1
  //# The response to the IKE SA's Delete is empty; both ends then forget
  //# the IKE SA and its CHILD SAs.
  Result<Response> BuildR(IkeSa& /*sa*/) override { return Response{}; }
};

class Liveness final : public Task {
 public:
  Liveness() : Task(TaskKind::kLiveness) {}
  Result<std::vector<Payload>> BuildI(IkeSa& /*sa*/) override { return std::vector<Payload>{}; }
  Result<Next> ProcessI(IkeSa& /*sa*/, const Message& /*response*/) override { return Next::kDone; }
  Status ProcessR(IkeSa& /*sa*/, const Message& /*request*/) override { return OkStatus(); }
  Result<Response> BuildR(IkeSa& /*sa*/) override { return Response{}; }
};

}  // namespace

std::unique_ptr<Task> MakeChildDelete(uint32_t spi_in) { return std::make_unique<ChildDelete>(spi_in); }
std::unique_ptr<Task> MakeRefusedChildDelete(iana::SecurityProtocol protocol, uint32_t spi_in) {
  return std::make_unique<ChildDelete>(spi_in, protocol);
}
std::unique_ptr<Task> MakeIkeDelete() { return std::make_unique<IkeDelete>(); }
std::unique_ptr<Task> MakeLiveness() { return std::make_unique<Liveness>(); }

}  // namespace ipsecref::ike::sa
