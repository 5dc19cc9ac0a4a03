// An IKEv2 peer's configuration as data: who it is and whom it expects, how
// each side authenticates, what it proposes, which traffic it protects, and
// its timers and limits. The same structure serves the initiator and the
// responder role; strongSwan's swanctl.conf `connections` entry is the model.
// Proposal and traffic-selector texts are turned into these types by
// proposals.h and traffic_selectors.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/bytes/bytes.h"
#include "reference/crypto/signature.h"
#include "reference/eap/methods.h"
#include "reference/ike/sa/address_pool.h"
#include "reference/ike/sa/environment.h"
#include "reference/ike/wire/payloads/id.h"
#include "reference/ike/wire/payloads/sa.h"
#include "reference/ike/sa/traffic_selectors.h"
#include "reference/ike/wire/payloads/ts.h"

namespace ipsecref::ike::sa {

// How one side proves who it is (RFC 7296 §2.15, RFC 7427).
struct AuthConfig {
  iana::AuthMethod method = iana::AuthMethod::kSharedKeyMic;
  // Shared Key Message Integrity Code: the shared secret.
  SecureBytes psk;
  // Signatures, for the local side: the PKCS#8 private key and the scheme
  // (RFC 7427 method 14 names it in the AUTH payload).
  Bytes private_key;
  crypto::SignatureScheme scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
  // For the local side: the end-entity certificate (DER) and any
  // intermediates, sent in CERT payloads as send_cert says.
  std::vector<Bytes> certificates;
  // When the local side sends them (swanctl.conf's send_cert): when the peer
  // asked with a CERTREQ (the default), always, or never.
  enum class SendCert { kIfAsked, kAlways, kNever };
  SendCert send_cert = SendCert::kIfAsked;
  // Signatures, for the remote side: a pinned SubjectPublicKeyInfo the
  // peer's AUTH must verify under; or, when empty, the CA certificates the
  // peer's CERT chain must lead to (its end entity must vouch for the
  // peer's ID, RFC 4945 §3.1).
  Bytes public_key;
  std::vector<Bytes> trust_anchors;

