// Tests of the structure-aware IKEv2 mutator (ike_mutator.h).
//
// Real messages: frames 1-3 of pcaps/strongswan-gcm/capture.pcap
// (reference/ike/wire/strongswan_gcm_frames_test_util.h, the bytes
// reference/ike/wire/strongswan_messages_test.cc checks field by field
// against tshark's dissection).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "interop/mutate/ike_mutator.h"
#include "reference/ike/wire/strongswan_gcm_frames_test_util.h"

namespace ipsecref::mutate {
namespace {

using ike::kFrame1;  // IKE_SA_INIT request: SA (ENCR 20 + Key Length 256, PRF 5, D-H 19), KE, Ni, N x 5
using ike::kFrame2;  // IKE_SA_INIT response
// Frame 3 without its non-ESP marker (4 zero octets): IKE_AUTH request, SK payload.
const char* const kFrame3 = ike::kFrame3 + 8;

Bytes Wire(const char* hex) {
  auto b = FromHex(hex);
  return b.ok() ? *b : Bytes{};
}

ike::Message Decoded(const char* hex) {
  auto m = ike::Decode(Wire(hex));
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return m.ok() ? *m : ike::Message{};
}

// Frame 3 as the reference's Hooks::OnBuilt would hand it over: decrypted,
// its inner payloads in m.inner. The plaintext stand-in is frame 1's
// payloads (the capture's keys are not needed to test the mutator).
ike::Message DecryptedFrame3() {
  ike::Message m = Decoded(kFrame3);
  m.inner = Decoded(kFrame1).payloads;
  m.decrypted = true;
  return m;
}

bool AnyWrong(const std::vector<Applied>& applied) {
  return std::any_of(applied.begin(), applied.end(), [](const Applied& a) { return a.leaves_wrong; });
}

std::string Describe(const std::vector<Applied>& applied) {
  std::string s;
  for (const Applied& a : applied) s += "[" + a.op + "] " + a.what + "; ";
  return s;
}

// The inner payloads of an output EncodeMutated wrote for a decrypted
// message (plaintext in place of the SK ciphertext).
Result<ike::Message> DecodeWithPlainSk(ByteSpan wire) {
  auto m = ike::Decode(wire);
  if (!m) return m;
  const ike::Payload* enc = m->Encrypted();
  if (enc == nullptr) return MakeError(Code::kInvalidSyntax, 0, "test", "no SK payload");
  const auto* sk = enc->as<ike::SkPayload>();
  TRY(ike::DecodeInner(*m, sk->first_inner, sk->encrypted, enc->offset + ike::kGenericPayloadHeaderSize));
  return m;
}

// Known answer from outside the project: Sebastiano Vigna's reference
// splitmix64.c (prng.di.unimi.it), seeded with 0, first outputs
// e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f.
TEST(Chooser, IsSplitMix64) {
  Chooser c(0);
  EXPECT_EQ(c.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(c.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(c.Next(), 0x06c45d188009454fULL);
}

RC_GTEST_PROP(Chooser, BelowStaysBelow, (uint64_t seed, uint64_t n)) {
  RC_PRE(n > 0);
  Chooser c(seed);
  for (int i = 0; i < 100; ++i) RC_ASSERT(c.Below(n) < n);
  RC_ASSERT(c.Below(1) == 0u);
  RC_ASSERT(c.OneIn(1));
}

TEST(Operators, TableHasEveryOperatorOnce) {
  std::set<std::string> names;
  for (const OperatorInfo& o : Operators()) {
    EXPECT_GT(o.weight, 0u) << o.name;
    EXPECT_TRUE(names.insert(o.name).second) << o.name;
  }
  EXPECT_EQ(names.size(), 19u);
}

// Every operator applies to a real message (frame 1; the header operators
// and all), and what it did still encodes; unless it says it left the
// message wrong, the result decodes again.
TEST(Operators, EachAppliesToARealMessage) {
  for (const OperatorInfo& o : Operators()) {
    int applied = 0;
    for (uint64_t seed = 0; seed < 64; ++seed) {
      ike::Message m = Decoded(kFrame1);
      Chooser c(seed);
      auto a = ApplyOperator(m, c, o.name);
      if (a.empty()) continue;
      ++applied;
      ASSERT_EQ(a[0].op, o.name);
      auto wire = ike::Finalize(m).ok() ? ike::Encode(m) : Result<Bytes>(MakeError(Code::kBadLength, 0, "", ""));
      ASSERT_TRUE(wire.ok()) << o.name << ": " << a[0].what;
      if (a[0].leaves_wrong) continue;
      auto again = ike::Decode(*wire);
      EXPECT_TRUE(again.ok()) << o.name << ": " << a[0].what << ": " << again.error().ToString();
    }
    EXPECT_GT(applied, 0) << o.name << " never applied to frame 1";
  }
  ike::Message m = Decoded(kFrame1);
  Chooser c(1);
  EXPECT_TRUE(ApplyOperator(m, c, "no_such_operator").empty());
}

// Chosen by weight, every operator is reached from MutateMessage, and the
// encoder's own two (a length left wrong, RESERVED bits) from EncodeMutated.
TEST(Operators, EveryOperatorIsReached) {
  std::map<std::string, int> seen;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    ike::Message m = Decoded(seed % 2 ? kFrame1 : kFrame2);
    Chooser c(seed);
    auto applied = MutateMessage(m, c, 2);
    ASSERT_TRUE(EncodeMutated(m, c, applied).ok());
    for (const Applied& a : applied) ++seen[a.op];
  }
  for (const OperatorInfo& o : Operators()) EXPECT_GT(seen[o.name], 0) << o.name;
  EXPECT_GT(seen["wrong_length"], 0);
  EXPECT_GT(seen["payload_reserved"], 0);
}

TEST(Mutate, SameSeedSameOutput) {
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, 0xffffffffffffffffULL}) {
    ike::Message a = Decoded(kFrame1), b = Decoded(kFrame1);
    Chooser ca(seed), cb(seed);
    auto applied_a = MutateMessage(a, ca, 5);
    auto applied_b = MutateMessage(b, cb, 5);
    ASSERT_EQ(Describe(applied_a), Describe(applied_b));
    auto wa = EncodeMutated(a, ca, applied_a);
    auto wb = EncodeMutated(b, cb, applied_b);
    ASSERT_TRUE(wa.ok() && wb.ok());
    EXPECT_EQ(*wa, *wb);
    EXPECT_EQ(Describe(applied_a), Describe(applied_b));
  }
  const Bytes frame = Wire(kFrame1);
  for (unsigned seed = 0; seed < 50; ++seed) {
    Bytes x = frame, y = frame;
    x.resize(4096);
    y.resize(4096);
    const size_t nx = MutateDatagram(x.data(), frame.size(), x.size(), seed, nullptr);
    const size_t ny = MutateDatagram(y.data(), frame.size(), y.size(), seed, nullptr);
    ASSERT_EQ(nx, ny);
    EXPECT_TRUE(std::equal(x.begin(), x.begin() + static_cast<ptrdiff_t>(nx), y.begin()));
  }
}

TEST(Mutate, DifferentSeedsDiffer) {
  std::set<Bytes> outputs;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    ike::Message m = Decoded(kFrame1);
    Chooser c(seed);
    auto applied = MutateMessage(m, c, 1);
    auto wire = EncodeMutated(m, c, applied);
    ASSERT_TRUE(wire.ok());
    outputs.insert(*wire);
  }
  EXPECT_GT(outputs.size(), 75u);  // some choices coincide (remove payload 3 twice)
}

