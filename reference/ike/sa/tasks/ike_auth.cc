// IKE_AUTH (RFC 7296 §1.2, §2.15): each end proves its identity over the
// IKE_SA_INIT messages, with a shared key or a signature (RFC 7427), and
// the first CHILD SA comes with it unless both ends set up a childless IKE
// SA (RFC 6023).
//
//   HDR, SK {IDi, [CERT,] [N(INITIAL_CONTACT),] [IDr,] AUTH,
//            [CP(CFG_REQUEST),] SAi2, TSi, TSr}  -->
//                               <--  HDR, SK {IDr, [CERT,] AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr}
//
// With EAP (§2.16) the initiator leaves AUTH out. The responder answers
// with its own AUTH and an EAP Request; more IKE_AUTH exchanges carry EAP
// until Success; then each end sends an AUTH made with the EAP method's MSK
// (or SK_pi / SK_pr), and the CHILD SA comes with the last response:
//
//   HDR, SK {IDi, [IDr,] [CP,] SAi2, TSi, TSr}  -->
//                               <--  HDR, SK {IDr, [CERT,] AUTH, EAP}
//   HDR, SK {EAP}  -->          <--  HDR, SK {EAP}      (as the method needs)
//                               <--  HDR, SK {EAP(Success)}
//   HDR, SK {AUTH}  -->         <--  HDR, SK {AUTH, [CP,] SAr2, TSi, TSr}
//
// With RFC 4739 an initiator with another round to go puts
// N(ANOTHER_AUTH_FOLLOWS) beside its AUTH, and its next request opens the
// round with a new IDi: a certificate or PSK first, then EAP-GTC carrying
// a one-time password, say. This end runs any number of its own rounds as
// initiator and demands any number of the peer's as responder; a
// responder's own further rounds (RFC 4739 §2.5) are not supported.
//
// A remote-access client asks for a virtual IP in the CP payload
// (virtual_ip.cc).
#include <fmt/format.h>

#include <utility>

#include "reference/crypto/signature.h"
#include "reference/crypto/x509.h"
#include "reference/eap/session.h"
#include "reference/ike/sa/tasks/common.h"
#include "reference/ike/wire/rules.h"

