// Byte containers, hex, and the bounds-checked reader and writer that every
// parser and serializer in the reference uses (BoringSSL CBS/CBB style: a read
// either succeeds whole or fails and consumes nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/base/result.h"

namespace ipsecref {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

// An allocator that wipes memory before giving it back, for key material.
template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) {}  // NOLINT
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) {
    volatile unsigned char* v = reinterpret_cast<volatile unsigned char*>(p);
    for (size_t i = 0; i < n * sizeof(T); ++i) v[i] = 0;
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const { return true; }
};

// Key material: wiped when freed (also on reallocation).
using SecureBytes = std::vector<uint8_t, WipingAllocator<uint8_t>>;

inline SecureBytes ToSecure(ByteSpan in) { return SecureBytes(in.begin(), in.end()); }

std::string ToHex(ByteSpan data);
// An IPv4 (4 bytes) or IPv6 (16 bytes) address as inet_ntop writes it; any
// other size as "<N-byte address HEX>".
std::string AddressText(ByteSpan address);
// Accepts an optional "0x" prefix; whitespace and ':' between bytes are ignored.
Result<Bytes> FromHex(std::string_view hex);
// The same, for key material: decoded straight into wiping storage.
Result<SecureBytes> SecureFromHex(std::string_view hex);

// Compares in time that depends only on the lengths, never on the contents.
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

class ByteReader {
 public:
  ByteReader() = default;  // empty; ReadChild fills one in
  explicit ByteReader(ByteSpan data, size_t base_offset = 0)
      : data_(data), base_(base_offset) {}

  [[nodiscard]] bool ReadU8(uint8_t& out);
  [[nodiscard]] bool ReadU16(uint16_t& out);
  [[nodiscard]] bool ReadU24(uint32_t& out);
  [[nodiscard]] bool ReadU32(uint32_t& out);
  [[nodiscard]] bool ReadU64(uint64_t& out);
  [[nodiscard]] bool ReadBytes(size_t n, ByteSpan& out);
  // A child reader over the next n bytes; its offsets continue ours.
  [[nodiscard]] bool ReadChild(size_t n, ByteReader& out);
  [[nodiscard]] bool Skip(size_t n);
  [[nodiscard]] bool PeekU8(uint8_t& out) const;

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // Offset of the next byte, counted from the start of the outermost input.
  size_t offset() const { return base_ + pos_; }
  ByteSpan rest() const { return data_.subspan(pos_); }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
  size_t base_ = 0;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(size_t reserve) { buf_.reserve(reserve); }

  ByteWriter& U8(uint8_t v);
  ByteWriter& U16(uint16_t v);
  ByteWriter& U32(uint32_t v);
  ByteWriter& U64(uint64_t v);
  ByteWriter& Append(ByteSpan data);
  ByteWriter& Zeros(size_t n);

  // A length prefix (BoringSSL's CBB_add_u8/u16_length_prefixed): `width`
  // octets (1 or 2) reserved now and filled in by FinishLength with the
  // number of octets written from `counted_from` on. IKE lengths count their
  // own header, so `counted_from` may lie before the prefix.
  struct LengthPrefix {
    size_t at;
    size_t width;
    size_t counted_from;
  };
  LengthPrefix ReserveLength(size_t width, size_t counted_from);
  // Fills the prefix in. Returns false, and leaves it zero, when the length
  // does not fit in `width` octets (the child outgrew its prefix).
  [[nodiscard]] bool FinishLength(const LengthPrefix& prefix);
  // Whether `value` fits in a field of `width` octets (counts written ahead).
  static bool Fits(size_t value, size_t width) { return width >= sizeof(size_t) || value >> (8 * width) == 0; }

  size_t size() const { return buf_.size(); }
  Bytes& bytes() { return buf_; }
  Bytes Take() && { return std::move(buf_); }

 private:
  Bytes buf_;
};

// Big-endian loads and stores on spans whose size the caller has checked.
inline uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t LoadU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t LoadU64(const uint8_t* p) { return uint64_t{LoadU32(p)} << 32 | LoadU32(p + 4); }
inline void StoreU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void StoreU64(uint8_t* p, uint64_t v) {
  StoreU32(p, static_cast<uint32_t>(v >> 32));
  StoreU32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace ipsecref
