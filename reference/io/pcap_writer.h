// Writing IP packets to a classic pcap file with link type LINKTYPE_RAW
// (through libpcap), in microsecond or nanosecond resolution: the format
// that Wireshark, tcpdump and Scapy's rdpcap all read.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "reference/base/result.h"
#include "reference/bytes/bytes.h"
#include "reference/io/pcap_reader.h"

struct pcap;
struct pcap_dumper;

namespace ipsecref::io {

enum class TimestampResolution { kMicroseconds, kNanoseconds };

class PcapWriter {
 public:
  // Creates (or truncates) `path`. Errors: kIoError naming the file.
  static Result<std::unique_ptr<PcapWriter>> Create(
      const std::string& path, TimestampResolution resolution = TimestampResolution::kNanoseconds);
  // Writes to an open stream (e.g. a copy of standard output), which Close()
  // closes; `name` names it in errors.
  static Result<std::unique_ptr<PcapWriter>> Create(
      std::FILE* file, const std::string& name,
      TimestampResolution resolution = TimestampResolution::kNanoseconds);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one IP packet (IPv4 or IPv6, starting with its IP header).
  // Microsecond files round the timestamp down. Errors: kInvalidArgument for
  // a packet larger than the snapshot length.
  [[nodiscard]] Status Write(const Timestamp& timestamp, ByteSpan ip_packet);
  // Flushes and closes; reports a failed write (disk full, ...) as kIoError.
  // The destructor closes too, silently.
  [[nodiscard]] Status Close();

  uint64_t packets_written() const { return count_; }

 private:
  struct Key {};

 public:
  PcapWriter(Key, pcap* dead, pcap_dumper* dumper, std::string path,
             TimestampResolution resolution);

 private:
  pcap* dead_;
  pcap_dumper* dumper_;
  std::string path_;
  TimestampResolution resolution_;
  uint64_t count_ = 0;
};

// The largest packet a written record holds (the file's snapshot length).
inline constexpr size_t kPcapWriterSnapLength = 262144;

}  // namespace ipsecref::io