namespace ipsecref::ike::sa {
namespace {

//= ipsecref#choice
//# At most 50 IKE_AUTH exchanges per IKE SA. RFC 7296 §2.16 asks an
//# initiator to go on for at least ten with EAP; the bound keeps a peer from
//# holding a half-open IKE SA with an endless conversation.
constexpr size_t kMaxAuthExchanges = 50;

// One authentication round of an end: the identity it is proven for and
// how. Round 0 is IkeConfig's local_id/local_auth (remote_id/remote_auth);
// the others are local_rounds (remote_rounds), RFC 4739.
struct Round {
  IdPayload id;  // for a remote round: empty accepts any identity
  const AuthConfig* auth = nullptr;
};
size_t RoundsOf(const IkeConfig& c, bool local) { return 1 + (local ? c.local_rounds : c.remote_rounds).size(); }
Round RoundOf(const IkeConfig& c, bool local, size_t i) {
  if (i == 0) return local ? Round{c.local_id, &c.local_auth} : Round{c.remote_id, &c.remote_auth};
  const AuthRound& r = (local ? c.local_rounds : c.remote_rounds).at(i - 1);
  //= ipsecref#choice
  //# A further round of this end without its own identity sends the first
  //# round's (swanctl.conf's local-2 without `id`).
  if (local && r.id.identification_data.empty()) return {c.local_id, &r.auth};
  return {r.id, &r.auth};
}

// The method a round is configured with, for messages.
std::string MethodName(const AuthConfig& auth) {
  if (auth.is_eap()) return "EAP";
  return auth.method == iana::AuthMethod::kSharedKeyMic ? "a shared key" : "a signature";
}

// The EAP identity an ID stands for when none is configured: the
// identification data of a text type as it is, another type described.
std::string IdText(const IdPayload& id) {
  switch (id.id_type) {
    case iana::IdType::kFqdn:
    case iana::IdType::kRfc822Addr:
    case iana::IdType::kKeyId:
      return std::string(id.identification_data.begin(), id.identification_data.end());
    default:
      return DescribeId(id);
  }
}

// Whether this end holds another authenticated IKE SA with the peer `sa`
// talks to: the configured remote identity, or for any identity the same
// remote address.
bool HoldsAnotherIkeSaWithPeer(const IkeSa& sa) {
  const IdPayload& want = sa.config().remote_id;
  for (const IkeSa* other : sa.peer().IkeSas()) {
    if (other == &sa || !other->peer_identity) continue;
    if (want.identification_data.empty() ? other->remote.address == sa.remote.address : *other->peer_identity == want)
      return true;
  }
  return false;
}

Result<Bytes> RestOfIdPayload(const IdPayload& id) {
  ByteWriter w;
  TRY(Write(id, w));
  return std::move(w).Take();
}

// The octets this end (`initiator` or not) signs or MACs (§2.15); `id` is
// the latest ID payload the end sent (IDi' / IDr', RFC 4739 §2.1).
Result<Bytes> OctetsOf(const IkeSa& sa, bool initiator, const IdPayload& id) {
  TRY_ASSIGN(Bytes rest, RestOfIdPayload(id));
  return initiator ? keymat::SignedOctets(sa.suite.prf, sa.init_request, sa.nr, sa.keys.sk_pi, rest)
                   : keymat::SignedOctets(sa.suite.prf, sa.init_response, sa.ni, sa.keys.sk_pr, rest);
}

//= rfc7427#section-3
//# Digital Signature (14) may be used only when each end sent and received
//# SIGNATURE_HASH_ALGORITHMS in IKE_SA_INIT. This end always sends it
//# (ike_init.cc) and the notification cannot be empty (notify.cc), so it
//# comes down to whether the peer's list was received.
bool DigitalSignatureAllowed(const IkeSa& sa) { return !sa.peer_hash_algorithms.empty(); }

Result<Payload> MakeAuth(IkeSa& sa, bool initiator, const IdPayload& id, const AuthConfig& auth) {
  TRY_ASSIGN(Bytes octets, OctetsOf(sa, initiator, id));
  AuthPayload body;
  body.auth_method = auth.method;
  if (auth.method == iana::AuthMethod::kSharedKeyMic) {
    //= rfc7296#section-2.15
    //# With a shared key, AUTH = prf(prf(Shared Secret, "Key Pad for
    //# IKEv2"), <SignedOctets>).
    TRY_ASSIGN(body.authentication_data, keymat::SharedKeyAuth(sa.suite.prf, auth.psk, octets));
  } else {
    //= rfc7427#section-3
    //# The Digital Signature method names its signature algorithm in the
    //# AUTH payload; the signature covers the same octets as §2.15's.
    crypto::AuthSignature chosen{auth.method, auth.scheme};
    if (crypto::IsSignatureMethod(auth.method)) {
      TRY_ASSIGN(chosen, crypto::ChooseAuthSignature(auth.scheme, auth.private_key, sa.peer_hash_algorithms));
    }
    body.auth_method = chosen.method;
    TRY_ASSIGN(body.authentication_data,
               crypto::SignAuth(chosen.method, chosen.scheme, auth.private_key, octets, *sa.env().rng));
  }
  return PayloadOf(iana::PayloadType::kAuth, std::move(body));
}

//= rfc7296#section-2.16
//# After EAP, both ends compute AUTH as with a shared key (§2.15), the key
//# being the method's MSK; for a method that makes no key, the initiator's
//# AUTH is keyed with SK_pi and the responder's with SK_pr.
Result<Bytes> EapAuthValue(const IkeSa& sa, bool initiator, const IdPayload& id,
                           const std::optional<SecureBytes>& msk) {
  TRY_ASSIGN(Bytes octets, OctetsOf(sa, initiator, id));
  const SecureBytes& key = msk ? *msk : (initiator ? sa.keys.sk_pi : sa.keys.sk_pr);
  return keymat::SharedKeyAuth(sa.suite.prf, key, octets);
}
Result<Payload> MakeEapAuth(const IkeSa& sa, bool initiator, const IdPayload& id,
                            const std::optional<SecureBytes>& msk) {
  AuthPayload body;
  body.auth_method = iana::AuthMethod::kSharedKeyMic;
  TRY_ASSIGN(body.authentication_data, EapAuthValue(sa, initiator, id, msk));
  return PayloadOf(iana::PayloadType::kAuth, std::move(body));
}
Status CheckEapAuth(const IkeSa& sa, bool peer_is_initiator, const Message& m, const IdPayload& id,
                    const std::optional<SecureBytes>& msk) {
  const AuthPayload* auth = FindBody<AuthPayload>(m, iana::PayloadType::kAuth);
  if (auth == nullptr) return Missing(m, "the AUTH that follows EAP Success", "rfc7296#section-2.16");
  ENSURE(auth->auth_method == iana::AuthMethod::kSharedKeyMic, kAuthenticationFailed, kNoOffset,
         "rfc7296#section-2.16",
         fmt::format("the AUTH after EAP uses method {}, not Shared Key Message Integrity Code (2)",
                     static_cast<unsigned>(auth->auth_method)));
  TRY_ASSIGN(Bytes expected, EapAuthValue(sa, peer_is_initiator, id, msk));
  ENSURE(expected.size() == auth->authentication_data.size() &&
             ConstantTimeEqual(expected, auth->authentication_data),
         kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
         msk ? "the AUTH after EAP does not verify with the method's MSK"
             : fmt::format("the AUTH after EAP does not verify with {} (the method derives no MSK)",
                           peer_is_initiator ? "SK_pi" : "SK_pr"));
  return OkStatus();
}

// The public key the peer's signature must verify under: the pinned one,
// or the end entity of the peer's CERT chain up to a configured CA, when
// that certificate vouches for the peer's identity.
Result<Bytes> PeerPublicKey(const IkeSa& sa, const Message& m, const IdPayload& id, const AuthConfig& remote) {
  if (!remote.public_key.empty()) return remote.public_key;
  std::vector<Bytes> chain;
  for (const Payload* p : m.Visible())
    if (const CertPayload* c = p->as<CertPayload>();
        c != nullptr && c->cert_encoding == iana::CertEncoding::kX509Signature)
      chain.push_back(c->certificate_data);
  //= rfc7296#section-3.6
  //# The first CERT payload holds the certificate whose key verifies AUTH;
  //# the others may help build the path to a trusted CA.
  ENSURE(!chain.empty(), kAuthenticationFailed, kNoOffset, "rfc7296#section-3.6",
         "the peer sent no X.509 certificate and no public key is pinned for it");
  const int64_t now_seconds = static_cast<int64_t>(sa.now() / 1000);
  Status path = crypto::VerifyChain(chain.front(), std::span<const Bytes>(chain).subspan(1), remote.trust_anchors,
                                    now_seconds);
  ENSURE(path.ok(), kAuthenticationFailed, kNoOffset, "rfc7296#section-3.6",
         fmt::format("the peer's certificate is not trusted: {}", path.ok() ? "" : path.error().ToString()));
  TRY_ASSIGN(crypto::Certificate certificate, crypto::ParseCertificate(chain.front()));
  //= rfc4945#section-3.1
  //# The ID the peer authenticates as must be one its certificate carries:
  //# a dNSName for ID_FQDN, an rfc822Name for ID_RFC822_ADDR, an iPAddress
  //# for ID_IPV4/IPV6_ADDR, the subject for ID_DER_ASN1_DN.
  ENSURE(crypto::CertificateMatchesId(certificate, id.id_type, id.identification_data), kAuthenticationFailed,
         kNoOffset, "rfc4945#section-3.1",
         fmt::format("the certificate of {} does not vouch for the ID {}", certificate.subject_text, DescribeId(id)));
  return certificate.subject_public_key_info;
}

// The Auth Method the peer may use: the configured one, except that for
// signatures the negotiation decides between Digital Signature (14) and
// RFC 7296's methods (1, 9-11), whose key and curve VerifyAuth then checks.
Status CheckAuthMethod(const IkeSa& sa, iana::AuthMethod method, iana::AuthMethod configured) {
  if (!crypto::IsSignatureMethod(configured) || !crypto::IsSignatureMethod(method)) {
    ENSURE(method == configured, kAuthenticationFailed, kNoOffset, "rfc7296#section-3.8",
           fmt::format("the peer authenticates with method {}, not the configured {}", static_cast<unsigned>(method),
                       static_cast<unsigned>(configured)));
    return OkStatus();
  }
  //= rfc7427#section-3
  //# A peer that sent no SIGNATURE_HASH_ALGORITHMS is not allowed to use
  //# Digital Signature (14); once both ends sent it, a signature AUTH must
  //# use Digital Signature.
  const bool allowed = DigitalSignatureAllowed(sa);
  ENSURE(method != iana::AuthMethod::kDigitalSignature || allowed, kAuthenticationFailed, kNoOffset,
         "rfc7427#section-3",
         "the peer authenticates with Digital Signature (14) but sent no SIGNATURE_HASH_ALGORITHMS in IKE_SA_INIT");
  ENSURE(method == iana::AuthMethod::kDigitalSignature || !allowed, kAuthenticationFailed, kNoOffset,
         "rfc7427#section-3",
         fmt::format("both ends sent SIGNATURE_HASH_ALGORITHMS, so the peer must sign with Digital Signature (14), "
                     "not method {}",
                     static_cast<unsigned>(method)));
  return OkStatus();
}

// The peer's ID payload against the round's configured identity.
Status CheckIdentity(const IdPayload& id, const IdPayload& expected) {
  //= ipsecref#choice
  //# A configured remote identity must match the peer's ID payload exactly
  //# (type and data); an empty configured identity accepts any.
  ENSURE(expected.identification_data.empty() || id == expected, kAuthenticationFailed, kNoOffset,
         "rfc7296#section-2.15", fmt::format("the peer calls itself {}, not {}", DescribeId(id), DescribeId(expected)));
  return OkStatus();
}

// Checks the peer's identity and AUTH payload for one of its rounds;
// kAuthenticationFailed otherwise (§2.21.2).
Status CheckAuth(const IkeSa& sa, bool peer_is_initiator, const Message& m, const Round& round) {
  const IdPayload* id =
      FindBody<IdPayload>(m, peer_is_initiator ? iana::PayloadType::kIdi : iana::PayloadType::kIdr);
  const AuthPayload* auth = FindBody<AuthPayload>(m, iana::PayloadType::kAuth);
  if (id == nullptr || auth == nullptr) return Missing(m, "identity and AUTH", "rfc7296#section-1.2");
  TRY(CheckIdentity(*id, round.id));
  const AuthConfig& remote = *round.auth;
  TRY(CheckAuthMethod(sa, auth->auth_method, remote.method));
  TRY_ASSIGN(Bytes octets, OctetsOf(sa, peer_is_initiator, *id));
  if (remote.method == iana::AuthMethod::kSharedKeyMic) {
    TRY_ASSIGN(Bytes expected_auth, keymat::SharedKeyAuth(sa.suite.prf, remote.psk, octets));
    ENSURE(expected_auth.size() == auth->authentication_data.size() &&
               ConstantTimeEqual(expected_auth, auth->authentication_data),
           kAuthenticationFailed, kNoOffset, "rfc7296#section-2.15", "the shared-key AUTH value does not verify");
    return OkStatus();
  }
  TRY_ASSIGN(Bytes public_key, PeerPublicKey(sa, m, *id, remote));
  Status verified = crypto::VerifyAuth(auth->auth_method, public_key, octets, auth->authentication_data);
  ENSURE(verified.ok(), kAuthenticationFailed, kNoOffset, "rfc7427#section-3",
         fmt::format("the AUTH signature does not verify: {}", verified.ok() ? "" : verified.error().detail));
  return OkStatus();
}

//= rfc7296#section-2.3
//# An end that can take more than one request at a time says so with
//# SET_WINDOW_SIZE (four octets) in IKE_AUTH or later.
void AnnounceWindow(const IkeSa& sa, std::vector<Payload>& out) {
  if (sa.config().window_size <= 1) return;
  ByteWriter data;
  data.U32(sa.config().window_size);
  out.push_back(NotifyPayloadOf(iana::NotifyType::kSetWindowSize, std::move(data).Take()));
}
void ReadWindow(IkeSa& sa, const Message& m) {
  if (const NotifyPayload* n = FindNotify(m, iana::NotifyType::kSetWindowSize); n && n->notification_data.size() == 4) {
    const ByteSpan d = n->notification_data;
    const uint32_t w = LoadU32(d.data());
    if (w >= 1) sa.peer_window = w;
  }
}

//= rfc7296#section-3.7
//# A CERTREQ answered: an end sends its certificates in CERT payloads when
//# the peer asked for them.
//= rfc7296#section-3.6
//# An end that has certificates should send them (a SHOULD), asked or not.
//= ipsecref#choice
//# The default is swanctl.conf's (send_cert = ifasked: only when asked), so
//# that strongSwan's configurations mean the same here; it departs from that
//# SHOULD, and a peer that sends no CERTREQ (its CERTREQ is a MAY, §3.7)
//# then cannot verify the AUTH. send_cert = always sends them unasked too,
//# never sends none.
void AddCertificates(const IkeSa& sa, const AuthConfig& auth, std::vector<Payload>& out) {
  using SendCert = AuthConfig::SendCert;
  if (auth.send_cert == SendCert::kNever || (auth.send_cert == SendCert::kIfAsked && !sa.peer_certreq)) return;
  for (const Bytes& der : auth.certificates)
    out.push_back(PayloadOf(iana::PayloadType::kCert, CertPayload{iana::CertEncoding::kX509Signature, der}));
}

Result<Payload> EapPayloadOf(const eap::Packet& packet) {
  TRY_ASSIGN(Bytes octets, eap::Serialize(packet));
  return PayloadOf(iana::PayloadType::kEap, EapPayload{std::move(octets)});
}
Result<eap::Packet> EapPacketIn(const Message& m) {
  const EapPayload* eap = FindBody<EapPayload>(m, iana::PayloadType::kEap);
  if (eap == nullptr) return Missing(m, "EAP payload", "rfc7296#section-2.16");
  return eap::ParsePacket(eap->eap_message);
}

class IkeAuth final : public Task {
 public:
  IkeAuth() : Task(TaskKind::kIkeAuth) {}