// "Lengths fixed": unless an operator or the encoder left something wrong on
// purpose, the output decodes again, to the message that was mutated.
RC_GTEST_PROP(Mutate, LengthsFixedOutputDecodesAgain, (uint64_t seed)) {
  const int operations = *rc::gen::inRange(1, 8);
  const char* frame = *rc::gen::element<const char*>(kFrame1, kFrame2, kFrame3);
  ike::Message m = Decoded(frame);
  Chooser c(seed);
  auto applied = MutateMessage(m, c, operations);
  auto wire = EncodeMutated(m, c, applied);
  RC_ASSERT(wire.ok());
  RC_TAG(AnyWrong(applied) ? "left wrong" : "lengths fixed");
  if (AnyWrong(applied)) return;
  auto again = ike::Decode(*wire);
  if (!again.ok()) RC_FAIL(Describe(applied) + " -> " + again.error().ToString());
  RC_ASSERT(again->header == m.header);
  RC_ASSERT(again->payloads == m.payloads);
}

// The same for a decrypted message: the inner payloads are mutated and
// written in place of the ciphertext; the outer ones stay as they were.
RC_GTEST_PROP(Mutate, DecryptedMessageMutatesOnlyTheInnerPayloads, (uint64_t seed)) {
  ike::Message m = DecryptedFrame3();
  const auto outer = m.payloads;
  Chooser c(seed);
  auto applied = MutateMessage(m, c, *rc::gen::inRange(1, 6));
  RC_ASSERT(m.payloads == outer);  // SK's ciphertext untouched, whatever was applied
  auto wire = EncodeMutated(m, c, applied);
  RC_ASSERT(wire.ok());
  if (AnyWrong(applied)) return;
  auto again = DecodeWithPlainSk(*wire);
  if (!again.ok()) RC_FAIL(Describe(applied) + " -> " + again.error().ToString());
  RC_ASSERT(again->inner == m.inner);
}

// MutatePayloads works on a payload list alone: the header operators do not
// apply, every other one does.
TEST(Mutate, PayloadListAlone) {
  std::set<std::string> ops;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    auto payloads = Decoded(kFrame1).payloads;
    Chooser c(seed);
    for (const Applied& a : MutatePayloads(payloads, c, 1)) ops.insert(a.op);
  }
  EXPECT_EQ(ops.count("set_header_field"), 0u);
  EXPECT_EQ(ops.count("flip_header_flag"), 0u);
  EXPECT_EQ(ops.size(), Operators().size() - 2);
}

