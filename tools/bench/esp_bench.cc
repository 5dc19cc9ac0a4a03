// ESP throughput: ipsecref's Sa::Protect / Sa::UnprotectInPlace against the
// bare Crypto++ primitives doing the same cryptographic work, in one binary
// and one run, so that tools/bench/ratios.py can divide one by the other.
//
// Benchmark names:
//   <dir>/<impl>/<algorithm>/<payload bytes>         packets/s and bytes/s
//   paired/<dir>/<impl>/<algorithm>/<payload bytes>  counter "ratio"
// dir   encap | decap
// impl  ipsecref | raw | raw-gcm2k (GCM only: 2K instead of 64K tables)
// A paired benchmark alternates blocks of <impl> and raw packets and reports
// the median of time(raw) / time(impl): impl's throughput as a fraction of
// raw's, steady even while other processes share the CPU.
//
// Throughput counts payload bytes (SetBytesProcessed) and packets
// (SetItemsProcessed). The raw side processes exactly the byte ranges that
// Sa::Protect hands to Crypto++: the ESP text (payload, padding, pad length,
// next header), the 8-byte AAD or the MAC over SPI .. ciphertext; so a ratio
// below 1 is ipsecref's own overhead, not ESP framing.
#include <benchmark/benchmark.h>
#include <cryptopp/aes.h>
#include <cryptopp/ccm.h>
#include <cryptopp/chachapoly.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hmac.h>
#include <cryptopp/misc.h>
#include <cryptopp/modes.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/crypto/transforms.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"

namespace {

using ipsecref::Bytes;
using ipsecref::Result;
using ipsecref::SecureBytes;
using ipsecref::iana::Encr;
using ipsecref::iana::Integ;
namespace esp = ipsecref::esp;

constexpr uint32_t kSpi = 0x00001000;
constexpr uint8_t kNextHeader = 4;  // IPv4 (the payload is opaque here)
constexpr size_t kSizes[] = {64, 512, 1400, 8192};

// Which bare Crypto++ construction stands for the algorithm.
enum class Raw {
  kGcm,       // GCM<AES, GCM_64K_Tables> (and a 2K-table twin)
  kChaCha,    // ChaCha20Poly1305
  kCcm16,     // CCM<AES, 16>
  kGmac,      // GCM<AES, GCM_64K_Tables> with everything as AAD
  kCbcHmac256,  // CBC_Mode<AES> + HMAC<SHA256> truncated to 16
  kCtrHmac1,    // CTR_Mode<AES> + HMAC<SHA1> truncated to 12
  kCbcXcbc,     // CBC_Mode<AES> + BlockXcbc below (Crypto++ has no XCBC)
  kNullHmac256,  // copy + HMAC<SHA256> truncated to 16
};

struct Algorithm {
  const char* name;
  Encr encr;
  size_t encr_keymat;  // key + salt
  Integ integ;
  size_t integ_key;
  Raw raw;
};

const Algorithm kAlgorithms[] = {
    {"AES-128-GCM-16", Encr::kAesGcm16, 16 + 4, Integ::kNone, 0, Raw::kGcm},
    {"AES-256-GCM-16", Encr::kAesGcm16, 32 + 4, Integ::kNone, 0, Raw::kGcm},
    {"ChaCha20-Poly1305", Encr::kChaCha20Poly1305, 32 + 4, Integ::kNone, 0, Raw::kChaCha},
    {"AES-128-CCM-16", Encr::kAesCcm16, 16 + 3, Integ::kNone, 0, Raw::kCcm16},
    {"AES-GMAC-128", Encr::kNullAuthAesGmac, 16 + 4, Integ::kNone, 0, Raw::kGmac},
    {"AES-128-CBC+HMAC-SHA2-256-128", Encr::kAesCbc, 16, Integ::kHmacSha2_256_128, 32,
     Raw::kCbcHmac256},
    {"AES-128-CTR+HMAC-SHA1-96", Encr::kAesCtr, 16 + 4, Integ::kHmacSha1_96, 20, Raw::kCtrHmac1},
    {"AES-128-CBC+AES-XCBC-96", Encr::kAesCbc, 16, Integ::kAesXcbc96, 16, Raw::kCbcXcbc},
    {"NULL+HMAC-SHA2-256-128", Encr::kNull, 0, Integ::kHmacSha2_256_128, 32, Raw::kNullHmac256},
};

SecureBytes Pattern(size_t n, uint8_t seed) {
  SecureBytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + 7 * i);
  return out;
}

