#include "reference/eap/packet.h"

#include <fmt/format.h>

namespace ipsecref::eap {
namespace {

constexpr size_t kHeaderSize = 4;  // Code, Identifier, Length
constexpr size_t kTypeOffset = 4;
constexpr size_t kTypeDataOffset = 5;

// Type-specific syntax of the Types this module knows. Offsets from the
// Code octet.
Status CheckTypeData(const Packet& p) {
  const ByteSpan data(p.type_data);
  switch (static_cast<Type>(p.type)) {
    case Type::kNotification:
      //= rfc3748#section-5.2
      //# A Notification Request carries a displayable message of at least one
      //# octet; the Notification Response carries no Type-Data.
      if (p.code == Code::kRequest)
        ENSURE(!data.empty(), kBadLength, 2, "rfc3748#section-5.2", "Notification Request with an empty message");
      else
        ENSURE(data.empty(), kBadLength, kTypeDataOffset, "rfc3748#section-5.2",
               fmt::format("Notification Response with {} octets of Type-Data; it has none", data.size()));
      return OkStatus();
    case Type::kNak:
      //= rfc3748#section-5
      //# Nak is a Response Type only; it is never sent in a Request.
      ENSURE(p.code == Code::kResponse, kBadHeader, kTypeOffset, "rfc3748#section-5", "Nak (Type 3) in a Request");
      //= rfc3748#section-5.3.1
      //# A Nak Response is at least 6 octets: one or more desired Types.
      ENSURE(!data.empty(), kBadLength, 2, "rfc3748#section-5.3.1", "Nak without a desired Type");
      return OkStatus();
    case Type::kMd5Challenge: {
      auto c = ReadMd5Challenge(p);
      if (!c) return std::move(c).error();
      return OkStatus();
    }
    case Type::kGtc:
      //= rfc3748#section-5.6
      //# A GTC Request carries a displayable message of at least one octet.
      if (p.code == Code::kRequest)
        ENSURE(!data.empty(), kBadLength, 2, "rfc3748#section-5.6", "GTC Request with an empty message");
      return OkStatus();
    default: return OkStatus();
  }
}

}  // namespace

std::string TypeName(uint8_t type) {
  switch (static_cast<Type>(type)) {
    case Type::kIdentity: return "Identity";
    case Type::kNotification: return "Notification";
    case Type::kNak: return "Nak";
    case Type::kMd5Challenge: return "MD5-Challenge";
    case Type::kGtc: return "GTC";
    case Type::kMsChapV2: return "MSCHAPv2";
    case Type::kExpanded: return "Expanded";
  }
  return fmt::format("Type {}", type);
}

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kRequest: return "Request";
    case Code::kResponse: return "Response";
    case Code::kSuccess: return "Success";
    case Code::kFailure: return "Failure";
  }
  return "Code ?";
}

Packet MakeRequest(uint8_t identifier, Type type, Bytes type_data) {
  return Packet{Code::kRequest, identifier, static_cast<uint8_t>(type), std::move(type_data)};
}
Packet MakeResponse(uint8_t identifier, Type type, Bytes type_data) {
  return Packet{Code::kResponse, identifier, static_cast<uint8_t>(type), std::move(type_data)};
}
Packet MakeSuccess(uint8_t identifier) { return Packet{Code::kSuccess, identifier, 0, {}}; }
Packet MakeFailure(uint8_t identifier) { return Packet{Code::kFailure, identifier, 0, {}}; }

Result<Packet> ParsePacket(ByteSpan in) {
  ByteReader r(in);
  uint8_t code = 0, identifier = 0;
  uint16_t length = 0;
  ENSURE(r.ReadU8(code) && r.ReadU8(identifier) && r.ReadU16(length), kTruncated, 0, "rfc3748#section-4",
         fmt::format("{} octets; the header needs 4", in.size()));
  //= rfc3748#section-4
  //# Only Codes 1 to 4 exist; a packet with any other Code is discarded.
  ENSURE(code >= 1 && code <= 4, kBadHeader, 0, "rfc3748#section-4", fmt::format("Code {}; it must be 1 to 4", code));
  //= rfc3748#section-4
  //# Length counts the whole packet, header included; a Length beyond the
  //# octets received gets the packet discarded.
  ENSURE(length >= kHeaderSize, kBadLength, 2, "rfc3748#section-4",
         fmt::format("Length {} is shorter than the 4-octet header", length));
  ENSURE(length <= in.size(), kTruncated, 2, "rfc3748#section-4",
         fmt::format("Length {} but only {} octets", length, in.size()));
  //= ipsecref#choice
  //# Octets after Length are refused, not skipped as link-layer padding
  //# (RFC 3748 §4): inside IKEv2 the EAP payload holds exactly one EAP
  //# message (RFC 7296 §3.16), so extra octets mean a broken sender.
  ENSURE(length == in.size(), kTrailingBytes, length, "rfc7296#section-3.16",
         fmt::format("{} octets after Length {}", in.size() - length, length));
  Packet p{static_cast<Code>(code), identifier, 0, {}};
  if (!p.has_type()) {
    //= rfc3748#section-4.2
    //# Success and Failure carry no data: their Length is 4.
    ENSURE(length == kHeaderSize, kBadLength, 2, "rfc3748#section-4.2",
           fmt::format("{} with Length {}; it must be 4", CodeName(p.code), length));
    return p;
  }
  //= rfc3748#section-4.1
  //# Every Request and Response names exactly one Type.
  ENSURE(r.ReadU8(p.type), kTruncated, 2, "rfc3748#section-4.1",
         fmt::format("{} with Length 4 has no Type", CodeName(p.code)));
  p.type_data.assign(r.rest().begin(), r.rest().end());
  TRY(CheckTypeData(p));
  return p;
}

