// An owned file descriptor (closed when its owner goes), and the error every
// failed system call of the live I/O becomes.
#pragma once

#include <string_view>
#include <utility>

#include "reference/base/result.h"

namespace ipsecref::io {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { Reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// kIoError "<operation>: <strerror(error)> (<errno name>)", e.g.
// "bind 192.0.2.1[500]: Cannot assign requested address (EADDRNOTAVAIL)".
// `operation` names what was done and on which address, port or device.
Error SystemError(std::string_view operation, int error);

}  // namespace ipsecref::io
