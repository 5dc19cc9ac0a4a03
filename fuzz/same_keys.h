// Equality of key-file entries, for the key-file targets' round trips
// (written, then parsed back: the same SAs).
#pragma once

#include "reference/io/ikev2_table.h"
#include "reference/io/keys.h"

namespace ipsecref::fuzz {

inline bool SameView(const io::SaView& a, const io::SaView& b) {
  return a.src == b.src && a.dst == b.dst && a.src_port == b.src_port &&
         a.dst_port == b.dst_port;
}

inline bool SameSa(const io::SaKeys& a, const io::SaKeys& b) {
  if (a.other_views.size() != b.other_views.size()) return false;
  for (size_t i = 0; i < a.other_views.size(); ++i)
    if (!SameView(a.other_views[i], b.other_views[i])) return false;
  return a.protocol == b.protocol && a.src == b.src && a.dst == b.dst &&
         a.src_port == b.src_port && a.dst_port == b.dst_port && a.spi == b.spi &&
         a.encr == b.encr && a.encr_key == b.encr_key && a.integ == b.integ &&
         a.integ_key == b.integ_key && a.esn == b.esn && a.mode == b.mode &&
         a.udp_encapsulation == b.udp_encapsulation && a.replay_window == b.replay_window;
}

inline bool SameIke(const io::Ikev2Keys& a, const io::Ikev2Keys& b) {
  return a.spi_i == b.spi_i && a.spi_r == b.spi_r && a.encr == b.encr &&
         a.encr_key_bits == b.encr_key_bits && a.integ == b.integ && a.sk_ei == b.sk_ei &&
         a.sk_er == b.sk_er && a.sk_ai == b.sk_ai && a.sk_ar == b.sk_ar;
}

}  // namespace ipsecref::fuzz
