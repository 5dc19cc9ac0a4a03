// ipsecref: the command-line face of the reference (DESIGN.md, "The command line").
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <new>
#include <string_view>
#include <system_error>

#include "tools/ipsecref/cli.h"
#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/version.h"

int main(int argc, char** argv) {
  using namespace ipsecref::tool;
  GuardStandardStreams();
  CLI::App app{"ipsecref: IPsec (IKEv2, ESP, AH) conformance and fuzzing harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ipsecref " IPSECREF_VERSION " (commit " IPSECREF_COMMIT ")");
  Runner run;
  AddVectorsCommand(app, run);
  AddCheckCommand(app, run);
  AddDecryptCommand(app, run);
  AddIkeDecodeCommand(app, run);
  AddTunnelMapCommand(app, run);
  AddReplayCommand(app, run);
  AddExchangeCommand(app, run);
  AddGatewayCommand(app, run);
  AddCtlCommand(app, run);
  AddLoadCommand(app, run);
  AddConformanceCommand(app, run);
  AddInteropCommand(app, run);
  AddFuzzCommand(app, run);
  AddTotpCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return FinishStandardOutput(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return FinishStandardOutput(app.exit(e));
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return FinishStandardOutput(app.exit(e));
    // CLI11 echoes the value it refused: clipped like every other echo.
    const bool json = std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; });
    const std::vector<CLI::App*> given = app.get_subcommands();
    FailUsage(given.empty() ? "" : given.front()->get_name(),
              std::string(e.what()) + " (run with --help for more information)", json);
    return FinishStandardOutput(kExitUsage);
  }
  int exit_code = kExitUsage;
  try {
    exit_code = run();
  } catch (const std::system_error& e) {
    // fmt::print throws when standard output refuses a write (a full disk,
    // /dev/full, a closed stream).
    FailUsage("", fmt::format("the report was not written: {}", e.what()), false);
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    FailUsage("", "out of memory", false);
    return kExitUsage;
  }
  return FinishStandardOutput(exit_code);
}
