// EAP-MD5-Challenge (RFC 3748 §5.4 over RFC 1994 §4.1) and EAP-GTC (RFC
// 3748 §5.6), both sides, and the table of implemented methods.
#include "reference/eap/methods.h"

#include <fmt/format.h>

#include "reference/crypto/weak.h"
#include "reference/eap/mschapv2.h"

namespace ipsecref::eap {
namespace {

ByteSpan Span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
std::string Text(ByteSpan b) { return std::string(b.begin(), b.end()); }

//= ipsecref#choice
//# MD5-Challenge Values are 16 random octets, the size of the hash: RFC
//# 1994 leaves the length to the implementation.
constexpr size_t kMd5ChallengeSize = 16;

// A method that derives no key: RFC 3748 §5.4 and §5.6 claim no key
// derivation for MD5-Challenge and GTC; IKEv2 then signs AUTH with
// SK_pi/SK_pr instead of an MSK (RFC 7296 §2.16).
class KeylessAuthenticator : public AuthenticatorMethod {
 public:
  bool Succeeded() const override { return succeeded_; }
  //= rfc3748#section-5.4
  //# MD5-Challenge claims no key derivation (and GTC none either, §5.6).
  //= rfc7296#section-2.16
  //# A method that establishes no shared key gives no MSK; AUTH then uses
  //# SK_pi and SK_pr.
  std::optional<SecureBytes> Msk() const override { return std::nullopt; }
  std::string authenticated_identity() const override { return identity_; }

 protected:
  explicit KeylessAuthenticator(std::string identity) : identity_(std::move(identity)) {}
  // Success or Failure with the Response's Identifier (RFC 3748 §4.2).
  Packet Verdict(const Packet& response, bool accepted) {
    done_ = true;
    succeeded_ = accepted;
    return accepted ? MakeSuccess(response.identifier) : MakeFailure(response.identifier);
  }
  Status CheckOutstanding(const Packet& response) const {
    ENSURE(started_ && !done_, kDiscarded, 0, "rfc3748#section-4.1",
           fmt::format("{} Response with no {} Request outstanding", TypeName(response.type), TypeName(response.type)));
    return OkStatus();
  }
  std::string identity_;
  bool started_ = false;
  bool done_ = false;
  bool succeeded_ = false;
};

class Md5ChallengeAuthenticator final : public KeylessAuthenticator {
 public:
  Md5ChallengeAuthenticator(std::string identity, const AuthenticatorCredentials& credentials,
                            const AuthenticatorOptions& options, crypto::Rng& rng)
      : KeylessAuthenticator(std::move(identity)), credentials_(credentials), name_(options.name), rng_(rng) {}
  Type type() const override { return Type::kMd5Challenge; }

  Packet Start(uint8_t identifier) override {
    //= rfc1994#section-4.1
    //# Each Challenge carries a new Challenge Value.
    challenge_.assign(kMd5ChallengeSize, 0);
    rng_.Fill(challenge_);
    identifier_ = identifier;
    started_ = true;
    // Sizes are in range: a 16-octet Value.
    return MakeRequest(identifier, Type::kMd5Challenge,
                       Md5ChallengeData({challenge_, Bytes(Span(name_).begin(), Span(name_).end())}).value());
  }

  Result<Packet> Process(const Packet& response) override {
    TRY(CheckOutstanding(response));
    TRY_ASSIGN(const Md5Challenge got, ReadMd5Challenge(response));
    //= rfc1994#section-4.1
    //# The Name field identifies the system that sent the packet: the
    //# responding peer's name, used to find its secret when no EAP-Identity
    //# was asked.
    if (identity_.empty()) identity_ = Text(got.name);
    const std::optional<SecureBytes> secret =
        credentials_.secret_for ? credentials_.secret_for(identity_) : std::nullopt;
    if (!secret) return Verdict(response, false);
    const auto expected = Md5ChallengeValue(identifier_, *secret, challenge_);
    //= rfc1994#section-4.1
    //# The authenticator computes the expected Response Value and accepts
    //# the peer only when they are equal.
    return Verdict(response, ConstantTimeEqual(expected, got.value));
  }

 private:
  AuthenticatorCredentials credentials_;
  std::string name_;
  crypto::Rng& rng_;
  Bytes challenge_;
  uint8_t identifier_ = 0;
};

class GtcAuthenticator final : public KeylessAuthenticator {
 public:
  GtcAuthenticator(std::string identity, const AuthenticatorCredentials& credentials,
                   const AuthenticatorOptions& options)
      : KeylessAuthenticator(std::move(identity)), credentials_(credentials), prompt_(options.gtc_prompt) {}
  Type type() const override { return Type::kGtc; }

  Packet Start(uint8_t identifier) override {
    started_ = true;
    //= rfc3748#section-5.6
    //# The GTC Request holds a displayable message (never empty, no
    //# terminating NUL); the Response holds what the user entered.
    const std::string prompt = prompt_.empty() ? "Password" : prompt_;
    return MakeRequest(identifier, Type::kGtc, Bytes(prompt.begin(), prompt.end()));
  }

