#include "reference/ike/sa/proposals.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <span>

#include "reference/crypto/ke.h"
#include "reference/crypto/prf.h"
#include "reference/crypto/transforms.h"

namespace ipsecref::ike::sa {
namespace {

using TT = iana::TransformType;
using SP = iana::SecurityProtocol;
using iana::Encr;
using iana::Integ;
using iana::KeGroup;

// --- what each Transform Type is -------------------------------------------

// The five Transform Types a configuration names, with the prefix of their
// number syntax, the IANA name of an ID and whether the reference
// implements it.
struct TypeInfo {
  TT type;
  std::string_view number_prefix;
  std::string_view (*name)(uint16_t id);
  bool (*implemented)(uint16_t id);
};
//= ipsecref#choice
//# IANA numbers are written as the Transform Type's short name and the
//# Transform ID (encr20, prf5, integ12, ke31, esn1), an ENCR key length
//# after a dot (encr20.128), so every transform the reference implements can
//# be named, also where strongSwan has no keyword.
constexpr TypeInfo kTypes[] = {
    {TT::kEncr, "encr", [](uint16_t id) { return iana::Name(static_cast<Encr>(id)); },
     [](uint16_t id) { return crypto::FindEncr(static_cast<Encr>(id)) != nullptr; }},
    {TT::kPrf, "prf", [](uint16_t id) { return iana::Name(static_cast<iana::Prf>(id)); },
     [](uint16_t id) { return crypto::FindPrf(static_cast<iana::Prf>(id)) != nullptr; }},
    {TT::kInteg, "integ", [](uint16_t id) { return iana::Name(static_cast<Integ>(id)); },
     [](uint16_t id) { return crypto::FindInteg(static_cast<Integ>(id)) != nullptr; }},
    //= rfc7296#section-3.3.2
    //# Transform ID 0 of an optional type offers to leave it out: key
    //# exchange NONE in an ESP or AH proposal accepts no PFS key exchange.
    {TT::kKe, "ke", [](uint16_t id) { return iana::Name(static_cast<KeGroup>(id)); },
     [](uint16_t id) { return id == 0 || crypto::FindKeGroup(static_cast<KeGroup>(id)) != nullptr; }},
    //= rfc7296#section-3.3.2
    //# ESN Transform IDs: 0 no extended sequence numbers, 1 extended ones.
    {TT::kEsn, "esn", [](uint16_t id) { return iana::Name(static_cast<iana::EsnType>(id)); },
     [](uint16_t id) { return id <= 1; }},
};

// Proposals hold their transforms in this order; ESN, the last, can be
// appended.
constexpr bool AscendingTypes() {
  for (size_t i = 1; i < std::size(kTypes); ++i)
    if (kTypes[i - 1].type >= kTypes[i].type) return false;
  return std::size(kTypes) > 0 && kTypes[std::size(kTypes) - 1].type == TT::kEsn;
}
static_assert(AscendingTypes(), "kTypes: ascending Transform Types, ESN last");

const TypeInfo* FindType(TT type) {
  for (const TypeInfo& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}

// The Transform Types each protocol uses, in the order proposals hold them.
struct ProtocolTypes {
  SP protocol;
  std::array<TT, 4> types;
  size_t count;
  std::span<const TT> used() const { return {types.data(), count}; }
};
//= rfc7296#section-3.3.3
//# IKE uses ENCR, PRF, INTEG and KE; ESP uses ENCR, INTEG, KE and ESN; AH
//# uses INTEG, KE and ESN.
constexpr ProtocolTypes kProtocolTypes[] = {
    {SP::kIke, {TT::kEncr, TT::kPrf, TT::kInteg, TT::kKe}, 4},
    {SP::kEsp, {TT::kEncr, TT::kInteg, TT::kKe, TT::kEsn}, 4},
    {SP::kAh, {TT::kInteg, TT::kKe, TT::kEsn}, 3},
};

const ProtocolTypes* FindProtocol(SP protocol) {
  for (const ProtocolTypes& p : kProtocolTypes)
    if (p.protocol == protocol) return &p;
  return nullptr;
}

bool Uses(const ProtocolTypes& p, TT type) {
  return std::find(p.used().begin(), p.used().end(), type) != p.used().end();
}

std::string TypeName(TT type) {
  const std::string_view name = iana::Name(type);
  return name.empty() ? fmt::format("Transform Type {}", static_cast<int>(type)) : std::string(name);
}

std::string ProtocolName(SP protocol) {
  const std::string_view name = iana::Name(protocol);
  return name.empty() ? fmt::format("Protocol ID {}", static_cast<int>(protocol)) : std::string(name);
}

// --- strongSwan's keywords --------------------------------------------------

// Encryption keywords. "{}" stands for each key length in bits that the
// crypto registry allows the cipher; the first spelling is the one
// ProposalKeywords writes. Source: strongSwan's
// proposal_keywords_static.txt (aes128 = ENCR_AES_CBC with a 128-bit key,
// aes128gcm16 and its aliases aes128gcm128 and aes128gcm = ENCR_AES_GCM_16,
// aes128gcm8 = aes128gcm64, ...).
struct EncrKeywords {
  Encr id;
  std::array<std::string_view, 3> spellings;
};
constexpr EncrKeywords kEncrKeywords[] = {
    {Encr::kAesCbc, {"aes{}"}},
    {Encr::kAesCtr, {"aes{}ctr"}},
    {Encr::kAesCcm8, {"aes{}ccm8", "aes{}ccm64"}},
    {Encr::kAesCcm12, {"aes{}ccm12", "aes{}ccm96"}},
    {Encr::kAesCcm16, {"aes{}ccm16", "aes{}ccm128", "aes{}ccm"}},
    {Encr::kAesGcm8, {"aes{}gcm8", "aes{}gcm64"}},
    {Encr::kAesGcm12, {"aes{}gcm12", "aes{}gcm96"}},
    {Encr::kAesGcm16, {"aes{}gcm16", "aes{}gcm128", "aes{}gcm"}},
    {Encr::kNullAuthAesGmac, {"aes{}gmac"}},
    {Encr::k3Des, {"3des"}},
    {Encr::kNull, {"null"}},
    {Encr::kChaCha20Poly1305, {"chacha20poly1305"}},
};

// strongSwan: "aes" alone is aes128 (AES-CBC, 128-bit key).
constexpr std::pair<std::string_view, std::string_view> kAliases[] = {{"aes", "aes128"}};

// The other keywords, from the same file. The first spelling of a
// transform is the one ProposalKeywords writes.
struct Keyword {
  std::string_view name;
  TT type;
  uint16_t id;
};
template <typename E>
constexpr Keyword K(std::string_view name, TT type, E id) {
  return {name, type, static_cast<uint16_t>(id)};
}
using iana::EsnType;
using iana::Prf;
constexpr Keyword kKeywords[] = {
    K("sha1", TT::kInteg, Integ::kHmacSha1_96),
    K("sha", TT::kInteg, Integ::kHmacSha1_96),
    K("sha256", TT::kInteg, Integ::kHmacSha2_256_128),
    K("sha2_256", TT::kInteg, Integ::kHmacSha2_256_128),
    K("sha384", TT::kInteg, Integ::kHmacSha2_384_192),
    K("sha2_384", TT::kInteg, Integ::kHmacSha2_384_192),
    K("sha512", TT::kInteg, Integ::kHmacSha2_512_256),
    K("sha2_512", TT::kInteg, Integ::kHmacSha2_512_256),
    K("md5", TT::kInteg, Integ::kHmacMd5_96),
    K("aesxcbc", TT::kInteg, Integ::kAesXcbc96),
    K("aescmac", TT::kInteg, Integ::kAesCmac96),
    K("prfsha1", TT::kPrf, Prf::kHmacSha1),
    K("prfsha256", TT::kPrf, Prf::kHmacSha2_256),
    K("prfsha384", TT::kPrf, Prf::kHmacSha2_384),
    K("prfsha512", TT::kPrf, Prf::kHmacSha2_512),
    K("prfmd5", TT::kPrf, Prf::kHmacMd5),
    K("prfaesxcbc", TT::kPrf, Prf::kAes128Xcbc),
    K("prfaescmac", TT::kPrf, Prf::kAes128Cmac),
    K("none", TT::kKe, KeGroup::kNone),
    K("modpnone", TT::kKe, KeGroup::kNone),
    K("modp768", TT::kKe, KeGroup::kModp768),
    K("modp1024", TT::kKe, KeGroup::kModp1024),
    K("modp1536", TT::kKe, KeGroup::kModp1536),
    K("modp2048", TT::kKe, KeGroup::kModp2048),
    K("modp3072", TT::kKe, KeGroup::kModp3072),
    K("modp4096", TT::kKe, KeGroup::kModp4096),
    K("modp6144", TT::kKe, KeGroup::kModp6144),
    K("modp8192", TT::kKe, KeGroup::kModp8192),
    K("ecp192", TT::kKe, KeGroup::kEcp192),
    K("ecp224", TT::kKe, KeGroup::kEcp224),
    K("ecp256", TT::kKe, KeGroup::kEcp256),
    K("ecp384", TT::kKe, KeGroup::kEcp384),
    K("ecp521", TT::kKe, KeGroup::kEcp521),
    K("modp1024s160", TT::kKe, KeGroup::kModp1024s160),
    K("modp2048s224", TT::kKe, KeGroup::kModp2048s224),
    K("modp2048s256", TT::kKe, KeGroup::kModp2048s256),
    K("ecp224bp", TT::kKe, KeGroup::kBrainpoolP224r1),
    K("ecp256bp", TT::kKe, KeGroup::kBrainpoolP256r1),
    K("ecp384bp", TT::kKe, KeGroup::kBrainpoolP384r1),
    K("ecp512bp", TT::kKe, KeGroup::kBrainpoolP512r1),
    K("x25519", TT::kKe, KeGroup::kCurve25519),
    K("curve25519", TT::kKe, KeGroup::kCurve25519),
    K("x448", TT::kKe, KeGroup::kCurve448),
    K("curve448", TT::kKe, KeGroup::kCurve448),
    K("noesn", TT::kEsn, EsnType::kNoEsn),
    K("esn", TT::kEsn, EsnType::kEsn),
};

// strongSwan's rule for IKE proposals without a PRF keyword: each integrity
// algorithm also proposes the PRF built on the same primitive
// (proposal.c, integ_prf_map; docs: "Pseudo-random Functions").
struct PrfOfInteg {
  Integ integ;
  Prf prf;
};
constexpr PrfOfInteg kPrfOfInteg[] = {
    {Integ::kHmacSha1_96, Prf::kHmacSha1},
    {Integ::kHmacSha2_256_128, Prf::kHmacSha2_256},
    {Integ::kHmacSha2_384_192, Prf::kHmacSha2_384},
    {Integ::kHmacSha2_512_256, Prf::kHmacSha2_512},
    {Integ::kHmacMd5_96, Prf::kHmacMd5},
    {Integ::kAesXcbc96, Prf::kAes128Xcbc},
    {Integ::kAesCmac96, Prf::kAes128Cmac},
};

std::string Spell(std::string_view pattern, uint16_t bits) {
  const size_t at = pattern.find("{}");
  if (at == std::string_view::npos) return std::string(pattern);
  return fmt::format("{}{}{}", pattern.substr(0, at), bits, pattern.substr(at + 2));
}

// The key lengths a keyword row spells: each the registry allows when the
// spelling holds "{}", else the cipher's fixed one (0 for ENCR_NULL).
std::vector<uint16_t> SpelledKeyBits(const crypto::EncrTransform& e, std::string_view pattern) {
  if (pattern.find("{}") == std::string_view::npos) return {e.fixed_key_bits()};
  std::vector<uint16_t> out;
  for (uint16_t bits : e.key_bits)
    if (bits != 0) out.push_back(bits);
  return out;
}

TransformAttribute KeyLength(uint16_t bits) {
  return {static_cast<uint16_t>(iana::TransformAttribute::kKeyLength), bits};
}

//= rfc7296#section-3.3.5
//# Ciphers with a variable key length carry a Key Length attribute, ciphers
//# with a fixed one do not.
Transform EncrTransform(const crypto::EncrTransform& e, uint16_t bits) {
  Transform t{TT::kEncr, static_cast<uint16_t>(e.id), {}};
  if (e.fixed_key_bits() == 0 && bits != 0) t.attributes.push_back(KeyLength(bits));
  return t;
}

std::optional<Transform> FromKeyword(std::string_view word) {
  for (const auto& [alias, keyword] : kAliases)
    if (word == alias) word = keyword;
  for (const EncrKeywords& row : kEncrKeywords) {
    const crypto::EncrTransform* e = crypto::FindEncr(row.id);
    if (e == nullptr) continue;
    for (std::string_view pattern : row.spellings) {
      if (pattern.empty()) continue;
      for (uint16_t bits : SpelledKeyBits(*e, pattern))
        if (Spell(pattern, bits) == word) return EncrTransform(*e, bits);
    }
  }
  for (const Keyword& k : kKeywords)
    if (k.name == word) return Transform{k.type, k.id, {}};
  return std::nullopt;
}

// A decimal number without sign or leading zeros, at most 65535.
std::optional<uint16_t> Decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 5 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// --- reading a proposal -----------------------------------------------------

// A keyword in an error message, bytes other than printable ASCII as \xNN
// (the text may hold anything).
std::string Quoted(std::string_view word) {
  std::string out = "'";
  for (const char c : word) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20 && byte < 0x7f && c != '\'' && c != '\\' ? std::string(1, c) : fmt::format("\\x{:02x}", byte);
  }
  return out + "'";
}

Error KeywordError(Code code, std::string_view word, size_t offset, std::string_view requirement, std::string why) {
  return MakeError(code, offset, requirement, fmt::format("keyword {} at offset {}: {}", Quoted(word), offset, why));
}

// The number syntax: encr<ID>[.<bits>], prf<ID>, integ<ID>, ke<ID>, esn<ID>.
Result<Transform> FromNumbers(std::string_view word, size_t offset) {
  for (const TypeInfo& type : kTypes) {
    if (!word.starts_with(type.number_prefix)) continue;
    std::string_view rest = word.substr(type.number_prefix.size());
    std::string_view bits_text;
    const size_t dot = rest.find('.');
    if (type.type == TT::kEncr && dot != std::string_view::npos) {
      bits_text = rest.substr(dot + 1);
      rest = rest.substr(0, dot);
    }
    const std::optional<uint16_t> id = Decimal(rest);
    if (!id) continue;
    const std::string_view name = type.name(*id);
    if (!type.implemented(*id))
      return KeywordError(Code::kUnsupported, word, offset, "ipsecref#choice",
                          fmt::format("{} {} ({}) is not implemented by the reference", TypeName(type.type), *id,
                                      name.empty() || name == "UNKNOWN" ? "not registered" : name));
    if (type.type != TT::kEncr) return Transform{type.type, *id, {}};
    const crypto::EncrTransform& e = *crypto::FindEncr(static_cast<Encr>(*id));
    const auto allowed = [&] {
      std::string out;
      for (uint16_t b : e.key_bits)
        if (b != 0) out += fmt::format("{}{}", out.empty() ? "" : ", ", b);
      return out.empty() ? std::string("none") : out;
    }();
    if (dot == std::string_view::npos) {
      if (e.fixed_key_bits() != 0 || e.key_bits[0] == 0) return EncrTransform(e, e.fixed_key_bits());
      return KeywordError(Code::kInvalidArgument, word, offset, "rfc7296#section-3.3.5",
                          fmt::format("{} takes a key length ({}): write {}.<bits>", e.name(), allowed, word));
    }
    const std::optional<uint16_t> bits = Decimal(bits_text);
    if (!bits || *bits == 0 || std::find(e.key_bits.begin(), e.key_bits.end(), *bits) == e.key_bits.end())
      return KeywordError(Code::kInvalidArgument, word, offset, "rfc7296#section-3.3.5",
                          fmt::format("{} takes no key length {} (allowed: {})", e.name(), bits_text, allowed));
    // A fixed-length cipher named with its length keeps the attribute, as
    // some peers send it (strongSwan's chacha20poly1305compat).
    Transform t = EncrTransform(e, *bits);
    if (t.attributes.empty()) t.attributes.push_back(KeyLength(*bits));
    return t;
  }
  return KeywordError(Code::kInvalidArgument, word, offset, "ipsecref#choice",
                      "unknown keyword (neither a strongSwan keyword the reference knows nor encr<ID>[.<bits>], "
                      "prf<ID>, integ<ID>, ke<ID>, esn<ID>)");
}

Result<Transform> Resolve(std::string_view word, size_t offset) {
  if (std::optional<Transform> t = FromKeyword(word)) {
    const TypeInfo& type = *FindType(t->type);
    if (!type.implemented(t->id))
      return KeywordError(Code::kUnsupported, word, offset, "ipsecref#choice",
                          fmt::format("{} is not implemented by the reference", type.name(t->id)));
    return *t;
  }
  return FromNumbers(word, offset);
}

bool IsAead(const Transform& t) {
  const crypto::EncrTransform* e = crypto::FindEncr(static_cast<Encr>(t.id));
  return t.type == TT::kEncr && e != nullptr && e->aead;
}

// One proposal's keywords, gathered by type.
class ProposalText {
 public:
  ProposalText(SP protocol, const ProtocolTypes& types, size_t offset)
      : protocol_(protocol), types_(types), offset_(offset) {}

