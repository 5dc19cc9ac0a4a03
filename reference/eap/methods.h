// EAP authentication methods (Types 4 and up), each on both sides: the
// authenticator (the IKEv2 responder, a gateway) and the peer (the client).
// A method sees only the packets of its own Type; the sessions
// (session.h) handle Identity, Nak, Identifiers and the final
// Success/Failure around it.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reference/crypto/primitives.h"
#include "reference/eap/packet.h"

namespace ipsecref::eap {

// What the authenticator knows about its users.
struct AuthenticatorCredentials {
  // The shared secret (password, UTF-8) of an identity, for MD5-Challenge
  // and MSCHAPv2; nullopt for an unknown identity.
  std::function<std::optional<SecureBytes>(std::string_view identity)> secret_for;
  // Verifies the plaintext a GTC Response carries (a password or a one-time
  // password): OK to accept, an error (its detail the reason) to refuse.
  std::function<Status(std::string_view identity, ByteSpan response)> gtc_check;
};

// What the peer knows: who it is and its secret.
struct PeerCredentials {
  std::string identity;
  SecureBytes secret;  // UTF-8 password; also the GTC answer unless gtc_response is set
  // The answer to a GTC prompt (a token code, say); unset: the secret.
  std::function<SecureBytes(std::string_view prompt)> gtc_response;
};

// The authenticator's side of one method run.
class AuthenticatorMethod {
 public:
  virtual ~AuthenticatorMethod() = default;
  virtual Type type() const = 0;
  // The method's first Request, with `identifier`.
  virtual Packet Start(uint8_t identifier) = 0;
  // The peer's Response of this Type to the outstanding Request (the
  // session has matched its Identifier). Returns the next Request (the
  // Identifier after the Response's), or Success/Failure with the
  // Response's Identifier (RFC 3748 §4.2) when the method is over. An error
  // means the Response is malformed and silently discarded (RFC 3748
  // §4.1): the outstanding Request stands.
  [[nodiscard]] virtual Result<Packet> Process(const Packet& response) = 0;
  // True once the method has authenticated the peer.
  virtual bool Succeeded() const = 0;
  // The Master Session Key, once Succeeded(), for methods that derive one.
  virtual std::optional<SecureBytes> Msk() const = 0;
  // The identity the method authenticated (its own Name field, or the
  // EAP-Identity it was given).
  virtual std::string authenticated_identity() const = 0;
  // Why the method refused the peer, for the log (after a Failure).
  virtual std::string refusal() const { return "the credentials did not verify"; }
};

// The peer's side of one method run.
class PeerMethod {
 public:
  virtual ~PeerMethod() = default;
  virtual Type type() const = 0;
  // The Response to a Request of this Type (a new one: the session resends
  // answers to duplicates itself). An error means the Request is refused
  // and nothing is sent; kAuthenticationFailed when the authenticator
  // failed to prove itself (MSCHAPv2's AuthenticatorResponse).
  [[nodiscard]] virtual Result<Packet> Process(const Packet& request) = 0;
  // Whether an EAP Success may end the method now (RFC 3748 §4.2: a method
  // with mutual authentication first has to see the authenticator prove
  // itself).
  virtual bool MayEndWithSuccess() const = 0;
  // Whether success indications were exchanged, after which an EAP Failure
  // is discarded (RFC 3748 §4.2).
  virtual bool SuccessIndicated() const = 0;
  virtual std::optional<SecureBytes> Msk() const = 0;
};

struct AuthenticatorOptions {
  std::string name = "ipsecref";            // the Name of MD5-Challenge and MSCHAPv2 Challenges
  std::string gtc_prompt = "Password";      // GTC Request message
  std::string success_message = "Welcome";  // M= of the MSCHAPv2 Success Request
};

// The methods this module implements (MD5-Challenge, GTC, MSCHAPv2), by
// Type; nullptr for another Type. `identity` is the EAP-Identity the peer
// gave, empty when none was asked; `rng` draws the challenges.
std::unique_ptr<AuthenticatorMethod> NewAuthenticatorMethod(Type type, std::string identity,
                                                            const AuthenticatorCredentials& credentials,
                                                            const AuthenticatorOptions& options, crypto::Rng& rng);
std::unique_ptr<PeerMethod> NewPeerMethod(Type type, const PeerCredentials& credentials, crypto::Rng& rng);

// Whether `type` is one NewAuthenticatorMethod/NewPeerMethod build.
bool Implemented(uint8_t type);

// EAP-MD5-Challenge and EAP-GTC (methods.cc); EAP-MSCHAPv2 in mschapv2.h.
std::unique_ptr<AuthenticatorMethod> NewMd5ChallengeAuthenticator(std::string identity,
                                                                  const AuthenticatorCredentials& credentials,
                                                                  const AuthenticatorOptions& options,
                                                                  crypto::Rng& rng);
std::unique_ptr<PeerMethod> NewMd5ChallengePeer(const PeerCredentials& credentials);
std::unique_ptr<AuthenticatorMethod> NewGtcAuthenticator(std::string identity,
                                                         const AuthenticatorCredentials& credentials,
                                                         const AuthenticatorOptions& options);
std::unique_ptr<PeerMethod> NewGtcPeer(const PeerCredentials& credentials);

//= rfc1994#section-4.1
//# The Response Value is MD5 over the Identifier, then the secret, then the
//# Challenge Value.
std::array<uint8_t, 16> Md5ChallengeValue(uint8_t identifier, ByteSpan secret, ByteSpan challenge);

}  // namespace ipsecref::eap
