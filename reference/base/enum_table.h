// Compile-time checks for tables indexed by an enum (s2n-style
// `state_machine[] = {[CLIENT_HELLO] = ...}`, which C++ lacks): row i must
// be the row of the enumerator whose value is i.
#pragma once

#include <cstddef>

namespace ipsecref {

// Whether every row of `table` names, in its `key` member, the enumerator
// whose value is the row's index; use in a static_assert next to the table.
// With the table's size fixed by its type (std::array<Row, kCount>), a row
// missing from the initializer is value-initialised to enumerator 0 and
// fails the check too.
template <typename Table, typename Row, typename Enum>
constexpr bool RowsInEnumOrder(const Table& table, Enum Row::*key) {
  for (size_t i = 0; i < table.size(); ++i)
    if (static_cast<size_t>(table[i].*key) != i) return false;
  return true;
}

}  // namespace ipsecref
