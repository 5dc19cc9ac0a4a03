// make_ike_state_seeds: the seed corpora of the stateful IKEv2 fuzz targets
// (fuzz/corpus/ike_responder/, fuzz/corpus/ike_initiator/), taken from real
// runs of two reference peers through the flows of
// reference/ike/sa/exchange_test.cc, and the check that they still do what
// they claim.
//
//   make_ike_state_seeds fuzz/corpus           (re)writes both corpora and their README.md
//   make_ike_state_seeds --check fuzz/corpus   replays every committed seed: exit 1 unless
//                                              each does what its README.md line says
//
// Every flow gives two seeds (input layout: ike_state_driver.h):
//  <flow>.messages: what the other peer (the accomplice) sent the target, as
//    records: raw datagrams (IKE_SA_INIT), and encrypted requests and responses
//    carrying the decrypted inner payloads, which the harness encrypts again
//    when it replays them (so mutations change payloads, not ciphertext); the
//    target's own operations as OP records. The generator refuses a seed whose
//    replay makes the target build anything but what it built in the real run.
//  <flow>.operations: the operations and "DELIVER all": the real peers run the
//    flow, which leaves the fuzzer SAs in later states (a rekeyed IKE SA) to
//    start from.
// README.md gives per seed its setup, its records and the messages the target
// builds when it is replayed (exchange ladders).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "fuzz/ike_state_driver.h"