  // --- Initiator -----------------------------------------------------------

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    // Later requests of the exchange were built by ProcessI.
    if (started_) return std::exchange(next_, {});
    started_ = true;
    const IkeConfig& config = sa.config();
    ENSURE(RoundsOf(config, true) == 1 || sa.peer_multiple_auth, kAuthenticationFailed, kNoOffset,
           "rfc4739#section-2.1",
           fmt::format("this end has {} authentication rounds but the responder did not announce "
                       "MULTIPLE_AUTH_SUPPORTED in IKE_SA_INIT",
                       RoundsOf(config, true)));
    std::vector<Payload> out;
    TRY(OpenRound(sa, out));
    AnnounceWindow(sa, out);
    //= rfc4739#section-3.1
    //# The initiator announces multiple authentication in its first
    //# IKE_AUTH request.
    if (config.UsesMultipleAuth()) out.push_back(NotifyPayloadOf(iana::NotifyType::kMultipleAuthSupported));
    if (std::optional<Payload> cp = ConfigRequest(sa)) out.push_back(std::move(*cp));
    //= rfc6023#section-3
    //# The initiator leaves SA, TSi and TSr out of IKE_AUTH only when the
    //# responder announced childless support.
    with_child_ = !config.children.empty() && !(config.childless && sa.peer_childless);
    if (with_child_) {
      TRY_ASSIGN(std::vector<Payload> child, child_.Request(sa, config.children.front(), false));
      for (Payload& p : child) out.push_back(std::move(p));
    }
    return out;
  }

