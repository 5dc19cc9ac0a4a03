// EAP-MSCHAPv2 (EAP Type 26): the packets of draft-kamath-pppext-eap-mschapv2-02
// (summarised in reference/eap/README.md) and both sides of the method,
// with the computations of mschapv2_crypto.h.
//
// Authenticator                                  Peer
//   Request  Challenge (OpCode 1, AuthenticatorChallenge, Name) -->
//       <-- Response Response (OpCode 2, PeerChallenge, NT-Response, Name)
//   Request  Success (OpCode 3, "S=<AuthenticatorResponse> M=...") -->
//       <-- Response Success (OpCode 3 alone)
//   EAP Success (the MSK is ready on both ends)                    -->
// A wrong NT-Response gets a Failure Request (OpCode 4, "E=691 R=0 C=... V=3
// M=..."), the peer's Failure Response (OpCode 4 alone), then EAP Failure.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "reference/eap/methods.h"
#include "reference/eap/mschapv2_crypto.h"

namespace ipsecref::eap::mschapv2 {

enum class OpCode : uint8_t { kChallenge = 1, kResponse = 2, kSuccess = 3, kFailure = 4, kChangePassword = 7 };

// The Type-Data of one EAP-MSCHAPv2 packet.
struct Message {
  OpCode op_code = OpCode::kChallenge;
  bool short_form = false;   // a Success or Failure Response: the OpCode alone
  uint8_t ms_chapv2_id = 0;  // not in the short form
  Bytes value;               // Challenge: the 16-octet challenge; Response: the 49-octet Response field
  Bytes text;                // Challenge/Response: the Name; Success/Failure Request: the message
  bool operator==(const Message&) const = default;
};

// Reads the Type-Data of an MSCHAPv2 Request or Response. Errors (offsets
// from the EAP Code octet): kTruncated (fields cut short), kBadLength
// (MS-Length not the EAP Length minus 5; Value-Size not 16 in a Challenge
// or 49 in a Response), kBadHeader (an OpCode the Code does not allow: a
// Request of OpCode 2, a Response of OpCode 1, OpCode 7 or an unknown one).
[[nodiscard]] Result<Message> ReadMessage(const Packet& packet);
// The packet of a Message (MS-Length filled in). kLengthOverflow when it
// does not fit.
[[nodiscard]] Result<Packet> MakePacket(Code code, uint8_t identifier, const Message& message);

// The fields of a Success Request message ("S=... M=...") or a Failure
// Request message ("E=... R=... C=... V=... M=..."); absent ones empty.
struct ResultFields {
  std::string s, m, e, r, c, v;
};
// kBadHeader for a field named twice; fields of other letters are skipped.
[[nodiscard]] Result<ResultFields> ReadResultFields(ByteSpan message, size_t offset);

std::unique_ptr<AuthenticatorMethod> NewAuthenticator(std::string identity, const AuthenticatorCredentials& credentials,
                                                      const AuthenticatorOptions& options, crypto::Rng& rng);
std::unique_ptr<PeerMethod> NewPeer(const PeerCredentials& credentials, crypto::Rng& rng);

}  // namespace ipsecref::eap::mschapv2

namespace ipsecref::eap {
inline std::unique_ptr<AuthenticatorMethod> NewMsChapV2Authenticator(std::string identity,
                                                                     const AuthenticatorCredentials& credentials,
                                                                     const AuthenticatorOptions& options,
                                                                     crypto::Rng& rng) {
  return mschapv2::NewAuthenticator(std::move(identity), credentials, options, rng);
}
inline std::unique_ptr<PeerMethod> NewMsChapV2Peer(const PeerCredentials& credentials, crypto::Rng& rng) {
  return mschapv2::NewPeer(credentials, rng);
}
}  // namespace ipsecref::eap
