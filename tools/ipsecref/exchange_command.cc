// ipsecref exchange SCENARIO [--pcap OUT.pcap] [--keys-out DIR] [--deviation [PEER:]NAME[=ARG]]... [--seed N] [--json]:
// runs two reference peers through a named scenario in memory
// (interop/exchange/scenarios.h) and writes what a capture of it would
// hold: every datagram as an IPv4/UDP packet with the fake clock's time,
// and the keys of every IKE SA and CHILD SA of the run as Wireshark's
// ikev2_decryption_table and esp_sa and as keys.json. The report is the
// run's ladder, each end's final SAs and the verdict on the scenario's
// expectation. `ipsecref exchange --list` lists the scenarios.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "interop/exchange/capture.h"
#include "interop/exchange/deviations.h"
#include "interop/exchange/scenarios.h"
#include "reference/bytes/bytes.h"
#include "reference/ip/packet.h"
#include "reference/io/esp_sa_file.h"
#include "reference/io/ikev2_table.h"
#include "reference/io/keys_json.h"
#include "reference/io/pcap_writer.h"
#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/output_file.h"

namespace ipsecref::tool {

namespace {

using exchange::CapturedDatagram;
using exchange::Session;

struct ExchangeOptions {
  std::string scenario;
  std::string pcap;
  std::string keys_out;
  std::vector<std::string> deviations;
  uint64_t seed = 1;
  bool list = false;
  bool json = false;
};

std::string Seconds(const CapturedDatagram& d, ike::sa::Time start) {
  const ike::sa::Time t = d.at - start;
  return fmt::format("{}.{:03}", t / 1000, t % 1000);
}

Status WriteText(OutputFile& file, const std::string& text, std::string_view what) {
  std::ofstream f(file.write_path(), std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  if (!f) return MakeError(Code::kIoError, kNoOffset, "", fmt::format("{}: the write failed", what));
  return OkStatus();
}

// The whole canonical path a file would have, for comparing outputs.
std::string Canonical(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

int List(bool json) {
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const exchange::Scenario& s : exchange::Scenarios())
      list.push_back({{"name", s.name},
                      {"description", s.description},
                      {"requirement", s.requirement},
                      {"expectation", s.expectation}});
    PrintJson({{"scenarios", list}});
    return kExitOk;
  }
  for (const exchange::Scenario& s : exchange::Scenarios())
    fmt::print("{:<24} {} ({})\n", s.name, s.description, s.requirement);
  return kExitOk;
}

int RunExchange(const ExchangeOptions& o) {
  const auto fail = [&o](const Error& e) { return Fail("exchange", e, o.json); };
  if (o.list) return List(o.json);
  if (o.scenario.empty()) return FailUsage("exchange", "a SCENARIO is required (--list lists them)", o.json);
  const exchange::Scenario* scenario = exchange::FindScenario(o.scenario);
  if (scenario == nullptr)
    return FailUsage("exchange", fmt::format("unknown scenario \"{}\" (--list lists them)", Echo(o.scenario)), o.json);
  {
    // Deviations are refused before anything runs or is written.
    testing::Exchange probe(testing::PskInitiatorConfig(), testing::PskResponderConfig());
    if (Status s = exchange::ApplyDeviations(probe, o.deviations); !s) return fail(s.error());
  }

  // Outputs: planned (temporary files beside them) before the run; the
  // capture may not be one of the key files.
  const char* kKeyFiles[] = {"ikev2_decryption_table", "esp_sa", "keys.json"};
  if (!o.pcap.empty() && !o.keys_out.empty())
    for (const char* name : kKeyFiles)
      if (Canonical((std::filesystem::path(o.keys_out) / name).string()) == Canonical(o.pcap))
        return FailUsage("exchange", fmt::format("--pcap {} is one of the key files --keys-out writes", Echo(o.pcap)),
                         o.json);
  std::optional<OutputFile> pcap, table, esp_sa, keys_json;
  if (!o.pcap.empty()) {
    auto f = OutputFile::Open("--pcap", o.pcap, {});
    if (!f) return fail(f.error());
    pcap.emplace(std::move(*f));
  }
  if (!o.keys_out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.keys_out, ec);
    if (ec || !std::filesystem::is_directory(o.keys_out))
      return fail(MakeError(Code::kIoError, kNoOffset, "",
                            fmt::format("--keys-out {}: {}", Echo(o.keys_out),
                                        ec ? ec.message() : std::string("not a directory"))));
    std::optional<OutputFile>* files[] = {&table, &esp_sa, &keys_json};
    for (int i = 0; i < 3; ++i) {
      auto f = OutputFile::Open("--keys-out", (std::filesystem::path(o.keys_out) / kKeyFiles[i]).string(), {});
      if (!f) return fail(f.error());
      files[i]->emplace(std::move(*f));
    }
  }

