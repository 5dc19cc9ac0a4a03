#include "reference/eap/mschapv2.h"

#include <fmt/format.h>

namespace ipsecref::eap::mschapv2 {
namespace {

constexpr size_t kTypeDataOffset = 5;  // from the EAP Code octet
constexpr size_t kResponseValueSize = 49;
constexpr size_t kNtResponseOffset = 24;  // in the Response field: after Peer-Challenge and Reserved
constexpr std::string_view kDraft = "draft-kamath-pppext-eap-mschapv2-02";

std::string Text(ByteSpan b) { return std::string(b.begin(), b.end()); }

std::string UpperHex(ByteSpan b) {
  std::string hex = ToHex(b);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

bool AllowedOpCode(Code code, uint8_t op) {
  if (code == Code::kRequest)
    return op == static_cast<uint8_t>(OpCode::kChallenge) || op == static_cast<uint8_t>(OpCode::kSuccess) ||
           op == static_cast<uint8_t>(OpCode::kFailure);
  return op == static_cast<uint8_t>(OpCode::kResponse) || op == static_cast<uint8_t>(OpCode::kSuccess) ||
         op == static_cast<uint8_t>(OpCode::kFailure);
}

Packet Reply(Code code, uint8_t identifier, const Message& m) {
  // The messages this file builds are far below 64 KiB.
  return MakePacket(code, identifier, m).value();
}

class Authenticator final : public AuthenticatorMethod {
 public:
  Authenticator(std::string identity, const AuthenticatorCredentials& credentials, const AuthenticatorOptions& options,
                crypto::Rng& rng)
      : identity_(std::move(identity)), credentials_(credentials), options_(options), rng_(rng) {}
  Type type() const override { return Type::kMsChapV2; }

  Packet Start(uint8_t identifier) override {
    //= reference/eap/README.md mschapv2-challenge-packet
    //# The Challenge Request carries a fresh 16-octet challenge and the
    //# authenticator's Name; its MS-CHAPv2-ID is the EAP Identifier.
    rng_.Fill(challenge_);
    ms_chapv2_id_ = identifier;
    state_ = State::kChallengeSent;
    return Reply(Code::kRequest, identifier,
                 {OpCode::kChallenge, false, identifier, Bytes(challenge_.begin(), challenge_.end()),
                  Bytes(options_.name.begin(), options_.name.end())});
  }

  Result<Packet> Process(const Packet& response) override {
    TRY_ASSIGN(const Message m, ReadMessage(response));
    const auto op = m.op_code;
    if (state_ == State::kChallengeSent && op == OpCode::kResponse) return CheckResponse(response, m);
    //= reference/eap/README.md mschapv2-success-response-packet
    //# After the peer's Success Response the authenticator sends EAP Success.
    if (state_ == State::kSuccessSent && op == OpCode::kSuccess) return Finish(response, true);
    //= reference/eap/README.md mschapv2-failure-response-packet
    //# After the peer's Failure Response the authenticator sends EAP Failure.
    if ((state_ == State::kSuccessSent || state_ == State::kFailureSent) && op == OpCode::kFailure)
      return Finish(response, false);
    return MakeError(
        ipsecref::Code::kDiscarded, kTypeDataOffset, "rfc3748#section-4.1",
        fmt::format("MSCHAPv2 OpCode {} is not the answer to the outstanding Request", static_cast<int>(op)));
  }

  bool Succeeded() const override { return state_ == State::kDone && succeeded_; }
  std::optional<SecureBytes> Msk() const override {
    if (!Succeeded()) return std::nullopt;
    return msk_;
  }
  std::string authenticated_identity() const override { return identity_; }

 private:
  enum class State { kIdle, kChallengeSent, kSuccessSent, kFailureSent, kDone };

  Result<Packet> CheckResponse(const Packet& response, const Message& m) {
    //= reference/eap/README.md mschapv2-response-packet
    //# The Response copies the Challenge's MS-CHAPv2-ID.
    ENSURE(m.ms_chapv2_id == ms_chapv2_id_, kDiscarded, kTypeDataOffset + 1, kDraft,
           fmt::format("MS-CHAPv2-ID {} answers no Challenge (sent {})", m.ms_chapv2_id, ms_chapv2_id_));
    const ByteSpan value(m.value);
    const ByteSpan peer_challenge = value.first(kChallengeSize);
    const ByteSpan nt_response = value.subspan(kNtResponseOffset, kNtResponseSize);
    // The peer names itself in the Response; the EAP-Identity, when asked,
    // only stands in for an empty Name.
    if (!m.text.empty()) identity_ = Text(m.text);
    const uint8_t next = static_cast<uint8_t>(response.identifier + 1);
    const std::optional<SecureBytes> secret =
        credentials_.secret_for ? credentials_.secret_for(identity_) : std::nullopt;
    std::optional<SecureBytes> password_hash;
    if (secret)
      if (auto hash = NtPasswordHash(*secret)) password_hash = std::move(*hash);
    if (password_hash) {
      const NtResponse expected = GenerateNtResponse(challenge_, peer_challenge, identity_, *password_hash);
      //= rfc2759#section-8.1
      //# The authenticator recomputes the NT-Response from the password it
      //# holds and accepts the peer only on an exact match.
      if (ConstantTimeEqual(expected, nt_response)) {
        msk_ = mschapv2::Msk(GetMasterKey(HashNtPasswordHash(*password_hash), nt_response));
        const std::string message =
            GenerateAuthenticatorResponse(*password_hash, nt_response, peer_challenge, challenge_, identity_) +
            " M=" + options_.success_message;
        state_ = State::kSuccessSent;
        //= reference/eap/README.md mschapv2-success-request-packet
        //# The Success Request carries S=<AuthenticatorResponse> and M=<text>.
        return Reply(Code::kRequest, next,
                     {OpCode::kSuccess, false, ms_chapv2_id_, {}, Bytes(message.begin(), message.end())});
      }
    }
    //= reference/eap/README.md mschapv2-failure-request-packet
    //# A refused peer gets E=691 (authentication failure), R, a new challenge
    //# in C and V=3.
    //= ipsecref#choice
    //# R=0: no retry. One failed NT-Response ends the conversation, which
    //# also bounds password guessing (RFC 2759 §10 asks for a limit).
    rng_.Fill(challenge_);
    const std::string message = fmt::format("E=691 R=0 C={} V=3 M=Authentication failed", UpperHex(challenge_));
    state_ = State::kFailureSent;
    return Reply(Code::kRequest, next,
                 {OpCode::kFailure, false, ms_chapv2_id_, {}, Bytes(message.begin(), message.end())});
  }

  Packet Finish(const Packet& response, bool success) {
    state_ = State::kDone;
    succeeded_ = success;
    if (!success) msk_.clear();
    return success ? MakeSuccess(response.identifier) : MakeFailure(response.identifier);
  }

  std::string identity_;
  AuthenticatorCredentials credentials_;
  AuthenticatorOptions options_;
  crypto::Rng& rng_;
  Challenge challenge_{};
  uint8_t ms_chapv2_id_ = 0;
  State state_ = State::kIdle;
  bool succeeded_ = false;
  SecureBytes msk_;
};

class Peer final : public PeerMethod {
 public:
  Peer(const PeerCredentials& credentials, crypto::Rng& rng) : credentials_(credentials), rng_(rng) {}
  Type type() const override { return Type::kMsChapV2; }

  Result<Packet> Process(const Packet& request) override {
    TRY_ASSIGN(const Message m, ReadMessage(request));
    if (m.op_code == OpCode::kChallenge && state_ == State::kIdle) return AnswerChallenge(request, m);
    if (m.op_code == OpCode::kSuccess && state_ == State::kResponded) return CheckSuccess(request, m);
    if (m.op_code == OpCode::kFailure && state_ == State::kResponded) {
      //= reference/eap/README.md mschapv2-failure-response-packet
      //# The peer answers a Failure Request with the OpCode 4 alone.
      state_ = State::kFailed;
      msk_.clear();
      return Reply(Code::kResponse, request.identifier, {OpCode::kFailure, true, 0, {}, {}});
    }
    return MakeError(ipsecref::Code::kDiscarded, kTypeDataOffset, kDraft,
                     fmt::format("MSCHAPv2 OpCode {} out of turn", static_cast<int>(m.op_code)));
  }

  bool MayEndWithSuccess() const override { return state_ == State::kSucceeded; }
  bool SuccessIndicated() const override { return state_ == State::kSucceeded; }
  std::optional<SecureBytes> Msk() const override {
    if (state_ != State::kSucceeded) return std::nullopt;
    return msk_;
  }

 private:
  enum class State { kIdle, kResponded, kSucceeded, kFailed };

  Result<Packet> AnswerChallenge(const Packet& request, const Message& m) {
    TRY_ASSIGN(password_hash_, NtPasswordHash(credentials_.secret));
    std::copy(m.value.begin(), m.value.end(), authenticator_challenge_.begin());
    rng_.Fill(peer_challenge_);
    nt_response_ = GenerateNtResponse(authenticator_challenge_, peer_challenge_, credentials_.identity, password_hash_);
    //= reference/eap/README.md mschapv2-response-packet
    //# The Response field is Peer-Challenge, 8 zero octets, NT-Response and
    //# a zero Flags octet; the Name is the peer's user name.
    Bytes value(peer_challenge_.begin(), peer_challenge_.end());
    value.resize(kNtResponseOffset, 0);
    value.insert(value.end(), nt_response_.begin(), nt_response_.end());
    value.push_back(0);
    state_ = State::kResponded;
    return Reply(Code::kResponse, request.identifier,
                 {OpCode::kResponse, false, m.ms_chapv2_id, std::move(value),
                  Bytes(credentials_.identity.begin(), credentials_.identity.end())});
  }

  Result<Packet> CheckSuccess(const Packet& request, const Message& m) {
    TRY_ASSIGN(const ResultFields f, ReadResultFields(m.text, kTypeDataOffset + 4));
    //= rfc2759#section-8.8
    //# The peer checks the AuthenticatorResponse; a missing or wrong one
    //# means the authenticator did not prove it knows the password.
    const bool ok =
        !f.s.empty() && CheckAuthenticatorResponse(password_hash_, nt_response_, peer_challenge_,
                                                   authenticator_challenge_, credentials_.identity, "S=" + f.s);
    if (!ok) {
      state_ = State::kFailed;
      return MakeError(ipsecref::Code::kAuthenticationFailed, kTypeDataOffset + 4, "rfc2759#section-8.8",
                       "the Success Request's AuthenticatorResponse is missing or wrong");
    }
    msk_ = mschapv2::Msk(GetMasterKey(HashNtPasswordHash(password_hash_), nt_response_));
    state_ = State::kSucceeded;
    //= reference/eap/README.md mschapv2-success-response-packet
    //# The peer answers a verified Success Request with the OpCode 3 alone.
    return Reply(Code::kResponse, request.identifier, {OpCode::kSuccess, true, 0, {}, {}});
  }

  PeerCredentials credentials_;
  crypto::Rng& rng_;
  State state_ = State::kIdle;
  SecureBytes password_hash_;
  Challenge authenticator_challenge_{};
  Challenge peer_challenge_{};
  NtResponse nt_response_{};
  SecureBytes msk_;
};

}  // namespace

Result<Message> ReadMessage(const Packet& packet) {
  ByteReader r(packet.type_data, kTypeDataOffset);
  uint8_t op = 0;
  ENSURE(r.ReadU8(op), kTruncated, 2, kDraft, "MSCHAPv2 packet without an OpCode");
  ENSURE(AllowedOpCode(packet.code, op), kBadHeader, kTypeDataOffset, kDraft,
         fmt::format("MSCHAPv2 OpCode {} in a {}{}", op, CodeName(packet.code),
                     op == static_cast<uint8_t>(OpCode::kChangePassword) ? " (Change-Password is not supported)" : ""));
  Message m;
  m.op_code = static_cast<OpCode>(op);
  const bool result_op = m.op_code == OpCode::kSuccess || m.op_code == OpCode::kFailure;
  if (packet.code == Code::kResponse && result_op) {
    //= reference/eap/README.md mschapv2-success-response-packet
    //# The Success and Failure Responses are the OpCode alone.
    ENSURE(r.empty(), kTrailingBytes, r.offset(), kDraft,
           fmt::format("{} octets after the OpCode of a Success or Failure Response", r.remaining()));
    m.short_form = true;
    return m;
  }
  uint16_t ms_length = 0;
  ENSURE(r.ReadU8(m.ms_chapv2_id) && r.ReadU16(ms_length), kTruncated, 2, kDraft,
         "MSCHAPv2 packet cut inside MS-CHAPv2-ID or MS-Length");
  //= reference/eap/README.md mschapv2-challenge-packet
  //# MS-Length counts from the OpCode to the end: the EAP Length minus 5.
  ENSURE(ms_length == packet.type_data.size(), kBadLength, kTypeDataOffset + 2, kDraft,
         fmt::format("MS-Length {} but {} octets from the OpCode on", ms_length, packet.type_data.size()));
  if (m.op_code == OpCode::kChallenge || m.op_code == OpCode::kResponse) {
    const size_t want = m.op_code == OpCode::kChallenge ? kChallengeSize : kResponseValueSize;
    uint8_t value_size = 0;
    ByteSpan value;
    ENSURE(r.ReadU8(value_size), kTruncated, 2, kDraft, "MSCHAPv2 packet without Value-Size");
    ENSURE(value_size == want, kBadLength, kTypeDataOffset + 4, kDraft,
           fmt::format("Value-Size {} in a {}; it must be {}", value_size,
                       m.op_code == OpCode::kChallenge ? "Challenge" : "Response", want));
    ENSURE(r.ReadBytes(value_size, value), kTruncated, kTypeDataOffset + 4, kDraft,
           fmt::format("Value-Size {} but {} octets follow", value_size, r.remaining()));
    m.value.assign(value.begin(), value.end());
  }
  m.text.assign(r.rest().begin(), r.rest().end());
  return m;
}

Result<Packet> MakePacket(Code code, uint8_t identifier, const Message& m) {
  Bytes data{static_cast<uint8_t>(m.op_code)};
  if (!m.short_form) {
    const bool has_value = m.op_code == OpCode::kChallenge || m.op_code == OpCode::kResponse;
    const size_t ms_length = 4 + (has_value ? 1 + m.value.size() : 0) + m.text.size();
    ENSURE(ByteWriter::Fits(ms_length, 2) && m.value.size() <= 255, kLengthOverflow, kNoOffset, kDraft,
           fmt::format("an MSCHAPv2 packet of {} octets", ms_length));
    ByteWriter w(ms_length);
    w.U8(static_cast<uint8_t>(m.op_code)).U8(m.ms_chapv2_id).U16(static_cast<uint16_t>(ms_length));
    if (has_value) w.U8(static_cast<uint8_t>(m.value.size())).Append(m.value);
    w.Append(m.text);
    data = std::move(w).Take();
  }
  return Packet{code, identifier, static_cast<uint8_t>(Type::kMsChapV2), std::move(data)};
}

Result<ResultFields> ReadResultFields(ByteSpan message, size_t offset) {
  // strongSwan ends its Success Request message with a NUL octet: stop there.
  std::string text = Text(message);
  if (const size_t nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
  ResultFields f;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find(' ', pos);
    const std::string_view token = std::string_view(text).substr(pos, end == std::string::npos ? text.npos : end - pos);
    if (token.size() >= 2 && token[1] == '=') {
      //= reference/eap/README.md mschapv2-failure-request-packet
      //# M=<msg> comes last and runs to the end of the message, spaces and all.
      if (token[0] == 'M') {
        f.m = text.substr(pos + 2);
        break;
      }
      std::string* field = token[0] == 'S'   ? &f.s
                           : token[0] == 'E' ? &f.e
                           : token[0] == 'R' ? &f.r
                           : token[0] == 'C' ? &f.c
                           : token[0] == 'V' ? &f.v
                                             : nullptr;
      if (field != nullptr) {
        ENSURE(field->empty(), kBadHeader, offset + pos, kDraft, fmt::format("{} named twice", token.substr(0, 2)));
        *field = std::string(token.substr(2));
      }
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return f;
}

std::unique_ptr<AuthenticatorMethod> NewAuthenticator(std::string identity, const AuthenticatorCredentials& credentials,
                                                      const AuthenticatorOptions& options, crypto::Rng& rng) {
  return std::make_unique<Authenticator>(std::move(identity), credentials, options, rng);
}

std::unique_ptr<PeerMethod> NewPeer(const PeerCredentials& credentials, crypto::Rng& rng) {
  return std::make_unique<Peer>(credentials, rng);
}

}  // namespace ipsecref::eap::mschapv2
