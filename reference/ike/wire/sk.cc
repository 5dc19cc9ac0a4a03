#include "reference/ike/wire/sk.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace ipsecref::ike {
namespace {

using iana::Integ;

// Layout facts of RFC 7296 §3.1 and §3.2 that this layer relies on (kept
// here so that this file does not depend on the message codec).
constexpr size_t kIkeHeaderLength = 28;
constexpr size_t kIkeLengthFieldAt = 24;
constexpr size_t kPayloadHeaderLength = 4;
constexpr size_t kPadLengthSize = 1;

// The associated data must hold the IKE header and a payload header, and the
// IKE header's Length must cover exactly associated data plus body.
Status CheckAssociatedData(ByteSpan associated_data, size_t body_size) {
  ENSURE(associated_data.size() >= kIkeHeaderLength + kPayloadHeaderLength, kInvalidArgument,
         kNoOffset, "rfc7296#section-3.14",
         fmt::format("{} bytes of associated data cannot hold the IKE header and the payload header",
                     associated_data.size()));
  //= rfc7296#section-3.14
  //# The Encrypted payload is the last payload of the message, so the IKE
  //# header's Length is the associated data plus the body, to the byte.
  //= rfc7296#section-3.1
  //# Length counts the whole message, header and payloads, in octets.
  const uint32_t length = LoadU32(associated_data.data() + kIkeLengthFieldAt);
  ENSURE(length == associated_data.size() + body_size, kBadLength, kNoOffset, "rfc7296#section-3.1",
         fmt::format("IKE header Length {} but associated data and body are {} + {} bytes", length,
                     associated_data.size(), body_size));
  return OkStatus();
}

}  // namespace

SkCrypter::SkCrypter(Key, const crypto::EncrTransform& encr) : encr_(&encr) {}
SkCrypter::~SkCrypter() = default;

Result<std::unique_ptr<SkCrypter>> SkCrypter::Create(const SkKeys& keys, crypto::Rng* rng) {
  const crypto::EncrTransform* encr = crypto::FindEncr(keys.encr);
  ENSURE(encr != nullptr, kUnknownTransform, kNoOffset, "rfc7296#section-3.3.2",
         fmt::format("encryption transform {} ({})", static_cast<int>(keys.encr), iana::Name(keys.encr)));
  //= rfc7296#section-3.14
  //# The Encrypted payload keeps the inner payloads confidential; IANA's
  //# Transform Type 1 registry marks ENCR_NULL and ENCR_NULL_AUTH_AES_GMAC
  //# as not allowed for IKEv2.
  ENSURE(encr->confidentiality, kBadTransformCombination, kNoOffset, "rfc7296#section-3.14",
         fmt::format("{} provides no confidentiality and is not allowed for IKE", encr->name()));
  if (encr->aead) {
    //= rfc5282#section-8
    //# A combined-mode cipher authenticates by itself: no integrity
    //# transform goes with it, and there is no SK_a.
    ENSURE(keys.integ == Integ::kNone, kBadTransformCombination, kNoOffset, "rfc5282#section-8",
           fmt::format("{} cannot be combined with {}", encr->name(), iana::Name(keys.integ)));
    ENSURE(keys.integ_key.empty(), kBadKeyLength, kNoOffset, "rfc5282#section-8",
           fmt::format("{} takes no integrity key", encr->name()));
  } else {
    //= rfc7296#section-3.3.3
    //# An IKE SA without a combined-mode cipher must have an integrity
    //# algorithm.
    ENSURE(keys.integ != Integ::kNone, kBadTransformCombination, kNoOffset, "rfc7296#section-3.3.3",
           fmt::format("{} needs an integrity transform in IKE", encr->name()));
  }

  //= rfc7296#section-3.3.5
  //# Variable-length ciphers carry a Key Length attribute; fixed-length ones
  //# (3DES, ChaCha20-Poly1305) do not.
  size_t bits = keys.encr_key_bits;
  if (bits == 0) bits = encr->fixed_key_bits();
  ENSURE(bits != 0 && std::find(encr->key_bits.begin(), encr->key_bits.end(), bits) != encr->key_bits.end(),
         kBadKeyLength, kNoOffset, "rfc7296#section-3.3.5",
         fmt::format("{} has no {}-bit key", encr->name(), keys.encr_key_bits));
  //= rfc5282#section-7.1
  //# SK_e of a combined-mode cipher is its key followed by the salt (so for
  //# ChaCha20-Poly1305, RFC 7634, and CTR, RFC 5930); the salt is not part of
  //# the Key Length.
  //= rfc7296#section-2.14
  //# SK_e is as long as the negotiated cipher's keying material.
  const size_t keymat_size = bits / 8 + encr->salt_size;
  ENSURE(keys.encr_key.size() == keymat_size, kBadKeyLength, kNoOffset, "rfc7296#section-2.14",
         fmt::format("{} with a {}-bit key takes {} bytes of SK_e, not {}", encr->name(), bits,
                     keymat_size, keys.encr_key.size()));

  auto crypter = std::make_unique<SkCrypter>(Key{}, *encr);
  if (encr->aead) {
    TRY_ASSIGN(crypter->aead_, crypto::MakeAead(keys.encr, keys.encr_key));
    crypter->icv_size_ = encr->icv_size;
  } else {
    TRY_ASSIGN(crypter->cipher_, crypto::MakeCipher(keys.encr, keys.encr_key));
    TRY_ASSIGN(crypter->integrity_, crypto::MakeIntegrity(keys.integ, keys.integ_key));
    crypter->icv_size_ = crypter->integrity_->icv_size();
  }
  if (rng != nullptr) {
    crypter->rng_ = rng;
  } else {
    crypter->own_rng_ = crypto::MakeSystemRng();
    crypter->rng_ = crypter->own_rng_.get();
  }
  return crypter;
}