  Result<Next> ProcessI(IkeSa& sa, const Message& response) override {
    if (FindNotify(response, iana::NotifyType::kAuthenticationFailed) != nullptr)
      return MakeError(Code::kAuthenticationFailed, kNoOffset, "rfc7296#section-2.21.2",
                       "the responder answered AUTHENTICATION_FAILED");
    //= rfc7296#section-3.10.1
    //# An error type this end does not recognise, in a response, means the
    //# request failed entirely: the IKE SA is not used, however good its
    //# AUTH.
    if (const NotifyPayload* n = FindUnrecognisedErrorNotify(response)) return NotifiedError(*n, "rfc7296#section-3.10.1");
    ENSURE(++exchanges_ <= kMaxAuthExchanges, kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
           fmt::format("more than {} IKE_AUTH exchanges", kMaxAuthExchanges));
    const IkeConfig& config = sa.config();
    ReadWindow(sa, response);
    if (!peer_id_) {
      // The first response: the responder's identity and AUTH.
      TRY(CheckAuth(sa, false, response, RoundOf(config, false, 0)));
      peer_id_ = *FindBody<IdPayload>(response, iana::PayloadType::kIdr);
      sa.peer_identity = peer_id_;
      ENSURE(FindNotify(response, iana::NotifyType::kAnotherAuthFollows) == nullptr, kAuthenticationFailed,
             kNoOffset, "rfc4739#section-2.1",
             "the responder announces another round of its own authentication (ANOTHER_AUTH_FOLLOWS, RFC 4739 "
             "§2.5), which this end does not take");
    }
    if (eap_) {
      if (!eap_auth_sent_) return ContinueEap(sa, response);
      TRY(CheckEapAuth(sa, false, response, *peer_id_, eap_msk_));
      eap_.reset();
    }
    if (round_ + 1 < RoundsOf(config, true)) {
      ++round_;
      next_.clear();
      TRY(OpenRound(sa, next_));
      return Next::kContinue;
    }
    // The last response: the CHILD SA and the virtual IP.
    ReadConfigReply(sa, response);
    if (!with_child_) return Next::kDone;
    //= rfc7296#section-2.21.2
    //# An error about the CHILD SA (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE...)
    //# leaves the IKE SA up without the CHILD SA.
    if (const NotifyPayload* n = FindErrorNotify(response)) {
      sa.Log(fmt::format("IKE SA up without its first CHILD SA: the responder answered {}",
                         NotifyName(n->notify_message_type)));
      return Next::kDone;
    }
    Result<ChildSa> child = child_.Complete(sa, response, false);
    //= rfc7296#section-2.21.2
    //# The response is authenticated, so a first CHILD SA this end cannot
    //# take leaves the IKE SA up; the CHILD SA is deleted in an INFORMATIONAL
    //# exchange, not by dropping the IKE SA without a word.
    if (!child) {
      sa.Log(fmt::format("IKE SA up without its first CHILD SA: {}", child.error().ToString()));
      return Next::kDone;
    }
    InstallChild(sa, std::move(*child));
    return Next::kDone;
  }