  Status Add(std::string_view word, size_t offset) {
    TRY_ASSIGN(Transform t, Resolve(word, offset));
    if (!Uses(types_, t.type))
      return KeywordError(Code::kInvalidArgument, word, offset, "rfc7296#section-3.3.3",
                          fmt::format("{} proposals have no {} transform", ProtocolName(protocol_), TypeName(t.type)));
    if (protocol_ == SP::kIke && t.type == TT::kEncr && !crypto::FindEncr(static_cast<Encr>(t.id))->confidentiality)
      //= rfc7296#section-1.2
      //# IKE_AUTH and later messages travel encrypted in SK {...}: an IKE SA
      //# needs a cipher that gives confidentiality (not ENCR_NULL, not
      //# AES-GMAC, which RFC 4543 defines for ESP and AH only).
      return KeywordError(Code::kInvalidArgument, word, offset, "rfc7296#section-1.2",
                          "an IKE SA needs confidentiality; this cipher gives none (ESP only)");
    if (protocol_ == SP::kIke && t.type == TT::kKe && t.id == 0)
      //= rfc7296#section-1.2
      //# IKE_SA_INIT always carries a key exchange, so an IKE proposal has no
      //# use for key exchange NONE.
      return KeywordError(Code::kInvalidArgument, word, offset, "rfc7296#section-1.2",
                          "an IKE SA always runs a key exchange; NONE is for CHILD SAs without PFS");
    for (const Keyed& k : transforms_)
      if (k.transform == t)
        return KeywordError(Code::kInvalidArgument, word, offset, "ipsecref#choice",
                            fmt::format("names the same transform as {} at offset {}", Quoted(k.word), k.offset));
    transforms_.push_back({std::move(t), word, offset});
    return OkStatus();
  }

