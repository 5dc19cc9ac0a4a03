// Files laid out as the pcap and pcapng specifications
// (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng) describe them, and a
// real capture whose facts come from tshark.
#include "reference/io/pcap_reader.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reference/io/pcap_writer.h"

namespace ipsecref::io {
namespace {

// Little- or big-endian builder for file structures (ByteWriter is
// network order only, and pcap files are in the writer's order).
class FileWriter {
 public:
  explicit FileWriter(bool little = true) : little_(little) {}
  FileWriter& U16(uint16_t v) { return Int(v, 2); }
  FileWriter& U32(uint32_t v) { return Int(v, 4); }
  FileWriter& Append(ByteSpan b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  Bytes& bytes() { return out_; }

 private:
  FileWriter& Int(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      const int shift = little_ ? 8 * i : 8 * (n - 1 - i);
      out_.push_back(static_cast<uint8_t>(v >> shift));
    }
    return *this;
  }
  bool little_;
  Bytes out_;
};

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;

FileWriter PcapHeader(uint32_t magic, uint32_t link_type, bool little = true,
                      uint32_t snaplen = 65535) {
  FileWriter w(little);
  w.U32(magic).U16(2).U16(4).U32(0).U32(0).U32(snaplen).U32(link_type);
  return w;
}

void Record(FileWriter& w, uint32_t sec, uint32_t frac, ByteSpan data, uint32_t orig_len = 0) {
  w.U32(sec)
      .U32(frac)
      .U32(static_cast<uint32_t>(data.size()))
      .U32(orig_len ? orig_len : static_cast<uint32_t>(data.size()))
      .Append(data);
}

// An IPv4 header of 20 bytes, no payload (not checked here: the reader does
// not parse IP).
const Bytes kIpv4 = {0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2};

Result<std::vector<CapturedPacket>> ReadAll(const Bytes& file, std::string name = "mem.pcap") {
  TRY_ASSIGN(std::unique_ptr<PcapReader> r, PcapReader::OpenMemory(file, std::move(name)));
  std::vector<CapturedPacket> out;
  for (;;) {
    TRY_ASSIGN(std::optional<CapturedPacket> p, r->Next());
    if (!p) return out;
    out.push_back(std::move(*p));
  }
}

TEST(PcapReader, RealCaptureMatchesTshark) {
  // tshark -r pcaps/strongswan-gcm/capture.pcap: 16 frames, Ethernet; frame 1
  // at 1795768171.071481000, 306 bytes; frame 5 at 1795768171.091822000,
  // 162 bytes with an IP total length of 148.
  auto packets = ReadCapture("pcaps/strongswan-gcm/capture.pcap");
  ASSERT_TRUE(packets.ok()) << packets.error().ToString();
  ASSERT_EQ(packets->size(), 16u);
  const CapturedPacket& first = (*packets)[0];
  EXPECT_EQ(first.number, 1u);
  EXPECT_EQ(first.timestamp, (Timestamp{1795768171, 71481000}));
  EXPECT_EQ(first.captured_length, 306u);
  EXPECT_EQ(first.original_length, 306u);
  const CapturedPacket& esp = (*packets)[4];
  EXPECT_EQ(esp.number, 5u);
  EXPECT_EQ(esp.timestamp.ToString(), "1795768171.091822000");
  ASSERT_TRUE(esp.is_ip());
  EXPECT_EQ(esp.link->offset, 14u);
  EXPECT_EQ(esp.ip().size(), 148u);
  EXPECT_FALSE(esp.cut());
}

TEST(PcapReader, PositionCountsTheBytesRead) {
  // The pcap format: a 24-byte file header, then a 16-byte header before
  // each record; frame 1 holds 306 bytes (tshark, above).
  auto reader = PcapReader::Open("pcaps/strongswan-gcm/capture.pcap");
  ASSERT_TRUE(reader.ok()) << reader.error().ToString();
  EXPECT_EQ((*reader)->position(), std::optional<uint64_t>(24));
  ASSERT_TRUE((*reader)->Next().ok());
  EXPECT_EQ((*reader)->position(), std::optional<uint64_t>(24 + 16 + 306));
  for (;;) {
    auto next = (*reader)->Next();
    ASSERT_TRUE(next.ok());
    if (!next->has_value()) break;
  }
  EXPECT_EQ((*reader)->position(),
            std::optional<uint64_t>(std::filesystem::file_size("pcaps/strongswan-gcm/capture.pcap")));
}

TEST(PcapReader, NanosecondAndMicrosecondFiles) {
  FileWriter nano = PcapHeader(kMagicNano, 101);  // LINKTYPE_RAW
  Record(nano, 1700000000, 123456789, kIpv4);
  auto n = ReadAll(nano.bytes());
  ASSERT_TRUE(n.ok()) << n.error().ToString();
  ASSERT_EQ(n->size(), 1u);
  EXPECT_EQ((*n)[0].timestamp, (Timestamp{1700000000, 123456789}));
  ASSERT_TRUE((*n)[0].is_ip());
  EXPECT_EQ((*n)[0].link->protocol, NetworkProtocol::kIpv4);

  FileWriter micro = PcapHeader(kMagicMicro, 101);
  Record(micro, 1700000000, 20341, kIpv4);
  auto m = ReadAll(micro.bytes());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)[0].timestamp, (Timestamp{1700000000, 20341000}));
}