  // --- Responder -------------------------------------------------------------
  // One task answers every IKE_AUTH request of the IKE SA (Response::more
  // keeps it for the next one).

  Status ProcessR(IkeSa& sa, const Message& request) override {
    reply_.clear();
    last_ = false;
    eap_failed_ = false;
    ENSURE(++exchanges_ <= kMaxAuthExchanges, kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
           fmt::format("more than {} IKE_AUTH exchanges", kMaxAuthExchanges));
    if (!authenticator_) return OpenRoundR(sa, request);
    if (!eap_succeeded_) return ContinueEapR(sa, request);
    //= rfc7296#section-2.16
    //# The request after EAP Success carries the initiator's AUTH, and the
    //# response the responder's, both keyed by the EAP method.
    TRY(CheckEapAuth(sa, true, request, round_id_, authenticator_->Msk()));
    TRY_ASSIGN(Payload auth, MakeEapAuth(sa, false, sa.config().local_id, authenticator_->Msk()));
    reply_.push_back(std::move(auth));
    eap_identity_ = authenticator_->identity();
    sa.Log(fmt::format("EAP {} authenticated '{}'", eap::TypeName(static_cast<uint8_t>(*authenticator_->method())),
                       eap_identity_));
    authenticator_.reset();
    return CloseRoundR(sa, request);
  }

