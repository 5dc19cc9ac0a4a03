// Generators of SA and KE payloads that meet their Verify rules: transforms
// of the registries, proposals with the transforms their protocol needs
// (RFC 7296 §3.3), KE data of the group's size. See ike_generators.h.
#pragma once

#include "reference/testing/ike_gen_base.h"

// ---------------------------------------------------------------------------
// Generators that also satisfy each payload's Verify.

namespace ipsecref::testing {

namespace ike_gen_detail {

inline ike::Transform MakeTransform(iana::TransformType type, uint16_t id) { return ike::Transform{type, id, {}}; }

inline ike::TransformAttribute KeyLengthAttribute(uint16_t bits) {
  return ike::TransformAttribute{static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), bits};
}

// An ENCR transform of the registry with its Key Length attribute when the
// cipher takes several key lengths (RFC 7296 §3.3.5: none on fixed-length
// ciphers). `aead` chooses combined-mode ciphers or not.
inline rc::Gen<ike::Transform> GenValidEncr(iana::SecurityProtocol protocol, bool aead) {
  return rc::gen::exec([protocol, aead] {
    std::vector<const crypto::EncrTransform*> candidates;
    for (const crypto::EncrTransform& e : crypto::EncrTransforms()) {
      if (e.aead != aead) continue;
      // IKE SAs need confidentiality: no ENCR_NULL, no GMAC (RFC 7296 §3.3.2
      // lists ENCR_NULL as not allowed for IKE; GMAC is ESP-only, RFC 4543).
      if (protocol == iana::SecurityProtocol::kIke && !e.confidentiality) continue;
      candidates.push_back(&e);
    }
    const crypto::EncrTransform& e = **rc::gen::elementOf(candidates);
    ike::Transform t = MakeTransform(iana::TransformType::kEncr, static_cast<uint16_t>(e.id));
    std::vector<uint16_t> bits;
    for (uint16_t b : e.key_bits)
      if (b != 0) bits.push_back(b);
    if (bits.size() > 1) t.attributes.push_back(KeyLengthAttribute(*rc::gen::elementOf(bits)));
    return t;
  });
}

inline rc::Gen<ike::Transform> GenValidPrf() {
  return rc::gen::map(rc::gen::element(iana::Prf::kHmacSha1, iana::Prf::kAes128Xcbc, iana::Prf::kHmacSha2_256,
                                       iana::Prf::kHmacSha2_384, iana::Prf::kHmacSha2_512, iana::Prf::kAes128Cmac),
                      [](iana::Prf id) { return MakeTransform(iana::TransformType::kPrf, static_cast<uint16_t>(id)); });
}

inline rc::Gen<ike::Transform> GenValidInteg() {
  return rc::gen::exec([] {
    const auto integs = crypto::IntegTransforms();
    const crypto::IntegTransform& i = integs[*rc::gen::inRange<size_t>(0, integs.size())];
    return MakeTransform(iana::TransformType::kInteg, static_cast<uint16_t>(i.id));
  });
}

// Classical groups for Transform Type 4; the additional key exchanges of
// RFC 9370 (types 6..12) may also be ML-KEM.
inline rc::Gen<ike::Transform> GenValidKeMethod(iana::TransformType type = iana::TransformType::kKe) {
  using G = iana::KeGroup;
  std::vector<G> groups = {G::kModp2048, G::kModp3072, G::kModp4096,   G::kEcp256,
                           G::kEcp384,   G::kEcp521,   G::kCurve25519, G::kCurve448};
  if (type != iana::TransformType::kKe) groups.insert(groups.end(), {G::kMlKem512, G::kMlKem768, G::kMlKem1024});
  return rc::gen::map(rc::gen::elementOf(groups),
                      [type](G g) { return MakeTransform(type, static_cast<uint16_t>(g)); });
}

inline rc::Gen<ike::Transform> GenValidEsn() {
  return rc::gen::map(rc::gen::element(iana::EsnType::kNoEsn, iana::EsnType::kEsn), [](iana::EsnType e) {
    return MakeTransform(iana::TransformType::kEsn, static_cast<uint16_t>(e));
  });
}

// 1..max transforms of one generator, each a choice the peer may pick.
inline std::vector<ike::Transform> Some(const rc::Gen<ike::Transform>& g, size_t max) {
  return *rc::gen::container<std::vector<ike::Transform>>(*rc::gen::inRange<size_t>(1, max + 1), g);
}

inline void Add(std::vector<ike::Transform>& to, std::vector<ike::Transform> more) {
  to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

}  // namespace ike_gen_detail

//= rfc7296#section-3.3.3
//# IKE proposals carry ENCR, PRF, INTEG (unless the cipher is combined-mode)
//# and KE; ESP proposals ENCR, INTEG for non-AEAD ciphers, optional KE and
//# ESN; AH proposals INTEG, optional KE and ESN.
//= rfc7296#section-3.3.1
//# SPI Size 0 (initial IKE SA) or 8 (IKE rekey); 4 for ESP and AH.
inline rc::Gen<ike::Proposal> GenValidProposal(uint8_t proposal_num, iana::SecurityProtocol protocol) {
  using namespace ike_gen_detail;
  using SP = iana::SecurityProtocol;
  using TT = iana::TransformType;
  return rc::gen::exec([proposal_num, protocol] {
    ike::Proposal p;
    p.proposal_num = proposal_num;
    p.protocol_id = protocol;
    p.spi = *GenBytesOfSize(protocol == SP::kIke ? *rc::gen::element<size_t>(0, 8) : 4);
    const bool aead = *rc::gen::arbitrary<bool>();
    if (protocol == SP::kIke) {
      Add(p.transforms, Some(GenValidEncr(protocol, aead), 2));
      Add(p.transforms, Some(GenValidPrf(), 2));
      if (!aead) Add(p.transforms, Some(GenValidInteg(), 2));
      Add(p.transforms, Some(GenValidKeMethod(), 2));
      //= rfc9370#section-2.2
      //# Additional Key Exchange transform types 6..12 may follow.
      if (*rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}}))
        p.transforms.push_back(*GenValidKeMethod(TT::kAke1));
    } else if (protocol == SP::kEsp) {
      Add(p.transforms, Some(GenValidEncr(protocol, aead), 2));
      if (!aead) Add(p.transforms, Some(GenValidInteg(), 2));
      if (*rc::gen::arbitrary<bool>()) Add(p.transforms, Some(GenValidKeMethod(), 2));
      Add(p.transforms, Some(GenValidEsn(), 2));
    } else {
      Add(p.transforms, Some(GenValidInteg(), 2));
      if (*rc::gen::arbitrary<bool>()) Add(p.transforms, Some(GenValidKeMethod(), 2));
      Add(p.transforms, Some(GenValidEsn(), 2));
    }
    return p;
  });
}