TEST(PcapReader, BigEndianFile) {
  FileWriter w = PcapHeader(kMagicMicro, 1, /*little=*/false);
  FileWriter frame;
  frame.Append(Bytes(12, 0xaa)).U16(0x0008).Append(kIpv4);  // little-endian 0x0008: bytes 08 00
  Record(w, 5, 6, frame.bytes());
  auto p = ReadAll(w.bytes());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].timestamp, (Timestamp{5, 6000}));
  EXPECT_EQ((*p)[0].ip().size(), kIpv4.size());
}

TEST(PcapReader, PcapngWithNanosecondResolution) {
  FileWriter w;
  // Section Header Block: type, length, byte-order magic, version 1.0,
  // section length unknown (-1), length again.
  w.U32(0x0a0d0d0a).U32(28).U32(0x1a2b3c4d).U16(1).U16(0).U32(0xffffffff).U32(0xffffffff).U32(28);
  // Interface Description Block: Linux SLL2, snaplen 0, if_tsresol = 9
  // (option 9, length 1, padded), end of options.
  w.U32(1).U32(32).U16(DLT_LINUX_SLL2).U16(0).U32(0);
  w.U16(9).U16(1).Append(Bytes{9, 0, 0, 0}).U16(0).U16(0).U32(32);
  // Enhanced Packet Block with a 20-byte SLL2 header and the IPv4 header.
  Bytes frame = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0x00, 0x01, 0x04, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  frame.insert(frame.end(), kIpv4.begin(), kIpv4.end());
  const uint64_t ns = 1795768171091822123ull;
  const uint32_t length = 32 + static_cast<uint32_t>(frame.size());
  w.U32(6).U32(length).U32(0).U32(static_cast<uint32_t>(ns >> 32)).U32(static_cast<uint32_t>(ns));
  w.U32(static_cast<uint32_t>(frame.size())).U32(static_cast<uint32_t>(frame.size())).Append(frame);
  w.U32(length);
  auto p = ReadAll(w.bytes(), "mem.pcapng");
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ((*p)[0].timestamp, (Timestamp{1795768171, 91822123}));
  ASSERT_TRUE((*p)[0].is_ip());
  EXPECT_EQ((*p)[0].link->offset, 20u);
  EXPECT_EQ((*p)[0].ip().size(), kIpv4.size());
}

TEST(PcapReader, SnaplenCutPacketIsReportedAsCut) {
  FileWriter w = PcapHeader(kMagicMicro, 101, true, 10);
  Record(w, 1, 0, ByteSpan(kIpv4).first(10), 1400);
  auto p = ReadAll(w.bytes());
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_TRUE((*p)[0].cut());
  EXPECT_EQ((*p)[0].captured_length, 10u);
  EXPECT_EQ((*p)[0].original_length, 1400u);
}

