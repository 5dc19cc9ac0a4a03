// IKE_AUTH (RFC 7296 §1.2, §2.15): each end proves its identity over the
// IKE_SA_INIT messages, with a shared key or a signature (RFC 7427), and
// the first CHILD SA comes with it unless both ends set up a childless IKE
// SA (RFC 6023).
//
//   HDR, SK {IDi, [CERT,] [N(INITIAL_CONTACT),] [IDr,] AUTH,
//            [CP(CFG_REQUEST),] SAi2, TSi, TSr}  -->
//                               <--  HDR, SK {IDr, [CERT,] AUTH, [CP(CFG_REPLY),] SAr2, TSi, TSr}
//
// A remote-access client asks for a virtual IP in the CP payload
// (virtual_ip.cc).
#include <fmt/format.h>

#include "reference/crypto/signature.h"
#include "reference/crypto/x509.h"
#include "reference/ike/sa/tasks/common.h"
#include "reference/ike/wire/rules.h"

namespace ipsecref::ike::sa {
namespace {

Result<Bytes> RestOfIdPayload(const IdPayload& id) {
  ByteWriter w;
  TRY(Write(id, w));
  return std::move(w).Take();
}

// The octets this end (`initiator` or not) signs or MACs (§2.15).
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

Result<Payload> MakeAuth(IkeSa& sa, bool initiator, const IdPayload& id) {
  const AuthConfig& auth = sa.config().local_auth;
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

// The public key the peer's signature must verify under: the pinned one,
// or the end entity of the peer's CERT chain up to a configured CA, when
// that certificate vouches for the peer's identity.
Result<Bytes> PeerPublicKey(const IkeSa& sa, const Message& m, const IdPayload& id) {
  const AuthConfig& remote = sa.config().remote_auth;
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
Status CheckAuthMethod(const IkeSa& sa, iana::AuthMethod method) {
  const iana::AuthMethod configured = sa.config().remote_auth.method;
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

// Checks the peer's identity and AUTH payload; kAuthenticationFailed
// otherwise (§2.21.2).
Status CheckAuth(const IkeSa& sa, bool peer_is_initiator, const Message& m) {
  const IdPayload* id =
      FindBody<IdPayload>(m, peer_is_initiator ? iana::PayloadType::kIdi : iana::PayloadType::kIdr);
  const AuthPayload* auth = FindBody<AuthPayload>(m, iana::PayloadType::kAuth);
  if (id == nullptr || auth == nullptr) return Missing(m, "identity and AUTH", "rfc7296#section-1.2");
  const IdPayload& expected = sa.config().remote_id;
  //= ipsecref#choice
  //# A configured remote identity must match the peer's ID payload exactly
  //# (type and data); an empty configured identity accepts any.
  ENSURE(expected.identification_data.empty() || *id == expected, kAuthenticationFailed, kNoOffset,
         "rfc7296#section-2.15", fmt::format("the peer calls itself {}, not {}", DescribeId(*id), DescribeId(expected)));
  const AuthConfig& remote = sa.config().remote_auth;
  TRY(CheckAuthMethod(sa, auth->auth_method));
  TRY_ASSIGN(Bytes octets, OctetsOf(sa, peer_is_initiator, *id));
  if (remote.method == iana::AuthMethod::kSharedKeyMic) {
    TRY_ASSIGN(Bytes expected_auth, keymat::SharedKeyAuth(sa.suite.prf, remote.psk, octets));
    ENSURE(expected_auth.size() == auth->authentication_data.size() &&
               ConstantTimeEqual(expected_auth, auth->authentication_data),
           kAuthenticationFailed, kNoOffset, "rfc7296#section-2.15", "the shared-key AUTH value does not verify");
    return OkStatus();
  }
  TRY_ASSIGN(Bytes public_key, PeerPublicKey(sa, m, *id));
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
void AddCertificates(const IkeSa& sa, std::vector<Payload>& out) {
  using SendCert = AuthConfig::SendCert;
  const SendCert when = sa.config().local_auth.send_cert;
  if (when == SendCert::kNever || (when == SendCert::kIfAsked && !sa.peer_certreq)) return;
  for (const Bytes& der : sa.config().local_auth.certificates)
    out.push_back(PayloadOf(iana::PayloadType::kCert, CertPayload{iana::CertEncoding::kX509Signature, der}));
}

class IkeAuth final : public Task {
 public:
  IkeAuth() : Task(TaskKind::kIkeAuth) {}

  Result<std::vector<Payload>> BuildI(IkeSa& sa) override {
    const IkeConfig& config = sa.config();
    std::vector<Payload> out;
    out.push_back(PayloadOf(iana::PayloadType::kIdi, config.local_id));
    AddCertificates(sa, out);
    //= rfc7296#section-2.4
    //# N(INITIAL_CONTACT) tells the responder to forget older IKE SAs with
    //# this identity.
    if (config.initial_contact) out.push_back(NotifyPayloadOf(iana::NotifyType::kInitialContact));
    if (std::optional<Payload> certreq = CertificateRequest(sa)) out.push_back(std::move(*certreq));
    if (!config.remote_id.identification_data.empty()) out.push_back(PayloadOf(iana::PayloadType::kIdr, config.remote_id));
    TRY_ASSIGN(Payload auth, MakeAuth(sa, true, config.local_id));
    out.push_back(std::move(auth));
    AnnounceWindow(sa, out);
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
    TRY(CheckAuth(sa, false, response));
    ReadWindow(sa, response);
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

  Status ProcessR(IkeSa& sa, const Message& request) override {
    sa.peer_certreq = FindPayload(request, iana::PayloadType::kCertreq) != nullptr;
    TRY(CheckAuth(sa, true, request));
    ReadWindow(sa, request);
    with_child_ = FindPayload(request, iana::PayloadType::kSa) != nullptr;
    // The virtual IP first: the CHILD SA's selectors of the peer are it.
    const IdPayload* idi = FindBody<IdPayload>(request, iana::PayloadType::kIdi);
    Result<std::optional<Payload>> cp = AnswerConfigRequest(sa, request, DescribeId(*idi));
    if (!cp) {
      cp_error_ = cp.error();
      return OkStatus();
    }
    cp_reply_ = *std::move(cp);
    if (with_child_) {
      if (Status s = child_.Accept(sa, request, false); !s) child_error_ = s.error();
    }
    return OkStatus();
  }

  Result<Response> BuildR(IkeSa& sa) override {
    Response r;
    r.payloads.push_back(PayloadOf(iana::PayloadType::kIdr, sa.config().local_id));
    AddCertificates(sa, r.payloads);
    TRY_ASSIGN(Payload auth, MakeAuth(sa, false, sa.config().local_id));
    r.payloads.push_back(std::move(auth));
    AnnounceWindow(sa, r.payloads);
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
  bool with_child_ = false;
  ChildNegotiation child_;
  std::optional<Error> child_error_;
  std::optional<Payload> cp_reply_;
  std::optional<Error> cp_error_;  // no virtual IP: no CHILD SA, the IKE SA all the same (§3.15.4)
};

}  // namespace

std::unique_ptr<Task> MakeIkeAuth() { return std::make_unique<IkeAuth>(); }

}  // namespace ipsecref::ike::sa