  Result<Response> BuildR(IkeSa& sa) override {
    Response r;
    if (!identified_) {
      // The responder's own identity and AUTH, in its first response.
      //= rfc5998#section-3
      //# A responder that does not use EAP-only authentication ignores the
      //# initiator's EAP_ONLY_AUTHENTICATION and sends its AUTH as usual.
      //= rfc5998#section-4
      //# Only methods that authenticate both ends, generate a key and resist
      //# dictionary attacks may replace the responder's AUTH: none of this
      //# end's (MSCHAPv2, GTC, MD5-Challenge) does, so the AUTH is always sent
      //# (and, as initiator, always required: CheckAuth in ProcessI).
      r.payloads.push_back(PayloadOf(iana::PayloadType::kIdr, sa.config().local_id));
      AddCertificates(sa, sa.config().local_auth, r.payloads);
      TRY_ASSIGN(Payload auth, MakeAuth(sa, false, sa.config().local_id, sa.config().local_auth));
      r.payloads.push_back(std::move(auth));
      AnnounceWindow(sa, r.payloads);
      identified_ = true;
    }
    for (Payload& p : reply_) r.payloads.push_back(std::move(p));
    reply_.clear();
    if (eap_failed_) {
      //= rfc7296#section-2.16
      //# A failed EAP method ends with EAP Failure; the IKE SA goes.
      r.keep_ike_sa = false;
      return r;
    }
    if (!last_) {
      r.more = true;
      return r;
    }
    if (cp_reply_) r.payloads.push_back(std::move(*cp_reply_));
    if (cp_error_) {
      sa.Log(fmt::format("no virtual IP: {}", cp_error_->ToString()));
      r.payloads.push_back(NotifyPayloadOf(*NotifyFor(*cp_error_, false, iana::ExchangeType::kIkeAuth)));
      return r;
    }
    if (!with_child_) return r;
    if (child_error_) {
      const std::optional<iana::NotifyType> notify = NotifyFor(*child_error_, false, iana::ExchangeType::kIkeAuth);
      sa.Log(fmt::format("first CHILD SA refused: {}", child_error_->ToString()));
      r.payloads.push_back(NotifyPayloadOf(notify.value_or(iana::NotifyType::kNoProposalChosen)));
      return r;
    }
    ChildSa child;
    TRY_ASSIGN(std::vector<Payload> payloads, child_.Answer(sa, false, child));
    for (Payload& p : payloads) r.payloads.push_back(std::move(p));
    if (!child_.refusal) InstallChild(sa, std::move(child));
    return r;
  }

 private:
  // Initiator: the IDi that opens this end's round `round_`, with its AUTH
  // or, for an EAP round, without one (§2.16); the first round's also
  // carries what only the first request may.
  Status OpenRound(IkeSa& sa, std::vector<Payload>& out) {
    const IkeConfig& config = sa.config();
    const Round r = RoundOf(config, true, round_);
    out.push_back(PayloadOf(iana::PayloadType::kIdi, r.id));
    AddCertificates(sa, *r.auth, out);
    if (round_ == 0) {
      //= rfc7296#section-2.4
      //# N(INITIAL_CONTACT) tells the responder to forget older IKE SAs with
      //# this identity: it is sent only when this end holds no other IKE SA
      //# with the peer (not by a rekey's or reauthentication's new IKE SA).
      if (config.initial_contact && !HoldsAnotherIkeSaWithPeer(sa))
        out.push_back(NotifyPayloadOf(iana::NotifyType::kInitialContact));
      if (std::optional<Payload> certreq = CertificateRequest(sa)) out.push_back(std::move(*certreq));
      if (!config.remote_id.identification_data.empty())
        out.push_back(PayloadOf(iana::PayloadType::kIdr, config.remote_id));
    }
    if (r.auth->is_eap()) {
      //= rfc7296#section-2.16
      //# An initiator asks for EAP by leaving AUTH out of its IKE_AUTH
      //# request.
      eap::PeerConfig peer{r.auth->eap_peer, r.auth->eap_methods};
      if (peer.credentials.identity.empty()) peer.credentials.identity = IdText(r.id);
      eap_ = std::make_unique<eap::PeerSession>(std::move(peer), *sa.env().rng);
      eap_auth_sent_ = false;
      return OkStatus();
    }
    TRY_ASSIGN(Payload auth, MakeAuth(sa, true, r.id, *r.auth));
    out.push_back(std::move(auth));
    AnnounceAnotherRound(sa, out);
    return OkStatus();
  }

