#include "reference/bytes/bytes.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace ipsecref {

std::string AddressText(ByteSpan address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.size() == 4 || address.size() == 16) {
    inet_ntop(address.size() == 4 ? AF_INET : AF_INET6, address.data(), text, sizeof text);
    return text;
  }
  return fmt::format("<{}-byte address {}>", address.size(), ToHex(address));
}

std::string ToHex(ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Container>
Result<Container> DecodeHex(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  Container out;
  out.reserve(hex.size() / 2);
  int high = -1;
  for (size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':') {
      ENSURE(high < 0, kBadHex, i, "", "separator inside a byte");
      continue;
    }
    int v = HexValue(c);
    ENSURE(v >= 0, kBadHex, i, "", fmt::format("'{}' is not a hex digit", c));
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  ENSURE(high < 0, kBadHex, hex.size(), "", "odd number of hex digits");
  return out;
}

}  // namespace

Result<Bytes> FromHex(std::string_view hex) { return DecodeHex<Bytes>(hex); }
Result<SecureBytes> SecureFromHex(std::string_view hex) { return DecodeHex<SecureBytes>(hex); }

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | (a[i] ^ b[i]);
  return diff == 0;
}

bool ByteReader::ReadU8(uint8_t& out) {
  if (remaining() < 1) return false;
  out = data_[pos_++];
  return true;
}

bool ByteReader::ReadU16(uint16_t& out) {
  if (remaining() < 2) return false;
  out = LoadU16(&data_[pos_]);
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU24(uint32_t& out) {
  if (remaining() < 3) return false;
  out = uint32_t{data_[pos_]} << 16 | uint32_t{data_[pos_ + 1]} << 8 | data_[pos_ + 2];
  pos_ += 3;
  return true;
}

bool ByteReader::ReadU32(uint32_t& out) {
  if (remaining() < 4) return false;
  out = LoadU32(&data_[pos_]);
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64(uint64_t& out) {
  if (remaining() < 8) return false;
  out = LoadU64(&data_[pos_]);
  pos_ += 8;
  return true;
}

bool ByteReader::ReadBytes(size_t n, ByteSpan& out) {
  if (remaining() < n) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::ReadChild(size_t n, ByteReader& out) {
  size_t start = offset();
  ByteSpan span;
  if (!ReadBytes(n, span)) return false;
  out = ByteReader(span, start);
  return true;
}

bool ByteReader::Skip(size_t n) {
  if (remaining() < n) return false;
  pos_ += n;
  return true;
}

bool ByteReader::PeekU8(uint8_t& out) const {
  if (remaining() < 1) return false;
  out = data_[pos_];
  return true;
}

ByteWriter& ByteWriter::U8(uint8_t v) {
  buf_.push_back(v);
  return *this;
}

ByteWriter& ByteWriter::U16(uint16_t v) {
  uint8_t b[2];
  StoreU16(b, v);
  buf_.insert(buf_.end(), b, b + 2);
  return *this;
}

ByteWriter& ByteWriter::U32(uint32_t v) {
  uint8_t b[4];
  StoreU32(b, v);
  buf_.insert(buf_.end(), b, b + 4);
  return *this;
}

ByteWriter& ByteWriter::U64(uint64_t v) {
  uint8_t b[8];
  StoreU64(b, v);
  buf_.insert(buf_.end(), b, b + 8);
  return *this;
}

ByteWriter& ByteWriter::Append(ByteSpan data) {
  buf_.insert(buf_.end(), data.begin(), data.end());
  return *this;
}

ByteWriter& ByteWriter::Zeros(size_t n) {
  buf_.resize(buf_.size() + n, 0);
  return *this;
}

ByteWriter::LengthPrefix ByteWriter::ReserveLength(size_t width, size_t counted_from) {
  LengthPrefix prefix{buf_.size(), width, counted_from};
  buf_.resize(buf_.size() + width, 0);
  return prefix;
}

bool ByteWriter::FinishLength(const LengthPrefix& prefix) {
  const size_t length = buf_.size() - prefix.counted_from;
  if (!Fits(length, prefix.width)) return false;
  for (size_t i = 0; i < prefix.width; ++i)
    buf_.at(prefix.at + i) = static_cast<uint8_t>(length >> (8 * (prefix.width - 1 - i)));
  return true;
}

}  // namespace ipsecref
