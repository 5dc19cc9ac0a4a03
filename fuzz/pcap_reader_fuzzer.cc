// Fuzz target: reading a capture file (pcap or pcapng, through libpcap over
// fmemopen), the link layers, and judging every packet as `ipsecref check`
// does, with the keys of the project's real captures so that mutated
// captures reach ESP and AH verification.
//
// Input: the bytes of a capture file.
//
// Checked: every record's frame is as long as its captured length; the IP
// bytes lie inside the frame; the checker accounts for every packet read
// (kinds sum to the packet count; per SA, ok + discarded + failed never
// exceed the packets); a verified packet's inner packet is well-formed IP of
// its stated length.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/check.h"
#include "interop/check/capture_check.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/keys_csv.h"
#include "reference/io/pcap_reader.h"
#include "reference/ip/packet.h"

namespace ipsecref::fuzz {
namespace {

// Keys of pcaps/strongswan-gcm, pcaps/strongswan-cbc (esp_sa) and
// pcaps/linux-xfrm-ah-transport (keys.csv.a).
constexpr std::string_view kEspSa =
    "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x30855da0\",\"AES-GCM with 16 octet ICV [RFC4106]\","
    "\"0xe58780413ea67511f11cf840f65f5850a19a865db060840d7c415e3a097d76e39b3f001f\",\"NULL\",\"\"\n"
    "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0xf4befda5\",\"AES-GCM with 16 octet ICV [RFC4106]\","
    "\"0xe7173730ead80ea881a29d8506e3c0d8ca79faa7434210e034b92bd7e5d1da477e2a9948\",\"NULL\",\"\"\n"
    "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x70df769b\",\"AES-CBC [RFC3602]\","
    "\"0xe8d6097c9518d6c2efcfa8a51ecf52e81df8e68ec9da8c63e1b2c3107e54c241\",\"HMAC-SHA-256-128 "
    "[RFC4868]\","
    "\"0xbe7fde1f0bf48481d86bc1a66483dbeec57bb06abce11b2fc8fc38e8116a2b8f\"\n";
constexpr std::string_view kKeysCsv =
    "esp,192.0.2.1[4500],192.0.2.2[4500],cf8a79e1,0,0,2,0,1,0,,"
    "afa04913d1d41e286c5581c2169722e37dd27571,"
    "e32f90b5a9da2798,b572078570d1d739,51\n"
    "esp,192.0.2.2[4500],192.0.2.1[4500],cff6410f,0,0,2,0,1,0,,"
    "de5115fb7694c57eae4eadec6d77faf281a249f0,"
    "e32f90b5a9da2798,b572078570d1d739,51\n";

const io::KeyStore& Keys() {
  static const io::KeyStore keys = [] {
    io::KeyStore k;
    auto esp = io::ParseEspSaFile(kEspSa, "esp_sa");
    auto ah = io::ParseKeysCsv(kKeysCsv, "keys.csv");
    if (!esp || !ah) std::abort();
    for (auto& s : *esp)
      if (!k.Add(std::move(s))) std::abort();
    for (auto& s : *ah)
      if (!k.Add(std::move(s))) std::abort();
    return k;
  }();
  return keys;
}

// Enough to go deep, little enough to stay fast.
constexpr uint64_t kMaxPackets = 256;

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  using namespace ipsecref::fuzz;
  auto reader = io::PcapReader::OpenMemory(ByteSpan(data, size), "fuzz.pcap");
  if (!reader) return 0;
  io::CaptureChecker checker(Keys(), {}, [](const io::PacketResult&, ByteSpan inner) {
    auto v = ip::Parse(inner, /*verify_checksum=*/false);
    Check(v.ok() && v->total_length == inner.size());
  });
  uint64_t read = 0;
  while (read < kMaxPackets) {
    auto next = (*reader)->Next();
    if (!next || !next->has_value()) break;
    const io::CapturedPacket& p = **next;
    ++read;
    Check(p.number == read);
    Check(p.frame.size() == p.captured_length);
    Check(p.timestamp.nanoseconds < 1'000'000'000);
    if (p.is_ip())
      Check(p.link->offset <= p.frame.size() && p.ip().size() == p.frame.size() - p.link->offset);
    checker.Process(p);
  }
  const io::CaptureReport report = checker.Finish("fuzz.pcap", "");
  Check(report.packets == read);
  uint64_t kinds = 0;
  for (uint64_t n : report.kinds) kinds += n;
  Check(kinds == read + report.reassembled);  // a reassembled datagram counts too
  for (const io::SaReport& sa : report.sas) Check(sa.ok + sa.discarded + sa.failed <= sa.packets);
  return 0;
}