TEST(PcapReader, TruncatedFileNamesFileAndPacket) {
  FileWriter w = PcapHeader(kMagicMicro, 101);
  Record(w, 1, 0, kIpv4);
  Record(w, 2, 0, kIpv4);
  Bytes file = w.bytes();
  file.resize(file.size() - 5);  // the second record's data ends early
  auto r = PcapReader::OpenMemory(file, "broken.pcap");
  ASSERT_TRUE(r.ok());
  auto first = (*r)->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  auto second = (*r)->Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Code::kBadFile);
  EXPECT_NE(second.error().detail.find("broken.pcap packet 2"), std::string::npos)
      << second.error().detail;
  // Reading stops at the damage.
  auto after = (*r)->Next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST(PcapReader, NotACaptureIsRefusedWithTheFileName) {
  const std::string text =
      "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"\n";
  auto r = PcapReader::OpenMemory(Bytes(text.begin(), text.end()), "esp_sa");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBadFile);
  EXPECT_EQ(r.error().detail.rfind("esp_sa: ", 0), 0u) << r.error().detail;
  EXPECT_FALSE(PcapReader::OpenMemory(Bytes{}, "empty").ok());
  FileWriter header = PcapHeader(kMagicMicro, 1);
  EXPECT_FALSE(PcapReader::OpenMemory(ByteSpan(header.bytes()).first(10), "short header").ok());
  auto missing = PcapReader::Open("pcaps/does-not-exist.pcap");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Code::kIoError);
  EXPECT_FALSE(PcapReader::Open("pcaps").ok());  // a directory
}

TEST(PcapReader, UnsupportedLinkTypeIsNamed) {
  FileWriter w = PcapHeader(kMagicMicro, DLT_IEEE802_11);
  auto r = PcapReader::OpenMemory(w.bytes(), "wifi.pcap");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kUnsupported);
  EXPECT_NE(r.error().detail.find("wifi.pcap: link type 105"), std::string::npos)
      << r.error().detail;
}

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/ipsecref-pcap-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Bytes Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

TEST(PcapWriter, WritesLinktypeRawNanosecondAndReadsBack) {
  TempFile file;
  auto w = PcapWriter::Create(file.path());
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  ASSERT_TRUE((*w)->Write({1795768171, 91822123}, kIpv4).ok());
  ASSERT_TRUE((*w)->Write({1795768172, 5}, kIpv4).ok());
  ASSERT_TRUE((*w)->Close().ok());
  // The file header: nanosecond magic, version 2.4, LINKTYPE_RAW (101).
  const Bytes raw = Slurp(file.path());
  ASSERT_GE(raw.size(), 24u);
  ByteReader header(raw);
  uint32_t magic_be = 0;
  ASSERT_TRUE(header.ReadU32(magic_be));
  EXPECT_TRUE(magic_be == kMagicNano || magic_be == 0x4d3cb2a1);
  const bool little = magic_be == 0x4d3cb2a1;
  const uint8_t* lt = raw.data() + 20;
  const uint32_t link_type =
      little ? lt[0] | lt[1] << 8 | lt[2] << 16 | uint32_t{lt[3]} << 24 : LoadU32(lt);
  EXPECT_EQ(link_type, 101u);

  auto back = ReadCapture(file.path());
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].timestamp, (Timestamp{1795768171, 91822123}));
  EXPECT_EQ((*back)[1].timestamp, (Timestamp{1795768172, 5}));
  EXPECT_EQ((*back)[0].frame, kIpv4);
  EXPECT_EQ((*back)[0].link->protocol, NetworkProtocol::kIpv4);
}

TEST(PcapWriter, MicrosecondFileRoundsDown) {
  TempFile file;
  auto w = PcapWriter::Create(file.path(), TimestampResolution::kMicroseconds);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write({10, 123456789}, kIpv4).ok());
  ASSERT_TRUE((*w)->Close().ok());
  const Bytes raw = Slurp(file.path());
  ByteReader header(raw);
  uint32_t magic = 0;
  ASSERT_TRUE(header.ReadU32(magic));
  EXPECT_TRUE(magic == kMagicMicro || magic == 0xd4c3b2a1);
  auto back = ReadCapture(file.path());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].timestamp, (Timestamp{10, 123456000}));
}

TEST(PcapWriter, UnwritablePathIsAnIoError) {
  auto w = PcapWriter::Create("/nonexistent-dir/out.pcap");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, Code::kIoError);
  EXPECT_NE(w.error().detail.find("/nonexistent-dir/out.pcap"), std::string::npos);
}

}  // namespace
}  // namespace ipsecref::io