  Session session(o.seed, o.deviations);
  session.set_data_dir(DefaultVectorsDir());
  scenario->run(session);
  session.Finish();
  if (session.deviation_error()) return fail(*session.deviation_error());

  const std::vector<CapturedDatagram>& datagrams = session.datagrams();
  if (pcap) {
    auto writer = io::PcapWriter::Create(pcap->write_path(), io::TimestampResolution::kMicroseconds);
    if (!writer) return fail(writer.error());
    for (const CapturedDatagram& d : datagrams)
      if (Status s = (*writer)->Write(exchange::TimestampOf(d), exchange::FrameOf(d)); !s) return fail(s.error());
    if (Status s = (*writer)->Close(); !s) return fail(s.error());
    if (Status s = pcap->Commit(); !s) return fail(s.error());
  }
  exchange::KeyFiles keys;
  if (table) {
    auto made = exchange::KeyFilesOf(session);
    if (!made) return fail(made.error());
    keys = std::move(*made);
    if (Status s = WriteText(*table, keys.ikev2_table, "ikev2_decryption_table"); !s) return fail(s.error());
    if (Status s = WriteText(*esp_sa, keys.esp_sa, "esp_sa"); !s) return fail(s.error());
    if (Status s = WriteText(*keys_json, keys.keys_json, "keys.json"); !s) return fail(s.error());
    for (OutputFile* f : {&*table, &*esp_sa, &*keys_json})
      if (Status s = f->Commit(); !s) return fail(s.error());
  }

  const bool pass = session.failures().empty();
  const ike::sa::Time start = datagrams.empty() ? 0 : datagrams.front().at;
  if (o.json) {
    nlohmann::json ladder = nlohmann::json::array();
    for (const CapturedDatagram& d : datagrams) {
      nlohmann::json line = {{"number", d.number},
                             {"time", Seconds(d, start)},
                             {"direction", d.from_initiator ? "I->R" : "R->I"},
                             {"source", d.datagram.source.ToString()},
                             {"destination", d.datagram.destination.ToString()},
                             {"message", d.ladder}};
      if (!d.note.empty()) line["note"] = d.note;
      ladder.push_back(line);
    }
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& states : session.final_states()) {
      nlohmann::json run;
      for (int i = 0; i < 2; ++i) {
        nlohmann::json sas = nlohmann::json::array();
        for (const auto& ike : states[i].ike_sas) {
          nlohmann::json children = nlohmann::json::array();
          for (const auto& c : ike.children)
            children.push_back({{"spi_in", fmt::format("0x{:08x}", c.spi_in)},
                                {"spi_out", fmt::format("0x{:08x}", c.spi_out)},
                                {"state", c.state}});
          sas.push_back({{"spi_i", fmt::format("0x{:016x}", ike.spi_i)},
                         {"spi_r", fmt::format("0x{:016x}", ike.spi_r)},
                         {"state", ike.state},
                         {"children", children}});
        }
        run[i == 0 ? "initiator" : "responder"] = sas;
      }
      runs.push_back(run);
    }
    nlohmann::json report = {{"scenario", scenario->name},
                             {"requirement", scenario->requirement},
                             {"seed", o.seed},
                             {"datagrams", ladder},
                             {"runs", runs},
                             {"ike_sas_seen", session.ike_sas().size()},
                             {"child_sas_seen", session.child_sas().size()},
                             {"expectation", scenario->expectation},
                             {"failures", session.failures()},
                             {"verdict", pass ? "PASS" : "FAIL"}};
    if (pcap) report["pcap"] = o.pcap;
    if (table) report["keys_out"] = o.keys_out;
    PrintJson(report);
    return pass ? kExitOk : kExitFailed;
  }