Bytes Payload(size_t n) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 13 + 1);
  return out;
}

esp::SaConfig Config(const Algorithm& a) {
  esp::SaConfig c;
  c.spi = kSpi;
  c.mode = esp::Mode::kTransport;
  c.encr = a.encr;
  c.encr_key = Pattern(a.encr_keymat, 0x11);
  c.integ = a.integ;
  c.integ_key = Pattern(a.integ_key, 0x55);
  // Window 0: no replay check, so one packet can be decapsulated over and
  // over. (ESN stays off: without a window there is nothing to infer from.)
  c.replay_window = 0;
  c.esn = false;
  return c;
}

Result<std::unique_ptr<esp::Sa>> MakeSa(const Algorithm& a) { return esp::Sa::Create(Config(a)); }

// One way of handling one packet, set up once; Bench() and Paired() drive it.
class Runner {
 public:
  virtual ~Runner() = default;
  // Sets up keys and buffers and checks that a packet round-trips.
  virtual bool Init() = 0;
  // Handles one packet; false (with error()) if that failed.
  virtual bool Once() = 0;
  const std::string& error() const { return error_; }

 protected:
  bool Fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

 private:
  std::string error_;
};

// ---------------------------------------------------------------- ipsecref

// Sa::Protect into a reused buffer.
class IpsecrefEncap final : public Runner {
 public:
  IpsecrefEncap(const Algorithm& a, size_t size) : a_(a), payload_(Payload(size)) {}
  bool Init() override {
    auto sa = MakeSa(a_);
    if (!sa.ok()) return Fail("Sa::Create: " + sa.error().ToString());
    sa_ = std::move(sa).value();
    out_.reserve(payload_.size() + sa_->Overhead(payload_.size()));
    return Once();
  }
  bool Once() override {
    out_.clear();
    auto status = sa_->Protect(payload_, kNextHeader, out_);
    if (!status.ok()) return Fail("Protect: " + status.error().ToString());
    benchmark::DoNotOptimize(out_.data());
    benchmark::ClobberMemory();
    return true;
  }

 private:
  const Algorithm& a_;
  const Bytes payload_;
  std::unique_ptr<esp::Sa> sa_;
  Bytes out_;
};

// Sa::UnprotectInPlace on a fresh copy of one protected packet (window 0
// lets the same sequence number through every time).
class IpsecrefDecap final : public Runner {
 public:
  IpsecrefDecap(const Algorithm& a, size_t size) : a_(a), payload_(Payload(size)) {}
  bool Init() override {
    auto sender = MakeSa(a_);
    if (!sender.ok()) return Fail("Sa::Create: " + sender.error().ToString());
    auto receiver = MakeSa(a_);
    if (!receiver.ok()) return Fail("Sa::Create: " + receiver.error().ToString());
    sa_ = std::move(receiver).value();
    auto status = (*sender)->Protect(payload_, kNextHeader, packet_);
    if (!status.ok()) return Fail("Protect: " + status.error().ToString());
    work_.resize(packet_.size());
    // The packet must round-trip, or the loop would measure a failure path.
    std::memcpy(work_.data(), packet_.data(), packet_.size());
    auto r = sa_->UnprotectInPlace(work_);
    if (!r.ok()) return Fail("UnprotectInPlace: " + r.error().ToString());
    if (r->payload.size() != payload_.size() ||
        std::memcmp(r->payload.data(), payload_.data(), payload_.size()) != 0 ||
        !r->findings.empty()) {
      return Fail("UnprotectInPlace does not round-trip");
    }
    return true;
  }
  bool Once() override {
    std::memcpy(work_.data(), packet_.data(), packet_.size());
    auto r = sa_->UnprotectInPlace(work_);
    if (!r.ok()) return Fail("UnprotectInPlace: " + r.error().ToString());
    benchmark::DoNotOptimize(r->payload.data());
    benchmark::ClobberMemory();
    return true;
  }

