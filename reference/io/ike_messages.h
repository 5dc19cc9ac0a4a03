// The IKE messages of a capture: every UDP datagram to or from port 500,
// and every one on port 4500 that starts with the non-ESP marker (RFC 3948
// §2.2), with the marker removed. NAT-keepalives and ESP in UDP are not IKE
// and are passed over, as is everything that is not UDP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/classify/classify.h"  // kIkePort, kNatTPort
#include "reference/io/pcap_reader.h"

namespace ipsecref::io {

struct CapturedIke {
  size_t packet_number = 0;  // 1-based, as Wireshark numbers frames
  Timestamp timestamp;
  std::string src, dst;  // "192.0.2.1", "2001:db8::1"
  uint16_t sport = 0, dport = 0;
  bool non_esp_marker = false;  // came on port 4500 behind the four zero octets
  Bytes message;                // from the IKE header on; the marker removed
};

// Reads the capture at `path`. Errors name the file and the packet:
// those of PcapReader; kBadFile for a frame whose link layer or IP header
// is damaged, or a UDP header that does not fit its packet; kTruncated for
// an IKE datagram the capture cut (snapshot length). IP fragments are
// reassembled (reference/ip/reassembly.h), each message numbered as the
// fragment that completed it; a datagram that could hold IKE must not go
// missing unnoticed, so a fragment the capture cut or the reassembler
// refuses, and a datagram it gives up (kFragmentOverlap, kReassemblyLimit,
// kReassemblyTimeout: still incomplete at the end), are errors naming the
// packets. IPv4 fragments of other protocols are passed over.
Result<std::vector<CapturedIke>> ReadIkeMessages(const std::string& pcap_path);
// The same one message at a time, as the capture is read (memory bounded by
// one record and the reassembler's limits), stopping at the first error
// `fn` returns.
Status ForEachIkeMessage(const std::string& pcap_path,
                         const std::function<Status(CapturedIke)>& fn);

// The same over packets already read (ReadIkeMessages on ReadCapture's
// records); `name` stands for the file in messages.
Result<std::vector<CapturedIke>> ExtractIkeMessages(const std::vector<CapturedPacket>& packets,
                                                    const std::string& name);

}  // namespace ipsecref::io
