// Fuzz target: EAP inside IKEv2 (reference/eap/): the packet codec, and the
// authenticator and peer sessions of each method fed packets from the input.
//
// Input layout:
//   byte 0  mode:
//             bits 0-1  0 parse each record only; 1 an AuthenticatorSession
//                       is fed the records as the peer's packets; 2 a
//                       PeerSession is fed them as the authenticator's;
//                       3 both, each fed every record
//             bits 2-3  methods: 0 MD5-Challenge, 1 GTC, 2 MSCHAPv2,
//                       3 GTC, MD5-Challenge and MSCHAPv2 (in that order of
//                       preference for the authenticator; the peer runs all)
//             bit 4     the authenticator asks the Identity first
//   rest    records { length(2) | packet octets }; a last record cut short
//           takes what is left
//
// The sessions are those of reference/eap/session_test.cc's conversations:
// user "alice" with password "correct horse" (GTC: "123456"), random draws
// from deterministic generators seeded 1 (authenticator) and 2 (peer), the
// authenticator's first Identifier 0x40. So the seeds that test writes
// (IPSECREF_EAP_SEEDS=fuzz/corpus/eap) replay the real conversations:
// their packets get past the Identifier checks and the challenges, to
// Success.
//
// Checked beyond "no crash": a refused packet's error carries an offset
// inside it and a requirement; a parsed one serializes back to the same
// octets; every packet a session sends parses back as itself; the
// authenticator's errors leave its outstanding Request as it was; a Response
// carries its Request's Identifier; Success comes only with a method that
// succeeded, an MSK only after Success and only from MSCHAPv2 (64 octets).
// (Both ends' MSKs are compared in session_test.cc: here the two sessions
// need not have talked to each other.)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "reference/eap/mschapv2.h"
#include "reference/eap/session.h"

namespace ipsecref::fuzz {
namespace {

using eap::Packet;
using eap::Type;

SecureBytes Secret(std::string_view s) { return SecureBytes(s.begin(), s.end()); }

std::vector<Type> Methods(uint8_t mode) {
  switch ((mode >> 2) & 3) {
    case 0: return {Type::kMd5Challenge};
    case 1: return {Type::kGtc};
    case 2: return {Type::kMsChapV2};
    default: return {Type::kGtc, Type::kMd5Challenge, Type::kMsChapV2};
  }
}

eap::AuthenticatorConfig Gateway(uint8_t mode) {
  eap::AuthenticatorConfig a;
  a.ask_identity = (mode & 0x10) != 0;
  a.methods = Methods(mode);
  a.credentials.secret_for = [](std::string_view identity) -> std::optional<SecureBytes> {
    if (identity == "alice" || identity == "EXAMPLE\\alice") return Secret("correct horse");
    return std::nullopt;
  };
  a.credentials.gtc_check = [](std::string_view identity, ByteSpan response) -> Status {
    ENSURE(identity == "alice" &&
               std::string_view(reinterpret_cast<const char*>(response.data()), response.size()) == "123456",
           kAuthenticationFailed, kNoOffset, "", "wrong one-time password");
    return OkStatus();
  };
  return a;
}

eap::PeerConfig Client() {
  eap::PeerConfig p;
  p.credentials.identity = "alice";
  p.credentials.secret = Secret("correct horse");
  p.methods = {Type::kMsChapV2, Type::kMd5Challenge, Type::kGtc};
  return p;
}

void Report(std::string_view who, const Packet& in, const Result<std::optional<Packet>>& out) {
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  std::fprintf(stderr, "  %.*s <- %s: %s\n", static_cast<int>(who.size()), who.data(), eap::Describe(in).c_str(),
               !out.ok()          ? out.error().ToString().c_str()
               : out->has_value() ? eap::Describe(**out).c_str()
                                  : "(nothing)");
}

// A packet a session sends parses back as itself.
void CheckSent(const Packet& p) {
  auto octets = eap::Serialize(p);
  Check(octets.ok());
  auto back = eap::ParsePacket(*octets);
  Check(back.ok() && *back == p);
}

void CheckError(const Error& e, size_t size) {
  Check(e.offset == kNoOffset || e.offset <= size);
  Check(!e.requirement.empty());
}

// The codec on one record: returns the packet when it parses.
std::optional<Packet> Parse(ByteSpan record) {
  auto got = eap::ParsePacket(record);
  static const bool verbose = std::getenv("IPSECREF_FUZZ_VERBOSE") != nullptr;
  if (verbose && !got.ok()) std::fprintf(stderr, "  ParsePacket: %s\n", got.error().ToString().c_str());
  if (!got.ok()) {
    Check(got.error().offset <= record.size());
    CheckError(got.error(), record.size());
    return std::nullopt;
  }
  auto again = eap::Serialize(*got);
  Check(again.ok() && *again == Bytes(record.begin(), record.end()));
  Check(!eap::Describe(*got).empty());
  if (got->is(Type::kMsChapV2)) {
    if (auto m = eap::mschapv2::ReadMessage(*got); !m.ok()) CheckError(m.error(), record.size());
  }
  return *got;
}

void CheckMsk(const std::optional<SecureBytes>& msk, bool succeeded, std::optional<Type> method) {
  if (!succeeded || method != Type::kMsChapV2) Check(!msk.has_value());
  if (msk) Check(msk->size() == eap::mschapv2::kMskSize);
}

class Authenticator {
 public:
  explicit Authenticator(uint8_t mode) : rng_(crypto::MakeDeterministicRng(1)), session_(Gateway(mode), *rng_) {
    CheckSent(session_.Start(0x40));
  }
  void Feed(const Packet& p) {
    const std::optional<Packet> before = session_.outstanding();
    auto out = session_.Process(p);
    Report("authenticator", p,
           out.ok() ? Result<std::optional<Packet>>(std::optional<Packet>(*out))
                    : Result<std::optional<Packet>>(out.error()));
    if (!out.ok()) {
      CheckError(out.error(), 5 + p.type_data.size());
      Check(session_.outstanding() == before);  // a discarded packet changes nothing
      return;
    }
    CheckSent(*out);
    Check(before.has_value());
    if (out->code == eap::Code::kRequest) {
      Check(out->identifier != before->identifier);  // RFC 3748 §4.1: a new Request, a new Identifier
      Check(session_.outstanding() == *out && !session_.done());
    } else {
      Check(out->identifier == p.identifier);  // RFC 3748 §4.2
      Check(session_.done() && !session_.outstanding().has_value());
      Check((out->code == eap::Code::kSuccess) == session_.Succeeded());
    }
    CheckMsk(session_.Msk(), session_.Succeeded(), session_.method());
  }