 private:
  const Algorithm& a_;
  const Bytes payload_;
  std::unique_ptr<esp::Sa> sa_;
  Bytes packet_, work_;
};

// --------------------------------------------------------------------- raw
//
// The raw side lays its buffer out like the ESP packet: header (8) | IV |
// text | ICV, with the same text size (payload + padding + 2), and keys the
// primitives once, outside the loop, just as the Sa does.

struct Layout {
  size_t iv;
  size_t text;
  size_t icv;
  size_t total() const { return esp::kHeaderSize + iv + text + icv; }
  size_t text_at() const { return esp::kHeaderSize + iv; }
  size_t icv_at() const { return esp::kHeaderSize + iv + text; }
};

Layout LayoutFor(const Algorithm& a, size_t size) {
  const auto* t = ipsecref::crypto::FindEncr(a.encr);
  const auto* i = a.integ == Integ::kNone ? nullptr : ipsecref::crypto::FindInteg(a.integ);
  const size_t align = std::max<size_t>(t->block_size, 4);
  const size_t text = (size + esp::kTrailerSize + align - 1) / align * align;
  return Layout{t->iv_size, text, t->aead ? t->icv_size : i->icv_size};
}

// What the raw benchmark does per packet; one object per (algorithm, direction).
class RawOp {
 public:
  virtual ~RawOp() = default;
  // Encap: plaintext text `in` -> packet `out` (header and IV already there).
  virtual void Encap(const uint8_t* in, uint8_t* out) = 0;
  // Decap in place; false on an ICV mismatch.
  virtual bool Decap(uint8_t* packet) = 0;
};

