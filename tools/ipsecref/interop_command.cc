// ipsecref interop: the interop matrix, implementations x implementations x
// cases. The runner is interop/run (Python, with the adapters of each
// implementation beside it; README "The interop matrix"): this command runs
// it with this ipsecref as the reference and passes every argument on.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {

void AddInteropCommand(CLI::App& app, Runner& run) {
  CLI::App* cmd = app.add_subcommand(
      "interop",
      "The interop matrix: implementations x implementations x cases, every pair in both roles "
      "(runs interop/run; `ipsecref interop --help` shows its options)");
  // interop/run parses the options (its --help included)
  cmd->prefix_command();
  cmd->set_help_flag();
  run = [cmd]() {
    namespace fs = std::filesystem;
    const std::string runner = (fs::path(DefaultDataDir("interop", "interop")) / "run").string();
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec || access(runner.c_str(), R_OK) != 0) {
      fmt::print(stderr, "ipsecref interop: no runner at {} (or this binary's path unknown)\n", runner);
      return kExitUsage;
    }
    std::vector<std::string> args = {"/usr/bin/python3", runner, "--ipsecref", self.string()};
    for (const std::string& a : cmd->remaining()) args.push_back(a);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    fmt::print(stderr, "ipsecref interop: cannot run /usr/bin/python3: {}\n", std::strerror(errno));
    return kExitUsage;
  };
}

}  // namespace ipsecref::tool