namespace {

using namespace ipsecref;
using fuzz::Input;
using fuzz::IkeStateDriver;
using fuzz::Operation;
using fuzz::Record;
using ike::sa::Role;
namespace fs = std::filesystem;

struct Step {
  bool by_initiator;  // the peer that was the initiator of the first IKE SA
  Operation op;
  uint8_t child = 0;
};

struct Flow {
  std::string_view name;
  uint8_t stage;
  uint8_t variant;
  uint32_t time_ms;  // time passing first
  std::vector<Step> steps;
  // Whether a `.messages` seed is written: not where the accomplice's
  // messages depend on keys only the target derived (after an IKE SA rekey
  // it did not take part in, see fuzz/README.md), and a replay of them
  // cannot build what the real run built.
  bool messages = true;
};

// The flows of exchange_test.cc, each one started by the other end too, and
// the collisions of both ends starting at once.
const std::vector<Flow>& Flows() {
  static const std::vector<Flow> flows = {
      {"establish-init", 0, 0, 0, {}},
      {"establish-auth", 1, 0, 0, {}},
      {"cookie", 0, 1, 0, {}},
      {"invalid-ke", 0, 2, 0, {}},
      {"child-create", 2, 0, 0, {{true, Operation::kCreateChild}}},
      {"child-create-by-responder", 2, 0, 0, {{false, Operation::kCreateChild}}},
      {"child-rekey", 2, 0, 0, {{true, Operation::kRekeyChild}}},
      {"child-rekey-by-responder", 2, 0, 0, {{false, Operation::kRekeyChild}}},
      {"second-child-rekey", 3, 0, 0, {{true, Operation::kRekeyChild, 1}}},
      {"ike-rekey", 2, 0, 0, {{true, Operation::kRekeyIke}}},
      {"ike-rekey-by-responder", 2, 0, 0, {{false, Operation::kRekeyIke}}},
      {"child-delete", 2, 0, 0, {{true, Operation::kDeleteChild}}},
      {"ike-delete", 2, 0, 0, {{false, Operation::kDeleteIke}}},
      {"ike-delete-by-initiator", 2, 0, 0, {{true, Operation::kDeleteIke}}},
      {"liveness", 2, 0, 0, {{true, Operation::kCheckLiveness}}},
      {"liveness-by-responder", 2, 0, 0, {{false, Operation::kCheckLiveness}}},
      {"idle-liveness-window-4", 2, 3, 20'000, {}},
      // Both ends start before either request arrives: the collisions of
      // RFC 7296 §2.8.1 (CHILD SA rekeys; one rekey against a delete) and
      // §2.8.2 (IKE SA rekeys).
      {"child-rekey-collision", 2, 0, 0, {{true, Operation::kRekeyChild}, {false, Operation::kRekeyChild}}},
      {"ike-rekey-collision", 2, 0, 0, {{true, Operation::kRekeyIke}, {false, Operation::kRekeyIke}}, false},
      {"child-rekey-against-delete", 2, 0, 0, {{true, Operation::kRekeyChild}, {false, Operation::kDeleteChild}}},
      {"ike-rekey-against-delete", 2, 0, 0, {{true, Operation::kRekeyIke}, {false, Operation::kDeleteIke}}},
      {"ike-rekey-against-child-rekey", 2, 0, 0, {{true, Operation::kRekeyIke}, {false, Operation::kRekeyChild}}},
  };
  return flows;
}

struct Target {
  std::string_view dir;
  Role role;
};
constexpr Target kTargets[] = {{"ike_responder", Role::kResponder}, {"ike_initiator", Role::kInitiator}};

Record TimeRecord(uint32_t ms) {
  return Record{fuzz::kTimePasses, Bytes{static_cast<uint8_t>(ms >> 24), static_cast<uint8_t>(ms >> 16),
                                         static_cast<uint8_t>(ms >> 8), static_cast<uint8_t>(ms)}};
}

std::vector<Step> StepsOf(const Flow& flow, Role role) {
  std::vector<Step> steps = flow.steps;
  // The responder target starts from nothing at stage 0: the real initiator
  // starts (the initiator target has sent IKE_SA_INIT in its setup).
  if (flow.stage == 0 && role == Role::kResponder) steps.insert(steps.begin(), {true, Operation::kInitiate});
  return steps;
}

uint8_t SetupOf(const Flow& flow) { return static_cast<uint8_t>(flow.stage | flow.variant << 2); }

// The messages seed, and what the target built in the real run.
std::pair<Input, std::vector<std::string>> MessagesSeed(const Flow& flow, Role role) {
  IkeStateDriver d(role, SetupOf(flow));
  Input in{SetupOf(flow), {}};
  auto apply = [&](Record r) {
    d.Apply(r);
    in.records.push_back(std::move(r));
  };
  if (flow.time_ms != 0) apply(TimeRecord(flow.time_ms));
  for (const Step& s : StepsOf(flow, role)) {
    const bool on_target = s.by_initiator == (role == Role::kInitiator);
    if (on_target) {
      apply(fuzz::OperationRecord(true, s.op, 0, s.child));
    } else {
      d.Operate(false, s.op, 0, s.child);
    }
  }
  for (size_t step = 0; step < 256; ++step) {
    std::optional<ike::sa::Datagram> datagram = d.exchange().Take();
    if (!datagram) break;
    if (!d.is_target(*datagram)) {
      d.Deliver(*datagram);
      continue;
    }
    std::optional<Record> r = d.RecordFor(*datagram);
    if (!r) continue;
    // From stage 0 the accomplice of a replay never gets past IKE_SA_INIT:
    // it has no keys to encrypt with.
    const uint8_t type = r->type & fuzz::kRecordTypeMask;
    if (flow.stage == 0 && (type == fuzz::kEncryptedRequest || type == fuzz::kEncryptedResponse)) break;
    apply(std::move(*r));
  }
  return {std::move(in), d.TargetLadders()};
}

Input OperationsSeed(const Flow& flow, Role role) {
  Input in{SetupOf(flow), {}};
  if (flow.time_ms != 0) in.records.push_back(TimeRecord(flow.time_ms));
  for (const Step& s : StepsOf(flow, role))
    in.records.push_back(fuzz::OperationRecord(s.by_initiator == (role == Role::kInitiator), s.op, 0, s.child));
  in.records.push_back(Record{fuzz::kDeliver, {}});
  return in;
}

struct Replayed {
  std::vector<std::string> records;
  std::vector<std::string> ladders;
  std::vector<std::string> sas;  // the target's IKE SAs afterwards: "ESTABLISHED, 1 CHILD SA"
};

Replayed Replay(Role role, const Input& in) {
  IkeStateDriver d(role, in.setup);
  Replayed out;
  for (const Record& r : in.records) {
    out.records.push_back(d.Describe(r));
    d.Apply(r);
  }
  out.ladders = d.TargetLadders();
  for (const ike::sa::IkeSa* sa : d.target().IkeSas())
    out.sas.push_back(fmt::format("{}, {} CHILD SA", ike::sa::Name(sa->state), sa->children.size()));
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : " · ") + s;
  return out.empty() ? "nothing" : out;
}

std::string SetupText(uint8_t setup) {
  static constexpr std::string_view kStages[] = {"nothing exchanged", "IKE_SA_INIT done", "established",
                                                 "established, two CHILD SAs"};
  static constexpr std::string_view kVariants[] = {"PSK + Curve25519", "COOKIE always", "INVALID_KE_PAYLOAD",
                                                   "window 4, liveness and rekey timers"};
  return fmt::format("{}; {}", kStages[setup & 3], kVariants[(setup >> 2) & 3]);
}

// The README line of one seed: `name` (setup): records -> what the target builds.
std::string Line(std::string_view name, Role role, const Input& in) {
  const Replayed r = Replay(role, in);
  return fmt::format("- `{}` ({}): {} → {}; then {}", name, SetupText(in.setup), Join(r.records), Join(r.ladders),
                     r.sas.empty() ? "no IKE SA" : Join(r.sas));
}

std::string ReadmeHead(const Target& t) {
  const bool responder = t.role == Role::kResponder;
  return fmt::format(
      "# Seeds of `{0}`\n\n"
      "Written by `make_ike_state_seeds fuzz/corpus` (fuzz/make_ike_state_seeds.cc) from real runs of\n"
      "two reference peers through the flows of `reference/ike/sa/exchange_test.cc`; the {1} is the\n"
      "target, the {2} the accomplice whose keys the harness encrypts with. The input layout is in\n"
      "`fuzz/ike_state_driver.h`. `<flow>.messages` holds what the {2} sent as records (raw\n"
      "IKE_SA_INIT datagrams; encrypted records holding the decrypted inner payloads), `<flow>.operations`\n"
      "the operations and `DELIVER all`. Each line: the setup, the records, and → what the {1} builds\n"
      "when the seed is replayed, then its IKE SAs' states. ctest `fuzz-seeds/ike_state` (`make_ike_state_seeds --check`) replays\n"
      "every seed and compares with these lines.\n\n",
      t.dir, responder ? "responder" : "initiator", responder ? "initiator" : "responder");
}

bool ReadFile(const fs::path& path, Bytes& out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  out.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return true;
}

int Generate(const fs::path& corpus) {
  for (const Target& t : kTargets) {
    const fs::path dir = corpus / t.dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    // Only the generator's own files are replaced.
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".messages" || ext == ".operations") fs::remove(entry.path(), ec);
    }
    std::string readme = ReadmeHead(t);
    size_t written = 0;
    for (const Flow& flow : Flows()) {
      auto [messages, built] = MessagesSeed(flow, t.role);
      const Replayed again = Replay(t.role, messages);
      if (flow.messages && again.ladders != built) {
        std::fprintf(stderr, "%s/%s.messages: the replay builds\n  %s\nbut the real run built\n  %s\n",
                     std::string(t.dir).c_str(), std::string(flow.name).c_str(), Join(again.ladders).c_str(),
                     Join(built).c_str());
        return 1;
      }
      std::vector<std::pair<std::string, Input>> seeds = {{".operations", OperationsSeed(flow, t.role)}};
      if (flow.messages) seeds.insert(seeds.begin(), {".messages", messages});
      for (const auto& [suffix, input] : seeds) {
        const std::string name = std::string(flow.name) + suffix;
        const Bytes bytes = fuzz::WriteInput(input);
        std::ofstream out(dir / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
          std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
          return 2;
        }
        readme += Line(name, t.role, input) + "\n";
        ++written;
      }
    }
    std::ofstream out(dir / "README.md");
    out << readme;
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / "README.md").c_str());
      return 2;
    }
    std::printf("%s: %zu seeds\n", dir.c_str(), written);
  }
  return 0;
}