// GCM, CCM and ChaCha20-Poly1305 through AuthenticatedSymmetricCipher, as
// reference/crypto/aead.cc uses them: nonce = salt ‖ IV, AAD = SPI ‖ seq.
template <typename Enc, typename Dec>
class RawAead final : public RawOp {
 public:
  RawAead(const Algorithm& a, Layout l, size_t salt) : l_(l) {
    SecureBytes km = Pattern(a.encr_keymat, 0x11);
    key_.assign(km.begin(), km.end() - static_cast<std::ptrdiff_t>(salt));
    nonce_.assign(km.end() - static_cast<std::ptrdiff_t>(salt), km.end());
    nonce_.resize(salt + l.iv);
    std::array<uint8_t, 16> zero{};
    enc_.SetKeyWithIV(key_.data(), key_.size(), zero.data(), nonce_.size());
    dec_.SetKeyWithIV(key_.data(), key_.size(), zero.data(), nonce_.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    SetNonce(out);
    enc_.EncryptAndAuthenticate(out + l_.text_at(), out + l_.icv_at(), l_.icv, nonce_.data(),
                                static_cast<int>(nonce_.size()), out, esp::kHeaderSize, in,
                                l_.text);
  }
  bool Decap(uint8_t* p) override {
    SetNonce(p);
    return dec_.DecryptAndVerify(p + l_.text_at(), p + l_.icv_at(), l_.icv, nonce_.data(),
                                 static_cast<int>(nonce_.size()), p, esp::kHeaderSize,
                                 p + l_.text_at(), l_.text);
  }

 private:
  void SetNonce(const uint8_t* p) {
    std::memcpy(nonce_.data() + nonce_.size() - l_.iv, p + esp::kHeaderSize, l_.iv);
  }
  Layout l_;
  Bytes key_, nonce_;
  Enc enc_;
  Dec dec_;
};

// GMAC: the whole packet up to the ICV (SPI, seq, IV, text) is AAD; nothing
// is encrypted, the text is only copied into place on encap.
class RawGmac final : public RawOp {
 public:
  RawGmac(const Algorithm& a, Layout l) : l_(l) {
    SecureBytes km = Pattern(a.encr_keymat, 0x11);
    nonce_.assign(km.end() - 4, km.end());
    nonce_.resize(12);
    std::array<uint8_t, 12> zero{};
    mac_.SetKeyWithIV(km.data(), km.size() - 4, zero.data(), zero.size());
    ver_.SetKeyWithIV(km.data(), km.size() - 4, zero.data(), zero.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    std::memcpy(out + l_.text_at(), in, l_.text);
    std::memcpy(nonce_.data() + 4, out + esp::kHeaderSize, 8);
    mac_.EncryptAndAuthenticate(nullptr, out + l_.icv_at(), l_.icv, nonce_.data(), 12, out,
                                l_.icv_at(), nullptr, 0);
  }
  bool Decap(uint8_t* p) override {
    std::memcpy(nonce_.data() + 4, p + esp::kHeaderSize, 8);
    return ver_.DecryptAndVerify(nullptr, p + l_.icv_at(), l_.icv, nonce_.data(), 12, p,
                                 l_.icv_at(), nullptr, 0);
  }

 private:
  Layout l_;
  Bytes nonce_;
  CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>::Encryption mac_;
  CryptoPP::GCM<CryptoPP::AES, CryptoPP::GCM_64K_Tables>::Decryption ver_;
};

// AES-XCBC-MAC-96 (RFC 3566) as Crypto++'s own CBC_MAC works: whole blocks
// straight from the input through one AdvancedProcessBlocks call, only the
// last block held back (it takes K2 or K3). Same output as
// reference/crypto/integrity.cc's AesXcbc (the start-up check compares them),
// which goes byte by byte with one ProcessBlock call per block.
class BlockXcbc {
 public:
  void SetKey(const uint8_t* key, size_t size) {
    CryptoPP::AES::Encryption k(key, size);
    std::array<uint8_t, 16> c{}, k1{};
    c.fill(0x01);
    k.ProcessBlock(c.data(), k1.data());
    c.fill(0x02);
    k.ProcessBlock(c.data(), k2_.data());
    c.fill(0x03);
    k.ProcessBlock(c.data(), k3_.data());
    e1_.SetKey(k1.data(), k1.size());
  }
  void Update(const uint8_t* in, size_t n) {
    if (n == 0) return;
    if (pending_ == 16) Absorb();  // more follows: the held block is not the last
    size_t take = std::min(16 - pending_, n);
    std::memcpy(last_.data() + pending_, in, take);
    pending_ += take;
    in += take;
    n -= take;
    if (n == 0) return;
    Absorb();
    const size_t whole = (n - 1) / 16 * 16;  // keep at least one byte back
    if (whole > 0) {
      e1_.AdvancedProcessBlocks(state_.data(), in, state_.data(), whole,
                                CryptoPP::BlockTransformation::BT_DontIncrementInOutPointers |
                                    CryptoPP::BlockTransformation::BT_XorInput);
      in += whole;
      n -= whole;
    }
    std::memcpy(last_.data(), in, n);
    pending_ = n;
  }
  void TruncatedFinal(uint8_t* out, size_t n) {
    const auto& tweak = pending_ == 16 ? k2_ : k3_;
    if (pending_ < 16) {
      last_[pending_] = 0x80;
      std::fill(last_.begin() + static_cast<std::ptrdiff_t>(pending_) + 1, last_.end(), 0);
    }
    for (size_t i = 0; i < 16; ++i) state_[i] ^= last_[i] ^ tweak[i];
    e1_.ProcessBlock(state_.data());
    std::memcpy(out, state_.data(), n);
    state_.fill(0);
    pending_ = 0;
  }
  bool TruncatedVerify(const uint8_t* icv, size_t n) {
    std::array<uint8_t, 16> mac;
    TruncatedFinal(mac.data(), n);
    return CryptoPP::VerifyBufsEqual(mac.data(), icv, n);
  }