  Result<Proposal> Finish(uint8_t number) {
    if (protocol_ == SP::kIke && Find([](const Keyed& k) { return k.transform.type == TT::kPrf; }) == nullptr) {
      // strongSwan's rule: without a PRF keyword, each integrity keyword
      // also proposes the PRF on the same primitive.
      std::vector<Keyed> derived;
      for (const Keyed& k : transforms_) {
        if (k.transform.type != TT::kInteg) continue;
        for (const PrfOfInteg& m : kPrfOfInteg)
          if (static_cast<uint16_t>(m.integ) == k.transform.id)
            derived.push_back({Transform{TT::kPrf, static_cast<uint16_t>(m.prf), {}}, k.word, k.offset});
      }
      transforms_.insert(transforms_.end(), derived.begin(), derived.end());
    }
    // Pointers into transforms_: nothing is added to it until the proposal
    // is assembled.
    const Keyed* aead = Find([](const Keyed& k) { return IsAead(k.transform); });
    const Keyed* classic = Find([](const Keyed& k) { return k.transform.type == TT::kEncr && !IsAead(k.transform); });
    const Keyed* integ = Find([](const Keyed& k) { return k.transform.type == TT::kInteg; });
    const Keyed* prf = Find([](const Keyed& k) { return k.transform.type == TT::kPrf; });
    const Keyed* ke = Find([](const Keyed& k) { return k.transform.type == TT::kKe; });
    const Keyed* esn = Find([](const Keyed& k) { return k.transform.type == TT::kEsn; });
    const std::string where = fmt::format("proposal {} at offset {}", number, offset_);

    if (Uses(types_, TT::kEncr) && aead == nullptr && classic == nullptr)
      return MakeError(
          Code::kInvalidArgument, offset_, "rfc7296#section-3.3.3",
          fmt::format("{}: no encryption keyword ({} proposals need ENCR)", where, ProtocolName(protocol_)));
    //= rfc7296#section-2.7
    //# Combined-mode ciphers and ciphers with a separate integrity
    //# algorithm go into two proposals.
    if (aead != nullptr && classic != nullptr)
      return KeywordError(Code::kInvalidArgument, aead->word, aead->offset, "rfc7296#section-2.7",
                          fmt::format("AEAD cipher in the same proposal as {} at offset {}: put them in two "
                                      "proposals",
                                      Quoted(classic->word), classic->offset));
    //= rfc7296#section-3.3
    //# A proposal of combined-mode ciphers offers no integrity algorithm.
    if (aead != nullptr && integ != nullptr)
      return KeywordError(
          Code::kInvalidArgument, integ->word, integ->offset, "rfc7296#section-3.3",
          fmt::format("{} at offset {} is an AEAD cipher, which takes no integrity algorithm{}", Quoted(aead->word),
                      aead->offset, protocol_ == SP::kIke ? " (name the PRF with a prf keyword, e.g. prfsha256)" : ""));
    if (protocol_ == SP::kIke) {
      //= rfc7296#section-3.3.3
      //# An IKE proposal needs ENCR, PRF, INTEG (unless the cipher is
      //# combined-mode) and KE.
      if (aead == nullptr && integ == nullptr)
        return MakeError(Code::kInvalidArgument, offset_, "rfc7296#section-3.3.3",
                         fmt::format("{}: no integrity keyword, and {} at offset {} is not an AEAD cipher", where,
                                     Quoted(classic->word), classic->offset));
      if (prf == nullptr)
        return MakeError(Code::kInvalidArgument, offset_, "rfc7296#section-3.3.3",
                         fmt::format("{}: no PRF (a prf keyword, or an integrity keyword it derives from)", where));
      if (ke == nullptr)
        return MakeError(Code::kInvalidArgument, offset_, "rfc7296#section-3.3.3",
                         fmt::format("{}: no key exchange keyword (IKE proposals need KE)", where));
    }
    if (protocol_ == SP::kAh && integ == nullptr)
      return MakeError(Code::kInvalidArgument, offset_, "rfc7296#section-3.3.3",
                       fmt::format("{}: no integrity keyword (AH proposals need INTEG)", where));
    //= rfc4303#section-3.2
    //# ESP offers confidentiality, integrity or both, never neither: a
    //# proposal offering NULL encryption offers an integrity algorithm, which
    //# the responder may pick with it.
    const Keyed* null = Find([](const Keyed& k) {
      return k.transform.type == TT::kEncr && k.transform.id == static_cast<uint16_t>(Encr::kNull);
    });
    if (null != nullptr && integ == nullptr)
      return KeywordError(Code::kInvalidArgument, null->word, null->offset, "rfc4303#section-3.2",
                          "NULL encryption without an integrity algorithm protects nothing");
    Proposal p;
    p.proposal_num = number;
    p.protocol_id = protocol_;
    for (const TypeInfo& type : kTypes)
      for (const Keyed& k : transforms_)
        if (k.transform.type == type.type) p.transforms.push_back(k.transform);
    //= rfc7296#section-3.3.3
    //# ESN is a mandatory Transform Type of ESP and AH proposals; without
    //# esn or noesn a proposal gets noesn, as strongSwan gives it.
    if (esn == nullptr && Uses(types_, TT::kEsn))
      p.transforms.push_back(Transform{TT::kEsn, static_cast<uint16_t>(EsnType::kNoEsn), {}});
    return p;
  }

