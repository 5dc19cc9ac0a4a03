#include "reference/bytes/bytes.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace ipsecref {
namespace {

TEST(ByteReader, ReadsBigEndianAndTracksOffset) {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(data, 100);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  ASSERT_TRUE(r.ReadU8(a));
  ASSERT_TRUE(r.ReadU16(b));
  EXPECT_EQ(r.offset(), 103u);
  ASSERT_TRUE(r.ReadU32(c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x04050607u);
  EXPECT_TRUE(r.empty());
}

// Network byte order: the most significant octet first (RFC 791 Appendix B).
TEST(LoadStore, U64IsBigEndian) {
  const uint8_t bytes[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  EXPECT_EQ(LoadU64(bytes), 0x0102030405060708u);
  const uint8_t high[8] = {0xfe, 0, 0, 0, 0, 0, 0, 0x7f};
  EXPECT_EQ(LoadU64(high), 0xfe0000000000007fu);
  uint8_t out[8];
  StoreU64(out, 0x0102030405060708u);
  EXPECT_EQ(Bytes(out, out + 8), Bytes(bytes, bytes + 8));
  uint64_t read = 0;
  ByteReader r(ByteSpan(high, 8));
  ASSERT_TRUE(r.ReadU64(read));
  EXPECT_EQ(read, 0xfe0000000000007fu);
}

TEST(ByteReader, FailedReadConsumesNothing) {
  const Bytes data = {0xaa, 0xbb, 0xcc};
  ByteReader r(data);
  uint32_t v;
  EXPECT_FALSE(r.ReadU32(v));
  EXPECT_EQ(r.remaining(), 3u);
  ByteSpan s;
  EXPECT_FALSE(r.ReadBytes(4, s));
  EXPECT_EQ(r.offset(), 0u);
  ByteReader child(ByteSpan{});
  ASSERT_TRUE(r.Skip(1));
  ASSERT_TRUE(r.ReadChild(2, child));
  EXPECT_EQ(child.offset(), 1u);
  uint16_t w;
  ASSERT_TRUE(child.ReadU16(w));
  EXPECT_EQ(w, 0xbbcc);
}

TEST(ByteWriter, FillsInALengthPrefix) {
  ByteWriter w;
  w.U8(0x11);
  const auto length = w.ReserveLength(2, w.size());  // counts itself, as IKE lengths count their header
  w.U32(0xdeadbeef);
  ASSERT_TRUE(w.FinishLength(length));
  EXPECT_EQ(ToHex(w.bytes()), "110006deadbeef");
  const auto child = w.ReserveLength(1, w.size() + 1);  // counts what follows it only
  w.U16(0xabcd);
  ASSERT_TRUE(w.FinishLength(child));
  EXPECT_EQ(ToHex(w.bytes()), "110006deadbeef02abcd");
}

// BoringSSL's CBB refuses a child that outgrew its prefix; so do we.
TEST(ByteWriter, ChildThatOutgrowsItsPrefixFails) {
  for (size_t width : {1u, 2u}) {
    const size_t most = (size_t{1} << (8 * width)) - 1;
    ByteWriter fits;
    const auto a = fits.ReserveLength(width, fits.size() + width);
    fits.Zeros(most);
    EXPECT_TRUE(fits.FinishLength(a)) << width;
    ByteWriter over;
    const auto b = over.ReserveLength(width, over.size() + width);
    over.Zeros(most + 1);
    EXPECT_FALSE(over.FinishLength(b)) << width;
    EXPECT_EQ(over.bytes()[0], 0) << "left zero, not wrapped";
  }
  EXPECT_TRUE(ByteWriter::Fits(255, 1));
  EXPECT_FALSE(ByteWriter::Fits(256, 1));
  EXPECT_TRUE(ByteWriter::Fits(65535, 2));
  EXPECT_FALSE(ByteWriter::Fits(65536, 2));
  EXPECT_TRUE(ByteWriter::Fits(SIZE_MAX, 8));
}

TEST(Hex, RejectsMalformedInputWithOffset) {
  auto odd = FromHex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, Code::kBadHex);
  auto bad = FromHex("0x12zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 2u);
  auto ok = FromHex("0x0A:0b 0C");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (Bytes{0x0a, 0x0b, 0x0c}));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2}, Bytes{1, 2, 3}));
}

RC_GTEST_PROP(Hex, RoundTrips, (const std::vector<uint8_t>& data)) {
  auto back = FromHex(ToHex(data));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == data);
  auto secure = SecureFromHex(ToHex(data));
  RC_ASSERT(secure.ok());
  RC_ASSERT(Bytes(secure->begin(), secure->end()) == data);
}

RC_GTEST_PROP(ByteWriter, ReaderReadsWhatWriterWrote,
              (uint8_t a, uint16_t b, uint32_t c, uint64_t d)) {
  ByteWriter w;
  w.U8(a).U16(b).U32(c).U64(d);
  ByteReader r(w.bytes());
  uint8_t a2;
  uint16_t b2;
  uint32_t c2;
  uint64_t d2;
  RC_ASSERT(r.ReadU8(a2) && r.ReadU16(b2) && r.ReadU32(c2) && r.ReadU64(d2));
  RC_ASSERT(r.empty());
  RC_ASSERT(a2 == a && b2 == b && c2 == c && d2 == d);
}

}  // namespace
}  // namespace ipsecref
