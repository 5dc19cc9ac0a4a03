// ipsecref: the command-line face of the reference (DESIGN.md, "The command line").
#include <CLI/CLI.hpp>

#include "tools/ipsecref/commands.h"
#include "tools/ipsecref/version.h"

int main(int argc, char** argv) {
  CLI::App app{"ipsecref: IPsec (IKEv2, ESP, AH) conformance and fuzzing harness"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ipsecref " IPSECREF_VERSION " (commit " IPSECREF_COMMIT ")");
  ipsecref::tool::Runner run;
  ipsecref::tool::AddVectorsCommand(app, run);
  ipsecref::tool::AddCheckCommand(app, run);
  ipsecref::tool::AddDecryptCommand(app, run);
  ipsecref::tool::AddIkeDecodeCommand(app, run);
  ipsecref::tool::AddTunnelMapCommand(app, run);
  ipsecref::tool::AddReplayCommand(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : ipsecref::tool::kExitUsage;
  }
  return run();
}
