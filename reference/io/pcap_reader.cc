#include "reference/io/pcap_reader.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace ipsecref::io {

std::string Timestamp::ToString() const { return fmt::format("{}.{:09}", seconds, nanoseconds); }

double Timestamp::SecondsSince(const Timestamp& earlier) const {
  return static_cast<double>(seconds - earlier.seconds) +
         (static_cast<double>(nanoseconds) - static_cast<double>(earlier.nanoseconds)) / 1e9;
}

int64_t Timestamp::ToNanoseconds() const {
  constexpr int64_t kBillion = 1'000'000'000;
  if (seconds >= std::numeric_limits<int64_t>::max() / kBillion) return std::numeric_limits<int64_t>::max();
  if (seconds <= std::numeric_limits<int64_t>::min() / kBillion) return std::numeric_limits<int64_t>::min();
  return seconds * kBillion + nanoseconds;
}

Timestamp Timestamp::FromNanoseconds(int64_t ns) {
  constexpr int64_t kBillion = 1'000'000'000;
  int64_t s = ns / kBillion, rest = ns % kBillion;
  if (rest < 0) {
    rest += kBillion;
    --s;
  }
  return Timestamp{s, static_cast<uint32_t>(rest)};
}

ByteSpan CapturedPacket::ip() const {
  if (!is_ip() || link->offset > frame.size()) return {};
  return ByteSpan(frame).subspan(link->offset);
}

namespace {

// libpcap's messages about a file that is not a capture, or not one it reads.
Error OpenError(const std::string& name, const char* why) {
  return MakeError(Code::kBadFile, kNoOffset, "pcap/pcapng", fmt::format("{}: {}", name, why));
}

}  // namespace

PcapReader::PcapReader(Key, pcap* handle, std::string name, int link_type, Bytes memory)
    : handle_(handle), memory_(std::move(memory)), name_(std::move(name)), link_type_(link_type) {}

PcapReader::~PcapReader() { pcap_close(handle_); }

Result<std::unique_ptr<PcapReader>> PcapReader::Adopt(pcap* p, std::string name, Bytes memory) {
  const int link_type = pcap_datalink(p);
  if (!IsSupportedLinkType(link_type)) {
    pcap_close(p);
    return MakeError(Code::kUnsupported, kNoOffset, "",
                     fmt::format("{}: {} is not supported; supported: {}", name,
                                 LinkTypeName(link_type), SupportedLinkTypes()));
  }
  return std::make_unique<PcapReader>(Key{}, p, std::move(name), link_type, std::move(memory));
}

Result<std::unique_ptr<PcapReader>> PcapReader::Open(const std::string& path) {
  // Opened once: a FIFO's data would be gone by a second open (which then
  // waits for a writer that never comes).
  FILE* f = std::fopen(path.c_str(), "rb");
  ENSURE(f != nullptr, kIoError, kNoOffset, "", fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fclose(f);  // libpcap leaves the FILE open when it fails
    return OpenError(path, errbuf);
  }
  return Adopt(p, path, {});
}

Result<std::unique_ptr<PcapReader>> PcapReader::OpenMemory(ByteSpan data, std::string name) {
  ENSURE(!data.empty(), kBadFile, 0, "pcap/pcapng", fmt::format("{}: empty file", name));
  Bytes copy(data.begin(), data.end());
  // The FILE reads from `copy`'s buffer, which moves into the reader intact.
  FILE* f = fmemopen(copy.data(), copy.size(), "rb");
  ENSURE(f != nullptr, kIoError, kNoOffset, "", fmt::format("{}: fmemopen failed", name));
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    std::fclose(f);  // libpcap leaves the FILE open when it fails
    return OpenError(name, errbuf);
  }
  return Adopt(p, std::move(name), std::move(copy));
}

Result<std::optional<CapturedPacket>> PcapReader::Next() {
  if (done_) return std::optional<CapturedPacket>();
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == PCAP_ERROR_BREAK) {
    done_ = true;
    return std::optional<CapturedPacket>();
  }
  if (rc != 1) {
    done_ = true;
    return MakeError(Code::kBadFile, kNoOffset, "pcap/pcapng",
                     fmt::format("{} packet {}: {}", name_, count_ + 1, pcap_geterr(handle_)));
  }
  CapturedPacket packet;
  packet.number = ++count_;
  // With nanosecond precision requested, libpcap puts nanoseconds in
  // tv_usec; a damaged record may hold a second or more there.
  const uint64_t fraction = static_cast<uint64_t>(header->ts.tv_usec);
  packet.timestamp.seconds =
      static_cast<int64_t>(header->ts.tv_sec) + static_cast<int64_t>(fraction / 1'000'000'000);
  packet.timestamp.nanoseconds = static_cast<uint32_t>(fraction % 1'000'000'000);
  packet.captured_length = header->caplen;
  packet.original_length = header->len;
  packet.frame.assign(data, data + header->caplen);
  packet.link = DecodeLinkLayer(link_type_, packet.frame);
  return std::optional<CapturedPacket>(std::move(packet));
}

std::optional<uint64_t> PcapReader::position() const {
  FILE* file = pcap_file(handle_);
  if (file == nullptr) return std::nullopt;
  const long at = std::ftell(file);
  if (at < 0) return std::nullopt;
  return static_cast<uint64_t>(at);
}

Result<std::vector<CapturedPacket>> ReadCapture(const std::string& path) {
  TRY_ASSIGN(std::unique_ptr<PcapReader> reader, PcapReader::Open(path));
  std::vector<CapturedPacket> packets;
  for (;;) {
    TRY_ASSIGN(std::optional<CapturedPacket> packet, reader->Next());
    if (!packet) return packets;
    packets.push_back(std::move(*packet));
  }
}

}  // namespace ipsecref::io
