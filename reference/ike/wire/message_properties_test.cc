// Properties of the IKEv2 codec (RFC 7296 §3): Decode inverts Encode for
// every payload type, Encode inverts Decode on canonical bytes, RESERVED bits
// are noted and written back as zero, truncation is always refused, mutated
// encodings are either decoded consistently or refused with an error that
// points into the input, and the GenValid* generators meet every Verify.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "reference/ike/wire/message.h"
#include "reference/testing/ike_generators.h"

namespace ipsecref::ike {
namespace {

using PT = iana::PayloadType;

// Each body on its own: Write then its parser gives it back, consumes every
// byte and notes nothing.
template <typename T, Result<T> (*Parse)(ByteReader&, Notes&)>
void CheckBodyRoundTrip(T body) {
  ByteWriter out;
  RC_ASSERT(Write(body, out).ok());
  ByteReader in(out.bytes());
  Notes notes;
  auto back = Parse(in, notes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == body);
  RC_ASSERT(in.empty());
  RC_ASSERT(notes.empty());
}

template <typename T, Result<T> (*Parse)(ByteReader&, Notes&)>
void CheckBodyRoundTrip() {
  CheckBodyRoundTrip<T, Parse>(*rc::gen::arbitrary<T>());
}

RC_GTEST_PROP(IkeWireProperties, EveryBodySurvivesItsOwnParser, ()) {
  CheckBodyRoundTrip<SaPayload, ParseSa>();
  CheckBodyRoundTrip<KePayload, ParseKe>();
  CheckBodyRoundTrip<IdPayload, ParseId>();
  CheckBodyRoundTrip<CertPayload, ParseCert>();
  CheckBodyRoundTrip<CertreqPayload, ParseCertreq>();
  CheckBodyRoundTrip<AuthPayload, ParseAuth>();
  CheckBodyRoundTrip<NoncePayload, ParseNonce>();
  CheckBodyRoundTrip<NotifyPayload, ParseNotify>();
  CheckBodyRoundTrip<DeletePayload, ParseDelete>();
  CheckBodyRoundTrip<VendorIdPayload, ParseVendorId>();
  CheckBodyRoundTrip<TsPayload, ParseTs>();
  CheckBodyRoundTrip<CpPayload, ParseCp>();
  CheckBodyRoundTrip<EapPayload, ParseEap>();
  CheckBodyRoundTrip<UnknownPayload, ParseUnknown>();
  // SK and SKF: the first inner payload type travels in the generic header,
  // not in the body.
  SkPayload sk = *rc::gen::arbitrary<SkPayload>();
  sk.first_inner = PT::kNone;
  CheckBodyRoundTrip<SkPayload, ParseSk>(sk);
  SkfPayload skf = *rc::gen::arbitrary<SkfPayload>();
  skf.first_inner = PT::kNone;
  CheckBodyRoundTrip<SkfPayload, ParseSkf>(skf);
}

RC_GTEST_PROP(IkeWireProperties, HeaderRoundTrip, (const Header& h)) {
  ByteWriter out;
  WriteHeader(h, out);
  RC_ASSERT(out.size() == kHeaderSize);
  ByteReader in(out.bytes());
  auto back = ParseHeader(in, h.length);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == h);
  RC_ASSERT(in.empty());
}

// Payloads that Decode reports in Message::notes: unknown ones without the
// critical bit (RFC 7296 §2.5).
size_t SkippedUnknownPayloads(const Message& m) {
  return static_cast<size_t>(std::count_if(m.payloads.begin(), m.payloads.end(), [](const Payload& p) {
    return p.as<UnknownPayload>() != nullptr && !p.critical;
  }));
}

RC_GTEST_PROP(IkeWireProperties, DecodeInvertsEncode, (const Message& m)) {
  const Bytes wire = Encode(m).value();
  RC_ASSERT(wire.size() == m.header.length);
  auto back = Decode(wire);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == m);
  // Generated messages are canonical: RESERVED fields are zero, so the only
  // notes are the skipped unknown payloads.
  RC_ASSERT(back->notes.size() == SkippedUnknownPayloads(m));
  for (const Error& note : back->notes) RC_ASSERT(note.requirement == "rfc7296#section-2.5");
}