 private:
  struct Keyed {
    Transform transform;
    std::string_view word;
    size_t offset;
  };
  template <typename F>
  const Keyed* Find(F f) const {
    auto it = std::find_if(transforms_.begin(), transforms_.end(), f);
    return it == transforms_.end() ? nullptr : &*it;
  }

  SP protocol_;
  const ProtocolTypes& types_;
  size_t offset_;
  std::vector<Keyed> transforms_;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// --- writing -----------------------------------------------------------------

bool IsTvKeyLength(const TransformAttribute& a) {
  return a.type == static_cast<uint16_t>(iana::TransformAttribute::kKeyLength) &&
         std::holds_alternative<uint16_t>(a.value);
}

std::string EncrKeyword(const Transform& t, std::optional<uint16_t> key_length) {
  const crypto::EncrTransform* e = crypto::FindEncr(static_cast<Encr>(t.id));
  if (e != nullptr) {
    for (const EncrKeywords& row : kEncrKeywords) {
      if (row.id != e->id) continue;
      const std::string_view pattern = row.spellings[0];
      const bool variable = pattern.find("{}") != std::string_view::npos;
      const std::vector<uint16_t> bits = SpelledKeyBits(*e, pattern);
      if (variable && key_length && std::find(bits.begin(), bits.end(), *key_length) != bits.end())
        return Spell(pattern, *key_length);
      if (!variable && !key_length) return std::string(pattern);
    }
  }
  return key_length ? fmt::format("encr{}.{}", t.id, *key_length) : fmt::format("encr{}", t.id);
}

std::string TransformKeyword(const Transform& t) {
  size_t key_lengths = 0;
  std::string odd_attributes;
  for (const TransformAttribute& a : t.attributes) {
    if (t.type == TT::kEncr && IsTvKeyLength(a) && key_lengths++ == 0) continue;
    odd_attributes += fmt::format("+attr{}", a.type);
  }
  const TypeInfo* type = FindType(t.type);
  if (type == nullptr) return fmt::format("type{}.{}{}", static_cast<int>(t.type), t.id, odd_attributes);
  if (t.type == TT::kEncr) return EncrKeyword(t, t.key_length()) + odd_attributes;
  for (const Keyword& k : kKeywords)
    if (k.type == t.type && k.id == t.id) return std::string(k.name) + odd_attributes;
  return fmt::format("{}{}{}", type->number_prefix, t.id, odd_attributes);
}

// --- selection ------------------------------------------------------------------

bool Has(const Proposal& p, TT type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const Transform& t) { return t.type == type; });
}

// Transform Types in the order of their first appearance.
std::vector<TT> TypesOf(const Proposal& p) {
  std::vector<TT> out;
  for (const Transform& t : p.transforms)
    if (std::find(out.begin(), out.end(), t.type) == out.end()) out.push_back(t.type);
  return out;
}

// The transforms of `offered` that `configured` also holds, one per offered
// type (the first in the initiator's order), or why there are none.
Result<Proposal> Match(const Proposal& offered, const Proposal& configured) {
  const auto no_match = [](std::string why) { return MakeError(Code::kNoProposalChosen, kNoOffset, "", why); };
  for (TT type : TypesOf(configured))
    if (!Has(offered, type)) return no_match(fmt::format("it offers no {}", TypeName(type)));
  std::vector<TT> types = TypesOf(offered);
  std::sort(types.begin(), types.end());
  Proposal chosen{offered.proposal_num, offered.protocol_id, offered.spi, {}};
  for (TT type : types) {
    const Transform* pick = nullptr;
    for (const Transform& t : offered.transforms) {
      if (t.type != type) continue;
      //= rfc7296#section-3.3.2
      //# An optional Transform Type offered with ID 0 among its transforms
      //# leaves it to the responder: a configuration without that type (no
      //# PFS: no KE) takes 0.
      //= rfc7296#section-3.3
      //# A combined-mode cipher may come with the integrity algorithm NONE;
      //# a configured combined-mode proposal (no INTEG) takes it.
      const bool none_for_absent =
          (type == TT::kInteg || type == TT::kKe) && t.id == 0 && t.attributes.empty() && !Has(configured, type);
      if (none_for_absent ||
          std::find(configured.transforms.begin(), configured.transforms.end(), t) != configured.transforms.end()) {
        pick = &t;
        break;
      }
    }
    if (pick == nullptr) return no_match(fmt::format("none of its {} transforms is configured", TypeName(type)));
    chosen.transforms.push_back(*pick);
  }
  return chosen;
}

//= ipsecref#choice
//# At most this many offered and configured proposals are named in a
//# NO_PROPOSAL_CHOSEN message, so its length stays bounded.
constexpr size_t kMaxNamedInError = 8;

}  // namespace