 private:
  void Absorb() {
    for (size_t i = 0; i < 16; ++i) state_[i] ^= last_[i];
    e1_.ProcessBlock(state_.data());
    pending_ = 0;
  }
  std::array<uint8_t, 16> k2_{}, k3_{}, state_{}, last_{};
  size_t pending_ = 0;
  CryptoPP::AES::Encryption e1_;
};

// Cipher (CBC, CTR or none) then a MAC over SPI .. ciphertext, encrypt-then-MAC.
// Decap verifies first, then decrypts, like RFC 4303 §3.4.4.
template <typename Mode, typename Mac>
class RawEtm final : public RawOp {
 public:
  RawEtm(const Algorithm& a, Layout l, bool ctr_nonce, bool has_cipher)
      : l_(l), ctr_(ctr_nonce), has_cipher_(has_cipher) {
    SecureBytes km = Pattern(a.encr_keymat, 0x11);
    SecureBytes mk = Pattern(a.integ_key, 0x55);
    std::array<uint8_t, 16> zero{};
    if (has_cipher_) {
      const size_t key_size = ctr_ ? km.size() - 4 : km.size();
      if (ctr_) std::memcpy(block_.data(), km.data() + key_size, 4);
      enc_.SetKeyWithIV(km.data(), key_size, zero.data());
      dec_.SetKeyWithIV(km.data(), key_size, zero.data());
    }
    mac_.SetKey(mk.data(), mk.size());
  }
  void Encap(const uint8_t* in, uint8_t* out) override {
    if (has_cipher_) {
      enc_.Resynchronize(Iv(out), 16);
      enc_.ProcessData(out + l_.text_at(), in, l_.text);
    } else {
      std::memcpy(out + l_.text_at(), in, l_.text);
    }
    mac_.Update(out, l_.icv_at());
    mac_.TruncatedFinal(out + l_.icv_at(), l_.icv);
  }
  bool Decap(uint8_t* p) override {
    mac_.Update(p, l_.icv_at());
    if (!mac_.TruncatedVerify(p + l_.icv_at(), l_.icv)) return false;
    if (has_cipher_) {
      dec_.Resynchronize(Iv(p), 16);
      dec_.ProcessData(p + l_.text_at(), p + l_.text_at(), l_.text);
    }
    return true;
  }