RC_GTEST_PROP(IkeWireProperties, EveryPayloadTypeSurvivesTheRoundTrip, ()) {
  std::vector<PT> types = testing::PlainPayloadTypes();
  types.push_back(PT::kSk);
  types.push_back(PT::kSkf);
  const PT type = *rc::gen::weightedOneOf<PT>(
      {{static_cast<int>(types.size()), rc::gen::elementOf(types)}, {1, testing::GenUnknownPayloadType()}});
  RC_TAG(PayloadTypeLabel(IsKnownPayloadType(type) ? type : PT::kNone));
  Message m = *rc::gen::arbitrary<Message>();
  // Put the payload last, where an SK or SKF payload has to be.
  m.payloads.erase(std::remove_if(m.payloads.begin(), m.payloads.end(),
                                  [](const Payload& p) { return p.type == PT::kSk || p.type == PT::kSkf; }),
                   m.payloads.end());
  m.payloads.push_back(*testing::GenPayloadOfType(type));
  RC_ASSERT(Finalize(m).ok());
  auto back = Decode(Encode(m).value());
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == m);
  RC_ASSERT(back->payloads.back().body.index() == m.payloads.back().body.index());
}

RC_GTEST_PROP(IkeWireProperties, EncodeInvertsDecodeOnCanonicalBytes, ()) {
  const Message generated = *rc::gen::oneOf(rc::gen::arbitrary<Message>(), testing::GenValidMessage());
  const Bytes canonical = Encode(generated).value();
  auto m = Decode(canonical);
  RC_ASSERT(m.ok());
  RC_ASSERT(Encode(*m).value() == canonical);
  // Finalize recomputes the same Next Payload and Length.
  Message finalized = *m;
  RC_ASSERT(Finalize(finalized).ok());
  RC_ASSERT(finalized.header == m->header);
}

//= rfc7296#section-3.2
//# RESERVED bits of the generic payload header are ignored on receipt (the
//# message decodes the same and a note says where) and sent as zero.
RC_GTEST_PROP(IkeWireProperties, ReservedPayloadHeaderBitsAreNotedNotRejected, ()) {
  const Message generated = *rc::gen::arbitrary<Message>();
  RC_PRE(!generated.payloads.empty());
  const Bytes canonical = Encode(generated).value();
  auto decoded = Decode(canonical);
  RC_ASSERT(decoded.ok());
  const size_t k = *rc::gen::inRange<size_t>(0, decoded->payloads.size());
  const size_t flags_at = decoded->payloads[k].offset + 1;
  const uint8_t reserved = *rc::gen::inRange<uint8_t>(1, 0x80);  // any of the 7 low bits
  Bytes wire = canonical;
  wire[flags_at] |= reserved;
  auto m = Decode(wire);
  RC_ASSERT(m.ok());
  RC_ASSERT(*m == generated);
  RC_ASSERT(std::any_of(m->notes.begin(), m->notes.end(), [&](const Error& e) {
    return e.offset == flags_at && e.requirement == "rfc7296#section-3.2";
  }));
  RC_ASSERT(Encode(*m).value() == canonical);
}

//= rfc7296#section-3.1
//# The reserved Flags bits are kept as read so that a message is written
//# back exactly; they do not make the message invalid.
RC_GTEST_PROP(IkeWireProperties, ReservedHeaderFlagsAreKept, ()) {
  Message m = *rc::gen::arbitrary<Message>();
  m.header.flags |= *rc::gen::inRange<uint8_t>(1, 0xff) & kFlagsReserved;
  const Bytes wire = Encode(m).value();
  auto back = Decode(wire);
  RC_ASSERT(back.ok());
  RC_ASSERT(back->header.flags == m.header.flags);
  RC_ASSERT(Encode(*back).value() == wire);
}

