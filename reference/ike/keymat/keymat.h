// IKEv2 key material: SKEYSEED and the IKE SA keys (RFC 7296 §2.14), the
// Child SA KEYMAT (§2.17), SKEYSEED for a rekeyed IKE SA (§2.18), and the
// octets that AUTH covers with the shared-key AUTH value (§2.15, RFC 9242
// §3.3.2). Every function here is pure: bytes in, keys out.
#pragma once

#include <cstdint>
#include <string_view>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/iana/iana.h"

namespace ipsecref::ike::keymat {

// The transforms an IKE SA negotiated, as far as key lengths go.
struct Suite {
  iana::Prf prf;
  iana::Encr encr;
  size_t encr_key_bits = 0;  // the Key Length attribute; 0 = the transform's fixed size
  iana::Integ integ = iana::Integ::kNone;  // kNone for AEAD transforms
};

// Bytes of each IKE SA key. sk_e includes the salt (AEAD) or nonce (CTR)
// that the transform takes from the end of its keying material.
struct KeySizes {
  size_t sk_d, sk_a, sk_e, sk_p;
};

// Errors: unknown PRF, encryption or integrity transform; a key length the
// transform does not allow (or none where it needs one); an AEAD with an
// integrity transform; a non-AEAD without one.
[[nodiscard]] Result<KeySizes> SizesFor(const Suite& suite);

struct IkeSaKeys {
  SecureBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

//= rfc7296#section-2.14
//# SKEYSEED = prf(Ni | Nr, g^ir); for AES-XCBC-PRF-128 and AES-CMAC-PRF-128
//# the key is the first 64 bits of Ni followed by the first 64 bits of Nr.
[[nodiscard]] Result<SecureBytes> Skeyseed(iana::Prf prf, ByteSpan ni, ByteSpan nr, ByteSpan g_ir);

// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), `length` bytes: the stream the IKE
// SA keys are cut from (NIST SP 800-135 calls it DKM).
[[nodiscard]] Result<SecureBytes> IkeSaKeymat(iana::Prf prf, ByteSpan skeyseed, ByteSpan ni, ByteSpan nr,
                                              uint64_t spi_i, uint64_t spi_r, size_t length);

//= rfc7296#section-2.14
//# {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} are taken in this
//# order from prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
[[nodiscard]] Result<IkeSaKeys> DeriveIkeSaKeys(const Suite& suite, ByteSpan skeyseed, ByteSpan ni, ByteSpan nr,
                                                uint64_t spi_i, uint64_t spi_r);

//= rfc7296#section-2.18
//# SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old IKE SA's PRF.
[[nodiscard]] Result<SecureBytes> RekeySkeyseed(iana::Prf old_prf, ByteSpan old_sk_d, ByteSpan g_ir_new,
                                                ByteSpan ni, ByteSpan nr);

//= rfc7296#section-2.17
//# KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) when the
//# CREATE_CHILD_SA exchange carried KE payloads (PFS).
[[nodiscard]] Result<SecureBytes> ChildKeymat(iana::Prf prf, ByteSpan sk_d, ByteSpan g_ir_new /* empty: no PFS */,
                                              ByteSpan ni, ByteSpan nr, size_t length);

// Keys of one ESP or AH Child SA; _i protects initiator-to-responder traffic.
// encr_* includes the salt or nonce; it is empty for AH (pass ENCR_NULL).
struct ChildSaKeys {
  SecureBytes encr_i, integ_i, encr_r, integ_r;
};

// Sizes of the pieces of a Child SA's KEYMAT, in the order they are taken.
struct ChildKeySizes {
  size_t encr, integ;
};
[[nodiscard]] Result<ChildKeySizes> ChildSizesFor(iana::Encr encr, size_t encr_key_bits, iana::Integ integ);

//= rfc7296#section-2.17
//# KEYMAT is cut into all initiator-to-responder keys first, then all
//# responder-to-initiator keys; in each direction the encryption key comes
//# before the integrity key.
[[nodiscard]] Result<ChildSaKeys> DeriveChildSaKeys(iana::Prf prf, ByteSpan sk_d, ByteSpan g_ir_new, ByteSpan ni,
                                                    ByteSpan nr, iana::Encr encr, size_t encr_key_bits,
                                                    iana::Integ integ);

//= rfc7296#section-2.15
//# InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload);
//# the responder's are RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload).
//= rfc9242#section-3.3.2
//# After IKE_INTERMEDIATE exchanges, IntAuth is appended to both.
// `real_message` is the first message the signer sent, from the IKE header
// on (no non-ESP marker); `peer_nonce_data` is the other side's Nonce Data;
// `rest_of_id_payload` is the signer's ID payload without its generic header.
[[nodiscard]] Result<Bytes> SignedOctets(iana::Prf prf, ByteSpan real_message, ByteSpan peer_nonce_data,
                                         ByteSpan sk_p, ByteSpan rest_of_id_payload, ByteSpan int_auth = {});

//= rfc7296#section-2.15
//# The pad string is the 17 ASCII characters "Key Pad for IKEv2", no terminator.
inline constexpr std::string_view kKeyPad = "Key Pad for IKEv2";

//= rfc7296#section-2.15
//# AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
[[nodiscard]] Result<Bytes> SharedKeyAuth(iana::Prf prf, ByteSpan shared_secret, ByteSpan signed_octets);

}  // namespace ipsecref::ike::keymat
