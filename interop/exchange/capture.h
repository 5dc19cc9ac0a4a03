// What a session leaves behind: its datagrams as IPv4/UDP packets of a pcap
// and the key files of every SA it had (`ipsecref exchange --pcap
// --keys-out`, `ipsecref conformance --keep`).
#pragma once

#include <string>

#include "interop/exchange/scenarios.h"
#include "reference/io/pcap_writer.h"

namespace ipsecref::exchange {

// One datagram as an IP/UDP packet (IPv4 or IPv6, as its addresses are):
// IP header with its checksum and the datagram's number as Identification
// (IPv4), UDP header with its checksum.
Bytes FrameOf(const CapturedDatagram& d);
// The fake clock's reading as the capture's time.
io::Timestamp TimestampOf(const CapturedDatagram& d);

// The key files of the run, as texts; SAs Wireshark has no name for go to
// keys.json alone.
struct KeyFiles {
  std::string ikev2_table, esp_sa, keys_json;
  size_t ike_in_table = 0, esp_in_file = 0;
};
Result<KeyFiles> KeyFilesOf(const Session& s);

}  // namespace ipsecref::exchange
