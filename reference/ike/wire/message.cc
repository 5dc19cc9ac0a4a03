#include "reference/ike/wire/message.h"

#include <fmt/format.h>

namespace ipsecref::ike {

std::vector<const Payload*> Message::Visible() const {
  std::vector<const Payload*> out;
  for (const Payload& p : payloads) {
    const bool encrypted = p.type == iana::PayloadType::kSk || p.type == iana::PayloadType::kSkf;
    if (encrypted && decrypted) {
      for (const Payload& q : inner) out.push_back(&q);
    } else {
      out.push_back(&p);
    }
  }
  return out;
}

const Payload* Message::Encrypted() const {
  for (const Payload& p : payloads)
    if (p.type == iana::PayloadType::kSk || p.type == iana::PayloadType::kSkf) return &p;
  return nullptr;
}

Result<Message> Decode(ByteSpan datagram) {
  ByteReader in(datagram);
  Message m;
  TRY_ASSIGN(m.header, ParseHeader(in, datagram.size()));
  TRY_ASSIGN(m.payloads, DecodePayloads(in, m.header.next_payload, /*inside_sk=*/false, m.notes));
  return m;
}

Status DecodeInner(Message& m, iana::PayloadType first, ByteSpan plaintext, size_t base_offset) {
  ByteReader in(plaintext, base_offset);
  TRY_ASSIGN(m.inner, DecodePayloads(in, first, /*inside_sk=*/true, m.notes));
  m.decrypted = true;
  return OkStatus();
}

Status Finalize(Message& m) {
  ByteWriter body;
  TRY(EncodePayloads(m.payloads, body));
  //= rfc7296#section-3.1
  //# Length is 32 bits and counts the header and all payloads.
  if (!ByteWriter::Fits(kHeaderSize + body.size(), 4))
    return TooLong("rfc7296#section-3.1", fmt::format("message of {} bytes; Length holds at most 2^32 - 1",
                                                      kHeaderSize + body.size()));
  m.header.next_payload = m.payloads.empty() ? iana::PayloadType::kNone : m.payloads.front().type;
  m.header.length = static_cast<uint32_t>(kHeaderSize + body.size());
  return OkStatus();
}

Result<Bytes> Encode(const Message& m) {
  ByteWriter out(m.header.length);
  WriteHeader(m.header, out);
  TRY(EncodePayloads(m.payloads, out));
  return std::move(out).Take();
}

}  // namespace ipsecref::ike