Result<std::vector<Proposal>> ParseProposals(std::string_view text, iana::SecurityProtocol protocol) {
  const ProtocolTypes* types = FindProtocol(protocol);
  ENSURE(types != nullptr, kInvalidArgument, kNoOffset, "rfc7296#section-3.3.3",
         fmt::format("proposals for {} cannot be configured (only IKE, ESP and AH)", ProtocolName(protocol)));
  ENSURE(text.size() <= kMaxProposalText, kLengthOverflow, kMaxProposalText, "ipsecref#choice",
         fmt::format("proposal text of {} bytes; at most {}", text.size(), kMaxProposalText));
  std::vector<Proposal> out;
  size_t start = 0;
  while (true) {
    const size_t comma = std::min(text.find(',', start), text.size());
    size_t begin = start, end = comma;
    while (begin < end && IsBlank(text[begin])) ++begin;
    while (end > begin && IsBlank(text[end - 1])) --end;
    ENSURE(out.size() < kMaxProposals, kLengthOverflow, begin, "rfc7296#section-3.3.1",
           fmt::format("proposal {} at offset {}: at most {} proposals (Proposal Num is one octet)", out.size() + 1,
                       begin, kMaxProposals));
    ENSURE(begin < end, kInvalidArgument, begin, "ipsecref#choice",
           fmt::format("proposal {} at offset {} is empty", out.size() + 1, begin));
    ProposalText proposal(protocol, *types, begin);
    for (size_t word_start = begin; word_start <= end;) {
      const size_t dash = std::min(text.find('-', word_start), end);
      const std::string_view word = text.substr(word_start, dash - word_start);
      ENSURE(!word.empty(), kInvalidArgument, word_start, "ipsecref#choice",
             fmt::format("empty keyword at offset {} in proposal {}", word_start, out.size() + 1));
      TRY(proposal.Add(word, word_start));
      word_start = dash + 1;
    }
    TRY_ASSIGN(Proposal p, proposal.Finish(static_cast<uint8_t>(out.size() + 1)));
    out.push_back(std::move(p));
    if (comma == text.size()) break;
    start = comma + 1;
  }
  return out;
}

