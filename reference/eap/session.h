// An EAP conversation on each side (RFC 3748 §2): the authenticator (the
// IKEv2 responder) asks the Identity if configured, offers its methods in
// order of preference, takes a Nak to the next one the peer accepts, and
// ends with Success or Failure; the peer answers Identity and
// Notification, runs the methods it has credentials for and Naks the
// others. Each packet goes in, at most one packet comes out; IKE carries
// them in EAP payloads (RFC 7296 §3.16) and, after Success, signs AUTH with
// Msk() or, for a method without one, with SK_pi/SK_pr (RFC 7296 §2.16).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/eap/methods.h"

namespace ipsecref::eap {

struct AuthenticatorConfig {
  bool ask_identity = true;  // open with an Identity Request
  // Methods allowed, most preferred first; the first is offered, a Nak
  // moves to the first one the peer desires that is not tried yet.
  std::vector<Type> methods = {Type::kMsChapV2};
  AuthenticatorCredentials credentials;
  AuthenticatorOptions options;
  // The peer's identity when no Identity Request is sent (IKEv2's IDi, say):
  // the name the methods check the credentials of.
  std::string identity;
};

class AuthenticatorSession {
 public:
  // `rng` draws the challenges and must outlive the session.
  AuthenticatorSession(AuthenticatorConfig config, crypto::Rng& rng);

  // The first Request: Identity, or the first method's. The Identifier is
  // the caller's (RFC 3748 §4.1 suggests a random start).
  Packet Start(uint8_t identifier);

  // The peer's packet. Returns the next Request, or Success/Failure, which
  // ends the conversation. An error means the packet is silently discarded
  // (kDiscarded: not a Response, a wrong Identifier, a Type that neither
  // answers the outstanding Request nor is an allowed Nak, nothing
  // outstanding; or a parse error of the method's Type-Data): nothing is
  // sent, the outstanding Request stands.
  [[nodiscard]] Result<Packet> Process(const Packet& response);

  // The outstanding Request, to retransmit on a timeout with the same
  // Identifier (RFC 3748 §4.1); nullopt once the conversation is over.
  std::optional<Packet> outstanding() const;

  bool done() const { return done_; }
  bool Succeeded() const { return done_ && succeeded_; }
  // The MSK of a successful method that derives one (MSCHAPv2).
  std::optional<SecureBytes> Msk() const;
  // The method run (after a Nak, the one chosen); nullopt before any.
  std::optional<Type> method() const;
  // The EAP-Identity the peer gave, or the name the method authenticated.
  std::string identity() const;
  // Why the method refused the peer (after Failure), for the log.
  std::string refusal() const;

 private:
  Result<Packet> StartMethod(Type type, uint8_t identifier);
  Result<Packet> HandleNak(const Packet& nak);
  Packet End(Packet verdict);

  AuthenticatorConfig config_;
  crypto::Rng& rng_;
  std::optional<Packet> outstanding_;
  std::string identity_;
  std::unique_ptr<AuthenticatorMethod> method_;
  std::vector<Type> tried_;
  bool method_answered_ = false;  // a non-Nak Response of the method came in
  bool done_ = false;
  bool succeeded_ = false;
};

struct PeerConfig {
  PeerCredentials credentials;
  // Methods the peer runs (it holds their credentials), most preferred
  // first; a Request for another is answered with a Nak listing these.
  std::vector<Type> methods = {Type::kMsChapV2};
};

class PeerSession {
 public:
  PeerSession(PeerConfig config, crypto::Rng& rng);

  // The authenticator's packet. Returns the Response to send, or nullopt
  // for an accepted Success or Failure, which ends the conversation
  // (Succeeded() tells which). An error means nothing is sent: kDiscarded
  // (a Response, a Success or Failure the conversation does not allow yet,
  // a Request for a second method; the conversation goes on), a parse error
  // of the method's Type-Data, or kAuthenticationFailed (MSCHAPv2's
  // authenticator did not prove itself: the conversation ends, failed).
  [[nodiscard]] Result<std::optional<Packet>> Process(const Packet& packet);

  bool done() const { return done_; }
  bool Succeeded() const { return done_ && succeeded_; }
  std::optional<SecureBytes> Msk() const;
  std::optional<Type> method() const;

 private:
  Result<std::optional<Packet>> Answer(const Packet& request);
  Result<std::optional<Packet>> Conclude(const Packet& verdict);

  PeerConfig config_;
  crypto::Rng& rng_;
  std::optional<Packet> last_request_;
  std::optional<Packet> last_response_;
  std::unique_ptr<PeerMethod> method_;
  bool done_ = false;
  bool succeeded_ = false;
};

}  // namespace ipsecref::eap
