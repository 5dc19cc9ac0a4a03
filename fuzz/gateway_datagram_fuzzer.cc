// Fuzz target: the live gateway's packet intake (reference/gateway/): the
// dispatch of UDP datagrams on the IKE and NAT-T ports (non-ESP marker,
// NAT-keepalive, ESP in UDP, new IKE SAs placed by the anchoring rules,
// IKE SAs by SPI), raw ESP packets and inner packets from the TUN device,
// each processed on its SPU.
//
// Input layout: byte 0 chooses the path (mod 4): 0 UDP to port 500, 1 UDP
// to port 4500, 2 a raw IP packet (ESP), 3 an inner packet (SPD lookup and
// ESP); byte 1 is the last octet of the UDP source address (198.51.100.x)
// and, with its high bit, the source port 4500 instead of 500; the rest is
// the UDP payload or the IP packet.
//
// Checked (a violation traps): the gateway takes every input without
// crashing, its counters only grow, and every input is counted (a datagram
// in udp_in, an inner packet in inner_in); its half-open IKE SAs stay under
// the limit; the anchoring holds no more IKE SAs than the SPUs run. The
// fake clock advances 100 ms per input, so half-open IKE SAs time out.
#include <cstddef>
#include <cstdint>

#include "fuzz/check.h"
#include "fuzz/gateway_fixture.h"

namespace ipsecref::fuzz {
namespace {

void Run(ByteSpan input) {
  if (input.size() < 2) return;
  FuzzGateway& f = TheGateway();
  gateway::Gateway& g = *f.gateway;
  const gateway::Stats before = g.stats();
  const ByteSpan payload = input.subspan(2);
  const uint8_t path = input[0] % 4;
  if (path < 2) {
    ike::sa::Datagram d;
    d.source.address = {198, 51, 100, static_cast<uint8_t>(input[1] & 0x7f)};
    d.source.port = (input[1] & 0x80) != 0 ? 4500 : 500;
    d.destination.address = {192, 0, 2, 1};
    d.destination.port = path == 0 ? 500 : 4500;
    d.data.assign(payload.begin(), payload.end());
    g.ReceiveUdp(std::move(d));
  } else if (path == 2) {
    g.ReceiveIp(Bytes(payload.begin(), payload.end()));
  } else {
    g.ReceiveInner(Bytes(payload.begin(), payload.end()));
  }
  f.clock.now += 100;
  g.Tick();
  const gateway::Stats after = g.stats();
  Check(after.udp_in == before.udp_in + (path < 2 ? 1 : 0));
  Check(after.inner_in == before.inner_in + (path == 3 ? 1 : 0));
  Check(after.ike_in >= before.ike_in && after.esp_in >= before.esp_in && after.ike_out >= before.ike_out);
  for (size_t i = 0; i < after.dropped.size(); ++i) Check(after.dropped[i].second >= before.dropped[i].second);
  // The responder's limit (1024 half-open IKE SAs per connection and SPU).
  Check(after.half_open <= 2 * 1024);
  size_t ike_sas = 0;
  for (size_t n : after.ike_sas_per_spu) ike_sas += n;
  const spu::Anchoring a = g.anchoring();
  size_t anchored_ike = 0;
  for (const spu::Anchor* x : a.Anchors()) anchored_ike += spu::IsIke(x->kind);
  Check(anchored_ike <= ike_sas + 1);  // + an IKE_SA_INIT placed but refused (its anchor goes at once)
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipsecref::fuzz::Run(ipsecref::ByteSpan(data, size));
  return 0;
}