std::string ProposalKeywords(const Proposal& p) {
  std::string out;
  for (const Transform& t : p.transforms) out += (out.empty() ? "" : "-") + TransformKeyword(t);
  return out;
}

std::string ProposalKeywords(const std::vector<Proposal>& proposals) {
  std::string out;
  for (const Proposal& p : proposals) out += (out.empty() ? "" : ",") + ProposalKeywords(p);
  return out;
}

Result<Proposal> SelectProposal(const std::vector<Proposal>& configured, const SaPayload& offered,
                                iana::SecurityProtocol protocol) {
  std::string reasons;
  size_t named = 0;
  const auto passed_over = [&](const Proposal& p, std::string_view why) {
    if (named++ < kMaxNamedInError)
      reasons += fmt::format("; proposal {} ({}: {}) {}", p.proposal_num, ProtocolName(p.protocol_id),
                             ProposalKeywords(p), why);
  };
  //= rfc7296#section-2.7
  //# The responder accepts a single proposal of the SA payload, or rejects
  //# them all with NO_PROPOSAL_CHOSEN.
  //= rfc7296#section-3.3
  //# The proposals of an SA payload come most preferred first.
  //= ipsecref#choice
  //# The responder follows the initiator's preference: the first offered
  //# proposal that matches any configured one wins (strongSwan by default
  //# follows its own configured order instead).
  for (const Proposal& p : offered.proposals) {
    if (p.protocol_id != protocol) {
      passed_over(p, fmt::format("is not for {}", ProtocolName(protocol)));
      continue;
    }
    //= rfc7296#section-3.3.6
    //# A proposal with a Transform Type the responder does not understand, or
    //# missing a mandatory type, is unacceptable; the others are still
    //# considered.
    if (const Status acceptable = Acceptable(p, kNoOffset); !acceptable) {
      passed_over(p, fmt::format("is unacceptable: {}", acceptable.error().detail));
      continue;
    }
    std::string mismatches;
    size_t compared = 0;
    for (const Proposal& c : configured) {
      if (c.protocol_id != protocol) continue;
      auto chosen = Match(p, c);
      //= rfc7296#section-3.3.6
      //# The responder picks one proposal and, of each Transform Type in it,
      //# one transform, returning its attributes unmodified.
      if (chosen) return chosen;
      if (compared++ < kMaxNamedInError)
        mismatches +=
            fmt::format("{}configured {}: {}", mismatches.empty() ? "" : "; ", c.proposal_num, chosen.error().detail);
    }
    passed_over(p, compared == 0 ? std::string("meets no configured proposal (none configured)")
                                 : fmt::format("meets no configured proposal ({})", mismatches));
  }
  if (named > kMaxNamedInError) reasons += fmt::format("; and {} more", named - kMaxNamedInError);
  return MakeError(
      Code::kNoProposalChosen, kNoOffset, "rfc7296#section-2.7",
      fmt::format("no {} proposal chosen of {} offered{}", ProtocolName(protocol), offered.proposals.size(), reasons));
}

