// ipsecref decrypt CAPTURE --keys DIR -o OUT.pcap: writes what the SAs of a
// capture hand up (tunnel: the inner packets; transport: the packets rebuilt
// without ESP/AH) to a raw-IP pcap, each with its ESP/AH packet's timestamp.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "interop/check/capture_check.h"
#include "reference/io/keys.h"
#include "reference/io/pcap_writer.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/output_file.h"

namespace ipsecref::tool {

namespace {

struct DecryptOptions {
  std::string capture;
  std::string keys;
  std::string output;
  bool microseconds = false;
};

int RunDecrypt(const DecryptOptions& o) {
  const auto fail = [](const Error& e, std::string_view context = {}) { return Fail("decrypt", e, false, context); };
  if (Status s = CheckInput("", o.capture); !s) return fail(s.error());
  if (Status s = CheckInput("--keys", o.keys, InputKind::kFileOrDirectory); !s) return fail(s.error());
  auto keys = io::KeyStore::Load(o.keys);
  if (!keys) return fail(keys.error(), "keys");
  std::vector<std::string> inputs = keys->files();
  inputs.push_back(o.capture);
  // Written beside the output and renamed onto it once complete: an
  // unreadable capture or a failed write leaves an existing file as it was.
  auto output = OutputFile::Open("-o", o.output, inputs, /*allow_stdout=*/true);
  if (!output) return fail(output.error());
  const auto resolution =
      o.microseconds ? io::TimestampResolution::kMicroseconds : io::TimestampResolution::kNanoseconds;
  Result<std::unique_ptr<io::PcapWriter>> writer = MakeError(Code::kIoError, kNoOffset, "", "");
  if (output->is_stdout()) {
    // A copy of standard output, which the writer closes; stdout itself
    // stays open for the end of main.
    const int fd = dup(STDOUT_FILENO);
    std::FILE* file = fd >= 0 ? fdopen(fd, "wb") : nullptr;
    if (file == nullptr) {
      if (fd >= 0) close(fd);
      return fail(MakeError(Code::kIoError, kNoOffset, "",
                            fmt::format("-o -: standard output: {}", std::strerror(errno))));
    }
    writer = io::PcapWriter::Create(file, "standard output", resolution);
  } else {
    writer = io::PcapWriter::Create(output->write_path(), resolution);
  }
  if (!writer) return fail(writer.error());
  std::optional<Error> write_error;
  io::PcapWriter& out = **writer;
  auto sink = [&out, &write_error](const io::PacketResult& p, ByteSpan inner) {
    if (write_error) return;
    if (Status s = out.Write(p.timestamp, inner); !s) write_error = std::move(s).error();
  };
  auto report = io::CheckCapture(o.capture, *keys, {}, sink);
  if (!report) return fail(report.error());
  if (Status s = out.Close(); !s && !write_error) write_error = std::move(s).error();
  if (write_error) {
    // The writer names the file it wrote (the temporary one): say which output that is.
    write_error->detail = fmt::format("-o {}: {}", Echo(o.output), write_error->detail);
    return fail(*write_error);
  }
  // A capture that breaks off still gives the packets before the break, as
  // check judges them: they are kept, and the exit code says the input broke.
  if (Status s = output->Commit(); !s) return fail(s.error());
  uint64_t ipsec = 0, no_keys = 0;
  for (const io::SaReport& sa : report->sas) {
    ipsec += sa.packets;
    if (!sa.keys_known) no_keys += sa.packets;
  }
  // With the pcap on standard output, the summary goes to stderr.
  std::FILE* summary = output->is_stdout() ? stderr : stdout;
  fmt::print(summary, "{}: wrote {} packets from {} ESP/AH packets of {} ({} failed, {} without keys)\n",
             output->is_stdout() ? "standard output" : o.output, out.packets_written(), ipsec, o.capture,
             report->failed(), no_keys);
  for (const io::PacketResult& p : report->notable)
    if (p.verdict == io::Verdict::kFailed && p.error)
      fmt::print(summary, "  packet {}: {}\n", p.number, p.error->ToString());
  if (report->notable_not_kept)
    fmt::print(summary, "  and {} more notable packets (the first {} per SA are kept)\n", report->notable_not_kept,
               io::kPacketsKept);
  if (report->read_error) return fail(*report->read_error);
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
  cmd->add_option("-o,--output", opts->output, "Output pcap (raw IP); - for standard output")->required();
  cmd->add_flag("--microseconds", opts->microseconds,
                "Write a microsecond pcap (default: nanosecond)");
  cmd->footer(
      "Packets are checked exactly as 'ipsecref check' does; only those that verify\n"
      "are written, in capture order, with the timestamps of their ESP/AH packets.\n"
      "Exit: 0 all ESP/AH packets with keys verified; 1 some failed (the others are\n"
      "still written); 2 usage or input error.\n"
      "The output is written beside its name and renamed onto it when complete: a\n"
      "failed run leaves an existing file as it was. An output that is an input is\n"
      "refused. With -o - the pcap goes to standard output and the summary to stderr.");
  cmd->callback([opts, &run] { run = [opts] { return RunDecrypt(*opts); }; });
}

}  // namespace ipsecref::tool
