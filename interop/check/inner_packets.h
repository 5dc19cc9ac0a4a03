// Comparing the packets a capture's SAs hand up with the inner packets that
// were captured in clear (the ground truth of a test capture).
//
// The comparison is of multisets of IP packets, byte for byte: every
// decrypted packet must equal one expected packet not matched before, and
// every expected packet must be matched. Order is reported but not required,
// since ground truth merged from two hosts interleaves differently from the
// wire. Frames of the expected file that carry no IP (ARP, ...) are skipped;
// IP packets are compared up to the length their header states (link-layer
// padding is not part of them).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/pcap_reader.h"

namespace ipsecref::io {

struct IpPacketRecord {
  uint64_t number = 0;  // in its capture
  Timestamp timestamp;
  Bytes packet;  // the IP packet, trimmed to its stated length
};

struct IpPackets {
  std::vector<IpPacketRecord> packets;
  uint64_t not_ip = 0;  // frames skipped
};

// The IP packets of the capture at `path`. Errors: those of PcapReader,
// and kBadFile for a packet that the capture cut (snapshot length) or whose
// link layer is damaged: ground truth must be whole.
Result<IpPackets> ReadIpPackets(const std::string& path);

struct InnerComparison {
  std::string expected_file;
  uint64_t decrypted = 0;
  uint64_t expected = 0;
  uint64_t expected_not_ip = 0;  // frames of the expected file that carry no IP
  uint64_t matched = 0;
  std::vector<uint64_t> missing;     // expected-file numbers that nothing decrypted to
  std::vector<uint64_t> unexpected;  // capture numbers whose inner packet is not expected
  bool same_order = true;            // matched packets appear in the same order in both

  bool ok() const { return missing.empty() && unexpected.empty(); }
};

InnerComparison CompareInnerPackets(std::span<const IpPacketRecord> decrypted,
                                    std::span<const IpPacketRecord> expected);

}  // namespace ipsecref::io
