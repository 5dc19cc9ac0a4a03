// The payload chain (RFC 7296 §3.2, §3.14, §2.5) on hand-written bytes, and
// the encoder's refusal of a payload too long for its Payload Length.
#include <gtest/gtest.h>

#include "reference/ike/wire/payloads/payloads_test_util.h"

namespace ipsecref::ike {
namespace {

TEST(PayloadChain, NextPayloadZeroWithTrailingBytesIsRefused) {
  const Bytes wire = Msg(40, Cat({Gp(0, 0, Bytes(16, 0xaa)), Hex("000000")}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 48, "rfc7296#section-3.2", "3 bytes after the last payload"));
  // No payload at all, but bytes after the header.
  EXPECT_TRUE(Fails(Decode(Msg(0, Hex("00000004"))), Code::kInvalidSyntax, 28, "rfc7296#section-3.2"));
}

TEST(PayloadChain, PayloadLengthBelowTheGenericHeaderIsRefused) {
  EXPECT_TRUE(
      Fails(Decode(Msg(40, Hex("00000003"))), Code::kInvalidSyntax, 30, "rfc7296#section-3.2", "Payload Length 3"));
}

TEST(PayloadChain, PayloadLengthPastTheMessageIsRefused) {
  EXPECT_TRUE(Fails(Decode(Msg(40, Hex("00000015" "00112233445566778899aabbccddeeff"))),
                    Code::kInvalidSyntax, 30, "rfc7296#section-3.2", "runs past the message"));
}

TEST(PayloadChain, AnnouncedPayloadMissingIsRefused) {
  // The Nonce's Next Payload announces a Notify that is not there (2 bytes).
  const Bytes wire = Msg(40, Cat({Gp(41, 0, Bytes(16, 0xaa)), Hex("0000")}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 48, "rfc7296#section-3.2", "N: the previous Next Payload"));
}

TEST(PayloadChain, SkNotLastIsRefused) {
  // SK (first inner IDi) followed by a Nonce payload.
  const Bytes wire = Msg(46, Cat({Gp(35, 0, Bytes(8, 0x55)), Gp(0, 0, Bytes(16, 0xaa))}));
  EXPECT_TRUE(Fails(Decode(wire), Code::kInvalidSyntax, 40, "rfc7296#section-3.14", "must be last"));
  const Bytes skf = Msg(53, Cat({Gp(35, 0,
                                    Hex("00010002" "5555555555555555")),
                                 Hex("00")}));
  EXPECT_TRUE(Fails(Decode(skf), Code::kInvalidSyntax, 44, "rfc7296#section-3.14", "must be last"));
}

TEST(PayloadChain, SkNamesItsFirstInnerPayload) {
  const Message m = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  ASSERT_EQ(m.payloads.size(), 1u);
  ASSERT_NE(m.payloads[0].as<SkPayload>(), nullptr);
  EXPECT_EQ(m.payloads[0].as<SkPayload>()->first_inner, PT::kIdi);
  EXPECT_EQ(m.Encrypted(), &m.payloads[0]);
}

// `count` empty payloads of unknown type 200, not critical (skipped, §2.5).
Bytes EmptyPayloads(size_t count) {
  Bytes out;
  for (size_t i = 0; i < count; ++i) out = Cat({out, Gp(i + 1 < count ? 200 : 0, 0, {})});
  return out;
}

TEST(PayloadChain, MoreThanTheLimitOfPayloadsIsRefusedAtTheFirstBeyond) {
  const Message m = Decoded(Msg(200, EmptyPayloads(kMaxPayloadsPerChain)));
  EXPECT_EQ(m.payloads.size(), kMaxPayloadsPerChain);
  // Payload 1025 starts after the 28-byte header and 1024 payloads of 4 bytes.
  EXPECT_TRUE(Fails(Decode(Msg(200, EmptyPayloads(kMaxPayloadsPerChain + 1))), Code::kInvalidSyntax,
                    28 + 4 * kMaxPayloadsPerChain, "ipsecref#choice", "payload 1025 of one chain"));
  // The same inside an SK payload.
  Message sk = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  EXPECT_TRUE(Fails(DecodeInner(sk, PT(200), EmptyPayloads(kMaxPayloadsPerChain + 1), 40),
                    Code::kInvalidSyntax, 40 + 4 * kMaxPayloadsPerChain, "ipsecref#choice"));
}

TEST(PayloadChain, SkInsideSkIsRefused) {
  Message m = Decoded(Msg(46, Gp(35, 0, Bytes(8, 0x55))));
  // Decrypted contents whose first payload is another SK payload.
  EXPECT_TRUE(Fails(DecodeInner(m, PT::kSk, Gp(0, 0, Bytes(4, 0)), 40), Code::kInvalidSyntax, 40,
                    "rfc7296#section-3.14", "inside an encrypted payload"));
  EXPECT_TRUE(DecodeInner(m, PT::kNonce, Gp(0, 0, Bytes(16, 1)), 40).ok());
  EXPECT_TRUE(m.decrypted);
  ASSERT_EQ(m.Visible().size(), 1u);
  EXPECT_EQ(m.Visible()[0]->type, PT::kNonce);
  EXPECT_EQ(m.Visible()[0]->offset, 40u);
}

TEST(PayloadChain, UnknownCriticalPayloadIsKeptWithItsBit) {
  const Message m = Decoded(Msg(200, Gp(0, 0x80, Hex("c0ffee"))));
  ASSERT_EQ(m.payloads.size(), 1u);
  EXPECT_EQ(m.payloads[0].type, static_cast<PT>(200));
  EXPECT_TRUE(m.payloads[0].critical);
  ASSERT_NE(m.payloads[0].as<UnknownPayload>(), nullptr);
  EXPECT_EQ(m.payloads[0].as<UnknownPayload>()->body, Hex("c0ffee"));
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(PayloadLabel(m.payloads[0]), "payload 200");
}

TEST(PayloadChain, UnknownNonCriticalPayloadIsSkippedAndNoted) {
  const Bytes wire = Msg(200, Cat({Gp(40, 0, Hex("c0ffee")), Gp(0, 0, Bytes(16, 0xaa))}));
  const Message m = Decoded(wire);
  ASSERT_EQ(m.payloads.size(), 2u);
  EXPECT_FALSE(m.payloads[0].critical);
  EXPECT_EQ(m.payloads[1].type, PT::kNonce);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_TRUE(IsError(m.notes[0], Code::kInvalidSyntax, 28, "rfc7296#section-2.5", "unknown and not critical"));
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(PayloadChain, CriticalBitOnAKnownPayloadIsIgnoredButKept) {
  const Bytes wire = One(PT::kNonce, Bytes(16, 0xaa), 0x80);
  const Message m = Decoded(wire);
  EXPECT_TRUE(m.payloads[0].critical);
  EXPECT_TRUE(m.notes.empty());
  EXPECT_EQ(Encode(m).value(), wire);
}

TEST(PayloadChain, NonZeroReservedIsNotedNotRefused) {
  const Bytes wire = One(PT::kNonce, Bytes(16, 0xaa), 0x01);
  const Message m = Decoded(wire);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_TRUE(IsError(m.notes[0], Code::kInvalidSyntax, 29, "rfc7296#section-3.2", "RESERVED"));
  // Written back with RESERVED zero.
  EXPECT_EQ(Encode(m).value(), One(PT::kNonce, Bytes(16, 0xaa)));
}

TEST(PayloadChain, ReservedFieldsOfEachBodyAreNoted) {
  struct Case {
    PT type;
    const char* body;
    size_t offset;
  };
  const Case cases[] = {
      {PT::kKe,
       "00130001" "aabbccdd",
       34},  // KE RESERVED (2 octets)
      {PT::kIdi,
       "02000100" "61",
       33},  // ID RESERVED (3 octets)
      {PT::kAuth,
       "02010000" "aa",
       33},                        // AUTH RESERVED
      {PT::kTsi, "00000001", 33},  // TS RESERVED, no selector
      {PT::kCp, "01100000", 33},   // CP RESERVED
      {PT::kCp,
       "01000000" "80010000",
       36},  // CP attribute R bit
      {PT::kSa,
       "00010008" "01010000",
       33},  // proposal RESERVED
      {PT::kSa,
       "00000010" "01010001" "00010008" "01000014",
       41},  // transform RESERVED 1
      {PT::kSa,
       "00000010" "01010001" "00000008" "01010014",
       45},  // transform RESERVED 2
  };
  for (const Case& c : cases) {
    const Message m = Decoded(One(c.type, Hex(c.body)));
    EXPECT_EQ(m.notes.size(), 1u) << c.body;
    EXPECT_TRUE(HasNote(m, c.offset, "rfc7296#section-3.2")) << c.body;
  }
}

//= rfc7296#section-3.2
//# Payload Length is 16 bits and counts the 4-octet generic header.
TEST(EncodeLimits, PayloadOf65536BytesIsRefused) {
  Message m = WithPayloads({Payload{PT::kVendorId, false, VendorIdPayload{Bytes(65535 - 4, 0x56)}, 0}});
  ASSERT_TRUE(Finalize(m).ok());
  auto fits = Encode(m);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(LoadU16(&(*fits)[28 + 2]), 65535);
  m.payloads[0].body = VendorIdPayload{Bytes(65536 - 4, 0x56)};
  EXPECT_TRUE(RefusedAsTooLong(Finalize(m), "rfc7296#section-3.2", "V payload 1 is 65536 bytes"));
  auto over = Encode(m);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Code::kLengthOverflow);
}

// A message over 64 KiB: its 32-bit Length holds it (§3.1), but the payload
// that makes it so must fit its own 16-bit Payload Length.
TEST(EncodeLimits, MessageOver64KibIsRefusedForItsPayload) {
  Payload sk{PT::kSk, false, SkPayload{PT::kNone, Bytes(70000, 0)}, 0};
  Message m = WithPayloads({sk});
  EXPECT_TRUE(RefusedAsTooLong(Finalize(m), "rfc7296#section-3.2", "SK payload 1 is 70004 bytes"));
  auto encoded = Encode(m);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().code, Code::kLengthOverflow);
  // Two payloads of 40000 bytes each: 80064 bytes in all, which Length states.
  Message two = WithPayloads({Payload{PT::kVendorId, false, VendorIdPayload{Bytes(40000 - 4, 1)}, 0},
                              Payload{PT::kVendorId, false, VendorIdPayload{Bytes(40000 - 4, 2)}, 0}});
  ASSERT_TRUE(Finalize(two).ok());
  EXPECT_EQ(two.header.length, 28u + 80000u);
}

}  // namespace
}  // namespace ipsecref::ike
