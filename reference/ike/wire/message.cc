#include "reference/ike/wire/message.h"

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

void Finalize(Message& m) {
  m.header.next_payload = m.payloads.empty() ? iana::PayloadType::kNone : m.payloads.front().type;
  ByteWriter body;
  EncodePayloads(m.payloads, body);
  m.header.length = static_cast<uint32_t>(kHeaderSize + body.size());
}

Bytes Encode(const Message& m) {
  ByteWriter out(m.header.length);
  WriteHeader(m.header, out);
  EncodePayloads(m.payloads, out);
  return std::move(out).Take();
}

}  // namespace ipsecref::ike
