// make_esp_capture OUT_DIR [--packets N] [--seed S] [--tunnels T]
//
// Writes OUT_DIR/capture.pcap: N ESP packets of T tunnel-mode SAs in both
// directions (2T SAs, taking turns), AES-128-GCM-16 (ENCR_AES_GCM_16 with a
// 128-bit key and a 4-byte salt, RFC 4106), IPv4 outside and inside, each
// packet 1400 bytes on the wire:
//   20 (outer IPv4) + 8 (SPI, sequence number) + 8 (IV) + 1346 (inner IPv4 +
//   UDP + 1318 bytes of payload) + 2 (pad length, next header; no padding
//   needed for GCM's 4-byte alignment) + 16 (ICV)
// and OUT_DIR/esp_sa, the keys in Wireshark's esp_sa UAT dialect
// (io::WriteEspSaFile), which both `ipsecref check --keys OUT_DIR` and
// tshark (`-o uat:esp_sa:<line>`) read. The packets are made by the
// reference's own sender (esp::Encapsulate), keys and inner payloads come
// from a deterministic generator seeded with S: the same arguments give the
// same file, byte for byte.
//
// For tools/bench/check_vs_tshark.sh (ipsecref check against tshark's ESP
// decryption) and the `captures` test that has both of them open a small one.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/esp/esp_packet.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/keys.h"
#include "reference/io/pcap_writer.h"
#include "reference/ip/packet.h"

