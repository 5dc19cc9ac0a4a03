#include "reference/io/pcap_writer.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ipsecref::io {

PcapWriter::PcapWriter(Key, pcap* dead, pcap_dumper* dumper, std::string path,
                       TimestampResolution resolution)
    : dead_(dead), dumper_(dumper), path_(std::move(path)), resolution_(resolution) {}

PcapWriter::~PcapWriter() { (void)Close(); }

namespace {

pcap_t* OpenDead(TimestampResolution resolution) {
  const u_int precision = resolution == TimestampResolution::kNanoseconds
                              ? PCAP_TSTAMP_PRECISION_NANO
                              : PCAP_TSTAMP_PRECISION_MICRO;
  // DLT_RAW is written to the file as LINKTYPE_RAW (101).
  return pcap_open_dead_with_tstamp_precision(DLT_RAW, static_cast<int>(kPcapWriterSnapLength),
                                              precision);
}

}  // namespace

Result<std::unique_ptr<PcapWriter>> PcapWriter::Create(const std::string& path,
                                                       TimestampResolution resolution) {
  pcap_t* dead = OpenDead(resolution);
  ENSURE(dead != nullptr, kIoError, kNoOffset, "", fmt::format("{}: libpcap refused", path));
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    std::string why = pcap_geterr(dead);  // libpcap's message names the file itself
    pcap_close(dead);
    if (why.find(path) == std::string::npos) why = fmt::format("{}: {}", path, why);
    return MakeError(Code::kIoError, kNoOffset, "", std::move(why));
  }
  return std::make_unique<PcapWriter>(Key{}, dead, dumper, path, resolution);
}

Result<std::unique_ptr<PcapWriter>> PcapWriter::Create(std::FILE* file, const std::string& name,
                                                       TimestampResolution resolution) {
  pcap_t* dead = OpenDead(resolution);
  pcap_dumper_t* dumper = dead != nullptr ? pcap_dump_fopen(dead, file) : nullptr;
  if (dumper == nullptr) {
    std::string why = dead != nullptr ? pcap_geterr(dead) : "libpcap refused";
    if (dead != nullptr) pcap_close(dead);
    std::fclose(file);
    return MakeError(Code::kIoError, kNoOffset, "", fmt::format("{}: {}", name, why));
  }
  return std::make_unique<PcapWriter>(Key{}, dead, dumper, name, resolution);
}

Status PcapWriter::Write(const Timestamp& timestamp, ByteSpan ip_packet) {
  ENSURE(dumper_ != nullptr, kInvalidArgument, kNoOffset, "", fmt::format("{}: closed", path_));
  ENSURE(ip_packet.size() <= kPcapWriterSnapLength, kInvalidArgument, kNoOffset, "",
         fmt::format("{}: packet of {} bytes exceeds the snapshot length {}", path_,
                     ip_packet.size(), kPcapWriterSnapLength));
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(timestamp.seconds);
  header.ts.tv_usec = static_cast<suseconds_t>(resolution_ == TimestampResolution::kNanoseconds
                                                   ? timestamp.nanoseconds
                                                   : timestamp.nanoseconds / 1000);
  header.caplen = static_cast<bpf_u_int32>(ip_packet.size());
  header.len = header.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, ip_packet.data());
  ++count_;
  return OkStatus();
}

Status PcapWriter::Close() {
  if (dumper_ == nullptr) return OkStatus();
  errno = 0;
  const bool flushed = pcap_dump_flush(dumper_) == 0 && std::ferror(pcap_dump_file(dumper_)) == 0;
  const int error = errno;  // why the flush failed (disk full, ...)
  pcap_dump_close(dumper_);
  pcap_close(dead_);
  dumper_ = nullptr;
  dead_ = nullptr;
  ENSURE(flushed, kIoError, kNoOffset, "",
         fmt::format("{}: write failed{}", path_, error != 0 ? fmt::format(": {}", std::strerror(error)) : ""));
  return OkStatus();
}

}  // namespace ipsecref::io