// A length left wrong on purpose is never silently right: the output then
// fails to decode, or decodes to another message than the one encoded (a
// Payload Length that swallows the next payload into a body that takes the
// rest, as Nonce Data does).
TEST(EncodeMutated, WrongLengthIsNeverSilentlyRight) {
  std::map<std::string, int> kinds;
  int failed = 0, differed = 0;
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    ike::Message m = Decoded(seed % 2 ? kFrame1 : kFrame2);
    Chooser c(seed);
    std::vector<Applied> applied;
    auto wire = EncodeMutated(m, c, applied);
    ASSERT_TRUE(wire.ok());
    if (applied.empty() || applied.back().op != "wrong_length") continue;
    const std::string& what = applied.back().what;
    for (const char* kind : {"header length", "transform", "proposal", ") length"})
      if (what.find(kind) != std::string::npos) {
        ++kinds[kind];
        break;
      }
    auto again = ike::Decode(*wire);
    if (!again.ok()) {
      ++failed;
      // The header's Length is checked against the datagram first (§3.1).
      if (what.starts_with("header length")) {
        EXPECT_NE(again.error().detail.find("Length"), std::string::npos) << what;
      }
      continue;
    }
    ++differed;
    EXPECT_FALSE(again->payloads == m.payloads) << what << " decoded to the same message";
  }
  EXPECT_GT(failed, 100);
  // (Frames 1 and 2 hold no TLV attribute, TS or CP: their lengths are
  // walked by the same code, exercised by the fuzz targets.)
  for (const char* kind : {"header length", "transform", "proposal", ") length"})
    EXPECT_GT(kinds[kind], 0) << kind;
  RecordProperty("failed", failed);
  RecordProperty("differed", differed);
}

// The header length left wrong always fails, with the error the decoder
// gives for it (RFC 7296 §3.1: Length is the size of the whole message).
TEST(EncodeMutated, WrongHeaderLengthFailsDecode) {
  int seen = 0;
  for (uint64_t seed = 0; seed < 5000 && seen < 20; ++seed) {
    ike::Message m = Decoded(kFrame1);
    Chooser c(seed);
    std::vector<Applied> applied;
    auto wire = EncodeMutated(m, c, applied);
    ASSERT_TRUE(wire.ok());
    if (applied.empty() || !applied.back().what.starts_with("header length")) continue;
    ++seen;
    auto again = ike::Decode(*wire);
    ASSERT_FALSE(again.ok()) << applied.back().what;
    EXPECT_EQ(again.error().offset, 24u) << again.error().ToString();
  }
  EXPECT_EQ(seen, 20);
}

// libFuzzer's contract: the result never exceeds max_size, whatever the
// input (decodable or not) and however small max_size is.
RC_GTEST_PROP(MutateDatagram, RespectsMaxSize, (unsigned int seed)) {
  const bool real = *rc::gen::arbitrary<bool>();
  Bytes input = real ? Wire(*rc::gen::element<const char*>(kFrame1, kFrame2, kFrame3)) : *rc::gen::arbitrary<Bytes>();
  const size_t max_size = input.size() + *rc::gen::inRange<size_t>(0, 64);
  Bytes buffer = input;
  buffer.resize(max_size);
  const size_t n = MutateDatagram(buffer.data(), input.size(), max_size, seed, nullptr);
  RC_ASSERT(n <= max_size);
}

// The same with max_size at the input's size: a mutation that grows the
// message falls back to byte mutation instead of writing past the buffer.
TEST(MutateDatagram, TightMaxSize) {
  const Bytes frame = Wire(kFrame1);
  for (unsigned seed = 0; seed < 500; ++seed) {
    Bytes buffer = frame;
    EXPECT_LE(MutateDatagram(buffer.data(), buffer.size(), buffer.size(), seed, nullptr), frame.size());
  }
}

size_t fallback_calls = 0;
size_t CountingFallback(uint8_t* data, size_t size, size_t max_size) {
  ++fallback_calls;
  if (size > 0) data[0] ^= 1;
  return std::min(size, max_size);
}

TEST(MutateDatagram, FallsBackOnUndecodableInput) {
  Bytes garbage = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3};
  fallback_calls = 0;
  for (unsigned seed = 0; seed < 100; ++seed) {
    Bytes b = garbage;
    b.resize(64);
    MutateDatagram(b.data(), garbage.size(), b.size(), seed, CountingFallback);
  }
  EXPECT_EQ(fallback_calls, 100u);

  // A real message: byte mutation about 1 in 4 (and where the structured
  // result would not fit), structure otherwise.
  fallback_calls = 0;
  const Bytes frame = Wire(kFrame1);
  for (unsigned seed = 0; seed < 1000; ++seed) {
    Bytes b = frame;
    b.resize(4096);
    MutateDatagram(b.data(), frame.size(), b.size(), seed, CountingFallback);
  }
  EXPECT_GT(fallback_calls, 150u);
  EXPECT_LT(fallback_calls, 400u);
}

}  // namespace
}  // namespace ipsecref::mutate
