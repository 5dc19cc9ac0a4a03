// Tests of the structure-aware IKEv2 mutator (ike_mutator.h).
//
// Real messages: the UDP payloads of frames 1 and 2 of
// pcaps/strongswan-gcm/capture.pcap (IKE_SA_INIT request and response, as
// `tshark -r pcaps/strongswan-gcm/capture.pcap -x` shows them; the
// same bytes reference/ike/wire/strongswan_messages_test.cc checks field by
// field against tshark's dissection), and frame 3 (IKE_AUTH request, SK
// payload) without its non-ESP marker.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "interop/mutate/ike_mutator.h"

namespace ipsecref::mutate {
namespace {

// Frame 1, UDP 500: IKE_SA_INIT request, 264 bytes (SA with ENCR 20 + Key
// Length 256, PRF 5, D-H 19; KE; Ni; N(NAT_DETECTION_*), N(FRAGMENTATION_SUPPORTED),
// N(SIGNATURE_HASH_ALGORITHMS), N(REDIRECT_SUPPORTED)).
const char kFrame1[] =
    "80ea419260b5b6ec00000000000000002120220800000000000001082200002800000024010100030300000c01000014800e0100"
    "030000080200000500000008040000132800004800130000f7e7e60a5b2c459e1b9ced52892a1e7c8d1def47f7419c4f54861043"
    "2434130d69c1c8a723a9d0a27082c0e9d3c475b55881a6251dcb9f68fb79a579ecfa155229000024da4e137e1c90d52c3d6096ba"
    "c644afd6596bd676df1caf06acb28ae4c32fec2a2900001c000040049fcfd5276ac1dad436afa1c74856268935475adb2900001c"
    "000040058b946a9f706fa764131993f3cb09a26c246b1e21290000080000402e290000100000402f000200030004000500000008"
    "00004016";
// Frame 2, UDP 500: IKE_SA_INIT response, 272 bytes.
const char kFrame2[] =
    "80ea419260b5b6ec2c239fb98b89226d2120222000000000000001102200002800000024010100030300000c01000014800e0100"
    "0300000802000005000000080400001328000048001300000784d4c2b877d1b0fb95b6835358c77e7a4f62113fe00430f2d9f302"
    "4f45f1bd6e24e5a6775364ecb39f97e5bf601608700f8708e855e5933f3fa20fe7a94f2a2900002489038e236c25897f59463575"
    "25bf136ae0593db3292d6542a42e3d03cc4fb3f62900001c00004004d77fc622f2e35f626f3c499a9f63608ca27708df2900001c"
    "00004005533a9789b11e01161a56fc2c4513171898ec211b290000080000402e290000100000402f000200030004000529000008"
    "000040220000000800004014";
// Frame 3, UDP 4500, after the non-ESP marker: IKE_AUTH request, 263 bytes.
const char kFrame3[] =
    "80ea419260b5b6ec2c239fb98b89226d2e2023080000000100000107230000ebb8f27d4b78ad25cdd7317181af354bf0"
    "77aedf233a8ec33bee57ecb367fa3e315c88814d406fd6e03f7204c4b5f55a087fcee0ae2c375ce7f239dc26a717fe9c00601dff"
    "cacbf38991ba7ab859f229f3a58d570d311cff22214376dbb5e76c705f737eb99d3279115d2b7b98f02afcb07e38fc286aa9a16b"
    "d0614fd9aca561d17c91595e5d4694e250c09685ca13193014c998a00d13fdf1cb41a16d36179d4ce9cbe652b627e304a3ae9482"
    "b6a9a333f46983bf61469130a173cd55f19dd1c293235e055d351e594dc9840b9a1669696b43cdc68869e6b96ce01fb46597bb15"
    "4a7ea010c80e64";

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

//= https://prng.di.unimi.it/splitmix64.c (Vigna's reference implementation):
//# seeded with 0, its first outputs are e220a8397b1dcdaf, 6e789e6aa1b965f4,
//# 06c45d188009454f.
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
      if (!a[0].leaves_wrong) EXPECT_TRUE(ike::Decode(*wire).ok()) << o.name << ": " << a[0].what;
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
  EXPECT_GT(outputs.size(), 90u);
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
  RC_ASSERT_FALSE(!again.ok());  // the error: again.error().ToString()
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
  for (const Applied& a : applied)
    if (a.op != "set_header_field" && a.op != "flip_header_flag") RC_ASSERT(m.payloads == outer);
  RC_ASSERT(m.payloads == outer);  // SK's ciphertext untouched, whatever was applied
  auto wire = EncodeMutated(m, c, applied);
  RC_ASSERT(wire.ok());
  if (AnyWrong(applied)) return;
  auto again = DecodeWithPlainSk(*wire);
  RC_ASSERT(again.ok());
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
// rest, as Nonce Data does). Every field kind is hit.
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
    for (const char* kind : {"header length", "attribute", "transform", "proposal", ") length"})
      if (what.find(kind) != std::string::npos) {
        ++kinds[kind];
        break;
      }
    auto again = ike::Decode(*wire);
    if (!again.ok()) {
      ++failed;
      // The header's Length is checked against the datagram first (§3.1).
      if (what.starts_with("header length")) EXPECT_NE(again.error().detail.find("Length"), std::string::npos) << what;
      continue;
    }
    ++differed;
    EXPECT_FALSE(again->payloads == m.payloads) << what << " decoded to the same message";
  }
  EXPECT_GT(failed, 100);
  for (const char* kind : {"header length", "attribute", "transform", "proposal", ") length"})
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
