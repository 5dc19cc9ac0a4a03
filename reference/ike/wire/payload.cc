#include "reference/ike/wire/payload.h"

#include <fmt/format.h>

#include "reference/ike/wire/header.h"

namespace ipsecref::ike {
namespace {

using ParseFn = Result<PayloadBody> (*)(ByteReader&, Notes&);

template <typename T, Result<T> (*Parse)(ByteReader&, Notes&)>
Result<PayloadBody> ParseAs(ByteReader& in, Notes& notes) {
  TRY_ASSIGN(T body, Parse(in, notes));
  return PayloadBody{std::move(body)};
}

struct PayloadCodec {
  iana::PayloadType type;
  ParseFn parse;
};
using P = iana::PayloadType;
// One row per payload type the reference knows (RFC 7296 §3.2, RFC 7383).
constexpr PayloadCodec kCodecs[] = {
    {P::kSa, ParseAs<SaPayload, ParseSa>},
    {P::kKe, ParseAs<KePayload, ParseKe>},
    {P::kIdi, ParseAs<IdPayload, ParseId>},
    {P::kIdr, ParseAs<IdPayload, ParseId>},
    {P::kCert, ParseAs<CertPayload, ParseCert>},
    {P::kCertreq, ParseAs<CertreqPayload, ParseCertreq>},
    {P::kAuth, ParseAs<AuthPayload, ParseAuth>},
    {P::kNonce, ParseAs<NoncePayload, ParseNonce>},
    {P::kNotify, ParseAs<NotifyPayload, ParseNotify>},
    {P::kDelete, ParseAs<DeletePayload, ParseDelete>},
    {P::kVendorId, ParseAs<VendorIdPayload, ParseVendorId>},
    {P::kTsi, ParseAs<TsPayload, ParseTs>},
    {P::kTsr, ParseAs<TsPayload, ParseTs>},
    {P::kSk, ParseAs<SkPayload, ParseSk>},
    {P::kCp, ParseAs<CpPayload, ParseCp>},
    {P::kEap, ParseAs<EapPayload, ParseEap>},
    {P::kSkf, ParseAs<SkfPayload, ParseSkf>},
};

constexpr bool CodecsAscend() {
  for (size_t i = 1; i < std::size(kCodecs); ++i)
    if (kCodecs[i - 1].type >= kCodecs[i].type) return false;
  return true;
}
static_assert(CodecsAscend(), "kCodecs: one row per payload type, in ascending order");
// Every body type but UnknownPayload has a codec; IDi/IDr and TSi/TSr share one.
static_assert(std::size(kCodecs) == std::variant_size_v<PayloadBody> - 1 + 2);

const PayloadCodec* FindCodec(iana::PayloadType type) {
  for (const PayloadCodec& c : kCodecs)
    if (c.type == type) return &c;
  return nullptr;
}

bool IsEncrypted(iana::PayloadType type) { return type == P::kSk || type == P::kSkf; }

iana::PayloadType FirstInner(const Payload& p) {
  if (const auto* sk = p.as<SkPayload>()) return sk->first_inner;
  if (const auto* skf = p.as<SkfPayload>()) return skf->first_inner;
  return P::kNone;
}

}  // namespace

bool IsKnownPayloadType(iana::PayloadType type) { return FindCodec(type) != nullptr; }

std::string PayloadTypeLabel(iana::PayloadType type) {
  const std::string_view name = iana::Name(type);
  return name.empty() ? fmt::format("payload {}", static_cast<int>(type)) : std::string(name);
}

std::string PayloadLabel(const Payload& p) {
  if (const auto* n = p.as<NotifyPayload>()) return fmt::format("N({})", NotifyName(n->notify_message_type));
  return PayloadTypeLabel(p.type);
}

Result<std::vector<Payload>> DecodePayloads(ByteReader& in, iana::PayloadType first, bool inside_sk, Notes& notes) {
  std::vector<Payload> payloads;
  iana::PayloadType type = first;
  while (type != P::kNone) {
    const size_t at = in.offset();
    // Built only when an error or a note needs it (this loop is the decoder's hot path).
    const auto label = [type] { return PayloadTypeLabel(type); };
    ENSURE(payloads.size() < kMaxPayloadsPerChain, kInvalidSyntax, at, "ipsecref#choice",
           fmt::format("{}: payload {} of one chain; ipsecref decodes at most {} payloads per "
                       "message or encrypted payload",
                       label(), kMaxPayloadsPerChain + 1, kMaxPayloadsPerChain));
    uint8_t next = 0, flags = 0;
    uint16_t length = 0;
    //= rfc7296#section-3.2
    //# Each payload starts with a 4-octet generic header whose Payload
    //# Length counts the header too.
    ENSURE(in.ReadU8(next) && in.ReadU8(flags) && in.ReadU16(length), kInvalidSyntax, at, "rfc7296#section-3.2",
           fmt::format("{}: the previous Next Payload announces it, but only {} bytes are left", label(),
                       in.remaining()));
    ENSURE(length >= kGenericPayloadHeaderSize, kInvalidSyntax, at + 2, "rfc7296#section-3.2",
           fmt::format("{}: Payload Length {} is shorter than the generic header", label(), length));
    ByteReader body;
    ENSURE(in.ReadChild(length - kGenericPayloadHeaderSize, body), kInvalidSyntax, at + 2, "rfc7296#section-3.2",
           fmt::format("{}: Payload Length {} runs past the message ({} bytes left)", label(), length,
                       in.remaining() + kGenericPayloadHeaderSize));
    if (flags & 0x7f) NoteReserved(notes, flags & 0x7f, at + 1, label());
    Payload p;
    p.type = type;
    p.critical = (flags & 0x80) != 0;
    p.offset = at;
    const PayloadCodec* codec = FindCodec(type);
    if (IsEncrypted(type)) {
      //= rfc7296#section-3.14
      //# The Encrypted payload carries the message's payloads and is its last
      //# payload; the RFC defines no Encrypted payload inside another.
      //= ipsecref#choice
      //# One found inside SK is refused as INVALID_SYNTAX: no keys protect it.
      ENSURE(!inside_sk, kInvalidSyntax, at, "rfc7296#section-3.14",
             fmt::format("{} inside an encrypted payload", label()));
    }
    if (codec == nullptr) {
      //= rfc7296#section-2.5
      //# An unknown payload without the critical bit is skipped (and noted).
      if (!p.critical)
        notes.push_back(MakeError(Code::kInvalidSyntax, at, "rfc7296#section-2.5",
                                  fmt::format("{} is unknown and not critical: skipped", label())));
      auto unknown = ParseUnknown(body, notes);
      p.body = std::move(unknown).value();
    } else {
      auto parsed = codec->parse(body, notes);
      if (!parsed) {
        Error e = std::move(parsed).error();
        e.detail = fmt::format("{} payload at offset {}: {}", label(), at, e.detail);
        return e;
      }
      p.body = std::move(parsed).value();
      ENSURE(body.empty(), kInvalidSyntax, body.offset(), "rfc7296#section-3.2",
             fmt::format("{} payload at offset {}: {} bytes left inside it after parsing", label(), at,
                         body.remaining()));
    }
    if (auto* sk = std::get_if<SkPayload>(&p.body)) sk->first_inner = static_cast<P>(next);
    if (auto* skf = std::get_if<SkfPayload>(&p.body)) skf->first_inner = static_cast<P>(next);
    payloads.push_back(std::move(p));
    if (IsEncrypted(type)) {
      //= rfc7296#section-3.14
      //# The SK payload is the last payload of the message.
      ENSURE(in.empty(), kInvalidSyntax, in.offset(), "rfc7296#section-3.14",
             fmt::format("{} bytes after the {} payload, which must be last", in.remaining(), label()));
      return payloads;
    }
    type = static_cast<P>(next);
  }
  //= rfc7296#section-3.2
  //# Next Payload 0 ends the chain; nothing may follow the last payload.
  ENSURE(in.empty(), kInvalidSyntax, in.offset(), "rfc7296#section-3.2",
         fmt::format("{} bytes after the last payload (Next Payload 0)", in.remaining()));
  return payloads;
}

Status EncodePayloads(const std::vector<Payload>& payloads, ByteWriter& out) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const iana::PayloadType next = i + 1 < payloads.size() ? payloads[i + 1].type : FirstInner(p);
    const size_t start = out.size();
    out.U8(static_cast<uint8_t>(next)).U8(p.critical ? 0x80 : 0);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
    Status written = std::visit([&](const auto& body) { return Write(body, out); }, p.body);
    if (!written) {
      Error e = std::move(written).error();
      e.detail = fmt::format("{} payload {}: {}", PayloadLabel(p), i + 1, e.detail);
      return e;
    }
    //= rfc7296#section-3.2
    //# Payload Length is 16 bits: a payload longer than 65535 octets cannot be sent.
    if (!out.FinishLength(length))
      return TooLong("rfc7296#section-3.2", fmt::format("{} payload {} is {} bytes; Payload Length holds at most 65535",
                                                        PayloadLabel(p), i + 1, out.size() - start));
  }
  return OkStatus();
}

Status VerifyPayload(const Payload& p) {
  Status s = std::visit([&](const auto& body) { return Verify(body, p.offset + kGenericPayloadHeaderSize); }, p.body);
  if (s) return s;
  Error e = std::move(s).error();
  e.detail = fmt::format("{} payload at offset {}: {}", PayloadLabel(p), p.offset, e.detail);
  return e;
}

}  // namespace ipsecref::ike