  Result<Packet> Process(const Packet& response) override {
    TRY(CheckOutstanding(response));
    if (!credentials_.gtc_check) {
      refusal_ = "no GTC check is configured";
      return Verdict(response, false);
    }
    const Status checked = credentials_.gtc_check(identity_, response.type_data);
    if (!checked) refusal_ = checked.error().detail;
    return Verdict(response, checked.ok());
  }
  std::string refusal() const override { return refusal_; }

 private:
  std::string refusal_;
  AuthenticatorCredentials credentials_;
  std::string prompt_;
};

// The peer's side of a method without mutual authentication or key: an
// EAP Success may end it once it has answered (RFC 3748 §4.2).
class KeylessPeer : public PeerMethod {
 public:
  bool MayEndWithSuccess() const override { return answered_; }
  bool SuccessIndicated() const override { return false; }
  std::optional<SecureBytes> Msk() const override { return std::nullopt; }

 protected:
  explicit KeylessPeer(const PeerCredentials& credentials) : credentials_(credentials) {}
  PeerCredentials credentials_;
  bool answered_ = false;
};

class Md5ChallengePeer final : public KeylessPeer {
 public:
  explicit Md5ChallengePeer(const PeerCredentials& credentials) : KeylessPeer(credentials) {}
  Type type() const override { return Type::kMd5Challenge; }

  Result<Packet> Process(const Packet& request) override {
    TRY_ASSIGN(const Md5Challenge challenge, ReadMd5Challenge(request));
    const auto value = Md5ChallengeValue(request.identifier, credentials_.secret, challenge.value);
    answered_ = true;
    //= rfc1994#section-4.1
    //# The Response carries the 16-octet MD5 Value and the peer's Name.
    Md5Challenge reply{Bytes(value.begin(), value.end()),
                       Bytes(credentials_.identity.begin(), credentials_.identity.end())};
    return MakeResponse(request.identifier, Type::kMd5Challenge, Md5ChallengeData(reply).value());
  }
};

class GtcPeer final : public KeylessPeer {
 public:
  explicit GtcPeer(const PeerCredentials& credentials) : KeylessPeer(credentials) {}
  Type type() const override { return Type::kGtc; }

  Result<Packet> Process(const Packet& request) override {
    //= rfc3748#section-5.6
    //# GTC sends what the user typed in the clear, so it needs a protected
    //# tunnel whose server is authenticated: inside IKEv2 the EAP payloads
    //# travel in SK and the responder has signed AUTH with its own key
    //# before the first of them (RFC 7296 §2.16).
    const SecureBytes answer =
        credentials_.gtc_response ? credentials_.gtc_response(Text(request.type_data)) : credentials_.secret;
    answered_ = true;
    return MakeResponse(request.identifier, Type::kGtc, Bytes(answer.begin(), answer.end()));
  }
};

}  // namespace

std::array<uint8_t, 16> Md5ChallengeValue(uint8_t identifier, ByteSpan secret, ByteSpan challenge) {
  const uint8_t id[1] = {identifier};
  return crypto::Md5({id, secret, challenge});
}

std::unique_ptr<AuthenticatorMethod> NewMd5ChallengeAuthenticator(std::string identity,
                                                                  const AuthenticatorCredentials& credentials,
                                                                  const AuthenticatorOptions& options,
                                                                  crypto::Rng& rng) {
  return std::make_unique<Md5ChallengeAuthenticator>(std::move(identity), credentials, options, rng);
}
std::unique_ptr<PeerMethod> NewMd5ChallengePeer(const PeerCredentials& credentials) {
  return std::make_unique<Md5ChallengePeer>(credentials);
}
std::unique_ptr<AuthenticatorMethod> NewGtcAuthenticator(std::string identity,
                                                         const AuthenticatorCredentials& credentials,
                                                         const AuthenticatorOptions& options) {
  return std::make_unique<GtcAuthenticator>(std::move(identity), credentials, options);
}
std::unique_ptr<PeerMethod> NewGtcPeer(const PeerCredentials& credentials) {
  return std::make_unique<GtcPeer>(credentials);
}

bool Implemented(uint8_t type) {
  return type == static_cast<uint8_t>(Type::kMd5Challenge) || type == static_cast<uint8_t>(Type::kGtc) ||
         type == static_cast<uint8_t>(Type::kMsChapV2);
}

std::unique_ptr<AuthenticatorMethod> NewAuthenticatorMethod(Type type, std::string identity,
                                                            const AuthenticatorCredentials& credentials,
                                                            const AuthenticatorOptions& options, crypto::Rng& rng) {
  switch (type) {
    case Type::kMd5Challenge: return NewMd5ChallengeAuthenticator(std::move(identity), credentials, options, rng);
    case Type::kGtc: return NewGtcAuthenticator(std::move(identity), credentials, options);
    case Type::kMsChapV2: return NewMsChapV2Authenticator(std::move(identity), credentials, options, rng);
    default: return nullptr;
  }
}

std::unique_ptr<PeerMethod> NewPeerMethod(Type type, const PeerCredentials& credentials, crypto::Rng& rng) {
  switch (type) {
    case Type::kMd5Challenge: return NewMd5ChallengePeer(credentials);
    case Type::kGtc: return NewGtcPeer(credentials);
    case Type::kMsChapV2: return NewMsChapV2Peer(credentials, rng);
    default: return nullptr;
  }
}

}  // namespace ipsecref::eap