//= rfc7296#section-3.14
//# Padding makes inner payloads, padding and Pad Length together a multiple
//# of the cipher's block size.
uint8_t SkCrypter::MinPadLength(size_t plaintext_size) const {
  const size_t block = block_size();
  return static_cast<uint8_t>((block - (plaintext_size + kPadLengthSize) % block) % block);
}

size_t SkCrypter::EncryptedBodySize(size_t plaintext_size, std::optional<uint8_t> pad_length) const {
  const size_t pad = pad_length.value_or(MinPadLength(plaintext_size));
  return iv_size() + plaintext_size + pad + kPadLengthSize + icv_size_;
}

std::optional<size_t> SkCrypter::MaxPlaintextSize(size_t max_body_size) const {
  if (max_body_size < iv_size() + icv_size_) return std::nullopt;
  const size_t room = max_body_size - iv_size() - icv_size_;
  const size_t ciphertext = room - room % block_size();
  if (ciphertext < kPadLengthSize) return std::nullopt;
  return ciphertext - kPadLengthSize;
}

Status SkCrypter::MakeIv(MutableByteSpan iv) {
  switch (encr_->iv_rule) {
    case crypto::IvRule::kNone: return OkStatus();
    case crypto::IvRule::kRandom:
      //= rfc7296#section-3.14
      //# A CBC IV is a random block: unpredictable to anyone but the sender.
      rng_->Fill(iv);
      return OkStatus();
    case crypto::IvRule::kCounter:
      //= rfc5282#section-3.1
      //# The explicit IV of GCM and CCM must never repeat under one key (so
      //# for ChaCha20-Poly1305, RFC 7634, and CTR, RFC 5930): one crypter per
      //# key counts up, and stops before the count wraps.
      ENSURE(iv_counter_ < std::numeric_limits<uint64_t>::max(), kIvExhausted, kNoOffset,
             "rfc5282#section-3.1", "the 64-bit IV counter is spent; rekey the IKE SA");
      StoreU64(iv.data(), ++iv_counter_);
      return OkStatus();
  }
  return OkStatus();
}

