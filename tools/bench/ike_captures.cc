#include "tools/bench/ike_captures.h"

#include <algorithm>
#include <utility>

#include "reference/ike/wire/message.h"
#include "reference/ike/wire/rules.h"
#include "reference/io/ike_messages.h"

namespace ipsecref::bench {
namespace {

ike::SkKeys Direction(const io::Ikev2Keys& k, bool initiator) {
  return ike::SkKeys{k.encr, k.encr_key_bits, k.integ, initiator ? k.sk_ei : k.sk_er, initiator ? k.sk_ai : k.sk_ar};
}

std::string Dashed(std::string s) {
  std::replace(s.begin(), s.end(), ' ', '-');
  return s;
}

// Decode, decrypt (when there is an SK payload), validate: what a receiver
// does with a datagram before it acts on the message.
Result<ike::Validation> Process(const CapturedMessage& c) {
  TRY_ASSIGN(ike::Message m, ike::Decode(c.datagram));
  if (c.protection != nullptr) TRY(c.protection->Decrypt(m, c.datagram));
  return ike::Validate(m);
}

}  // namespace

Result<Capture> LoadCapture(const std::string& source_dir, const std::string& name) {
  const std::string dir = source_dir + "/pcaps/strongswan-" + name + "/";
  Capture cap;
  cap.name = name;
  TRY_ASSIGN(cap.table, io::ReadIkev2Table(dir + "ikev2_decryption_table"));
  TRY_ASSIGN(auto captured, io::ReadIkeMessages(dir + "capture.pcap"));
  for (io::CapturedIke& ci : captured) {
    TRY_ASSIGN(ike::Message m, ike::Decode(ci.message));
    CapturedMessage c;
    c.name = "frame" + std::to_string(ci.packet_number) + "-" + Dashed(ike::Describe(m.header));
    c.initiator = m.header.initiator();
    if (const ike::Payload* sk = m.Encrypted(); sk != nullptr) {
      const io::Ikev2Keys* k = io::Find(cap.table, m.header.spi_i, m.header.spi_r);
      if (k == nullptr)
        return ipsecref::Error{ipsecref::Code::kInvalidArgument, ipsecref::kNoOffset, "", c.name + ": no keys"};
      TRY_ASSIGN(auto p, ike::MessageProtection::Create({Direction(*k, true), Direction(*k, false)}));
      c.protection = p.get();
      cap.protections.push_back(std::move(p));
      c.body_at = sk->offset + ike::kGenericPayloadHeaderSize;
    }
    c.datagram = std::move(ci.message);
    cap.messages.push_back(std::move(c));
  }
  return cap;
}

namespace {

// The whole receive path for one message.
class ProcessRunner final : public Runner {
 public:
  explicit ProcessRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto v = Process(m_);
    if (!v.ok()) return Fail(m_.name + ": " + v.error().ToString());
    if (!v->ok()) return Fail(m_.name + ": " + v->violations.front().error.ToString());
    benchmark::DoNotOptimize(v->shape);
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// Every message of a capture in turn: one operation is the whole capture.
class WholeCaptureRunner final : public Runner {
 public:
  explicit WholeCaptureRunner(const Capture& c) : c_(c) {}
  bool Init() override { return Once(); }
  bool Once() override {
    for (const CapturedMessage& m : c_.messages) {
      auto v = Process(m);
      if (!v.ok() || !v->ok()) return Fail(m.name + " does not process cleanly");
      benchmark::DoNotOptimize(v->shape);
    }
    return true;
  }
  size_t items() const override { return c_.messages.size(); }
  size_t bytes() const override {
    size_t n = 0;
    for (const CapturedMessage& m : c_.messages) n += m.datagram.size();
    return n;
  }

 private:
  const Capture& c_;
};

// ike::Decode alone (the outer layer; SK stays opaque).
class DecodeRunner final : public Runner {
 public:
  explicit DecodeRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    benchmark::DoNotOptimize(d->payloads.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// ike::Decode and MessageProtection::Decrypt (which decodes the inner
// payloads), without Validate.
class DecryptRunner final : public Runner {
 public:
  explicit DecryptRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override { return Once(); }
  bool Once() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    auto s = m_.protection->Decrypt(*d, m_.datagram);
    if (!s.ok()) return Fail(m_.name + ": " + s.error().ToString());
    benchmark::DoNotOptimize(d->inner.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
};

// ike::Validate alone, on the message decoded and decrypted once beforehand.
class ValidateRunner final : public Runner {
 public:
  explicit ValidateRunner(const CapturedMessage& m) : m_(m) {}
  bool Init() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    message_ = std::move(d).value();
    if (m_.protection != nullptr) {
      auto s = m_.protection->Decrypt(message_, m_.datagram);
      if (!s.ok()) return Fail(m_.name + ": " + s.error().ToString());
    }
    return Once();
  }
  bool Once() override {
    ike::Validation v = ike::Validate(message_);
    if (!v.ok()) return Fail(m_.name + ": " + v.violations.front().error.ToString());
    benchmark::DoNotOptimize(v.shape);
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const CapturedMessage& m_;
  ike::Message message_;
};

// SkCrypter::Unprotect alone on the message's SK body: the crypto the
// receive path cannot do without (ICV check and decryption, padding
// removed), with the same associated data.
class UnprotectRunner final : public Runner {
 public:
  UnprotectRunner(const Capture& c, const CapturedMessage& m) : c_(c), m_(m) {}
  bool Init() override {
    auto d = ike::Decode(m_.datagram);
    if (!d.ok()) return Fail(m_.name + ": " + d.error().ToString());
    const io::Ikev2Keys* k = io::Find(c_.table, d->header.spi_i, d->header.spi_r);
    if (k == nullptr) return Fail(m_.name + ": no keys");
    auto crypter = ike::SkCrypter::Create(Direction(*k, m_.initiator), nullptr);
    if (!crypter.ok()) return Fail(m_.name + ": " + crypter.error().ToString());
    crypter_ = std::move(crypter).value();
    return Once();
  }
  bool Once() override {
    const ByteSpan datagram(m_.datagram);
    auto u = crypter_->Unprotect(datagram.first(m_.body_at), datagram.subspan(m_.body_at));
    if (!u.ok()) return Fail(m_.name + ": " + u.error().ToString());
    benchmark::DoNotOptimize(u->plaintext.data());
    return true;
  }
  size_t bytes() const override { return m_.datagram.size(); }

 private:
  const Capture& c_;
  const CapturedMessage& m_;
  std::unique_ptr<ike::SkCrypter> crypter_;
};

}  // namespace

std::unique_ptr<Runner> MessageRunner(Stage stage, const Capture& c, const CapturedMessage& m) {
  switch (stage) {
    case Stage::kReceive: return std::make_unique<ProcessRunner>(m);
    case Stage::kDecode: return std::make_unique<DecodeRunner>(m);
    case Stage::kDecrypt: return std::make_unique<DecryptRunner>(m);
    case Stage::kValidate: return std::make_unique<ValidateRunner>(m);
    case Stage::kUnprotect: return std::make_unique<UnprotectRunner>(c, m);
  }
  return nullptr;
}

std::unique_ptr<Runner> CaptureRunner(const Capture& c) { return std::make_unique<WholeCaptureRunner>(c); }

}  // namespace ipsecref::bench
