#include "reference/spu/worker.h"

#include <fmt/format.h>

#include <algorithm>

#include "reference/esp/esp_packet.h"

namespace ipsecref::spu {

Work ControlWork(Control c) {
  Work w;
  w.state = Work::State::kControl;
  w.control = std::make_unique<Control>(std::move(c));
  return w;
}

std::variant<SpuIndex, DispatchDrop> Shared::Route(const io::Classified& c) const {
  const KindRoute& route = kKindRoutes[static_cast<size_t>(c.kind)];
  if (route.by == RouteBy::kNone) return route.otherwise;
  //= rfc4303#section-3.4.1
  //# ESP (and AH, RFC 4302 §3.4.1) is processed on whole packets only.
  if (c.view.fragment) return DispatchDrop::kFragment;
  if (route.by == RouteBy::kIkeSpis) {
    if (!c.ike_spi_i) return DispatchDrop::kNoSpi;
    auto it = ike_routes.find(IkeKey{*c.ike_spi_i, c.ike_spi_r.value_or(0)});
    if (it == ike_routes.end()) it = ike_routes.find(IkeKey{*c.ike_spi_i, 0});
    if (it == ike_routes.end()) return route.otherwise;
    return it->second;
  }
  if (!c.spi) return DispatchDrop::kNoSpi;
  const auto& table = Routes(route.by == RouteBy::kAhSpi ? IpProtocol::kAh : IpProtocol::kEsp);
  auto it = table.find(*c.spi);
  if (it == table.end()) return route.otherwise;
  return it->second;
}

size_t Shared::Acquire(size_t want, bool wait) {
  size_t current = in_flight.load();
  for (;;) {
    if (current < limit) {
      const size_t take = std::min(want, limit - current);
      if (in_flight.compare_exchange_weak(current, current + take)) return take;
      continue;
    }
    if (!wait) return 0;
    std::unique_lock lock(credit_mu);
    ++credit_waiters;
    credit_cv.wait(lock, [&] { return in_flight.load() < limit; });
    --credit_waiters;
    current = in_flight.load();
  }
}

void Shared::Release(size_t n) {
  if (n == 0) return;
  in_flight.fetch_sub(n);
  if (credit_waiters.load() > 0) {
    std::lock_guard lock(credit_mu);
    credit_cv.notify_all();
  }
}

void Spu::Run() {
  std::vector<Work> batch;
  std::vector<std::vector<Work>> handover(spus.size());
  std::vector<Bytes> used;
  while (queue.Pop(batch)) {
    Classify(batch, handover);
    size_t finished = 0;
    for (Work& w : batch) {
      switch (w.state) {
        case Work::State::kControl:
          // What came before the control item is handed over first: a
          // drain marker then follows it everywhere.
          HandOver(handover);
          (*w.control)(*this);
          continue;
        case Work::State::kTaken:  // dropped while classifying
          break;
        case Work::State::kHandedOver:
          continue;
        case Work::State::kRouted:
          Handle(w);
          break;
      }
      ++finished;
      used.push_back(std::move(w.packet.data));
    }
    HandOver(handover);
    batch.clear();
    shared.Release(finished);
    Recycle(used);
  }
}

void Spu::Classify(std::vector<Work>& batch, std::vector<std::vector<Work>>& handover) {
  bool any = false;
  for (const Work& w : batch) any |= w.state == Work::State::kTaken;
  if (!any) return;
  std::shared_lock lock(shared.routes_mu);
  for (Work& w : batch) {
    if (w.state != Work::State::kTaken) continue;
    auto c = io::Classify(PacketBytes(w.packet));
    if (!c) {
      Bump(dropped[static_cast<size_t>(DispatchDrop::kMalformed)]);
      continue;
    }
    const auto route = shared.Route(*c);
    if (const auto* drop = std::get_if<DispatchDrop>(&route)) {
      Bump(dropped[static_cast<size_t>(*drop)]);
      continue;
    }
    w.state = Work::State::kRouted;
    w.kind = c->kind;
    w.spi = c->spi.value_or(0);
    w.payload_offset = c->payload_offset;
    const SpuIndex anchor = std::get<SpuIndex>(route);
    if (anchor != index) {
      handover[anchor].push_back(std::move(w));
      w.state = Work::State::kHandedOver;
    }
  }
}

void Spu::HandOver(std::vector<std::vector<Work>>& handover) {
  for (size_t i = 0; i < handover.size(); ++i) {
    if (handover[i].empty()) continue;
    // The credits bound every queue: this cannot fail but on shutdown;
    // should it, the packets are counted, not lost.
    if (!spus[i]->queue.Push(handover[i])) {
      dropped[static_cast<size_t>(DispatchDrop::kQueueFull)].fetch_add(handover[i].size());
      shared.Release(handover[i].size());
    }
    handover[i].clear();
  }
}

void Spu::Recycle(std::vector<Bytes>& used) {
  constexpr size_t kMaxSpare = 4096;
  // Lent packets leave no buffer behind: no lock for them.
  if (std::none_of(used.begin(), used.end(), [](const Bytes& b) { return b.capacity() != 0; })) {
    used.clear();
    return;
  }
  std::lock_guard lock(spare_mu);
  for (Bytes& b : used)
    if (b.capacity() != 0 && spare.size() < kMaxSpare) {
      b.clear();
      spare.push_back(std::move(b));
    }
  used.clear();
}

void Spu::Handle(Work& w) {
  Bump(processed);
  const bool lent = w.packet.data.empty();
  if (lent) {
    scratch.assign(w.packet.lent.begin(), w.packet.lent.end());
    std::swap(scratch, w.packet.data);  // back to `scratch` below
  }
  HandleOwned(w);
  if (lent) std::swap(scratch, w.packet.data);
}

void Spu::HandleOwned(Work& w) {
  Outcome o{index, w.packet.tag, w.kind, w.spi};
  std::optional<Error> error;
  switch (kKindRoutes[static_cast<size_t>(w.kind)].by) {
    case RouteBy::kEspSpi: {
      auto r = esp::DecapsulateInPlace(
          [this](uint32_t spi) -> esp::Sa* {
            auto it = esp.find(spi);
            return it == esp.end() ? nullptr : it->second.get();
          },
          w.packet.data);
      if (r) {
        o.seq = r->sequence_number;
        o.packet = r->packet;
      } else {
        error = std::move(r).error();
      }
      break;
    }
    case RouteBy::kAhSpi: {
      auto it = ah.find(w.spi);
      if (it == ah.end()) {
        //= rfc4302#section-3.4.2
        //# No SA for the SPI: the packet is dropped (an auditable event).
        error = MakeError(Code::kNoSa, w.payload_offset + 4, "rfc4302#section-3.4.2",
                          fmt::format("no SA for SPI {:#010x} (removed while queued)", w.spi));
        break;
      }
      auto r = it->second->Verify(w.packet.data);
      if (r) {
        o.seq = r->sequence_number;
        // The verified packet replaces the received one in its buffer.
        w.packet.data.assign(r->packet.begin(), r->packet.end());
        o.packet = w.packet.data;
      } else {
        error = std::move(r).error();
      }
      break;
    }
    case RouteBy::kIkeSpis:
      Bump(ike);
      o.packet = ByteSpan(w.packet.data).subspan(std::min(w.payload_offset, w.packet.data.size()));
      break;
    case RouteBy::kNone: break;  // never routed
  }
  if (error) {
    Bump(rejected[static_cast<size_t>(error->code)]);
    o.error = &*error;
    o.packet = {};
  } else if (o.kind != PacketKind::kIke && o.kind != PacketKind::kIkeNatT) {
    Bump(decapsulated);
  }
  if (shared.config.sink) shared.config.sink(o);
}

}  // namespace ipsecref::spu