  //= rfc7296#section-2.16
  //# EAP authenticates the initiator only: an initiator asks for it by
  //# leaving AUTH out, the responder runs the method and both then make
  //# AUTH from its MSK (or SK_pi / SK_pr).
  // EAP (swanctl.conf's auth = eap-md5, eap-mschapv2, eap-gtc, or eap for
  // any): the methods, most preferred first; empty for no EAP. On the local
  // side this end is the EAP peer with `eap_peer`'s credentials (its
  // identity defaults to the round's IKE identity); on the remote side the
  // authenticator with `eap_authenticator`'s.
  std::vector<eap::Type> eap_methods;
  eap::PeerCredentials eap_peer;
  eap::AuthenticatorCredentials eap_authenticator;
  // Remote side: open with an EAP-Identity Request (swanctl.conf's
  // eap_id = %any), or take the peer's IKE identity as its EAP identity.
  bool eap_ask_identity = false;
  bool is_eap() const { return !eap_methods.empty(); }
};

//= rfc4739#section-2.1
//# Each further round of authentication carries its own identity and
//# credentials.
// One round after the first (swanctl.conf's local-2, remote-2, ...).
struct AuthRound {
  // Local: the IDi of the round (empty: the first round's); remote: the
  // identity the peer must authenticate as (empty: any).
  IdPayload id;
  AuthConfig auth;
};

struct ChildConfig {
  std::string name = "child";
  // ESP proposals; a KE transform in them asks for PFS in CREATE_CHILD_SA.
  std::vector<Proposal> proposals;
  std::vector<TrafficSelector> local_ts;
  std::vector<TrafficSelector> remote_ts;
  // The lists as configured, `dynamic` entries included (swanctl.conf's
  // local_ts / remote_ts): when set, they are resolved for each IKE SA
  // with its own addresses (the local one, and the peer's as it is seen)
  // and take the place of local_ts / remote_ts.
  std::vector<ConfiguredSelector> configured_local_ts;
  std::vector<ConfiguredSelector> configured_remote_ts;
  bool transport_mode = false;
  Time rekey_time = 0;  // 0: never rekey on time
  Time life_time = 0;   // 0: no hard expiry
};

// The retransmission schedule of requests (RFC 7296 §2.1): the n-th
// retransmission waits timeout * base^n, and after `tries` retransmissions
// the peer is declared dead.
//= ipsecref#choice
//# The defaults are strongSwan's (charon.retransmit_timeout 4 s, base 1.8,
//# five retransmissions): RFC 7296 leaves the numbers to the implementation.
struct RetransmitSchedule {
  Time timeout = 4000;
  double base = 1.8;
  unsigned tries = 5;
  Time Delay(unsigned retransmission) const;  // before retransmission n (0: the first send's timeout)
};

struct IkeConfig {
  std::string name = "ike";
  IdPayload local_id;
  IdPayload remote_id;
  AuthConfig local_auth;
  AuthConfig remote_auth;
  // RFC 4739: the rounds after the first of this end (as initiator) and of
  // the peer (as responder); a responder's own further rounds are not
  // supported (ike_auth.cc).
  std::vector<AuthRound> local_rounds;
  std::vector<AuthRound> remote_rounds;
  //= ipsecref#choice
  //# MULTIPLE_AUTH_SUPPORTED is announced only by a configuration with more
  //# than one round on either side, so that a one-round exchange stays as
  //# RFC 7296 alone lays it out.
  bool UsesMultipleAuth() const { return !local_rounds.empty() || !remote_rounds.empty(); }
  std::vector<Proposal> proposals;  // IKE proposals
  // The CHILD SAs this connection knows; the first is negotiated in
  // IKE_AUTH unless `childless`.
  std::vector<ChildConfig> children;
  // RFC 6023: set up the IKE SA without a CHILD SA (the initiator does so
  // only when the responder sent N(CHILDLESS_IKEV2_SUPPORTED)).
  bool childless = false;
  // RFC 7383: announce fragmentation support and, when both did, send SKF
  // fragments so that no datagram exceeds `fragment_mtu` bytes of IP packet.
  bool fragmentation = true;
  size_t fragment_mtu = 1280;
  //= rfc7296#section-2.3
  //# The window is the number of requests a peer may have outstanding; it is
  //# 1 until SET_WINDOW_SIZE announces more.
  uint32_t window_size = 1;
  RetransmitSchedule retransmit;
  Time rekey_time = 0;      // IKE SA rekey; 0: never on time
  Time rekey_jitter = 0;    // a random part up to this is taken off rekey times
  Time liveness_delay = 0;  // send an empty INFORMATIONAL after this idle time; 0: never
  // Responder: IKE_SA_INIT requests from peers without a valid COOKIE are
  // answered with one while this many IKE SAs are half-open (§2.6);
  // 0 asks for a cookie always.
  size_t cookie_threshold = 32;
  // Responder: new IKE_SA_INIT requests are dropped beyond this many half-open SAs.
  size_t half_open_limit = 1024;
  // An IKE SA not established this long after its creation is given up.
  Time half_open_timeout = 30'000;
  // Initiator: send N(INITIAL_CONTACT) in IKE_AUTH (§2.4).
  bool initial_contact = true;
  //= rfc7296#section-2.19
  //# A remote-access client asks the gateway for an address on the remote
  //# network in a CFG_REQUEST of the IKE_AUTH request.
  // Initiator: the virtual IPs to ask for (swanctl.conf's vips): 0.0.0.0 or
  // :: for any address of that family, another address for that one.
  // `dynamic` local selectors stand for the addresses assigned.
  std::vector<Bytes> vips;
  // Responder: the pools virtual IPs come from (swanctl.conf's pools); a
  // request for an address of a family is served by the first pool of that
  // family that has one. `dynamic` remote selectors stand for the
  // addresses assigned.
  std::vector<std::shared_ptr<AddressPool>> pools;
  //= ipsecref#choice
  //# Forced UDP encapsulation, as strongSwan's `encap = yes`: this end's
  //# NAT_DETECTION_SOURCE_IP hash is made not to match, so that both ends
  //# act as if it were behind a NAT and carry ESP in UDP (RFC 3948).
  bool force_encapsulation = false;
};

}  // namespace ipsecref::ike::sa
