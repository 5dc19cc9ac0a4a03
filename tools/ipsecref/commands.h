// Subcommands of the ipsecref tool. Each registers itself on the CLI11 app
// and sets `run` to what the command does; exit codes: 0 success, 1 a check
// failed (a finding that is an error), 2 usage or input error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace ipsecref::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

using Runner = std::function<int()>;

void AddVectorsCommand(CLI::App& app, Runner& run);
void AddCheckCommand(CLI::App& app, Runner& run);
void AddDecryptCommand(CLI::App& app, Runner& run);
void AddIkeDecodeCommand(CLI::App& app, Runner& run);
void AddTunnelMapCommand(CLI::App& app, Runner& run);
void AddReplayCommand(CLI::App& app, Runner& run);
void AddExchangeCommand(CLI::App& app, Runner& run);
void AddGatewayCommand(CLI::App& app, Runner& run);
void AddCtlCommand(CLI::App& app, Runner& run);
void AddLoadCommand(CLI::App& app, Runner& run);
void AddConformanceCommand(CLI::App& app, Runner& run);
void AddInteropCommand(CLI::App& app, Runner& run);
void AddFuzzCommand(CLI::App& app, Runner& run);
void AddTotpCommand(CLI::App& app, Runner& run);

// PREFIX/share/ipsecref/INSTALLED beside an installed ipsecref, else
// SOURCE_RELATIVE in the source tree (vectors_command.cc).
std::string DefaultDataDir(std::string_view source_relative, std::string_view installed);
// The vectors: DefaultDataDir("vectors", "vectors").
std::string DefaultVectorsDir();

}  // namespace ipsecref::tool
