// Result<T>: a value or an Error that says what was wrong, where, and which
// requirement it breaks. Protocol errors never travel as exceptions.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "reference/base/code.h"

namespace ipsecref {

inline constexpr size_t kNoOffset = std::numeric_limits<size_t>::max();

struct Error {
  Code code;
  size_t offset = kNoOffset;       // byte offset in the input, where meaningful
  std::string_view requirement;    // e.g. "rfc4303#section-3.4.3"; empty if none
  std::string detail;              // what exactly was wrong

  // Renders "ICV mismatch at offset 12 (rfc4303#section-3.4.4): detail".
  std::string ToString() const;
  // Shifts the offset by `base`, for errors found in a sub-structure.
  Error At(size_t base) &&;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{Code::kInvalidArgument, kNoOffset, {}, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return {}; }

// Builds an Error; the requirement is a citation such as "rfc4303#section-2.4".
inline Error MakeError(Code code, size_t offset, std::string_view requirement,
                       std::string detail = {}) {
  return Error{code, offset, requirement, std::move(detail)};
}

}  // namespace ipsecref

#define IPSECREF_CONCAT_INNER(a, b) a##b
#define IPSECREF_CONCAT(a, b) IPSECREF_CONCAT_INNER(a, b)

// TRY(expr): returns the error of a failed Result/Status from the enclosing function.
#define TRY(expr)                                   \
  do {                                              \
    auto ipsecref_try_ = (expr);                    \
    if (!ipsecref_try_) return std::move(ipsecref_try_).error(); \
  } while (0)

// TRY_ASSIGN(lhs, expr): lhs = value of expr, or return its error.
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL(IPSECREF_CONCAT(ipsecref_r_, __LINE__), lhs, expr)
#define TRY_ASSIGN_IMPL(tmp, lhs, expr)        \
  auto tmp = (expr);                           \
  if (!tmp) return std::move(tmp).error();     \
  lhs = std::move(tmp).value()

// ENSURE(cond, code, offset, requirement, detail): fail unless cond holds.
#define ENSURE(cond, code, offset, requirement, ...)                            \
  do {                                                                          \
    if (!(cond))                                                                \
      return ::ipsecref::MakeError(::ipsecref::Code::code, (offset), (requirement) \
                                   __VA_OPT__(, ) __VA_ARGS__);                 \
  } while (0)
