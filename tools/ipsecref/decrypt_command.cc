// ipsecref decrypt CAPTURE --keys DIR -o OUT.pcap: writes what the SAs of a
// capture hand up (tunnel: the inner packets; transport: the packets rebuilt
// without ESP/AH) to a raw-IP pcap, each with its ESP/AH packet's timestamp.
#include <fmt/format.h>

#include "reference/io/capture_check.h"
#include "reference/io/keys.h"
#include "reference/io/pcap_writer.h"
#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {

namespace {

struct DecryptOptions {
  std::string capture;
  std::string keys;
  std::string output;
  bool microseconds = false;
};

int RunDecrypt(const DecryptOptions& o) {
  auto keys = io::KeyStore::Load(o.keys);
  if (!keys) {
    fmt::print(stderr, "ipsecref decrypt: keys: {}\n", keys.error().ToString());
    return kExitUsage;
  }
  auto writer =
      io::PcapWriter::Create(o.output, o.microseconds ? io::TimestampResolution::kMicroseconds
                                                      : io::TimestampResolution::kNanoseconds);
  if (!writer) {
    fmt::print(stderr, "ipsecref decrypt: {}\n", writer.error().ToString());
    return kExitUsage;
  }
  std::optional<Error> write_error;
  io::PcapWriter& out = **writer;
  auto sink = [&out, &write_error](const io::PacketResult& p, ByteSpan inner) {
    if (write_error) return;
    if (Status s = out.Write(p.timestamp, inner); !s) write_error = std::move(s).error();
  };
  auto report = io::CheckCapture(o.capture, *keys, {}, sink);
  if (!report) {
    fmt::print(stderr, "ipsecref decrypt: {}\n", report.error().ToString());
    return kExitUsage;
  }
  if (Status s = out.Close(); !s && !write_error) write_error = std::move(s).error();
  if (write_error) {
    fmt::print(stderr, "ipsecref decrypt: {}\n", write_error->ToString());
    return kExitUsage;
  }
  uint64_t ipsec = 0, no_keys = 0;
  for (const io::SaReport& sa : report->sas) {
    ipsec += sa.packets;
    if (!sa.keys_known) no_keys += sa.packets;
  }
  fmt::print("{}: wrote {} packets from {} ESP/AH packets of {} ({} failed, {} without keys)\n",
             o.output, out.packets_written(), ipsec, o.capture, report->failed(), no_keys);
  for (const io::PacketResult& p : report->notable)
    if (p.verdict == io::Verdict::kFailed && p.error)
      fmt::print("  packet {}: {}\n", p.number, p.error->ToString());
  if (report->notable_not_kept)
    fmt::print("  and {} more notable packets (the first {} per SA are kept)\n", report->notable_not_kept,
               io::kPacketsKept);
  if (report->read_error) {
    fmt::print(stderr, "ipsecref decrypt: {}\n", report->read_error->ToString());
    return kExitUsage;
  }
  return report->failed() > 0 ? kExitFailed : kExitOk;
}

}  // namespace

void AddDecryptCommand(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<DecryptOptions>();
  CLI::App* cmd = app.add_subcommand(
      "decrypt", "Write the decrypted inner packets of a capture's ESP/AH traffic to a pcap");
  cmd->add_option("capture", opts->capture, "Capture file (pcap or pcapng)")->required();
  cmd->add_option("--keys", opts->keys,
                  "Key directory (esp_sa, keys.csv, keys.csv.a, keys.csv.b) or one key file")
      ->required();
  cmd->add_option("-o,--output", opts->output, "Output pcap (raw IP)")->required();
  cmd->add_flag("--microseconds", opts->microseconds,
                "Write a microsecond pcap (default: nanosecond)");
  cmd->footer(
      "Packets are checked exactly as 'ipsecref check' does; only those that verify\n"
      "are written, in capture order, with the timestamps of their ESP/AH packets.\n"
      "Exit: 0 all ESP/AH packets with keys verified; 1 some failed (the others are\n"
      "still written); 2 usage or input error.");
  cmd->callback([opts, &run] { run = [opts] { return RunDecrypt(*opts); }; });
}

}  // namespace ipsecref::tool