//= rfc7296#section-3.1
//# Length is the size of the whole message: a message cut short anywhere is
//# refused, whether its Length still states the full size or was edited to
//# match the cut.
RC_GTEST_PROP(IkeWireProperties, TruncationIsAlwaysRefused, ()) {
  const Message m = *rc::gen::oneOf(rc::gen::arbitrary<Message>(), testing::GenValidMessage());
  const Bytes wire = Encode(m).value();
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    Bytes shorter(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = Decode(shorter);
    RC_ASSERT(!r.ok());
    RC_ASSERT(r.error().code == (cut < kHeaderSize ? Code::kTruncated : Code::kBadLength));
    RC_ASSERT(r.error().offset <= cut);
    if (cut < kHeaderSize) continue;
    StoreU32(&shorter[24], static_cast<uint32_t>(cut));
    auto patched = Decode(shorter);
    RC_ASSERT(!patched.ok());
    RC_ASSERT(patched.error().code == Code::kInvalidSyntax);
    RC_ASSERT(patched.error().offset <= cut);
    RC_ASSERT(!patched.error().requirement.empty());
  }
}

enum class Mutation { kBitFlips, kTruncate, kHeaderLength, kPayloadLength, kSixteenBits, kInsert, kErase };

// Applies one random mutation to a valid encoding. Payload offsets come from
// decoding the original, so length-field edits hit real length fields.
Bytes Mutate(const Bytes& wire, const Message& decoded) {
  Bytes b = wire;
  const Mutation kind =
      *rc::gen::element(Mutation::kBitFlips, Mutation::kTruncate, Mutation::kHeaderLength, Mutation::kPayloadLength,
                        Mutation::kSixteenBits, Mutation::kInsert, Mutation::kErase);
  // A small change or any value: lengths one off are the interesting edits.
  auto edit16 = [](uint16_t v) {
    return *rc::gen::oneOf(
        rc::gen::map(rc::gen::inRange<int>(-8, 9), [v](int d) { return static_cast<uint16_t>(v + d); }),
        rc::gen::arbitrary<uint16_t>());
  };
  switch (kind) {
    case Mutation::kBitFlips: {
      const size_t flips = *rc::gen::inRange<size_t>(1, 4);
      for (size_t i = 0; i < flips; ++i) {
        const size_t bit = *rc::gen::inRange<size_t>(0, b.size() * 8);
        b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      }
      break;
    }
    case Mutation::kTruncate:
      b.resize(*rc::gen::inRange<size_t>(0, b.size()));
      // Often with a Length that agrees, so that the payloads are reached.
      if (b.size() >= kHeaderSize && *rc::gen::arbitrary<bool>()) StoreU32(&b[24], static_cast<uint32_t>(b.size()));
      break;
    case Mutation::kHeaderLength: {
      const uint32_t length = LoadU32(&b[24]);
      StoreU32(&b[24], *rc::gen::oneOf(rc::gen::map(rc::gen::inRange<int>(-8, 9),
                                                    [length](int d) { return static_cast<uint32_t>(length + d); }),
                                       rc::gen::arbitrary<uint32_t>()));
      break;
    }
    case Mutation::kPayloadLength: {
      if (decoded.payloads.empty()) break;
      const size_t at = decoded.payloads[*rc::gen::inRange<size_t>(0, decoded.payloads.size())].offset + 2;
      StoreU16(&b[at], edit16(LoadU16(&b[at])));
      break;
    }
    case Mutation::kSixteenBits: {
      // Lengths and counts inside bodies: proposals, transforms, attributes,
      // selectors, SPI sizes, CP attributes.
      const size_t at = *rc::gen::inRange<size_t>(kHeaderSize - 1, b.size() - 1);
      StoreU16(&b[at], edit16(LoadU16(&b[at])));
      break;
    }
    case Mutation::kInsert: {
      const size_t at = *rc::gen::inRange<size_t>(0, b.size() + 1);
      const Bytes more = *testing::GenBytes(1, 8);
      b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), more.begin(), more.end());
      if (*rc::gen::arbitrary<bool>()) StoreU32(&b[24], static_cast<uint32_t>(b.size()));
      break;
    }
    case Mutation::kErase: {
      const size_t at = *rc::gen::inRange<size_t>(kHeaderSize, b.size());
      const size_t n = std::min(b.size() - at, *rc::gen::inRange<size_t>(1, 9));
      b.erase(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
      StoreU32(&b[24], static_cast<uint32_t>(b.size()));
      break;
    }
  }
  return b;
}