  fmt::print("exchange {}: {} ({}), seed {}\n", scenario->name, scenario->description, scenario->requirement,
             o.seed);
  for (const CapturedDatagram& d : datagrams)
    fmt::print("{:>4} {:>8} {} {}{}\n", d.number, Seconds(d, start), d.from_initiator ? "I->R" : "R->I", d.ladder,
               d.note.empty() ? "" : "  (" + d.note + ")");
  size_t run_number = 0;
  for (const auto& states : session.final_states()) {
    ++run_number;
    const std::string run = session.final_states().size() > 1 ? fmt::format("run {} ", run_number) : "";
    for (int i = 0; i < 2; ++i) {
      const char* who = i == 0 ? "initiator" : "responder";
      if (states[i].ike_sas.empty()) fmt::print("{}{}: no IKE SA\n", run, who);
      for (const auto& ike : states[i].ike_sas) {
        fmt::print("{}{}: IKE SA {:016x}_i {:016x}_r {}\n", run, who, ike.spi_i, ike.spi_r, ike.state);
        for (const auto& c : ike.children)
          fmt::print("{}{}:   CHILD SA in 0x{:08x} out 0x{:08x} {}\n", run, who, c.spi_in, c.spi_out, c.state);
      }
    }
  }
  if (pcap) fmt::print("pcap: {} ({} packets)\n", o.pcap, datagrams.size());
  if (table)
    fmt::print("keys: {} IKE SAs ({} in ikev2_decryption_table), {} CHILD SA halves ({} in esp_sa), all in {}/keys.json\n",
               session.ike_sas().size(), keys.ike_in_table, session.child_sas().size(), keys.esp_in_file, o.keys_out);
  fmt::print("expectation: {}\n", scenario->expectation);
  for (const std::string& f : session.failures()) fmt::print("  failed: {}\n", f);
  fmt::print("{} {}\n", pass ? "PASS" : "FAIL", scenario->name);
  return pass ? kExitOk : kExitFailed;
}

}  // namespace

void AddExchangeCommand(CLI::App& app, Runner& run) {
  auto opts = std::make_shared<ExchangeOptions>();
  CLI::App* cmd =
      app.add_subcommand("exchange", "Run two reference IKEv2 peers through a named scenario in memory");
  cmd->add_option("scenario", opts->scenario, "Scenario name (--list lists them)");
  cmd->add_flag("--list", opts->list, "List the scenarios");
  cmd->add_option("--pcap", opts->pcap, "Write the datagrams as IPv4/UDP packets to this pcap")->check(NotEmpty());
  cmd->add_option("--keys-out", opts->keys_out,
                  "Write ikev2_decryption_table, esp_sa and keys.json of every SA into this directory")
      ->check(NotEmpty());
  cmd->add_option("--deviation", opts->deviations,
                  "A named deviation (interop/deviations): [initiator:|responder:]NAME[=ARG], repeatable; "
                  "the initiator by default");
  cmd->add_option("--seed", opts->seed, "Seed of every random draw (default 1)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", opts->json, "Report as JSON");
  cmd->footer(
      "The capture holds every datagram either peer sent (a lost one too), as\n"
      "IPv4/UDP with real checksums, times from the fake clock. The key files\n"
      "hold every IKE SA and CHILD SA that existed during the run; SAs Wireshark\n"
      "has no name for are in keys.json only. Outputs are written beside their\n"
      "names and renamed into place when complete.\n"
      "Exit: 0 the scenario's expectation held; 1 it did not (the report says\n"
      "which part); 2 usage or output error.");
  cmd->callback([opts, &run] { run = [opts] { return RunExchange(*opts); }; });
}

}  // namespace ipsecref::tool
