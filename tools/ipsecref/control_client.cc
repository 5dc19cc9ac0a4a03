#include "tools/ipsecref/control_client.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tools/ipsecref/cli.h"

namespace ipsecref::tool {

namespace {
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

Result<nlohmann::json> AskGateway(const std::string& path, const nlohmann::json& request, int timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ENSURE(!path.empty() && path.size() < sizeof addr.sun_path, kIoError, kNoOffset, "",
         fmt::format("control socket {}: the path must have 1 to {} bytes", Echo(path), sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  ENSURE(s.fd >= 0, kIoError, kNoOffset, "", fmt::format("socket: {}", std::strerror(errno)));
  ENSURE(::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, kIoError, kNoOffset, "",
         fmt::format("cannot connect to the gateway's control socket {}: {} (is `ipsecref gateway --control {}` "
                     "running?)",
                     Echo(path), std::strerror(errno), Echo(path)));
  const std::string line = request.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t w = ::send(s.fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    ENSURE(w > 0, kIoError, kNoOffset, "", fmt::format("control socket {}: send: {}", Echo(path), std::strerror(errno)));
    off += static_cast<size_t>(w);
  }
  std::string answer;
  char buffer[65536];
  while (answer.find('\n') == std::string::npos) {
    pollfd p{s.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    ENSURE(ready > 0, kIoError, kNoOffset, "",
           fmt::format("control socket {}: no answer within {} s", Echo(path), timeout_ms / 1000));
    const ssize_t n = ::read(s.fd, buffer, sizeof buffer);
    ENSURE(n > 0, kIoError, kNoOffset, "",
           fmt::format("control socket {}: the gateway closed the connection before it answered", Echo(path)));
    answer.append(buffer, static_cast<size_t>(n));
    ENSURE(answer.size() <= (64u << 20), kIoError, kNoOffset, "",
           fmt::format("control socket {}: an answer longer than 64 MiB", Echo(path)));
  }
  answer.resize(answer.find('\n'));
  nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, false);
  ENSURE(!parsed.is_discarded() && parsed.is_object(), kIoError, kNoOffset, "",
         fmt::format("control socket {}: the answer is not a JSON object", Echo(path)));
  return parsed;
}

}  // namespace ipsecref::tool