bool IsDecodeErrorCode(Code c) {
  return c == Code::kTruncated || c == Code::kBadLength || c == Code::kIkev1Message || c == Code::kBadVersion ||
         c == Code::kInvalidSyntax;
}

RC_GTEST_PROP(IkeWireProperties, MutatedEncodingsDecodeConsistentlyOrPointIntoTheInput, ()) {
  Message m = *rc::gen::oneOf(rc::gen::arbitrary<Message>(), testing::GenValidMessage());
  if (m.payloads.empty()) m.payloads.push_back(*testing::GenPlainPayload());
  RC_ASSERT(Finalize(m).ok());
  const Bytes wire = Encode(m).value();
  auto decoded = Decode(wire);
  RC_ASSERT(decoded.ok());
  const Bytes mutated = Mutate(wire, *decoded);
  auto r = Decode(mutated);
  RC_CLASSIFY(r.ok(), "still decodes");
  if (!r.ok()) {
    const Error& e = r.error();
    RC_ASSERT(IsDecodeErrorCode(e.code));
    RC_ASSERT(e.offset <= mutated.size());
    RC_ASSERT(!e.requirement.empty());
    RC_ASSERT(!e.detail.empty());
    return;
  }
  // Accepted: the message it decodes to survives its own round trip, and
  // re-encodes to the input unless Decode noted something non-canonical.
  Message back = *r;
  const Bytes again = Encode(back).value();
  auto redecoded = Decode(again);
  RC_ASSERT(redecoded.ok());
  RC_ASSERT(*redecoded == back);
  if (r->notes.empty()) RC_ASSERT(again == mutated);
  for (const Payload& p : back.payloads) (void)VerifyPayload(p);
  for (const Error& note : r->notes) RC_ASSERT(note.offset < mutated.size());
}

// Every payload of a GenValid* message meets its Verify, before and after
// a trip through the wire (where offsets are real).
RC_GTEST_PROP(IkeWireProperties, ValidMessagesPassVerifyPayload, ()) {
  const Message m = *testing::GenValidMessage();
  for (const Payload& p : m.payloads) {
    const Status s = VerifyPayload(p);
    if (!s.ok()) RC_FAIL(s.error().ToString());
  }
  auto back = Decode(Encode(m).value());
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == m);
  RC_ASSERT(back->notes.size() == SkippedUnknownPayloads(m));
  for (const Payload& p : back->payloads) RC_ASSERT(VerifyPayload(p).ok());
}

// The same for each payload type on its own, so that a failing rule names
// its payload.
RC_GTEST_PROP(IkeWireProperties, EveryValidPayloadTypePassesVerify, ()) {
  std::vector<PT> types = testing::PlainPayloadTypes();
  types.push_back(PT::kSk);
  types.push_back(PT::kSkf);
  const PT type = *rc::gen::elementOf(types);
  const Payload p = *testing::GenValidPayloadOfType(type);
  const Status s = VerifyPayload(p);
  if (!s.ok()) RC_FAIL(s.error().ToString());
}

// A message under a given payload sequence, for the rule tables: exactly the
// requested types, in order.
RC_GTEST_PROP(IkeWireProperties, GenValidMessageOfKeepsTheRequestedSequence, ()) {
  const std::vector<PT> init = {PT::kSa, PT::kKe, PT::kNonce, PT::kNotify, PT::kNotify};
  const Message m = *testing::GenValidMessageOf(iana::ExchangeType::kIkeSaInit, init);
  RC_ASSERT(m.payloads.size() == init.size());
  for (size_t i = 0; i < init.size(); ++i) RC_ASSERT(m.payloads[i].type == init[i]);
  RC_ASSERT(m.header.next_payload == PT::kSa);
  RC_ASSERT(m.header.length == Encode(m).value().size());
}

}  // namespace
}  // namespace ipsecref::ike