namespace {

using ipsecref::Bytes;
using ipsecref::SecureBytes;
namespace esp = ipsecref::esp;
namespace io = ipsecref::io;

constexpr size_t kOuterSize = 1400;
constexpr size_t kInnerSize = 1346;
constexpr size_t kUdpHeader = 8;
constexpr size_t kGcmKey = 16, kGcmSalt = 4;  // AES-128, RFC 4106 §8.1
// The Echo port (RFC 862): Wireshark shows its payload as echo data. On a
// port without a dissector Wireshark tries heuristic dissectors on the random
// payload, and one that throws on it cuts the ESP dissection short (the ICV
// is then not shown as checked).
constexpr uint16_t kInnerPort = 7;
constexpr uint8_t kUdp = 17;

// One direction of a tunnel: an SA with its endpoints.
struct Direction {
  std::unique_ptr<esp::Sa> sa;
  Bytes gateway_src, gateway_dst;  // outer
  Bytes host_src, host_dst;        // inner
};

Bytes Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

// An inner IPv4/UDP packet of kInnerSize bytes whose payload is `rng`'s.
Bytes InnerPacket(const Direction& d, uint16_t identification, ipsecref::crypto::Rng& rng) {
  Bytes p(kInnerSize, 0);
  p[0] = 0x45;
  ipsecref::StoreU16(&p[4], identification);
  p[6] = 0x40;  // DF
  p[8] = 64;
  p[9] = kUdp;
  std::copy(d.host_src.begin(), d.host_src.end(), p.begin() + 12);
  std::copy(d.host_dst.begin(), d.host_dst.end(), p.begin() + 16);
  ipsecref::ip::FixLengths(p, 4);
  ipsecref::MutableByteSpan udp = ipsecref::MutableByteSpan(p).subspan(ipsecref::ip::kIpv4MinHeader);
  ipsecref::StoreU16(&udp[0], kInnerPort);  // source port
  ipsecref::StoreU16(&udp[2], kInnerPort);  // destination port
  ipsecref::StoreU16(&udp[4], static_cast<uint16_t>(udp.size()));
  rng.Fill(udp.subspan(kUdpHeader));
  //= rfc768
  //# The checksum covers the pseudo header and the datagram, its own field zero.
  ipsecref::StoreU16(&udp[6], ipsecref::ip::UdpChecksum(d.host_src, d.host_dst, udp));
  return p;
}

int Run(const std::string& out_dir, uint64_t packets, uint64_t seed, size_t tunnels) {
  auto rng = ipsecref::crypto::MakeDeterministicRng(seed);
  std::vector<Direction> directions;
  std::vector<io::SaKeys> keys;
  for (size_t t = 0; t < tunnels; ++t) {
    const uint8_t n = static_cast<uint8_t>(t + 1);
    // Gateway 192.0.2.1 (ours) and peer 198.51.100.n; hosts 10.1.n.1 behind
    // ours, 10.2.n.1 behind the peer (RFC 5737 documentation ranges outside).
    const Bytes ours = Ipv4(192, 0, 2, 1), peer = Ipv4(198, 51, 100, n);
    const Bytes our_host = Ipv4(10, 1, n, 1), peer_host = Ipv4(10, 2, n, 1);
    for (int outbound = 0; outbound < 2; ++outbound) {
      Direction d;
      d.gateway_src = outbound ? ours : peer;
      d.gateway_dst = outbound ? peer : ours;
      d.host_src = outbound ? our_host : peer_host;
      d.host_dst = outbound ? peer_host : our_host;
      esp::SaConfig c;
      c.spi = 0xc0de0000u + static_cast<uint32_t>(t) * 2 + static_cast<uint32_t>(outbound);
      c.mode = esp::Mode::kTunnel;
      c.encr = ipsecref::iana::Encr::kAesGcm16;
      c.encr_key = SecureBytes(kGcmKey + kGcmSalt);
      rng->Fill(c.encr_key);
      c.tunnel_src = d.gateway_src;
      c.tunnel_dst = d.gateway_dst;
      io::SaKeys k;
      k.protocol = io::SaProtocol::kEsp;
      k.src = d.gateway_src;
      k.dst = d.gateway_dst;
      k.spi = c.spi;
      k.encr = c.encr;
      k.encr_key = c.encr_key;
      k.integ = ipsecref::iana::Integ::kNone;  // GCM's ICV is its integrity
      keys.push_back(std::move(k));
      auto sa = esp::Sa::Create(c);
      if (!sa.ok()) {
        std::fprintf(stderr, "make_esp_capture: %s\n", sa.error().ToString().c_str());
        return 1;
      }
      d.sa = std::move(sa).value();
      directions.push_back(std::move(d));
    }
  }

  auto esp_sa = io::WriteEspSaFile(keys);
  if (!esp_sa.ok()) {
    std::fprintf(stderr, "make_esp_capture: %s\n", esp_sa.error().ToString().c_str());
    return 1;
  }
  const std::string keys_path = out_dir + "/esp_sa";
  std::ofstream(keys_path) << *esp_sa;

  const std::string capture_path = out_dir + "/capture.pcap";
  auto writer = io::PcapWriter::Create(capture_path, io::TimestampResolution::kMicroseconds);
  if (!writer.ok()) {
    std::fprintf(stderr, "make_esp_capture: %s\n", writer.error().ToString().c_str());
    return 1;
  }
  Bytes wire;
  for (uint64_t i = 0; i < packets; ++i) {
    Direction& d = directions[i % directions.size()];
    const Bytes inner = InnerPacket(d, static_cast<uint16_t>(i / directions.size()), *rng);
    wire.clear();
    if (auto s = esp::Encapsulate(*d.sa, inner, wire); !s.ok()) {
      std::fprintf(stderr, "make_esp_capture: packet %llu: %s\n",
                   static_cast<unsigned long long>(i + 1), s.error().ToString().c_str());
      return 1;
    }
    if (wire.size() != kOuterSize) {
      std::fprintf(stderr, "make_esp_capture: packet %llu is %zu bytes, not %zu\n",
                   static_cast<unsigned long long>(i + 1), wire.size(), kOuterSize);
      return 1;
    }
    // 10 µs apart from 2026-01-01 00:00:00 UTC.
    const uint64_t us = i * 10;
    const io::Timestamp ts{1767225600 + static_cast<int64_t>(us / 1'000'000),
                           static_cast<uint32_t>(us % 1'000'000) * 1000};
    if (auto s = (*writer)->Write(ts, wire); !s.ok()) {
      std::fprintf(stderr, "make_esp_capture: %s\n", s.error().ToString().c_str());
      return 1;
    }
  }
  if (auto s = (*writer)->Close(); !s.ok()) {
    std::fprintf(stderr, "make_esp_capture: %s\n", s.error().ToString().c_str());
    return 1;
  }
  std::printf("%s: %llu ESP packets of %zu bytes, %zu SAs (AES-128-GCM-16, tunnel mode)\n%s\n",
              capture_path.c_str(), static_cast<unsigned long long>(packets), kOuterSize,
              directions.size(), keys_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a capture of ESP packets (AES-128-GCM-16, tunnel mode) and its esp_sa"};
  std::string out_dir;
  uint64_t packets = 100000;
  uint64_t seed = 1;
  size_t tunnels = 4;
  app.add_option("OUT_DIR", out_dir, "directory for capture.pcap and esp_sa")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--packets", packets, "number of ESP packets")->capture_default_str();
  app.add_option("--seed", seed, "seed for keys and payloads")->capture_default_str();
  app.add_option("--tunnels", tunnels, "tunnels, two SAs each")
      ->check(CLI::Range(1, 200))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return Run(out_dir, packets, seed, tunnels);
}
