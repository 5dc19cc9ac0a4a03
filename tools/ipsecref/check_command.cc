#include "tools/ipsecref/commands.h"

namespace ipsecref::tool {
void AddCheckCommand(CLI::App&, Runner&) {}
}  // namespace ipsecref::tool