Status CheckSelected(const std::vector<Proposal>& ours_offered, const Proposal& chosen) {
  const auto inconsistent = [&](std::string why) {
    return MakeError(Code::kInvalidSyntax, kNoOffset, "rfc7296#section-3.3.6",
                     fmt::format("chosen proposal {} ({}) is not one we offered: {}", chosen.proposal_num,
                                 ProposalKeywords(chosen), why));
  };
  //= rfc7296#section-3.3.6
  //# The initiator checks that the accepted proposal is consistent with one
  //# it offered, and ends the exchange when it is not.
  //= rfc7296#section-3.3.1
  //# The accepted proposal carries the Proposal Num of the offered one.
  const auto ours = std::find_if(ours_offered.begin(), ours_offered.end(),
                                 [&](const Proposal& p) { return p.proposal_num == chosen.proposal_num; });
  if (ours == ours_offered.end()) return inconsistent(fmt::format("we offered no proposal {}", chosen.proposal_num));
  //= rfc7296#section-2.7
  //# The answer keeps the protocol of the accepted proposal.
  if (ours->protocol_id != chosen.protocol_id)
    return inconsistent(fmt::format("it is for {}, our proposal {} for {}", ProtocolName(chosen.protocol_id),
                                    ours->proposal_num, ProtocolName(ours->protocol_id)));
  for (const Transform& t : chosen.transforms)
    if (std::find(ours->transforms.begin(), ours->transforms.end(), t) == ours->transforms.end())
      return inconsistent(fmt::format("{} was not in our proposal {} ({})", TransformKeyword(t), ours->proposal_num,
                                      ProposalKeywords(*ours)));
  //= rfc7296#section-2.7
  //# The accepted suite holds exactly one transform of each type the
  //# proposal held.
  for (TT type : TypesOf(*ours)) {
    const auto n = std::count_if(chosen.transforms.begin(), chosen.transforms.end(),
                                 [&](const Transform& t) { return t.type == type; });
    if (n != 1) return inconsistent(fmt::format("it has {} {} transforms, not one", n, TypeName(type)));
  }
  return OkStatus();
}

namespace {

// The one transform of `type` in a selected proposal; nullptr when it has
// none and none is needed.
Result<const Transform*> OnlyTransform(const Proposal& p, TT type, bool needed) {
  const Transform* found = nullptr;
  for (const Transform& t : p.transforms) {
    if (t.type != type) continue;
    ENSURE(found == nullptr, kInvalidArgument, kNoOffset, "rfc7296#section-3.3.6",
           fmt::format("proposal {} holds more than one {} transform; a selected proposal has one", p.proposal_num,
                       TypeName(type)));
    found = &t;
  }
  ENSURE(
      found != nullptr || !needed, kInvalidArgument, kNoOffset, "rfc7296#section-3.3.3",
      fmt::format("proposal {} ({}) has no {} transform", p.proposal_num, ProtocolName(p.protocol_id), TypeName(type)));
  return found;
}

Status CheckTypes(const Proposal& p, SP protocol) {
  ENSURE(p.protocol_id == protocol, kInvalidArgument, kNoOffset, "rfc7296#section-3.3.1",
         fmt::format("proposal {} is for {}, not {}", p.proposal_num, ProtocolName(p.protocol_id),
                     ProtocolName(protocol)));
  for (const Transform& t : p.transforms) {
    ENSURE(Uses(*FindProtocol(protocol), t.type), kInvalidArgument, kNoOffset, "rfc7296#section-3.3.3",
           fmt::format("proposal {} holds {}, which {} does not use", p.proposal_num, TypeName(t.type),
                       ProtocolName(protocol)));
    const TypeInfo& type = *FindType(t.type);
    // INTEG NONE comes with a combined-mode cipher; the caller judges it.
    const bool integ_none = t.type == TT::kInteg && t.id == static_cast<uint16_t>(Integ::kNone);
    ENSURE(
        integ_none || type.implemented(t.id), kUnsupported, kNoOffset, "ipsecref#choice",
        fmt::format("proposal {}: {} {} is not implemented by the reference", p.proposal_num, TypeName(t.type), t.id));
  }
  return OkStatus();
}

struct Cipher {
  const crypto::EncrTransform* encr;
  uint16_t key_bits;
};

Result<Cipher> CipherOf(const Proposal& p, const Transform& t) {
  const crypto::EncrTransform& e = *crypto::FindEncr(static_cast<Encr>(t.id));
  const std::optional<uint16_t> key_length = t.key_length();
  const uint16_t bits = key_length.value_or(e.fixed_key_bits());
  ENSURE(key_length || e.fixed_key_bits() != 0 || e.key_bits[0] == 0, kInvalidArgument, kNoOffset,
         "rfc7296#section-3.3.5", fmt::format("proposal {}: {} without a Key Length", p.proposal_num, e.name()));
  ENSURE(!key_length || std::find(e.key_bits.begin(), e.key_bits.end(), bits) != e.key_bits.end(), kInvalidArgument,
         kNoOffset, "rfc7296#section-3.3.5",
         fmt::format("proposal {}: {} takes no {}-bit key", p.proposal_num, e.name(), bits));
  return Cipher{&e, bits};
}

// The integrity algorithm next to the cipher: none (or NONE) with a
// combined-mode cipher; otherwise one, when `needed_by` (the requirement
// that asks for it) is not empty.
Result<Integ> IntegrityOf(const Proposal& p, const Transform* integ, const crypto::EncrTransform* encr,
                          std::string_view needed_by) {
  const Integ id = integ == nullptr ? Integ::kNone : static_cast<Integ>(integ->id);
  if (encr != nullptr && encr->aead) {
    //= rfc7296#section-3.3
    //# A combined-mode cipher goes with no integrity algorithm, or NONE.
    ENSURE(id == Integ::kNone, kInvalidArgument, kNoOffset, "rfc7296#section-3.3",
           fmt::format("proposal {}: {} is combined-mode but {} is chosen too", p.proposal_num, encr->name(),
                       iana::Name(id)));
    return id;
  }
  ENSURE(needed_by.empty() || id != Integ::kNone, kInvalidArgument, kNoOffset, needed_by,
         fmt::format("proposal {}: no integrity algorithm, and the cipher is not combined-mode", p.proposal_num));
  return id;
}

}  // namespace