 private:
  // CBC: the 16-byte IV from the packet. CTR (RFC 3686): nonce ‖ IV ‖ 1.
  const uint8_t* Iv(const uint8_t* p) {
    if (!ctr_) return p + esp::kHeaderSize;
    std::memcpy(block_.data() + 4, p + esp::kHeaderSize, 8);
    block_[12] = block_[13] = block_[14] = 0;
    block_[15] = 1;
    return block_.data();
  }
  Layout l_;
  bool ctr_, has_cipher_;
  std::array<uint8_t, 16> block_{};
  typename Mode::Encryption enc_;
  typename Mode::Decryption dec_;
  Mac mac_;
};

template <CryptoPP::GCM_TablesOption kTables>
std::unique_ptr<RawOp> MakeRawGcm(const Algorithm& a, Layout l) {
  using G = CryptoPP::GCM<CryptoPP::AES, kTables>;
  return std::make_unique<RawAead<typename G::Encryption, typename G::Decryption>>(a, l, 4);
}

std::unique_ptr<RawOp> MakeRaw(const Algorithm& a, Layout l, bool gcm_2k) {
  using CryptoPP::AES;
  using CryptoPP::HMAC;
  switch (a.raw) {
    case Raw::kGcm:
      return gcm_2k ? MakeRawGcm<CryptoPP::GCM_2K_Tables>(a, l)
                    : MakeRawGcm<CryptoPP::GCM_64K_Tables>(a, l);
    case Raw::kChaCha: {
      using C = CryptoPP::ChaCha20Poly1305;
      return std::make_unique<RawAead<C::Encryption, C::Decryption>>(a, l, 4);
    }
    case Raw::kCcm16: {
      using C = CryptoPP::CCM<AES, 16>;
      return std::make_unique<RawAead<C::Encryption, C::Decryption>>(a, l, 3);
    }
    case Raw::kGmac: return std::make_unique<RawGmac>(a, l);
    case Raw::kCbcHmac256:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, HMAC<CryptoPP::SHA256>>>(a, l, false,
                                                                                      true);
    case Raw::kCtrHmac1:
      return std::make_unique<RawEtm<CryptoPP::CTR_Mode<AES>, HMAC<CryptoPP::SHA1>>>(a, l, true,
                                                                                    true);
    case Raw::kCbcXcbc:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, BlockXcbc>>(a, l, false,
                                                                                      true);
    case Raw::kNullHmac256:
      return std::make_unique<RawEtm<CryptoPP::CBC_Mode<AES>, HMAC<CryptoPP::SHA256>>>(a, l, false,
                                                                                      false);
  }
  return nullptr;
}

// The raw packet's header and IV: SPI, seq 1, IV = seq (CBC: any fixed IV).
void RawHeader(uint8_t* p, const Layout& l) {
  ipsecref::StoreU32(p, kSpi);
  ipsecref::StoreU32(p + 4, 1);
  for (size_t i = 0; i < l.iv; ++i) p[esp::kHeaderSize + i] = static_cast<uint8_t>(0xa0 + i);
}

Bytes RawText(size_t size, const Layout& l) {
  Bytes text = Payload(size);
  const size_t pad = l.text - size - esp::kTrailerSize;
  for (size_t i = 0; i < pad; ++i) text.push_back(static_cast<uint8_t>(i + 1));
  text.push_back(static_cast<uint8_t>(pad));
  text.push_back(kNextHeader);
  return text;
}

// The raw construction, out of place from the text into a reused packet buffer.
class RawEncap final : public Runner {
 public:
  RawEncap(const Algorithm& a, size_t size, bool gcm_2k)
      : a_(a), size_(size), gcm_2k_(gcm_2k), l_(LayoutFor(a, size)) {}
  bool Init() override {
    op_ = MakeRaw(a_, l_, gcm_2k_);
    text_ = RawText(size_, l_);
    out_.assign(l_.total(), 0);
    RawHeader(out_.data(), l_);
    return Once();
  }
  bool Once() override {
    op_->Encap(text_.data(), out_.data());
    benchmark::DoNotOptimize(out_.data());
    benchmark::ClobberMemory();
    return true;
  }

 private:
  const Algorithm& a_;
  size_t size_;
  bool gcm_2k_;
  Layout l_;
  std::unique_ptr<RawOp> op_;
  Bytes text_, out_;
};

// The raw construction in place on a fresh copy of one sealed packet.
class RawDecap final : public Runner {
 public:
  RawDecap(const Algorithm& a, size_t size, bool gcm_2k)
      : a_(a), size_(size), gcm_2k_(gcm_2k), l_(LayoutFor(a, size)) {}
  bool Init() override {
    auto sealer = MakeRaw(a_, l_, gcm_2k_);
    op_ = MakeRaw(a_, l_, gcm_2k_);
    const Bytes text = RawText(size_, l_);
    packet_.assign(l_.total(), 0);
    RawHeader(packet_.data(), l_);
    sealer->Encap(text.data(), packet_.data());
    work_ = packet_;
    if (!op_->Decap(work_.data()) ||
        std::memcmp(work_.data() + l_.text_at(), text.data(), text.size()) != 0) {
      return Fail("raw decap does not round-trip");
    }
    return true;
  }
  bool Once() override {
    std::memcpy(work_.data(), packet_.data(), packet_.size());
    if (!op_->Decap(work_.data())) return Fail("raw decap: ICV mismatch");
    benchmark::DoNotOptimize(work_.data());
    benchmark::ClobberMemory();
    return true;
  }

