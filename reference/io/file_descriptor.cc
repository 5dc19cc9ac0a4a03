#include "reference/io/file_descriptor.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

namespace ipsecref::io {

void FileDescriptor::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Error SystemError(std::string_view operation, int error) {
  const char* name = strerrorname_np(error);
  return MakeError(Code::kIoError, kNoOffset, "",
                   fmt::format("{}: {} ({})", operation, std::strerror(error),
                               name != nullptr ? name : fmt::format("errno {}", error)));
}

}  // namespace ipsecref::io