Result<Bytes> SkCrypter::Protect(ByteSpan associated_data, ByteSpan plaintext,
                                 const ProtectOptions& options) {
  uint8_t pad = MinPadLength(plaintext.size());
  if (options.pad_length) {
    pad = *options.pad_length;
  } else if (options.padding_bytes) {
    ENSURE(options.padding_bytes->size() <= 255, kInvalidArgument, kNoOffset, "rfc7296#section-3.14",
           fmt::format("{} padding bytes; Pad Length is one octet", options.padding_bytes->size()));
    pad = static_cast<uint8_t>(options.padding_bytes->size());
  }
  const size_t text_size = plaintext.size() + pad + kPadLengthSize;
  ENSURE(text_size % block_size() == 0, kInvalidArgument, kNoOffset, "rfc7296#section-3.14",
         fmt::format("pad length {} leaves {} bytes, not a multiple of the {}-byte block", pad,
                     text_size, block_size()));
  ENSURE(!options.padding_bytes || options.padding_bytes->size() == pad, kInvalidArgument, kNoOffset,
         "rfc7296#section-3.14",
         fmt::format("{} padding bytes given for pad length {}", options.padding_bytes->size(), pad));
  const size_t body_size = iv_size() + text_size + icv_size_;
  TRY(CheckAssociatedData(associated_data, body_size));

  Bytes body(body_size);
  MutableByteSpan iv(body.data(), iv_size());
  if (options.iv) {
    ENSURE(options.iv->size() == iv_size(), kInvalidArgument, kNoOffset, encr_->rfc,
           fmt::format("{} takes a {}-byte IV", encr_->name(), iv_size()));
    std::copy(options.iv->begin(), options.iv->end(), iv.begin());
  } else {
    TRY(MakeIv(iv));
  }
  MutableByteSpan text(body.data() + iv_size(), text_size);
  std::copy(plaintext.begin(), plaintext.end(), text.begin());
  //= rfc7296#section-3.14
  //# Padding may hold any value the sender picks; ours is zeros unless the
  //# harness asks for specific bytes.
  if (options.padding_bytes)
    std::copy(options.padding_bytes->begin(), options.padding_bytes->end(),
              text.begin() + static_cast<std::ptrdiff_t>(plaintext.size()));
  text[text_size - 1] = pad;
  MutableByteSpan icv(body.data() + iv_size() + text_size, icv_size_);

  if (aead_) {
    //= rfc5282#section-5.1
    //# The AEAD's associated data is the IKE header and the Encrypted payload
    //# header up to the IV (for SKF, through Total Fragments, RFC 7383 §2.5);
    //# its tag is the ICV.
    aead_->Seal(iv, associated_data, text, icv);
  } else {
    cipher_->Encrypt(iv, text);
    //= rfc7296#section-3.14
    //# The ICV is computed over the whole message, IKE header to the end of
    //# the ciphertext, after encryption.
    integrity_->Compute({associated_data, ByteSpan(body.data(), iv_size() + text_size)}, icv);
  }
  return body;
}

Result<SkCrypter::Unprotected> SkCrypter::Unprotect(ByteSpan associated_data, ByteSpan body) {
  //= rfc7296#section-3.14
  //# Cheap checks before any cryptography: the body holds the IV, at least
  //# the Pad Length octet and the ICV; a block cipher gets whole blocks.
  const size_t min_size = iv_size() + kPadLengthSize + icv_size_;
  ENSURE(body.size() >= min_size, kTruncated, body.size(), "rfc7296#section-3.14",
         fmt::format("{}-byte Encrypted payload body; {} needs at least {}", body.size(), encr_->name(),
                     min_size));
  const size_t text_size = body.size() - iv_size() - icv_size_;
  ENSURE(text_size % block_size() == 0, kBadAlignment, iv_size(), "rfc7296#section-3.14",
         fmt::format("{} bytes of ciphertext are not a multiple of the {}-byte block", text_size,
                     block_size()));
  TRY(CheckAssociatedData(associated_data, body.size()));

  Unprotected out;
  out.iv = body.first(iv_size());
  const ByteSpan ciphertext = body.subspan(iv_size(), text_size);
  const ByteSpan icv = body.last(icv_size_);
  out.plaintext.assign(ciphertext.begin(), ciphertext.end());
  bool authentic;
  if (aead_) {
    authentic = aead_->Open(out.iv, associated_data, out.plaintext, icv);
  } else {
    //= rfc7296#section-3.14
    //# With a separate integrity transform the ICV is checked before
    //# decryption, in constant time.
    authentic = integrity_->Verify({associated_data, body.first(body.size() - icv_size_)}, icv);
  }
  //= rfc7296#section-3.14
  //# The Integrity Checksum Data covers the message from the IKE header to
  //# Pad Length: a message whose checksum does not verify is not authentic
  //# and is not processed further (rules.cc: nor answered).
  ENSURE(authentic || fuzzing_ignore_icv, kIcvMismatch, body.size() - icv_size_, "rfc7296#section-3.14",
         fmt::format("{} ICV does not verify", encr_->name()));
  if (!aead_) cipher_->Decrypt(out.iv, out.plaintext);

  out.pad_length = out.plaintext.back();
  //= rfc7296#section-3.14
  //# Pad Length counts the padding before it; it cannot reach beyond the
  //# decrypted data. The padding's contents are not checked: any value is
  //# allowed.
  ENSURE(size_t{out.pad_length} + kPadLengthSize <= text_size, kBadPadLength,
         iv_size() + text_size - kPadLengthSize, "rfc7296#section-3.14",
         fmt::format("pad length {} exceeds the {} bytes before it", out.pad_length,
                     text_size - kPadLengthSize));
  out.plaintext.resize(text_size - kPadLengthSize - out.pad_length);
  return out;
}

}  // namespace ipsecref::ike
