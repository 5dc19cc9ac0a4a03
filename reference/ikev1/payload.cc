#include "reference/ikev1/payload.h"

#include <fmt/format.h>

#include "reference/ike/wire/payload.h"
#include "reference/ikev1/header.h"

namespace ipsecref::ikev1 {
namespace {

using P = PayloadType;
using ParseFn = Result<PayloadBody> (*)(ByteReader&, Notes&);

template <typename T, Result<T> (*Parse)(ByteReader&, Notes&)>
Result<PayloadBody> ParseAs(ByteReader& in, Notes& notes) {
  TRY_ASSIGN(T body, Parse(in, notes));
  return PayloadBody{std::move(body)};
}

struct PayloadCodec {
  PayloadType type;
  ParseFn parse;
};
// One row per payload type the reference reads (RFC 2408 §3.1, RFC 3947,
// draft-dukes-ike-mode-cfg-02), in ascending order.
constexpr PayloadCodec kCodecs[] = {
    {P::kSa, ParseAs<SaPayload, ParseSa>},
    {P::kKe, ParseAs<KePayload, ParseOpaque<P::kKe>>},
    {P::kId, ParseAs<IdPayload, ParseId>},
    {P::kCert, ParseAs<CertPayload, ParseCert>},
    {P::kCr, ParseAs<CrPayload, ParseCr>},
    {P::kHash, ParseAs<HashPayload, ParseOpaque<P::kHash>>},
    {P::kSig, ParseAs<SigPayload, ParseOpaque<P::kSig>>},
    {P::kNonce, ParseAs<NoncePayload, ParseOpaque<P::kNonce>>},
    {P::kNotification, ParseAs<NotificationPayload, ParseNotification>},
    {P::kDelete, ParseAs<DeletePayload, ParseDelete>},
    {P::kVendorId, ParseAs<VendorIdPayload, ParseVendorId>},
    {P::kAttribute, ParseAs<AttributePayload, ParseAttribute>},
    {P::kNatD, ParseAs<NatDPayload, ParseOpaque<P::kNatD>>},
    {P::kNatOa, ParseAs<NatOaPayload, ParseNatOa>},
    {P::kNatDDraft, ParseAs<NatDPayload, ParseOpaque<P::kNatD>>},
    {P::kNatOaDraft, ParseAs<NatOaPayload, ParseNatOa>},
    {P::kFragment, ParseAs<FragmentPayload, ParseFragment>},
};

constexpr bool CodecsAscend() {
  for (size_t i = 1; i < std::size(kCodecs); ++i)
    if (kCodecs[i - 1].type >= kCodecs[i].type) return false;
  return true;
}
static_assert(CodecsAscend(), "kCodecs: one row per payload type, in ascending order");
// Every body type but UnknownPayload has a codec; NAT-D and NAT-OA have two numbers each.
static_assert(std::size(kCodecs) == std::variant_size_v<PayloadBody> - 1 + 2);

const PayloadCodec* FindCodec(PayloadType type) {
  for (const PayloadCodec& c : kCodecs)
    if (c.type == type) return &c;
  return nullptr;
}

}  // namespace

std::string PayloadTypeLabel(PayloadType type) {
  const std::string_view name = Name(type);
  return name.empty() ? fmt::format("payload {}", static_cast<int>(type)) : std::string(name);
}

std::string PayloadLabel(const Payload& p) {
  if (const auto* n = p.as<NotificationPayload>()) {
    const std::string_view name = NotifyName(n->notify_message_type);
    return fmt::format("N({})", name.empty() ? fmt::format("{}", n->notify_message_type) : std::string(name));
  }
  if (const auto* v = p.as<VendorIdPayload>()) {
    const std::string_view name = VendorIdName(v->vendor_id);
    if (!name.empty()) return fmt::format("VID({})", name);
  }
  return PayloadTypeLabel(p.type);
}

Result<std::vector<Payload>> DecodePayloads(ByteReader& in, PayloadType first, Notes& notes, bool padded) {
  std::vector<Payload> payloads;
  PayloadType type = first;
  while (type != P::kNone) {
    const size_t at = in.offset();
    const auto label = [type] { return PayloadTypeLabel(type); };
    ENSURE(payloads.size() < ike::kMaxPayloadsPerChain, kPayloadMalformed, at, "ipsecref#choice",
           fmt::format("{}: payload {} of one message; ipsecref decodes at most {} payloads per message", label(),
                       ike::kMaxPayloadsPerChain + 1, ike::kMaxPayloadsPerChain));
    uint8_t next = 0, reserved = 0;
    uint16_t length = 0;
    //= rfc2408#section-3.2
    //# Every payload starts with a 4-octet generic header; Payload Length
    //# counts it too.
    ENSURE(in.ReadU8(next) && in.ReadU8(reserved) && in.ReadU16(length), kPayloadMalformed, at,
           "rfc2408#section-3.2",
           fmt::format("{}: the previous Next Payload announces it, but only {} bytes are left", label(),
                       in.remaining()));
    ENSURE(length >= kGenericPayloadHeaderSize, kPayloadMalformed, at + 2, "rfc2408#section-3.2",
           fmt::format("{}: Payload Length {} is shorter than the generic header", label(), length));
    ByteReader body;
    ENSURE(in.ReadChild(length - kGenericPayloadHeaderSize, body), kPayloadMalformed, at + 2, "rfc2408#section-3.2",
           fmt::format("{}: Payload Length {} runs past the message ({} bytes left)", label(), length,
                       in.remaining() + kGenericPayloadHeaderSize));
    NoteReserved(notes, reserved, at + 1, label());
    //= rfc2408#section-3.5
    //# Proposal and Transform payloads live inside an SA payload, never in
    //# the message's own chain.
    ENSURE(type != P::kProposal && type != P::kTransform, kPayloadMalformed, at, "rfc2408#section-3.5",
           fmt::format("{} payload outside an SA payload", label()));
    Payload p;
    p.type = type;
    p.offset = at;
    if (const PayloadCodec* codec = FindCodec(type)) {
      auto parsed = codec->parse(body, notes);
      if (!parsed) {
        Error e = std::move(parsed).error();
        e.detail = fmt::format("{} payload at offset {}: {}", label(), at, e.detail);
        return e;
      }
      p.body = std::move(parsed).value();
      ENSURE(body.empty(), kPayloadMalformed, body.offset(), "rfc2408#section-3.2",
             fmt::format("{} payload at offset {}: {} bytes left inside it after parsing", label(), at,
                         body.remaining()));
    } else {
      //= rfc2408#section-5.3
      //# A payload type the receiver does not know is an error
      //# (INVALID-PAYLOAD-TYPE) for a node taking part in the exchange.
      //= ipsecref#choice
      //# A decoder of captures reads past it (its length is known) and notes it.
      notes.push_back(MakeError(Code::kPayloadMalformed, at, "rfc2408#section-5.3",
                                fmt::format("{} is not a payload type ipsecref reads: skipped", label())));
      p.body = UnknownPayload{ReadRest(body)};
    }
    payloads.push_back(std::move(p));
    type = static_cast<P>(next);
  }
  //= rfc2408#section-3.2
  //# Next Payload 0 marks the last payload; the message's Length ends there.
  ENSURE(padded || in.empty(), kPayloadMalformed, in.offset(), "rfc2408#section-3.2",
         fmt::format("{} bytes after the last payload (Next Payload 0)", in.remaining()));
  return payloads;
}

Status EncodePayloads(const std::vector<Payload>& payloads, ByteWriter& out) {
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const PayloadType next = i + 1 < payloads.size() ? payloads[i + 1].type : P::kNone;
    const size_t start = out.size();
    out.U8(static_cast<uint8_t>(next)).U8(0);
    const ByteWriter::LengthPrefix length = out.ReserveLength(2, start);
    Status written = std::visit(
        [&](const auto& body) -> Status {
          if constexpr (std::is_same_v<std::decay_t<decltype(body)>, UnknownPayload>) {
            out.Append(body.body);
            return OkStatus();
          } else {
            return Write(body, out);
          }
        },
        p.body);
    if (!written) {
      Error e = std::move(written).error();
      e.detail = fmt::format("{} payload {}: {}", PayloadLabel(p), i + 1, e.detail);
      return e;
    }
    if (!out.FinishLength(length))
      return TooLong("rfc2408#section-3.2", fmt::format("{} payload {} is {} bytes; Payload Length holds at most 65535",
                                                        PayloadLabel(p), i + 1, out.size() - start));
  }
  return OkStatus();
}

Status VerifyPayload(const Payload& p) {
  Status s = std::visit(
      [&](const auto& body) -> Status {
        if constexpr (std::is_same_v<std::decay_t<decltype(body)>, UnknownPayload>) {
          return OkStatus();
        } else {
          return Verify(body, p.offset + kGenericPayloadHeaderSize);
        }
      },
      p.body);
  if (s) return s;
  Error e = std::move(s).error();
  e.detail = fmt::format("{} payload at offset {}: {}", PayloadLabel(p), p.offset, e.detail);
  return e;
}

}  // namespace ipsecref::ikev1