  void AnnounceAnotherRound(const IkeSa& sa, std::vector<Payload>& out) const {
    if (round_ + 1 < RoundsOf(sa.config(), true))
      out.push_back(NotifyPayloadOf(iana::NotifyType::kAnotherAuthFollows));
  }

  // Initiator: the responder's EAP packet answered, or after Success this
  // end's AUTH keyed by the method.
  Result<Next> ContinueEap(IkeSa& sa, const Message& response) {
    TRY_ASSIGN(eap::Packet packet, EapPacketIn(response));
    TRY_ASSIGN(std::optional<eap::Packet> answer, eap_->Process(packet));
    next_.clear();
    if (answer) {
      TRY_ASSIGN(Payload p, EapPayloadOf(*answer));
      next_.push_back(std::move(p));
      return Next::kContinue;
    }
    ENSURE(eap_->Succeeded(), kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
           "the responder ended EAP with Failure");
    eap_msk_ = eap_->Msk();
    TRY_ASSIGN(Payload auth, MakeEapAuth(sa, true, RoundOf(sa.config(), true, round_).id, eap_msk_));
    next_.push_back(std::move(auth));
    AnnounceAnotherRound(sa, next_);
    eap_auth_sent_ = true;
    return Next::kContinue;
  }

  // Responder: the IDi that opens one of the peer's rounds, with its AUTH
  // or, without one, the start of EAP.
  Status OpenRoundR(IkeSa& sa, const Message& request) {
    const IdPayload* idi = FindBody<IdPayload>(request, iana::PayloadType::kIdi);
    if (idi == nullptr)
      return Missing(request, "IDi", round_ == 0 ? "rfc7296#section-1.2" : "rfc4739#section-2.1");
    if (round_ == 0) {
      sa.peer_certreq = FindPayload(request, iana::PayloadType::kCertreq) != nullptr;
      sa.peer_multiple_auth = FindNotify(request, iana::NotifyType::kMultipleAuthSupported) != nullptr;
      ReadWindow(sa, request);
      // The CP and the CHILD SA are answered once every round is done.
      first_request_ = request;
    }
    round_id_ = *idi;
    const Round want = RoundOf(sa.config(), false, round_);
    if (FindPayload(request, iana::PayloadType::kAuth) != nullptr) {
      ENSURE(!want.auth->is_eap(), kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
             fmt::format("the peer sent AUTH in round {}, but this connection authenticates it with EAP there",
                         round_ + 1));
      TRY(CheckAuth(sa, true, request, want));
      return CloseRoundR(sa, request);
    }
    //= rfc7296#section-2.16
    //# An IKE_AUTH request with IDi but no AUTH asks for EAP.
    ENSURE(want.auth->is_eap(), kAuthenticationFailed, kNoOffset, "rfc7296#section-2.16",
           fmt::format("the peer asks for EAP (IDi without AUTH) in round {}, but this connection authenticates it "
                       "with {} there",
                       round_ + 1, MethodName(*want.auth)));
    TRY(CheckIdentity(*idi, want.id));
    eap::AuthenticatorConfig authenticator{.ask_identity = want.auth->eap_ask_identity,
                                           .methods = want.auth->eap_methods,
                                           .credentials = want.auth->eap_authenticator,
                                           .options = {},
                                           .identity = IdText(*idi)};
    authenticator_ = std::make_unique<eap::AuthenticatorSession>(std::move(authenticator), *sa.env().rng);
    eap_succeeded_ = false;
    //= rfc3748#section-4.1
    //# The Identifier of the first Request is the authenticator's choice (a
    //# random start is suggested).
    uint8_t identifier = 0;
    sa.env().rng->Fill(MutableByteSpan(&identifier, 1));
    return Reply(sa, authenticator_->Start(identifier));
  }

  // Responder: the peer's EAP Response into the next Request, Success or
  // Failure.
  Status ContinueEapR(IkeSa& sa, const Message& request) {
    Result<eap::Packet> packet = EapPacketIn(request);
    Result<eap::Packet> next = packet ? authenticator_->Process(*packet) : Result<eap::Packet>(packet.error());
    if (!next) {
      //= rfc3748#section-4.1
      //# A Response the authenticator discards leaves its Request
      //# outstanding.
      //= ipsecref#choice
      //# IKE answers every request (§2.2), so the outstanding EAP Request
      //# goes out again in the response.
      const std::optional<eap::Packet> again = authenticator_->outstanding();
      if (!again) return next.error();
      sa.Log(fmt::format("EAP packet discarded ({}): the Request is sent again", next.error().ToString()));
      return Reply(sa, *again);
    }
    return Reply(sa, *next);
  }