Result<Bytes> Serialize(const Packet& p) {
  const size_t size = p.has_type() ? kTypeDataOffset + p.type_data.size() : kHeaderSize;
  ENSURE(ByteWriter::Fits(size, 2), kLengthOverflow, kNoOffset, "rfc3748#section-4",
         fmt::format("{} octets do not fit in Length", size));
  ByteWriter w(size);
  w.U8(static_cast<uint8_t>(p.code)).U8(p.identifier).U16(static_cast<uint16_t>(size));
  if (p.has_type()) w.U8(p.type).Append(p.type_data);
  return std::move(w).Take();
}

std::string Printable(ByteSpan text) {
  std::string out;
  out.reserve(text.size());
  for (uint8_t c : text) out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  return out;
}

std::string Describe(const Packet& p) {
  std::string head = fmt::format("{} id {}", CodeName(p.code), p.identifier);
  if (!p.has_type()) return head;
  const size_t size = kTypeDataOffset + p.type_data.size();
  std::string body;
  switch (static_cast<Type>(p.type)) {
    case Type::kIdentity:
    case Type::kNotification:
    case Type::kGtc: body = p.type_data.empty() ? "" : fmt::format(" \"{}\"", Printable(p.type_data)); break;
    case Type::kNak: {
      std::string types;
      for (uint8_t t : p.type_data) types += (types.empty() ? "" : ",") + (t == 0 ? "none" : TypeName(t));
      body = fmt::format(" wants {}", types);
      break;
    }
    case Type::kMd5Challenge:
      if (auto c = ReadMd5Challenge(p))
        body = fmt::format(" value {} octets name \"{}\"", c->value.size(), Printable(c->name));
      break;
    case Type::kMsChapV2: {
      // The OpCode (reference/eap/README.md), read without the full parse.
      static constexpr std::string_view kOpCodes[] = {"", "Challenge", "Response", "Success", "Failure"};
      if (!p.type_data.empty())
        body = p.type_data[0] >= 1 && p.type_data[0] <= 4 ? fmt::format(" {}", kOpCodes[p.type_data[0]])
                                                          : fmt::format(" OpCode {}", p.type_data[0]);
      break;
    }
    default: break;
  }
  return fmt::format("{} {}{} ({} octets)", head, TypeName(p.type), body, size);
}

std::vector<uint8_t> NakDesiredTypes(const Packet& nak) { return nak.type_data; }

Packet MakeNak(uint8_t identifier, const std::vector<uint8_t>& desired) {
  //= rfc3748#section-5.3.1
  //# With no acceptable alternative the Nak carries the single Type 0.
  return MakeResponse(identifier, Type::kNak, desired.empty() ? Bytes{0} : Bytes(desired.begin(), desired.end()));
}

Result<Md5Challenge> ReadMd5Challenge(const Packet& p) {
  ByteReader r(p.type_data, kTypeDataOffset);
  uint8_t value_size = 0;
  ByteSpan value;
  //= rfc1994#section-4.1
  //# Value-Size counts the Value octets that follow it; it is at least one.
  ENSURE(r.ReadU8(value_size), kTruncated, 2, "rfc3748#section-5.4", "MD5-Challenge without Value-Size");
  ENSURE(value_size > 0, kBadLength, kTypeDataOffset, "rfc1994#section-4.1", "MD5-Challenge Value-Size 0");
  ENSURE(r.ReadBytes(value_size, value), kTruncated, kTypeDataOffset, "rfc3748#section-5.4",
         fmt::format("Value-Size {} but {} octets follow", value_size, r.remaining()));
  return Md5Challenge{Bytes(value.begin(), value.end()), Bytes(r.rest().begin(), r.rest().end())};
}

Result<Bytes> Md5ChallengeData(const Md5Challenge& c) {
  ENSURE(!c.value.empty() && c.value.size() <= 255, kLengthOverflow, kNoOffset, "rfc3748#section-5.4",
         fmt::format("a Value of {} octets does not fit Value-Size", c.value.size()));
  ByteWriter w(1 + c.value.size() + c.name.size());
  w.U8(static_cast<uint8_t>(c.value.size())).Append(c.value).Append(c.name);
  return std::move(w).Take();
}

}  // namespace ipsecref::eap
