#include "reference/eap/session.h"

#include <fmt/format.h>

#include <algorithm>

namespace ipsecref::eap {
namespace {

std::string Text(ByteSpan b) { return std::string(b.begin(), b.end()); }

}  // namespace

// --- Authenticator -----------------------------------------------------------

AuthenticatorSession::AuthenticatorSession(AuthenticatorConfig config, crypto::Rng& rng)
    : config_(std::move(config)), rng_(rng), identity_(config_.identity) {}

Packet AuthenticatorSession::Start(uint8_t identifier) {
  if (config_.ask_identity) {
    //= rfc3748#section-5.1
    //# The authenticator usually opens with an Identity Request; its
    //# Type-Data (a prompt) may be empty.
    outstanding_ = MakeRequest(identifier, Type::kIdentity, {});
    return *outstanding_;
  }
  if (config_.methods.empty()) return End(MakeFailure(identifier));
  return StartMethod(config_.methods.front(), identifier).value();
}

Result<Packet> AuthenticatorSession::StartMethod(Type type, uint8_t identifier) {
  tried_.push_back(type);
  method_ = NewAuthenticatorMethod(type, identity_, config_.credentials, config_.options, rng_);
  method_answered_ = false;
  if (method_ == nullptr) return End(MakeFailure(identifier));
  outstanding_ = method_->Start(identifier);
  return *outstanding_;
}

Result<Packet> AuthenticatorSession::Process(const Packet& response) {
  ENSURE(outstanding_.has_value(), kDiscarded, 0, "rfc3748#section-4.1", "no Request is outstanding");
  //= rfc3748#section-4.1
  //# Requests go from the authenticator to the peer and Responses back;
  //# the authenticator takes nothing but Responses.
  ENSURE(response.code == Code::kResponse, kDiscarded, 0, "rfc3748#section-4.1",
         fmt::format("the authenticator takes Responses, not a {}", CodeName(response.code)));
  //= rfc3748#section-4.1
  //# A Response whose Identifier is not the outstanding Request's is
  //# silently discarded.
  ENSURE(response.identifier == outstanding_->identifier, kDiscarded, 1, "rfc3748#section-4.1",
         fmt::format("Identifier {} but the outstanding Request is {}", response.identifier, outstanding_->identifier));
  if (response.is(Type::kNak)) {
    //= rfc3748#section-4.1
    //# A Nak answers a method's Request, and only before the peer has sent
    //# a Response of that method; any other Nak is discarded.
    ENSURE(method_ != nullptr && outstanding_->type == static_cast<uint8_t>(method_->type()) && !method_answered_,
           kDiscarded, 4, "rfc3748#section-4.1", "a Nak where none may come");
    return HandleNak(response);
  }
  //= rfc3748#section-4.1
  //# A Response's Type is the Request's (or a Nak); any other is discarded.
  ENSURE(response.type == outstanding_->type, kDiscarded, 4, "rfc3748#section-4.1",
         fmt::format("a {} Response to a {} Request", TypeName(response.type), TypeName(outstanding_->type)));
  if (response.is(Type::kIdentity)) {
    identity_ = Text(response.type_data);
    if (config_.methods.empty()) return End(MakeFailure(response.identifier));
    //= rfc3748#section-4.1
    //# A new Request takes a new Identifier; the next one is a way to get it.
    return StartMethod(config_.methods.front(), static_cast<uint8_t>(response.identifier + 1));
  }
  TRY_ASSIGN(Packet next, method_->Process(response));
  method_answered_ = true;
  if (next.code == Code::kRequest) {
    outstanding_ = next;
    return next;
  }
  succeeded_ = next.code == Code::kSuccess && method_->Succeeded();
  return End(std::move(next));
}

Result<Packet> AuthenticatorSession::HandleNak(const Packet& nak) {
  //= rfc3748#section-5.3.1
  //# The Nak lists the Types the peer wants; 0 means none, after which no
  //# further Request should be sent.
  for (uint8_t wanted : NakDesiredTypes(nak)) {
    if (wanted == 0) break;
    const Type type = static_cast<Type>(wanted);
    const bool allowed = std::find(config_.methods.begin(), config_.methods.end(), type) != config_.methods.end();
    const bool tried = std::find(tried_.begin(), tried_.end(), type) != tried_.end();
    if (allowed && !tried && Implemented(wanted)) return StartMethod(type, static_cast<uint8_t>(nak.identifier + 1));
  }
  //= rfc3748#section-4.2
  //# When the peer cannot be authenticated the authenticator sends Failure,
  //# with the Identifier of the Response it answers.
  return End(MakeFailure(nak.identifier));
}

Packet AuthenticatorSession::End(Packet verdict) {
  done_ = true;
  outstanding_.reset();
  //= rfc3748#section-4.2
  //# Success is sent only after a method authenticated the peer.
  if (verdict.code == Code::kSuccess && !succeeded_) verdict = MakeFailure(verdict.identifier);
  return verdict;
}

std::optional<Packet> AuthenticatorSession::outstanding() const { return outstanding_; }

std::optional<SecureBytes> AuthenticatorSession::Msk() const {
  if (!Succeeded() || method_ == nullptr) return std::nullopt;
  return method_->Msk();
}

std::optional<Type> AuthenticatorSession::method() const {
  if (method_ == nullptr) return std::nullopt;
  return method_->type();
}

std::string AuthenticatorSession::refusal() const {
  return method_ != nullptr ? method_->refusal() : "no method the peer accepts";
}

std::string AuthenticatorSession::identity() const {
  if (method_ != nullptr && !method_->authenticated_identity().empty()) return method_->authenticated_identity();
  return identity_;
}

// --- Peer --------------------------------------------------------------------

PeerSession::PeerSession(PeerConfig config, crypto::Rng& rng) : config_(std::move(config)), rng_(rng) {}

Result<std::optional<Packet>> PeerSession::Process(const Packet& packet) {
  ENSURE(!done_, kDiscarded, 0, "rfc3748#section-4.2", "the conversation is over");
  //= rfc3748#section-4.1
  //# The peer takes Requests (and Success/Failure), never Responses.
  ENSURE(packet.code != Code::kResponse, kDiscarded, 0, "rfc3748#section-4.1", "the peer takes no Responses");
  if (packet.code == Code::kRequest) return Answer(packet);
  return Conclude(packet);
}

Result<std::optional<Packet>> PeerSession::Answer(const Packet& request) {
  //= rfc3748#section-4.1
  //# A duplicate Request (the Identifier already answered) gets the same
  //# Response again, without being processed a second time.
  if (last_request_ && request.identifier == last_request_->identifier) return last_response_;
  Packet response;
  if (request.is(Type::kIdentity)) {
    //= rfc3748#section-5.1
    //# The Identity Response holds the peer's identity, not NUL-terminated.
    const std::string& id = config_.credentials.identity;
    response = MakeResponse(request.identifier, Type::kIdentity, Bytes(id.begin(), id.end()));
  } else if (request.is(Type::kNotification)) {
    //= rfc3748#section-5.2
    //# A Notification Request is answered at once by a Notification Response
    //# without Type-Data (never by a Nak).
    response = MakeResponse(request.identifier, Type::kNotification, {});
  } else if (method_ != nullptr) {
    //= rfc3748#section-4.1
    //# Once the peer has answered a method's Request with that method, it
    //# may no longer Nak: a Request of another method is discarded.
    ENSURE(
        request.type == static_cast<uint8_t>(method_->type()), kDiscarded, 4, "rfc3748#section-4.1",
        fmt::format("a {} Request during {}", TypeName(request.type), TypeName(static_cast<uint8_t>(method_->type()))));
    auto answer = method_->Process(request);
    if (!answer && answer.error().code == ipsecref::Code::kAuthenticationFailed) done_ = true;
    TRY_ASSIGN(response, std::move(answer));
  } else {
    const bool wanted = std::find(config_.methods.begin(), config_.methods.end(), static_cast<Type>(request.type)) !=
                        config_.methods.end();
    if (wanted && Implemented(request.type)) {
      auto method = NewPeerMethod(static_cast<Type>(request.type), config_.credentials, rng_);
      TRY_ASSIGN(response, method->Process(request));
      method_ = std::move(method);
    } else {
      //= rfc3748#section-5.3.1
      //# A Request for a Type the peer will not run (an Expanded Type too,
      //# which this peer does not interpret: §5.7) is answered with a Nak
      //# listing the Types it wants, or 0 for none.
      std::vector<uint8_t> desired;
      for (Type t : config_.methods)
        if (Implemented(static_cast<uint8_t>(t))) desired.push_back(static_cast<uint8_t>(t));
      response = MakeNak(request.identifier, desired);
    }
  }
  last_request_ = request;
  last_response_ = response;
  return std::optional<Packet>(std::move(response));
}

Result<std::optional<Packet>> PeerSession::Conclude(const Packet& verdict) {
  //= rfc3748#section-4.2
  //# Success and Failure carry the Identifier of the Response they answer.
  ENSURE(last_response_ && verdict.identifier == last_response_->identifier, kDiscarded, 1, "rfc3748#section-4.2",
         fmt::format("{} with Identifier {} answers no Response", CodeName(verdict.code), verdict.identifier));
  if (verdict.code == Code::kSuccess) {
    //= rfc3748#section-4.2
    //# A Success the method does not allow yet (before any method, or
    //# before a mutually authenticating method's authenticator proved
    //# itself) is silently discarded.
    ENSURE(method_ != nullptr && method_->MayEndWithSuccess(), kDiscarded, 0, "rfc3748#section-4.2",
           "a Success the method does not allow yet");
    done_ = true;
    succeeded_ = true;
    return std::optional<Packet>();
  }
  //= rfc3748#section-4.2
  //# After both sides indicated success, a Failure is silently discarded.
  ENSURE(method_ == nullptr || !method_->SuccessIndicated(), kDiscarded, 0, "rfc3748#section-4.2",
         "a Failure after success was indicated");
  done_ = true;
  return std::optional<Packet>();
}

std::optional<SecureBytes> PeerSession::Msk() const {
  if (!Succeeded() || method_ == nullptr) return std::nullopt;
  return method_->Msk();
}

std::optional<Type> PeerSession::method() const {
  if (method_ == nullptr) return std::nullopt;
  return method_->type();
}

}  // namespace ipsecref::eap
