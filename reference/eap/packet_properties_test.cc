// Properties of the EAP codec: whatever is built parses back as itself;
// arbitrary octets never crash it, and every refusal says where and which
// requirement; whatever parses serializes back to the same octets.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/eap/mschapv2.h"
#include "reference/eap/packet.h"

namespace ipsecref::eap {
namespace {

Bytes SomeOctets(size_t min, size_t max) {
  const size_t n = *rc::gen::inRange(min, max + 1);
  return *rc::gen::container<Bytes>(n, rc::gen::arbitrary<uint8_t>());
}

// A Packet that is valid for its Code and Type.
rc::Gen<Packet> GenPacket() {
  return rc::gen::exec([] {
    Packet p;
    p.code = static_cast<Code>(*rc::gen::inRange(1, 5));
    p.identifier = *rc::gen::arbitrary<uint8_t>();
    if (!p.has_type()) return p;
    const bool request = p.code == Code::kRequest;
    switch (*rc::gen::inRange(0, 7)) {
      case 0: p.type = 1, p.type_data = SomeOctets(0, 40); break;
      case 1: p.type = 2, p.type_data = request ? SomeOctets(1, 40) : Bytes{}; break;
      case 2:
        if (request) {
          p.type = 6, p.type_data = SomeOctets(1, 40);
        } else {
          p.type = 3, p.type_data = SomeOctets(1, 6);
        }
        break;
      case 3: p.type = 4, p.type_data = *Md5ChallengeData({SomeOctets(1, 255), SomeOctets(0, 20)}); break;
      case 4: p.type = 6, p.type_data = SomeOctets(1, 40); break;
      case 5: {
        mschapv2::Message m;
        m.op_code = request ? mschapv2::OpCode::kChallenge : mschapv2::OpCode::kResponse;
        m.ms_chapv2_id = *rc::gen::arbitrary<uint8_t>();
        m.value = SomeOctets(request ? 16 : 49, request ? 16 : 49);
        m.text = SomeOctets(0, 20);
        p = *mschapv2::MakePacket(p.code, p.identifier, m);
        break;
      }
      default:
        p.type = *rc::gen::inRange<uint8_t>(7, 255);
        p.type_data = SomeOctets(0, 40);
        break;
    }
    return p;
  });
}

RC_GTEST_PROP(EapPacketProperties, SerializeThenParseIsIdentity, ()) {
  const Packet p = *GenPacket();
  auto octets = Serialize(p);
  RC_ASSERT(octets.ok());
  auto back = ParsePacket(*octets);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == p);
  RC_ASSERT(!Describe(p).empty());
  if (p.type == static_cast<uint8_t>(Type::kMsChapV2)) {
    auto m = mschapv2::ReadMessage(p);
    RC_ASSERT(m.ok());
    RC_ASSERT(*mschapv2::MakePacket(p.code, p.identifier, *m) == p);
  }
}

// Checks one input: a refusal carries an offset inside the input and a
// requirement; an acceptance round-trips byte for byte.
void CheckAnyInput(const Bytes& in) {
  auto got = ParsePacket(in);
  if (!got.ok()) {
    RC_ASSERT(got.error().offset != kNoOffset);
    RC_ASSERT(got.error().offset <= in.size());
    RC_ASSERT(!got.error().requirement.empty());
    return;
  }
  RC_ASSERT(*Serialize(*got) == in);
  RC_ASSERT(!Describe(*got).empty());
  if (got->type == static_cast<uint8_t>(Type::kMsChapV2)) {
    auto m = mschapv2::ReadMessage(*got);
    if (!m.ok()) {
      RC_ASSERT(m.error().offset != kNoOffset);
      RC_ASSERT(m.error().offset <= in.size());
      RC_ASSERT(!m.error().requirement.empty());
    }
  }
}

RC_GTEST_PROP(EapPacketProperties, RandomBytesNeverCrashAndErrorsCarryAnOffset, (const std::vector<uint8_t>& in)) {
  CheckAnyInput(in);
}

// Random octets seldom get past the header; mutated valid packets do.
RC_GTEST_PROP(EapPacketProperties, MutatedPacketsNeverCrashAndErrorsCarryAnOffset, ()) {
  Bytes octets = *Serialize(*GenPacket());
  const size_t edits = *rc::gen::inRange(1, 4);
  for (size_t i = 0; i < edits; ++i) {
    switch (*rc::gen::inRange(0, 3)) {
      case 0: octets[*rc::gen::inRange<size_t>(0, octets.size())] = *rc::gen::arbitrary<uint8_t>(); break;
      case 1:
        if (octets.size() > 1) octets.resize(*rc::gen::inRange<size_t>(1, octets.size()));
        break;
      default: octets.push_back(*rc::gen::arbitrary<uint8_t>()); break;
    }
  }
  CheckAnyInput(octets);
}

}  // namespace
}  // namespace ipsecref::eap
