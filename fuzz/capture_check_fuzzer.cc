// Fuzz target: judging a capture (interop/check/capture_check.h) with IP
// reassembly in front, with the keys of pcaps/linux-xfrm-gcm and
// pcaps/linux-xfrm-ipv6, so that mutated (and fragmented) captures of those
// reach ESP verification and its ICV-passing paths.
//
// Input: the bytes of a capture file (pcap or pcapng, read from memory).
// Seeds: small captures of pcaps/ and pcaps/fragments/.
//
// Checked: the checker accounts for every packet read (kinds sum to the
// packets plus the datagrams reassembled; no more datagrams than fragments);
// per SA, ok + discarded + failed never exceed the packets; notable packets
// are in number order and name packets that were read, as do the
// reassembly problems; a verified packet's inner packet is well-formed IP of
// its stated length; the same capture checked again gives the same report.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/check.h"
#include "interop/check/capture_check.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/pcap_reader.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

// pcaps/linux-xfrm-gcm/esp_sa and pcaps/linux-xfrm-ipv6/esp_sa.
constexpr std::string_view kEspSa =
    "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xcdb0fa10\",\"AES-GCM with 16 octet ICV [RFC4106]\","
    "\"0x9d5b3f29ea09cdf59f187097e6d2d9c9e890ae2cb80e0c33bfcbc3b673c09aedefe35d7f\",\"NULL\",\"\"\n"
    "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0xcde4de28\",\"AES-GCM with 16 octet ICV [RFC4106]\","
    "\"0x42d001ae2e2cdd8693738f78981f4df3b5e761c3e0b6427ba8b18451779ca823e4c99095\",\"NULL\",\"\"\n"
    "\"IPv6\",\"2001:db8:0:1::1\",\"2001:db8:0:1::2\",\"0xca59c218\",\"AES-GCM with 16 octet ICV "
    "[RFC4106]\",\"0xa7d52794377af6d42f88475d671e2e1b28abbd0b6a7117f172413ce320a00b44a582b1ff\","
    "\"NULL\",\"\"\n"
    "\"IPv6\",\"2001:db8:0:1::2\",\"2001:db8:0:1::1\",\"0xc0556c98\",\"AES-GCM with 16 octet ICV "
    "[RFC4106]\",\"0x138f8bf4ccd0a5ac068504f3c30dbfa31df46cb6e08984bcee7ed15e230014cf55f63bd1\","
    "\"NULL\",\"\"\n";

const io::KeyStore& Keys() {
  static const io::KeyStore keys = [] {
    io::KeyStore k;
    auto esp = io::ParseEspSaFile(kEspSa, "esp_sa");
    if (!esp) std::abort();
    for (auto& s : *esp)
      if (!k.Add(std::move(s))) std::abort();
    return k;
  }();
  return keys;
}

constexpr uint64_t kMaxPackets = 256;

struct Run {
  io::CaptureReport report;
  uint64_t read = 0;
  uint64_t verified = 0;
};

Run Judge(ByteSpan input) {
  Run run;
  auto reader = io::PcapReader::OpenMemory(input, "fuzz.pcap");
  if (!reader) return run;
  io::CheckOptions options;
  options.reassembly.max_datagrams = 16;
  options.reassembly.max_buffered_bytes = 16384;
  io::CaptureChecker checker(Keys(), options, [&run](const io::PacketResult&, ByteSpan inner) {
    auto v = ip::Parse(inner, /*verify_checksum=*/false);
    Check(v.ok() && v->total_length == inner.size());
    ++run.verified;
  });
  while (run.read < kMaxPackets) {
    auto next = (*reader)->Next();
    if (!next || !next->has_value()) break;
    ++run.read;
    checker.Process(**next);
  }
  run.report = checker.Finish("fuzz.pcap", "");
  return run;
}

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  const Run run = Judge(ByteSpan(data, size));
  const io::CaptureReport& r = run.report;
  Check(r.packets == run.read);
  uint64_t kinds = 0;
  for (uint64_t n : r.kinds) kinds += n;
  Check(kinds == run.read + r.reassembled);
  Check(r.reassembled <= r.kinds[static_cast<size_t>(io::PacketKind::kFragment)]);
  uint64_t ok = 0;
  for (const io::SaReport& sa : r.sas) {
    Check(sa.ok + sa.discarded + sa.failed <= sa.packets);
    ok += sa.ok;
  }
  Check(ok == run.verified);
  for (size_t i = 0; i < r.notable.size(); ++i) {
    Check(r.notable[i].number >= 1 && r.notable[i].number <= run.read);
    if (i > 0) Check(r.notable[i - 1].number <= r.notable[i].number);
  }
  for (const io::ProblemSummary& p : r.reassembly)
    for (uint64_t n : p.packets.kept()) Check(n >= 1 && n <= run.read);
  // Deterministic: the same bytes, the same judgement.
  const Run again = Judge(ByteSpan(data, size));
  Check(again.report.kinds == r.kinds && again.report.reassembled == r.reassembled &&
        again.report.notable.size() == r.notable.size() && again.verified == run.verified);
  return 0;
}
