#include "reference/ikev1/message.h"

#include <fmt/format.h>

namespace ipsecref::ikev1 {

Result<Message> Decode(ByteSpan datagram) {
  ByteReader in(datagram);
  Message m;
  TRY_ASSIGN(m.header, ParseHeader(in, datagram.size(), m.notes));
  if (m.header.encrypted()) {
    //= rfc2408#section-3.1
    //# With the Encryption bit set, all payloads after the header are
    //# encrypted with the ISAKMP SA's algorithm.
    m.encrypted = ReadRest(in);
    return m;
  }
  TRY_ASSIGN(m.payloads, DecodePayloads(in, m.header.next_payload, m.notes));
  return m;
}

std::vector<Error> Validate(const Message& m) {
  std::vector<Error> violations;
  for (const Payload& p : m.payloads)
    if (Status s = VerifyPayload(p); !s) violations.push_back(std::move(s).error());
  const ExchangeType x = m.header.exchange_type;
  const bool phase1 = x == ExchangeType::kIdentityProtection || x == ExchangeType::kAggressive;
  bool has_sa = false;
  for (const Payload& p : m.payloads) has_sa = has_sa || p.type == PayloadType::kSa;
  //= rfc2409#section-5
  //# In a Phase 1 exchange the SA payload comes before every other payload.
  if (phase1 && has_sa && m.payloads.front().type != PayloadType::kSa)
    violations.push_back(MakeError(Code::kPayloadMalformed, m.payloads.front().offset, "rfc2409#section-5",
                                   fmt::format("{}: the first payload is {}, not the SA", ExchangeLabel(x),
                                               PayloadLabel(m.payloads.front()))));
  return violations;
}

Status Finalize(Message& m) {
  ByteWriter body;
  if (m.header.encrypted()) {
    body.Append(m.encrypted);
  } else {
    TRY(EncodePayloads(m.payloads, body));
    m.header.next_payload = m.payloads.empty() ? PayloadType::kNone : m.payloads.front().type;
  }
  const size_t length = kHeaderSize + body.size();
  if (length > 0xffffffff) return TooLong("rfc2408#section-3.1", "Length is 32 bits");
  m.header.length = static_cast<uint32_t>(length);
  return OkStatus();
}

Result<Bytes> Encode(const Message& m) {
  ByteWriter out;
  WriteHeader(m.header, out);
  if (m.header.encrypted())
    out.Append(m.encrypted);
  else
    TRY(EncodePayloads(m.payloads, out));
  return std::move(out).Take();
}

}  // namespace ipsecref::ikev1
