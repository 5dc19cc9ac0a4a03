// ike_keymat_test_schema_v1: IKEv2 key derivation (RFC 7296 §2.14-2.18) and
// the shared-key AUTH computation (§2.15). A test carries whichever inputs
// and outputs its source published; every output present is checked.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "reference/crypto/prf.h"
#include "reference/ike/keymat/keymat.h"
#include "vectors/handler.h"

namespace ipsecref::vectors {
namespace {

using ike::keymat::Suite;

std::optional<Bytes> Opt(const json& t, const char* field) {
  if (!t.contains(field)) return std::nullopt;
  return Hex(t, field);
}

Bytes Need(const json& t, const char* field, const char* why) {
  if (!t.contains(field)) throw BadField{fmt::format("'{}' needs field '{}'", why, field)};
  return Hex(t, field);
}

uint64_t Spi(const json& t, const char* field, const char* why) {
  const Bytes spi = Need(t, field, why);
  if (spi.size() != 8) throw BadField{fmt::format("'{}' must be 8 bytes", field)};
  return uint64_t{LoadU32(spi.data())} << 32 | LoadU32(spi.data() + 4);
}

bool Same(ByteSpan a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

iana::Prf PrfNamed(const std::string& name) {
  const auto id = iana::PrfFromName(name);
  if (!id) throw BadField{fmt::format("unknown PRF '{}'", name)};
  return *id;
}

}  // namespace

//= vectors/README.md ike_keymat_test_schema_v1
//# Reads a test group of this schema: its fields and their meaning are the
//# ones vectors/README.md gives.
Verdict RunIkeKeymat(const json& g, const json& t) {
  const iana::Prf prf = PrfNamed(Get<std::string>(g, "prf"));
  const auto ni = Opt(t, "ni"), nr = Opt(t, "nr"), gir_new = Opt(t, "girNew");
  int checked = 0;

  // SKEYSEED = prf(Ni | Nr, g^ir)
  const auto skeyseed = Opt(t, "skeyseed");
  if (t.contains("gir") && skeyseed) {
    const Bytes gir = Hex(t, "gir");
    auto got = ike::keymat::Skeyseed(prf, Need(t, "ni", "skeyseed"), Need(t, "nr", "skeyseed"), gir);
    if (!got) return Reject(got.error().ToString());
    if (!Same(*got, *skeyseed)) return Mismatch("SKEYSEED", *got, *skeyseed);
    ++checked;
  }

  // prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) as one stream
  if (const auto want = Opt(t, "ikeKeymat")) {
    if (!skeyseed) throw BadField{"'ikeKeymat' needs field 'skeyseed'"};
    auto got = ike::keymat::IkeSaKeymat(prf, *skeyseed, Need(t, "ni", "ikeKeymat"), Need(t, "nr", "ikeKeymat"),
                                        Spi(t, "spii", "ikeKeymat"), Spi(t, "spir", "ikeKeymat"), want->size());
    if (!got) return Reject(got.error().ToString());
    if (!Same(*got, *want)) return Mismatch("prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)", *got, *want);
    ++checked;
  }

  // {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}, when the group names the suite
  static constexpr const char* kSkNames[] = {"skd", "skai", "skar", "skei", "sker", "skpi", "skpr"};
  if (g.contains("encr")) {
    const bool any = std::any_of(std::begin(kSkNames), std::end(kSkNames), [&](const char* n) { return t.contains(n); });
    if (any) {
      if (!skeyseed) throw BadField{"SK_* fields need field 'skeyseed'"};
      Suite suite{prf, EncrNamed(Get<std::string>(g, "encr")), Get<size_t>(g, "encrKeySize"),
                  IntegNamed(Get<std::string>(g, "integ"))};
      auto keys = ike::keymat::DeriveIkeSaKeys(suite, *skeyseed, Need(t, "ni", "SK_*"), Need(t, "nr", "SK_*"),
                                               Spi(t, "spii", "SK_*"), Spi(t, "spir", "SK_*"));
      if (!keys) return Reject(keys.error().ToString());
      const SecureBytes* got[] = {&keys->sk_d, &keys->sk_ai, &keys->sk_ar, &keys->sk_ei,
                                  &keys->sk_er, &keys->sk_pi, &keys->sk_pr};
      for (size_t i = 0; i < std::size(kSkNames); ++i) {
        if (const auto want = Opt(t, kSkNames[i])) {
          if (!Same(*got[i], *want)) return Mismatch(kSkNames[i], *got[i], *want);
          ++checked;
        }
      }
    }
  }

  // Without the suite, SK_d is an input: the first PRF-output-size bytes of
  // the published keying material (NIST SP 800-135).
  const auto skd = Opt(t, "skd");

  // SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
  if (const auto want = Opt(t, "rekeySkeyseed")) {
    if (!skd || !gir_new) throw BadField{"'rekeySkeyseed' needs fields 'skd' and 'girNew'"};
    auto got = ike::keymat::RekeySkeyseed(prf, *skd, *gir_new, Need(t, "ni", "rekeySkeyseed"),
                                          Need(t, "nr", "rekeySkeyseed"));
    if (!got) return Reject(got.error().ToString());
    if (!Same(*got, *want)) return Mismatch("SKEYSEED (rekey)", *got, *want);
    ++checked;
  }

  // KEYMAT = prf+(SK_d, Ni | Nr) and prf+(SK_d, g^ir (new) | Ni | Nr)
  for (const bool pfs : {false, true}) {
    const char* field = pfs ? "childKeymatPfs" : "childKeymat";
    const auto want = Opt(t, field);
    if (!want) continue;
    if (!skd || (pfs && !gir_new)) throw BadField{fmt::format("'{}' needs 'skd'{}", field, pfs ? " and 'girNew'" : "")};
    auto got = ike::keymat::ChildKeymat(prf, *skd, pfs ? ByteSpan(*gir_new) : ByteSpan{}, Need(t, "ni", field),
                                        Need(t, "nr", field), want->size());
    if (!got) return Reject(got.error().ToString());
    if (!Same(*got, *want)) return Mismatch(field, *got, *want);
    ++checked;
  }

  // The Child SA keys cut from KEYMAT
  static constexpr const char* kChildNames[] = {"childEncrI", "childIntegI", "childEncrR", "childIntegR"};
  if (std::any_of(std::begin(kChildNames), std::end(kChildNames), [&](const char* n) { return t.contains(n); })) {
    if (!skd) throw BadField{"Child SA keys need field 'skd'"};
    const bool pfs = t.value("childPfs", false);
    if (pfs && !gir_new) throw BadField{"'childPfs' needs field 'girNew'"};
    auto keys = ike::keymat::DeriveChildSaKeys(
        prf, *skd, pfs ? ByteSpan(*gir_new) : ByteSpan{}, Need(t, "ni", "child keys"), Need(t, "nr", "child keys"),
        EncrNamed(Get<std::string>(g, "childEncr")), Get<size_t>(g, "childEncrKeySize"),
        IntegNamed(Get<std::string>(g, "childInteg")));
    if (!keys) return Reject(keys.error().ToString());
    const SecureBytes* got[] = {&keys->encr_i, &keys->integ_i, &keys->encr_r, &keys->integ_r};
    for (size_t i = 0; i < std::size(kChildNames); ++i) {
      if (const auto want = Opt(t, kChildNames[i])) {
        if (!Same(*got[i], *want)) return Mismatch(kChildNames[i], *got[i], *want);
        ++checked;
      }
    }
  }

  // <SignedOctets> = RealMessage | peer Nonce Data | prf(SK_p, RestOfIDPayload) [| IntAuth]
  const auto signed_octets = Opt(t, "signedOctets");
  if (signed_octets && t.contains("realMessage")) {
    const Bytes int_auth = t.contains("intAuth") ? Hex(t, "intAuth") : Bytes{};
    auto got = ike::keymat::SignedOctets(prf, Hex(t, "realMessage"), Need(t, "peerNonce", "signedOctets"),
                                         Need(t, "skp", "signedOctets"), Need(t, "idPayloadRest", "signedOctets"),
                                         int_auth);
    if (!got) return Reject(got.error().ToString());
    if (!Same(*got, *signed_octets)) return Mismatch("signed octets", *got, *signed_octets);
    ++checked;
  }

  // prf(Shared Secret, "Key Pad for IKEv2"), the inner step of AUTH
  if (const auto want = Opt(t, "prfKeyPad")) {
    auto pad_prf = crypto::MakePrf(prf, Need(t, "psk", "prfKeyPad"));
    if (!pad_prf) return Reject(pad_prf.error().ToString());
    Bytes got((*pad_prf)->output_size());
    const ByteSpan pad(reinterpret_cast<const uint8_t*>(ike::keymat::kKeyPad.data()), ike::keymat::kKeyPad.size());
    (*pad_prf)->Compute({pad}, got);
    if (!Same(got, *want)) return Mismatch("prf(Shared Secret, \"Key Pad for IKEv2\")", got, *want);
    ++checked;
  }

  // AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
  if (const auto want = Opt(t, "auth")) {
    if (!signed_octets) throw BadField{"'auth' needs field 'signedOctets'"};
    auto got = ike::keymat::SharedKeyAuth(prf, Need(t, "psk", "auth"), *signed_octets);
    if (!got) return Reject(got.error().ToString());
    if (!ConstantTimeEqual(*got, *want)) return Mismatch("AUTH", *got, *want);
    ++checked;
  }

  if (checked == 0) throw BadField{"the test has no output to check"};
  return Accept();
}

}  // namespace ipsecref::vectors