// An SA payload of 1..4 proposals for one protocol, numbered from 1.
inline rc::Gen<ike::SaPayload> GenValidSa(iana::SecurityProtocol protocol) {
  return rc::gen::exec([protocol] {
    ike::SaPayload sa;
    const size_t n = *rc::gen::inRange<size_t>(1, 5);
    //= rfc7296#section-3.3.1
    //# The first proposal is number 1, each next one is one more.
    for (size_t i = 0; i < n; ++i) sa.proposals.push_back(*GenValidProposal(static_cast<uint8_t>(i + 1), protocol));
    return sa;
  });
}

inline rc::Gen<ike::SaPayload> GenValidSa() {
  return rc::gen::mapcat(
      rc::gen::element(iana::SecurityProtocol::kIke, iana::SecurityProtocol::kEsp, iana::SecurityProtocol::kAh),
      [](iana::SecurityProtocol p) { return GenValidSa(p); });
}

// KE data of the group's public value size (RFC 3526, RFC 5903 §7, RFC 8031
// §3.1, the ML-KEM draft: encapsulation key of ML-KEM-768).
inline rc::Gen<ike::KePayload> GenValidKe() {
  using G = iana::KeGroup;
  const std::vector<std::pair<G, size_t>> groups = {{G::kModp2048, 256}, {G::kModp3072, 384}, {G::kEcp256, 64},
                                                    {G::kEcp384, 96},    {G::kEcp521, 132},   {G::kCurve25519, 32},
                                                    {G::kCurve448, 56},  {G::kMlKem768, 1184}};
  return rc::gen::mapcat(rc::gen::elementOf(groups), [](const std::pair<G, size_t>& g) {
    return rc::gen::build<ike::KePayload>(rc::gen::set(&ike::KePayload::group, rc::gen::just(g.first)),
                                          rc::gen::set(&ike::KePayload::key_exchange_data, GenBytesOfSize(g.second)));
  });
}

}  // namespace ipsecref::testing