Result<IkeSuite> IkeSuiteOf(const Proposal& selected) {
  TRY(CheckTypes(selected, SP::kIke));
  TRY_ASSIGN(const Transform* encr, OnlyTransform(selected, TT::kEncr, true));
  TRY_ASSIGN(const Transform* prf, OnlyTransform(selected, TT::kPrf, true));
  TRY_ASSIGN(const Transform* integ, OnlyTransform(selected, TT::kInteg, false));
  TRY_ASSIGN(const Transform* ke, OnlyTransform(selected, TT::kKe, true));
  TRY_ASSIGN(Cipher cipher, CipherOf(selected, *encr));
  //= rfc7296#section-1.2
  //# An IKE SA's cipher gives confidentiality: its later messages travel
  //# encrypted.
  ENSURE(cipher.encr->confidentiality, kInvalidArgument, kNoOffset, "rfc7296#section-1.2",
         fmt::format("proposal {}: {} gives no confidentiality, which an IKE SA needs", selected.proposal_num,
                     cipher.encr->name()));
  //= rfc7296#section-3.3.3
  //# An IKE SA with a cipher that is not combined-mode needs INTEG.
  TRY_ASSIGN(Integ integ_id, IntegrityOf(selected, integ, cipher.encr, "rfc7296#section-3.3.3"));
  ENSURE(ke->id != 0, kInvalidArgument, kNoOffset, "rfc7296#section-1.2",
         fmt::format("proposal {}: key exchange NONE for an IKE SA", selected.proposal_num));
  return IkeSuite{cipher.encr->id, cipher.key_bits, static_cast<iana::Prf>(prf->id), integ_id,
                  static_cast<KeGroup>(ke->id)};
}

Result<ChildSuite> ChildSuiteOf(const Proposal& selected) {
  const SP protocol = selected.protocol_id == SP::kAh ? SP::kAh : SP::kEsp;
  TRY(CheckTypes(selected, protocol));
  TRY_ASSIGN(const Transform* encr, OnlyTransform(selected, TT::kEncr, protocol == SP::kEsp));
  TRY_ASSIGN(const Transform* integ, OnlyTransform(selected, TT::kInteg, protocol == SP::kAh));
  TRY_ASSIGN(const Transform* ke, OnlyTransform(selected, TT::kKe, false));
  TRY_ASSIGN(const Transform* esn, OnlyTransform(selected, TT::kEsn, true));
  ChildSuite suite{protocol,
                   Encr{},
                   0,
                   Integ::kNone,
                   static_cast<EsnType>(esn->id),
                   ke == nullptr ? KeGroup::kNone : static_cast<KeGroup>(ke->id)};
  const crypto::EncrTransform* cipher = nullptr;
  if (encr != nullptr) {
    TRY_ASSIGN(Cipher c, CipherOf(selected, *encr));
    cipher = c.encr;
    suite.encr = c.encr->id;
    suite.encr_key_bits = c.key_bits;
  }
  const bool null_cipher = cipher != nullptr && cipher->id == Encr::kNull;
  //= rfc7296#section-3.3.3
  //# AH needs INTEG.
  //= rfc4303#section-3.2
  //# ESP with NULL encryption needs an integrity algorithm.
  const std::string_view needed_by = protocol == SP::kAh ? "rfc7296#section-3.3.3"
                                     : null_cipher       ? "rfc4303#section-3.2"
                                                         : "";
  TRY_ASSIGN(suite.integ, IntegrityOf(selected, integ, cipher, needed_by));
  return suite;
}

iana::KeGroup FirstKeGroup(const std::vector<Proposal>& proposals) {
  if (proposals.empty()) return KeGroup::kNone;
  for (const Transform& t : proposals.front().transforms)
    if (t.type == TT::kKe) return static_cast<KeGroup>(t.id);
  return KeGroup::kNone;
}

}  // namespace ipsecref::ike::sa