 private:
  const Algorithm& a_;
  size_t size_;
  bool gcm_2k_;
  Layout l_;
  std::unique_ptr<RawOp> op_;
  Bytes packet_, work_;
};

// ------------------------------------------------------------------ drivers

void Count(benchmark::State& state, size_t payload, int64_t packets) {
  state.SetItemsProcessed(packets);
  state.SetBytesProcessed(packets * static_cast<int64_t>(payload));
}

// Packets per second and bytes per second of one runner.
void Bench(benchmark::State& state, Runner& r, size_t size) {
  if (!r.Init()) {
    state.SkipWithError(r.error().c_str());
    return;
  }
  for (auto _ : state) {
    if (!r.Once()) {
      state.SkipWithError(r.error().c_str());
      return;
    }
  }
  Count(state, size, static_cast<int64_t>(state.iterations()));
}

// `a` against `b` in alternating blocks of packets, each block timed on its
// own: counter "ratio" is the median over block pairs of time(b) / time(a),
// i.e. a's throughput as a fraction of b's. Other processes on the machine
// slow down single blocks, not one side, so the median ratio stays steady
// where two separately timed benchmarks drift apart.
void Paired(benchmark::State& state, Runner& a, Runner& b, size_t size) {
  if (!a.Init() || !b.Init()) {
    state.SkipWithError((a.error() + b.error()).c_str());
    return;
  }
  using Clock = std::chrono::steady_clock;
  const size_t block = std::max<size_t>(1, 16384 / (size + 64));  // some 10-50 µs
  auto run = [&](Runner& r) -> double {
    const auto t0 = Clock::now();
    for (size_t i = 0; i < block; ++i)
      if (!r.Once()) return -1;
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  std::vector<double> ratios;
  double ta_sum = 0, tb_sum = 0;
  bool a_first = true;
  for (auto _ : state) {
    double ta, tb;
    if (a_first) {  // alternate the order, so neither side always runs warm
      ta = run(a);
      tb = run(b);
    } else {
      tb = run(b);
      ta = run(a);
    }
    a_first = !a_first;
    if (ta < 0 || tb < 0) {
      state.SkipWithError((a.error() + b.error()).c_str());
      return;
    }
    ratios.push_back(tb / ta);
    ta_sum += ta;
    tb_sum += tb;
  }
  if (ratios.empty()) return;
  auto mid = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
  std::nth_element(ratios.begin(), mid, ratios.end());
  state.counters["ratio"] = *mid;
  state.counters["a_ns_per_packet"] = 1e9 * ta_sum / static_cast<double>(ratios.size() * block);
  state.counters["b_ns_per_packet"] = 1e9 * tb_sum / static_cast<double>(ratios.size() * block);
}

// A cross-check that the raw construction is the same computation as the
// ipsecref one: the raw packet must equal Sa::Protect's byte for byte for
// sequence number 1 (CBC: with the raw side's fixed IV given to Protect).
bool SameAsIpsecref(const Algorithm& a, size_t size) {
  const Layout l = LayoutFor(a, size);
  Bytes raw(l.total());
  RawHeader(raw.data(), l);
  esp::ProtectOptions options;
  if (a.encr == Encr::kAesCbc) {
    options.iv = Bytes(raw.begin() + esp::kHeaderSize, raw.begin() + l.text_at());
  } else if (l.iv == 8) {
    ipsecref::StoreU64(raw.data() + esp::kHeaderSize, 1);  // Sa's counter-mode IV is the sequence number
  }
  auto sa = esp::Sa::Create(Config(a));
  if (!sa.ok()) return false;
  Bytes esp_packet;
  if (!(*sa)->Protect(Payload(size), kNextHeader, esp_packet, options).ok()) return false;
  MakeRaw(a, l, false)->Encap(RawText(size, l).data(), raw.data());
  return raw == esp_packet;
}

// Where a CBC IV can come from: what Sa::MakeIv does now (one
// AutoSeededRandomPool::GenerateBlock per packet, through crypto::Rng), the
// same generator drawn from in 4 KiB batches, and an encrypted counter
// (IV = AES_K(n) under a random per-SA key K).
void CbcIvSystemRng(benchmark::State& state) {
  auto rng = ipsecref::crypto::MakeSystemRng();
  std::array<uint8_t, 16> iv{};
  for (auto _ : state) {
    rng->Fill(iv);
    benchmark::DoNotOptimize(iv.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void CbcIvBatched(benchmark::State& state) {
  CryptoPP::AutoSeededRandomPool pool;
  std::vector<uint8_t> batch(4096);
  size_t left = 0;
  std::array<uint8_t, 16> iv{};
  for (auto _ : state) {
    if (left < iv.size()) {
      pool.GenerateBlock(batch.data(), batch.size());
      left = batch.size();
    }
    std::memcpy(iv.data(), batch.data() + batch.size() - left, iv.size());
    left -= iv.size();
    benchmark::DoNotOptimize(iv.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void CbcIvEncryptedCounter(benchmark::State& state) {
  CryptoPP::AutoSeededRandomPool pool;
  std::array<uint8_t, 16> key{}, block{}, iv{};
  pool.GenerateBlock(key.data(), key.size());
  CryptoPP::AES::Encryption aes(key.data(), key.size());
  uint64_t n = 0;
  for (auto _ : state) {
    ipsecref::StoreU64(block.data() + 8, ++n);
    aes.ProcessBlock(block.data(), iv.data());
    benchmark::DoNotOptimize(iv.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (const Algorithm& a : kAlgorithms) {
    if (!SameAsIpsecref(a, 1400)) {
      std::fprintf(stderr, "esp_bench: the raw %s differs from ipsecref's output\n", a.name);
      return 1;
    }
  }
  for (const Algorithm& a : kAlgorithms) {
    for (size_t size : kSizes) {
      const std::string tail = std::string(a.name) + "/" + std::to_string(size);
      const Algorithm* ap = &a;
      const bool gcm = a.raw == Raw::kGcm;
      for (const char* dir : {"encap", "decap"}) {
        const bool encap = dir[0] == 'e';
        auto ipsecref = [ap, size, encap]() -> std::unique_ptr<Runner> {
          if (encap) return std::make_unique<IpsecrefEncap>(*ap, size);
          return std::make_unique<IpsecrefDecap>(*ap, size);
        };
        auto raw = [ap, size, encap](bool gcm_2k) -> std::unique_ptr<Runner> {
          if (encap) return std::make_unique<RawEncap>(*ap, size, gcm_2k);
          return std::make_unique<RawDecap>(*ap, size, gcm_2k);
        };
        const std::string d = std::string(dir) + "/";
        benchmark::RegisterBenchmark((d + "ipsecref/" + tail).c_str(),
                                     [=](benchmark::State& s) { Bench(s, *ipsecref(), size); });
        benchmark::RegisterBenchmark((d + "raw/" + tail).c_str(),
                                     [=](benchmark::State& s) { Bench(s, *raw(false), size); });
        if (gcm) {
          benchmark::RegisterBenchmark((d + "raw-gcm2k/" + tail).c_str(),
                                       [=](benchmark::State& s) { Bench(s, *raw(true), size); });
        }
        benchmark::RegisterBenchmark(("paired/" + d + "ipsecref/" + tail).c_str(),
                                     [=](benchmark::State& s) {
                                       Paired(s, *ipsecref(), *raw(false), size);
                                     });
        if (gcm) {
          benchmark::RegisterBenchmark(("paired/" + d + "raw-gcm2k/" + tail).c_str(),
                                       [=](benchmark::State& s) {
                                         Paired(s, *raw(true), *raw(false), size);
                                       });
        }
      }
    }
  }
  benchmark::RegisterBenchmark("cbc-iv/system-rng-per-packet", CbcIvSystemRng);
  benchmark::RegisterBenchmark("cbc-iv/system-rng-4k-batches", CbcIvBatched);
  benchmark::RegisterBenchmark("cbc-iv/aes-encrypted-counter", CbcIvEncryptedCounter);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
