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
//
// Files: esp_raw.{h,cc} (the bare Crypto++ constructions), harness.{h,cc}
// (Runner, Bench, Interleaved).
#include <benchmark/benchmark.h>
#include <cryptopp/aes.h>
#include <cryptopp/osrng.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/crypto/primitives.h"
#include "reference/esp/esp_sa.h"
#include "reference/iana/iana.h"
#include "tools/bench/esp_raw.h"
#include "tools/bench/harness.h"

namespace {

using ipsecref::Bytes;
using ipsecref::Result;
using ipsecref::SecureBytes;
using ipsecref::iana::Encr;
using ipsecref::iana::Integ;
namespace esp = ipsecref::esp;
namespace bench = ipsecref::bench;
using bench::Algorithm;
using bench::Layout;
using bench::LayoutFor;
using bench::MakeRaw;
using bench::Raw;
using bench::RawOp;
using bench::Runner;

constexpr uint32_t kSpi = 0x00001000;
constexpr uint8_t kNextHeader = 4;  // IPv4 (the payload is opaque here)
constexpr size_t kSizes[] = {64, 512, 1400, 8192};

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
  c.encr_key = bench::EncrKeymat(a);
  c.integ = a.integ;
  c.integ_key = bench::IntegKey(a);
  // Window 0: no replay check, so one packet can be decapsulated over and
  // over. (ESN stays off: without a window there is nothing to infer from.)
  c.replay_window = 0;
  c.esn = false;
  return c;
}

Result<std::unique_ptr<esp::Sa>> MakeSa(const Algorithm& a) { return esp::Sa::Create(Config(a)); }
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
  size_t bytes() const override { return payload_.size(); }

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
  size_t bytes() const override { return payload_.size(); }

 private:
  const Algorithm& a_;
  const Bytes payload_;
  std::unique_ptr<esp::Sa> sa_;
  Bytes packet_, work_;
};

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
  size_t bytes() const override { return size_; }

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
  size_t bytes() const override { return size_; }

 private:
  const Algorithm& a_;
  size_t size_;
  bool gcm_2k_;
  Layout l_;
  std::unique_ptr<RawOp> op_;
  Bytes packet_, work_;
};

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
        const bench::SideMaker raw_side{"raw", [raw] { return raw(false); }};
        bench::Register(d + "ipsecref/" + tail, ipsecref);
        bench::Register(d + "raw/" + tail, raw_side.make);
        // "ratio" = time(raw) / time(impl): impl's throughput as a fraction of raw's.
        bench::RegisterInterleaved(d + "ipsecref/" + tail, {{"ipsecref", ipsecref}, raw_side}, {{"ratio", 1, 0}});
        if (gcm) {
          const bench::SideMaker gcm2k_side{"raw_gcm2k", [raw] { return raw(true); }};
          bench::Register(d + "raw-gcm2k/" + tail, gcm2k_side.make);
          bench::RegisterInterleaved(d + "raw-gcm2k/" + tail, {gcm2k_side, raw_side}, {{"ratio", 1, 0}});
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