 private:
  std::unique_ptr<crypto::Rng> rng_;
  eap::AuthenticatorSession session_;
};

class Peer {
 public:
  Peer() : rng_(crypto::MakeDeterministicRng(2)), session_(Client(), *rng_) {}
  void Feed(const Packet& p) {
    const bool was_done = session_.done();
    auto out = session_.Process(p);
    Report("peer", p, out);
    if (!out.ok()) {
      CheckError(out.error(), 5 + p.type_data.size());
      if (out.error().code == ipsecref::Code::kDiscarded) Check(session_.done() == was_done);
      return;
    }
    Check(!was_done);
    if (out->has_value()) {
      CheckSent(**out);
      Check((*out)->code == eap::Code::kResponse && (*out)->identifier == p.identifier);
    } else {
      Check(session_.done() && p.code != eap::Code::kRequest);
    }
    CheckMsk(session_.Msk(), session_.Succeeded(), session_.method());
  }

 private:
  std::unique_ptr<crypto::Rng> rng_;
  eap::PeerSession session_;
};

}  // namespace
}  // namespace ipsecref::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipsecref;
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const uint8_t target = mode & 3;
  std::optional<fuzz::Authenticator> authenticator;
  std::optional<fuzz::Peer> peer;
  if (target == 1 || target == 3) authenticator.emplace(mode);
  if (target == 2 || target == 3) peer.emplace();
  ByteSpan rest(data + 1, size - 1);
  for (int records = 0; !rest.empty() && records < 64; ++records) {
    size_t n = rest.size() < 2 ? rest.size() : LoadU16(rest.data());
    const size_t header = rest.size() < 2 ? 0 : 2;
    n = std::min(n, rest.size() - header);
    const ByteSpan record = rest.subspan(header, n);
    rest = rest.subspan(header + n);
    const std::optional<eap::Packet> p = fuzz::Parse(record);
    if (!p) continue;
    if (authenticator) authenticator->Feed(*p);
    if (peer) peer->Feed(*p);
  }
  return 0;
}