int Check(const fs::path& corpus) {
  size_t failures = 0, seeds = 0;
  for (const Target& t : kTargets) {
    const fs::path dir = corpus / t.dir;
    std::ifstream readme(dir / "README.md");
    if (!readme) {
      std::fprintf(stderr, "cannot read %s\n", (dir / "README.md").c_str());
      return 2;
    }
    // name -> claimed line
    std::map<std::string, std::string> claims;
    for (std::string line; std::getline(readme, line);) {
      if (line.rfind("- `", 0) != 0) continue;
      const size_t end = line.find('`', 3);
      if (end != std::string::npos) claims[line.substr(3, end - 3)] = line;
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.rfind("README", 0) == 0 || name[0] == '.') continue;
      ++seeds;
      Bytes bytes;
      if (!ReadFile(entry.path(), bytes)) {
        std::fprintf(stderr, "cannot read %s\n", entry.path().c_str());
        return 2;
      }
      const std::optional<Input> in = fuzz::ParseInput(bytes);
      auto claim = claims.find(name);
      if (claim == claims.end()) {
        std::fprintf(stderr, "%s/%s: not in README.md\n", std::string(t.dir).c_str(), name.c_str());
        ++failures;
        continue;
      }
      const std::string now = in ? Line(name, t.role, *in) : fmt::format("- `{}`: empty", name);
      if (now != claim->second) {
        std::fprintf(stderr, "%s/%s:\n  README.md says %s\n  replayed now   %s\n", std::string(t.dir).c_str(),
                     name.c_str(), claim->second.c_str(), now.c_str());
        ++failures;
      }
      claims.erase(claim);
    }
    if (ec) {
      std::fprintf(stderr, "cannot read %s: %s\n", dir.c_str(), ec.message().c_str());
      return 2;
    }
    for (const auto& [name, line] : claims) {
      std::fprintf(stderr, "%s/%s: in README.md, no such file\n", std::string(t.dir).c_str(), name.c_str());
      ++failures;
    }
  }
  std::printf("%zu seeds, %zu not as README.md says\n", seeds, failures);
  return failures == 0 && seeds > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] != "--check" && args[0].rfind("-", 0) != 0) return Generate(fs::path(args[0]));
  if (args.size() == 2 && args[0] == "--check") return Check(fs::path(args[1]));
  std::fprintf(stderr, "usage: make_ike_state_seeds CORPUS_DIR | --check CORPUS_DIR\n");
  return 2;
}
