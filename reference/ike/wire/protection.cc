#include "reference/ike/wire/protection.h"

#include <fmt/format.h>

namespace ipsecref::ike {
namespace {

constexpr size_t kSkfFieldsSize = 4;  // Fragment Number, Total Fragments

}  // namespace

Result<std::unique_ptr<MessageProtection>> MessageProtection::Create(const MessageKeys& keys, crypto::Rng* rng) {
  std::unique_ptr<MessageProtection> p(new MessageProtection());
  TRY_ASSIGN(p->initiator_, SkCrypter::Create(keys.initiator, rng));
  TRY_ASSIGN(p->responder_, SkCrypter::Create(keys.responder, rng));
  return p;
}

void MessageProtection::set_fuzzing_ignore_icv(bool ignore) {
  initiator_->fuzzing_ignore_icv = ignore;
  responder_->fuzzing_ignore_icv = ignore;
}

Result<SecureBytes> MessageProtection::Open(const Message& m, const Payload& encrypted, size_t header_size,
                                            ByteSpan datagram, size_t& plaintext_offset) {
  //= rfc7296#section-3.14
  //# The associated data runs from the IKE header through the SK payload
  //# header (RFC 5282 §5.1; RFC 7383 §2.5 adds the SKF fields).
  const size_t body_at = encrypted.offset + header_size;
  ENSURE(body_at <= datagram.size(), kTruncated, encrypted.offset, "rfc7296#section-3.14",
         "encrypted payload header runs past the message");
  SkCrypter& c = crypter(m.header.initiator());
  auto opened = c.Unprotect(datagram.first(body_at), datagram.subspan(body_at));
  if (!opened) {
    Error e = std::move(opened).error().At(body_at);
    e.detail = fmt::format("{} payload at offset {}: {}", PayloadTypeLabel(encrypted.type), encrypted.offset, e.detail);
    return e;
  }
  plaintext_offset = body_at + c.iv_size();
  return std::move(opened->plaintext);
}

Status MessageProtection::Decrypt(Message& m, ByteSpan datagram) {
  const Payload* sk = m.Encrypted();
  ENSURE(sk != nullptr && sk->type == iana::PayloadType::kSk, kInvalidArgument, kNoOffset, "rfc7296#section-3.14",
         "the message has no SK payload");
  size_t plaintext_at = 0;
  TRY_ASSIGN(SecureBytes plaintext, Open(m, *sk, kGenericPayloadHeaderSize, datagram, plaintext_at));
  return DecodeInner(m, sk->as<SkPayload>()->first_inner, plaintext, plaintext_at);
}

Result<SkfReassembler::Outcome> MessageProtection::DecryptFragment(Message& m, ByteSpan datagram) {
  const Payload* p = m.Encrypted();
  ENSURE(p != nullptr && p->type == iana::PayloadType::kSkf, kInvalidArgument, kNoOffset, "rfc7383#section-2.5",
         "the message has no SKF payload");
  const SkfPayload& skf = *p->as<SkfPayload>();
  SkfReassembler& r =
      fragments_[{m.header.spi_i, m.header.spi_r, m.header.message_id, m.header.response()}];
  //= rfc7383#section-2.6
  //# Duplicates are recognised before any decryption.
  if (r.IsDuplicate(skf.fragment_number, skf.total_fragments)) return SkfReassembler::Outcome::kDuplicate;
  size_t plaintext_at = 0;
  TRY_ASSIGN(SecureBytes plaintext, Open(m, *p, kGenericPayloadHeaderSize + kSkfFieldsSize, datagram, plaintext_at));
  auto outcome = r.Add(skf.fragment_number, skf.total_fragments, static_cast<uint8_t>(skf.first_inner), plaintext);
  if (!outcome) return std::move(outcome).error().At(p->offset);
  if (*outcome == SkfReassembler::Outcome::kComplete) {
    const auto first = static_cast<iana::PayloadType>(r.first_payload());
    const Bytes whole = r.Take();
    // Offsets inside a reassembled message count from its first inner byte.
    TRY(DecodeInner(m, first, whole, 0));
  }
  return *outcome;
}

Result<Bytes> MessageProtection::Encrypt(Message& m, const SkCrypter::ProtectOptions& options) {
  if (!m.payloads.empty() && m.payloads.back().type == iana::PayloadType::kSk) m.payloads.pop_back();
  ByteWriter inner;
  TRY(EncodePayloads(m.inner, inner));
  SkCrypter& c = crypter(m.header.initiator());
  Payload sk;
  sk.type = iana::PayloadType::kSk;
  SkPayload body;
  body.first_inner = m.inner.empty() ? iana::PayloadType::kNone : m.inner.front().type;
  body.encrypted.resize(c.EncryptedBodySize(inner.size(), options.pad_length));
  sk.body = body;
  m.payloads.push_back(std::move(sk));
  TRY(Finalize(m));
  TRY_ASSIGN(Bytes datagram, Encode(m));
  const size_t body_at = datagram.size() - body.encrypted.size();
  TRY_ASSIGN(Bytes protected_body, c.Protect(ByteSpan(datagram).first(body_at), inner.bytes(), options));
  ENSURE(protected_body.size() == body.encrypted.size(), kInvalidArgument, body_at, "rfc7296#section-3.14",
         "protected body size differs from the announced one");
  std::copy(protected_body.begin(), protected_body.end(), datagram.begin() + static_cast<long>(body_at));
  std::get<SkPayload>(m.payloads.back().body).encrypted = std::move(protected_body);
  m.payloads.back().offset = body_at - kGenericPayloadHeaderSize;
  m.decrypted = true;
  return datagram;
}

Result<std::vector<Bytes>> MessageProtection::EncryptFragments(const Message& m, size_t max_message_size,
                                                              const SkCrypter::ProtectOptions& options) {
  ByteWriter inner;
  TRY(EncodePayloads(m.inner, inner));
  SkCrypter& c = crypter(m.header.initiator());
  const size_t overhead = kHeaderSize + kGenericPayloadHeaderSize + kSkfFieldsSize;
  const std::optional<size_t> room =
      max_message_size > overhead ? c.MaxPlaintextSize(max_message_size - overhead) : std::nullopt;
  ENSURE(room && *room > 0, kInvalidArgument, kNoOffset, "rfc7383#section-2.5.1",
         fmt::format("fragments of at most {} bytes leave no room for content", max_message_size));
  const std::vector<ByteSpan> pieces = SplitForFragments(inner.bytes(), *room);
  ENSURE(!pieces.empty(), kLengthOverflow, kNoOffset, "rfc7383#section-2.5",
         "the message needs more than 65535 fragments");
  std::vector<Bytes> out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    Message f;
    f.header = m.header;
    SkfPayload skf;
    //= rfc7383#section-2.5
    //# Only the first fragment names the first inner payload.
    skf.first_inner = i == 0 && !m.inner.empty() ? m.inner.front().type : iana::PayloadType::kNone;
    skf.fragment_number = static_cast<uint16_t>(i + 1);
    skf.total_fragments = static_cast<uint16_t>(pieces.size());
    skf.encrypted.resize(c.EncryptedBodySize(pieces[i].size(), options.pad_length));
    const size_t body_size = skf.encrypted.size();
    Payload p;
    p.type = iana::PayloadType::kSkf;
    p.body = std::move(skf);
    f.payloads.push_back(std::move(p));
    TRY(Finalize(f));
    TRY_ASSIGN(Bytes bytes, Encode(f));
    const size_t body_at = bytes.size() - body_size;
    TRY_ASSIGN(Bytes body, c.Protect(ByteSpan(bytes).first(body_at), pieces[i], options));
    ENSURE(body.size() == body_size, kInvalidArgument, body_at, "rfc7383#section-2.5",
           "protected fragment size differs from the announced one");
    std::copy(body.begin(), body.end(), bytes.begin() + static_cast<long>(body_at));
    out.push_back(std::move(bytes));
  }
  return out;
}

}  // namespace ipsecref::ike
