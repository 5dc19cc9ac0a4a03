#include "reference/esp/esp_sa.h"

#include <algorithm>
#include <fmt/format.h>

namespace ipsecref::esp {

using iana::Encr;
using iana::Integ;

Result<uint32_t> PeekSpi(ByteSpan esp) {
  ENSURE(esp.size() >= 4, kTruncated, esp.size(), "rfc4303#section-2.1", "no room for the SPI");
  return LoadU32(esp.data());
}

Sa::Sa(Key, const SaConfig& config, const crypto::EncrTransform& encr)
    : config_(config), encr_(&encr), window_(config.replay_window, config.esn) {}

Sa::~Sa() = default;

Result<std::unique_ptr<Sa>> Sa::Create(const SaConfig& config) {
  //= rfc4303#section-2.1
  //# SPI values 1 to 255 are reserved by IANA and 0 is for local use only:
  //# none of them names an SA on the wire.
  ENSURE(config.spi >= 256 || config.allow_reserved_spi, kBadSpi, kNoOffset, "rfc4303#section-2.1",
         fmt::format("SPI {} is reserved", config.spi));
  const crypto::EncrTransform* encr = crypto::FindEncr(config.encr);
  ENSURE(encr != nullptr, kUnknownTransform, kNoOffset, "rfc4303#section-3.2",
         fmt::format("encryption transform {}", static_cast<int>(config.encr)));
  if (encr->aead) {
    //= rfc4303#section-3.2.3
    //# A combined-mode transform provides integrity itself; no separate
    //# integrity transform goes with it.
    ENSURE(config.integ == Integ::kNone, kBadTransformCombination, kNoOffset, "rfc4303#section-3.2.3",
           fmt::format("{} cannot be combined with {}", encr->name(), iana::Name(config.integ)));
  } else if (config.integ == Integ::kNone) {
    //= rfc4303#section-3.2
    //# NULL encryption and no integrity together is not ESP.
    ENSURE(encr->confidentiality, kBadTransformCombination, kNoOffset, "rfc4303#section-3.2",
           "ENCR_NULL without integrity protects nothing");
    ENSURE(config.allow_no_integrity, kBadTransformCombination, kNoOffset, "rfc4303#section-3.2",
           fmt::format("{} without integrity must be configured explicitly", encr->name()));
  }
  if (config.mode == Mode::kTunnel) {
    ENSURE((config.tunnel_src.size() == 4 || config.tunnel_src.size() == 16) &&
               config.tunnel_dst.size() == config.tunnel_src.size(),
           kInvalidArgument, kNoOffset, "rfc4301#section-4.1",
           "tunnel mode needs outer addresses of one family (4 or 16 bytes each)");
  }

  SaConfig effective = config;
  if (!encr->aead && config.integ == Integ::kNone) {
    //= rfc4303#section-3.4.3
    //# Anti-replay needs integrity: without an ICV the sequence number is
    //# unauthenticated, and a window moved by forged numbers would drop the
    //# real traffic. Encryption-only SAs run without the replay check.
    effective.replay_window = 0;
  }
  auto sa = std::make_unique<Sa>(Key{}, effective, *encr);
  if (encr->aead) {
    TRY_ASSIGN(sa->aead_, crypto::MakeAead(config.encr, config.encr_key));
    sa->icv_size_ = encr->icv_size;
  } else {
    TRY_ASSIGN(sa->cipher_, crypto::MakeCipher(config.encr, config.encr_key));
    if (config.integ != Integ::kNone) {
      TRY_ASSIGN(sa->integrity_, crypto::MakeIntegrity(config.integ, config.integ_key));
      sa->icv_size_ = sa->integrity_->icv_size();
    }
  }
  //= rfc4303#section-2.4
  //# Padding makes the ciphertext a multiple of the cipher's block size and,
  //# in any case, ends pad length and next header on a 4-byte boundary.
  sa->alignment_ = std::max<size_t>(encr->block_size, 4);
  if (config.rng != nullptr) {
    sa->rng_ = config.rng;
  } else {
    sa->own_rng_ = crypto::MakeSystemRng();
    sa->rng_ = sa->own_rng_.get();
  }
  sa->config_.rng = nullptr;
  return sa;
}

size_t Sa::PadLength(size_t payload_size) const {
  return (alignment_ - (payload_size + kTrailerSize) % alignment_) % alignment_;
}

size_t Sa::Overhead(size_t payload_size) const {
  return kHeaderSize + iv_size() + PadLength(payload_size) + kTrailerSize + icv_size_;
}

ByteSpan Sa::MakeAad(uint64_t seq, ByteSpan iv, uint8_t (&aad)[kMaxAad]) const {
  //= rfc4106#section-5
  //# The AAD is SPI ‖ sequence number, or SPI ‖ high ‖ low 32 bits of the
  //# sequence number with ESN (likewise RFC 4309 §5 and RFC 7634 §2.1).
  size_t n = 0;
  StoreU32(aad, spi());
  n += 4;
  if (config_.esn) {
    StoreU32(aad + n, static_cast<uint32_t>(seq >> 32));
    n += 4;
  }
  StoreU32(aad + n, static_cast<uint32_t>(seq));
  n += 4;
  if (!encr_->confidentiality) {
    //= rfc4543#section-3.3
    //# With GMAC the IV is authenticated too, between the ESP header and the
    //# payload, exactly as it stands in the packet.
    std::copy(iv.begin(), iv.end(), aad + n);
    n += iv.size();
  }
  return ByteSpan(aad, n);
}

void Sa::MakeIv(uint64_t seq, MutableByteSpan iv) {
  switch (encr_->iv_rule) {
    case crypto::IvRule::kNone: return;
    case crypto::IvRule::kRandom:
      //= rfc3602#section-3
      //# The CBC IV must be unpredictable: random for every packet.
      rng_->Fill(iv);
      return;
    case crypto::IvRule::kCounter:
      //= rfc4106#section-3.1
      //# Counter-based IVs must never repeat under one key; the 64-bit
      //# sequence number is unique for the SA's lifetime (it never cycles),
      //# so it serves.
      StoreU64(iv.data(), seq);
      return;
  }
}

Status Sa::Protect(ByteSpan payload, uint8_t next_header, Bytes& out,
                   const ProtectOptions& options) {
  uint64_t seq;
  if (options.sequence_number) {
    seq = *options.sequence_number;
  } else {
    //= rfc4303#section-3.3.3
    //# The counter must not cycle: without ESN the last number is 2^32-1,
    //# with ESN 2^64-1; the SA must be rekeyed before that.
    uint64_t limit = config_.esn ? UINT64_MAX : 0xffffffffULL;
    ENSURE(sent_seq_ < limit, kSequenceOverflow, kNoOffset, "rfc4303#section-3.3.3",
           fmt::format("SPI {:#010x}: sequence number {} is the last; rekey", spi(), sent_seq_));
    seq = ++sent_seq_;
  }

  size_t pad = PadLength(payload.size());
  const std::optional<size_t> exact = options.padding ? options.padding->size() : options.pad_length;
  if (exact) {
    ENSURE(*exact <= 255 && (payload.size() + *exact + kTrailerSize) % alignment_ == 0,
           kInvalidArgument, kNoOffset, "rfc4303#section-2.4",
           fmt::format("pad length {} breaks the {}-byte alignment", *exact, alignment_));
    pad = *exact;
  }

  const size_t start = out.size();
  const size_t iv_size = this->iv_size();
  const size_t text_size = payload.size() + pad + kTrailerSize;
  out.resize(start + kHeaderSize + iv_size + text_size + icv_size_);
  uint8_t* p = out.data() + start;
  StoreU32(p, spi());
  //= rfc4303#section-2.2
  //# Only the low 32 bits of the sequence number are transmitted.
  StoreU32(p + 4, static_cast<uint32_t>(seq));
  MutableByteSpan iv(p + kHeaderSize, iv_size);
  if (options.iv) {
    ENSURE(options.iv->size() == iv_size, kInvalidArgument, kNoOffset, encr_->rfc,
           fmt::format("{} takes an {}-byte IV", encr_->name(), iv_size));
    std::copy(options.iv->begin(), options.iv->end(), iv.begin());
  } else {
    MakeIv(seq, iv);
  }
  MutableByteSpan text(p + kHeaderSize + iv_size, text_size);
  std::copy(payload.begin(), payload.end(), text.begin());
  //= rfc4303#section-2.4
  //# Default padding bytes are 1, 2, 3, ... in order.
  for (size_t i = 0; i < pad; ++i) text[payload.size() + i] = static_cast<uint8_t>(i + 1);
  if (options.padding)
    std::copy(options.padding->begin(), options.padding->end(), text.begin() + static_cast<long>(payload.size()));
  text[text_size - 2] = static_cast<uint8_t>(pad);
  text[text_size - 1] = next_header;
  MutableByteSpan icv(p + kHeaderSize + iv_size + text_size, icv_size_);

  uint8_t seq_hi[4];
  StoreU32(seq_hi, static_cast<uint32_t>(seq >> 32));
  if (aead_) {
    uint8_t aad[kMaxAad];
    aead_->Seal(iv, MakeAad(seq, iv, aad), text, icv);
  } else {
    cipher_->Encrypt(iv, text);
    if (integrity_) {
      //= rfc4303#section-3.3.2.1
      //# The ICV covers SPI, sequence number, IV and ciphertext; with ESN the
      //# high 32 bits, never sent, are appended for the computation.
      ByteSpan covered(p, kHeaderSize + iv_size + text_size);
      integrity_->Compute({covered, ByteSpan(seq_hi, config_.esn ? 4 : 0)}, icv);
    }
  }
  return OkStatus();
}

Result<Unprotected> Sa::UnprotectInPlace(MutableByteSpan esp) {
  const size_t iv_size = this->iv_size();
  const size_t min_size = kHeaderSize + iv_size + kTrailerSize + icv_size_;
  //= rfc4303#section-2
  //# An ESP packet holds SPI, Sequence Number, the payload with its IV, the
  //# Pad Length and Next Header octets and the ICV: a packet too short for
  //# them is dropped, before any cryptography.
  ENSURE(esp.size() >= min_size, kTruncated, esp.size(), "rfc4303#section-2",
         fmt::format("ESP packet of {} bytes; {} needs at least {}", esp.size(), encr_->name(), min_size));
  ENSURE(LoadU32(esp.data()) == spi(), kNoSa, 0, "rfc4303#section-3.4.2",
         fmt::format("SPI {:#010x} does not belong to this SA", LoadU32(esp.data())));
  const size_t text_size = esp.size() - kHeaderSize - iv_size - icv_size_;
  std::vector<Finding> findings;
  if (text_size % alignment_ != 0) {
    //= rfc4303#section-2.4
    //# Block ciphers cannot decrypt a partial block: such packets are dropped.
    //# For stream modes the 4-byte alignment is the sender's duty; its
    //# absence is reported, not fatal.
    ENSURE(encr_->block_size <= 4 || text_size % encr_->block_size == 0, kBadAlignment,
           kHeaderSize + iv_size, "rfc4303#section-2.4",
           fmt::format("{} bytes of ciphertext are not a multiple of the {}-byte block", text_size,
                       encr_->block_size));
    findings.push_back({Code::kBadAlignment, kHeaderSize + iv_size, "rfc4303#section-2.4",
                        fmt::format("{} bytes of ciphertext are not 4-byte aligned", text_size)});
  }

  //= rfc4303#section-3.4.3
  //# Replay pre-check before the ICV; the window moves only once the ICV holds.
  TRY_ASSIGN(uint64_t seq, window_.Check(LoadU32(esp.data() + 4)));

  ByteSpan iv(esp.data() + kHeaderSize, iv_size);
  MutableByteSpan text(esp.data() + kHeaderSize + iv_size, text_size);
  ByteSpan icv(esp.data() + kHeaderSize + iv_size + text_size, icv_size_);
  uint8_t seq_hi[4];
  StoreU32(seq_hi, static_cast<uint32_t>(seq >> 32));
  if (aead_) {
    uint8_t aad[kMaxAad];
    const bool authentic = aead_->Open(iv, MakeAad(seq, iv, aad), text, icv);
    ENSURE(authentic || config_.fuzzing_ignore_icv, kIcvMismatch, esp.size() - icv_size_,
           "rfc4303#section-3.4.4", fmt::format("SPI {:#010x} seq {}", spi(), seq));
    window_.Update(seq);
  } else {
    if (integrity_) {
      //= rfc4303#section-3.4.4
      //# With a separate integrity transform the ICV is verified before
      //# decryption; a mismatch drops the packet and is an auditable event.
      ByteSpan covered(esp.data(), esp.size() - icv_size_);
      const bool authentic = integrity_->Verify({covered, ByteSpan(seq_hi, config_.esn ? 4 : 0)}, icv);
      ENSURE(authentic || config_.fuzzing_ignore_icv,
             kIcvMismatch, esp.size() - icv_size_, "rfc4303#section-3.4.4",
             fmt::format("SPI {:#010x} seq {}", spi(), seq));
    }
    window_.Update(seq);
    cipher_->Decrypt(iv, text);
  }

  Unprotected out;
  out.sequence_number = seq;
  out.pad_length = text[text_size - 2];
  out.next_header = text[text_size - 1];
  const size_t trailer_at = kHeaderSize + iv_size + text_size - kTrailerSize;
  //= rfc4303#section-2.5
  //# Pad Length counts the padding bytes that precede it; it cannot reach
  //# beyond the decrypted data.
  ENSURE(out.pad_length + kTrailerSize <= text_size, kBadPadLength, trailer_at, "rfc4303#section-2.5",
         fmt::format("pad length {} exceeds the {} bytes of payload and padding", out.pad_length,
                     text_size - kTrailerSize));
  const size_t payload_size = text_size - kTrailerSize - out.pad_length;
  for (size_t i = 0; i < out.pad_length; ++i) {
    if (text[payload_size + i] != static_cast<uint8_t>(i + 1)) {
      //= rfc4303#section-2.4
      //# Default padding is 1, 2, 3, ...; the receiver should inspect it.
      const size_t at = kHeaderSize + iv_size + payload_size + i;
      std::string detail = fmt::format("padding byte {} is {:#04x}, expected {:#04x}", i + 1,
                                       text[payload_size + i], i + 1);
      ENSURE(!config_.strict_padding, kBadPadding, at, "rfc4303#section-2.4", detail);
      findings.push_back({Code::kBadPadding, at, "rfc4303#section-2.4", std::move(detail)});
      break;
    }
  }
  //= rfc4303#section-2.6
  //# Next header 59 marks a dummy packet: the receiver discards it silently.
  ENSURE(out.next_header != static_cast<uint8_t>(iana::IpProtocol::kNoNextHeader), kDummyPacket,
         trailer_at + 1, "rfc4303#section-2.6", "dummy packet");
  out.payload = ByteSpan(text.data(), payload_size);
  out.findings = std::move(findings);
  return out;
}

}  // namespace ipsecref::esp