  Status Reply(IkeSa& sa, const eap::Packet& packet) {
    TRY_ASSIGN(Payload p, EapPayloadOf(packet));
    reply_.push_back(std::move(p));
    if (packet.code == eap::Code::kSuccess) eap_succeeded_ = true;
    if (packet.code == eap::Code::kFailure) {
      eap_failed_ = true;
      sa.Log(fmt::format("EAP authentication of {} (EAP identity '{}') failed: {}", DescribeId(round_id_),
                         authenticator_->identity(), authenticator_->refusal()));
    }
    return OkStatus();
  }

  // Responder: one of the peer's rounds is done; another follows if the
  // request announced it, or the exchange ends with the CP and the CHILD SA.
  Status CloseRoundR(IkeSa& sa, const Message& request) {
    const size_t rounds = RoundsOf(sa.config(), false);
    if (FindNotify(request, iana::NotifyType::kAnotherAuthFollows) != nullptr) {
      ENSURE(round_ + 1 < rounds, kAuthenticationFailed, kNoOffset, "rfc4739#section-2.1",
             fmt::format("the peer announces another authentication round, but this connection asks for {} in all",
                         rounds));
      ++round_;
      return OkStatus();
    }
    //= rfc4739#section-2.1
    //# IKE_AUTH succeeds only once every authentication round has.
    ENSURE(round_ + 1 == rounds, kAuthenticationFailed, kNoOffset, "rfc4739#section-2.1",
           fmt::format("the peer ends after {} authentication round(s); this connection asks for {}", round_ + 1,
                       rounds));
    last_ = true;
    const Message& first = *first_request_;
    with_child_ = FindPayload(first, iana::PayloadType::kSa) != nullptr;
    //= ipsecref#choice
    //# A virtual IP is leased to the identity EAP authenticated, if any (as
    //# strongSwan does), otherwise to the first round's IDi.
    const IdPayload* idi = FindBody<IdPayload>(first, iana::PayloadType::kIdi);
    sa.peer_identity = *idi;
    //= rfc7296#section-2.4
    //# INITIAL_CONTACT says the sender has no other IKE SA with this end
    //# (it lost them, a reboot say): this end may delete the others of the
    //# same authenticated identity at once, not waiting for them to time out.
    //= ipsecref#choice
    //# It does, without a Delete (the peer knows them no more), before the
    //# virtual IP is leased, so that a client back from a reboot gets its
    //# address again.
    if (FindNotify(first, iana::NotifyType::kInitialContact) != nullptr)
      for (IkeSa* other : sa.peer().IkeSas())
        if (other != &sa && other->peer_identity == *idi)
          other->Destroy(fmt::format("INITIAL_CONTACT from {}: the peer has started anew", DescribeId(*idi)));
    const std::string identity = !eap_identity_.empty() ? eap_identity_ : DescribeId(*idi);
    // The virtual IP first: the CHILD SA's selectors of the peer are it.
    Result<std::optional<Payload>> cp = AnswerConfigRequest(sa, first, identity);
    if (!cp) {
      cp_error_ = cp.error();
      return OkStatus();
    }
    cp_reply_ = *std::move(cp);
    if (with_child_) {
      if (Status s = child_.Accept(sa, first, false); !s) child_error_ = s.error();
    }
    return OkStatus();
  }

  bool with_child_ = false;
  ChildNegotiation child_;
  size_t round_ = 0;      // the round in progress: this end's (initiator) or the peer's (responder)
  size_t exchanges_ = 0;  // IKE_AUTH exchanges so far
  // Initiator.
  bool started_ = false;
  std::vector<Payload> next_;       // the next request, built by ProcessI
  std::optional<IdPayload> peer_id_;  // IDr, once the responder authenticated
  std::unique_ptr<eap::PeerSession> eap_;
  bool eap_auth_sent_ = false;
  std::optional<SecureBytes> eap_msk_;
  // Responder.
  bool identified_ = false;            // this end's IDr and AUTH sent
  std::optional<Message> first_request_;  // its CP and CHILD SA are answered last
  IdPayload round_id_;                 // the IDi of the peer's round in progress
  std::unique_ptr<eap::AuthenticatorSession> authenticator_;
  bool eap_succeeded_ = false;
  std::string eap_identity_;           // the identity the last EAP round authenticated
  std::vector<Payload> reply_;         // what this request's response carries beyond IDr/AUTH
  bool eap_failed_ = false;
  bool last_ = false;                  // every round done: the response ends the exchange
  std::optional<Payload> cp_reply_;
  std::optional<Error> cp_error_;  // no virtual IP: no CHILD SA, the IKE SA all the same (§3.15.4)
  std::optional<Error> child_error_;
};

}  // namespace

std::unique_ptr<Task> MakeIkeAuth() { return std::make_unique<IkeAuth>(); }

}  // namespace ipsecref::ike::sa
