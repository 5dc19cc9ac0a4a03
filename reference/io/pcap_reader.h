// reference/io/ (library ipsecref_io): the file formats, captures and key
// files, read and written; no judging (that is interop/check/).
//
// Reading captures (pcap and pcapng, through libpcap): each record with its
// number, its timestamp to the nanosecond, its captured and original length,
// and the IP packet its link layer carries.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/link_layer.h"

struct pcap;  // libpcap's pcap_t

namespace ipsecref::io {

struct Timestamp {
  int64_t seconds = 0;
  uint32_t nanoseconds = 0;  // 0 .. 999'999'999

  auto operator<=>(const Timestamp&) const = default;
  // "1764232173.020341123"
  std::string ToString() const;
  // Seconds from `earlier` to this, as a double (for reports).
  double SecondsSince(const Timestamp& earlier) const;
  // Nanoseconds since the epoch, saturating at the int64 range (a record
  // may claim any time), and back.
  int64_t ToNanoseconds() const;
  static Timestamp FromNanoseconds(int64_t ns);
};

struct CapturedPacket {
  uint64_t number = 0;  // 1-based, as Wireshark numbers frames
  Timestamp timestamp;
  uint32_t captured_length = 0;  // bytes present in the file
  uint32_t original_length = 0;  // bytes the packet had on the wire
  Bytes frame;                   // the captured bytes, link-layer header included
  // What the link layer carries, or why that could not be told (the frame
  // ends inside its link-layer header).
  Result<LinkPayload> link = LinkPayload{};

  // The capture kept only part of the packet (snapshot length): its content
  // past `captured_length` is unknown, so it must not be judged as complete.
  bool cut() const { return captured_length < original_length; }
  bool is_ip() const { return link.ok() && link->protocol != NetworkProtocol::kOther; }
  // The network-layer bytes (everything after the link-layer header); empty
  // unless is_ip(). May run past the IP packet's own length (Ethernet padding).
  ByteSpan ip() const;
};

class PcapReader {
 public:
  // Errors: kIoError (cannot open), kBadFile (not a pcap/pcapng file, or its
  // header is damaged), kUnsupported (a link type DecodeLinkLayer lacks).
  // Every message names the file.
  static Result<std::unique_ptr<PcapReader>> Open(const std::string& path);
  // The same over bytes in memory (copied); `name` stands for the file in
  // messages.
  static Result<std::unique_ptr<PcapReader>> OpenMemory(ByteSpan data, std::string name);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The next record, or nullopt at the end of the file. A damaged or
  // truncated record is a kBadFile error naming the file and the record's
  // number; reading stops there.
  Result<std::optional<CapturedPacket>> Next();

  int link_type() const { return link_type_; }
  const std::string& name() const { return name_; }
  uint64_t packets_read() const { return count_; }
  // How far into the file reading has come, in bytes (for progress), or
  // nullopt when libpcap cannot tell.
  std::optional<uint64_t> position() const;

 private:
  struct Key {};
  static Result<std::unique_ptr<PcapReader>> Adopt(pcap* p, std::string name, Bytes memory);

 public:
  PcapReader(Key, pcap* handle, std::string name, int link_type, Bytes memory);

 private:
  pcap* handle_;
  Bytes memory_;  // what an in-memory capture reads from
  std::string name_;
  int link_type_;
  uint64_t count_ = 0;
  bool done_ = false;
};

// Reads every record of the capture at `path`.
Result<std::vector<CapturedPacket>> ReadCapture(const std::string& path);

}  // namespace ipsecref::io
