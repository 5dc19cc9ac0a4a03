// The gateway the gateway fuzz targets feed (gateway_datagram,
// gateway_control): one SPU, a reproducible random stream, a fake clock,
// a wire that drops what it is given, and a configuration with a dynamic
// PSK responder connection, a site-to-site connection with a trap child,
// and a manual tunnel (SPI 0x1000, AES-GCM-16-128), so that IKE, ESP and
// inner packets each reach a real path.
#pragma once

#include <atomic>
#include <memory>

#include "reference/gateway/gateway.h"
#include "reference/gateway/swanctl_conf.h"

namespace ipsecref::fuzz {

class FuzzClock : public ike::sa::Clock {
 public:
  ike::sa::Time Now() const override { return now.load(); }
  std::atomic<ike::sa::Time> now{1'767'225'600'000};  // 2026-01-01
};

class DropWire : public gateway::Wire {
 public:
  void SendUdp(const ike::sa::Datagram&) override {}
  void SendEsp(ByteSpan, ByteSpan, ByteSpan) override {}
  void Deliver(ByteSpan) override {}
};

inline constexpr const char* kFuzzGatewayConf = R"(
connections {
  road {
    local_addrs = 192.0.2.1
    remote_addrs = %any
    proposals = aes128gcm16-prfsha256-x25519, aes128-sha256-modp2048
    local {
      auth = psk
      id = gw.test
    }
    remote {
      auth = psk
      id = %any
    }
    children {
      road {
        local_ts = 10.1.0.0/16
        remote_ts = dynamic
        esp_proposals = aes128gcm16, aes128-sha256
      }
    }
  }
  site {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = gw.test
    }
    remote {
      auth = psk
      id = site.test
    }
    children {
      site {
        local_ts = 10.1.0.0/16
        remote_ts = 10.2.0.0/16
        esp_proposals = aes128gcm16
        start_action = trap
      }
    }
  }
}
manual {
  static {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.9
    local_ts = 10.1.0.0/16
    remote_ts = 10.9.0.0/16
    spi_in = 0x1000
    spi_out = 0x2000
    esp_proposals = aes128gcm16
    enc_key_in = 0x000102030405060708090a0b0c0d0e0f10111213
    enc_key_out = 0x101112131415161718191a1b1c1d1e1f20212223
  }
}
secrets {
  ike-any {
    secret = "a shared secret of the fuzz targets"
  }
}
)";

struct FuzzGateway {
  FuzzClock clock;
  DropWire wire;
  std::unique_ptr<gateway::Gateway> gateway;
};

// Built once per process (the targets keep it across inputs, as a live
// gateway keeps its state across packets).
inline FuzzGateway& TheGateway() {
  static FuzzGateway* g = [] {
    auto* f = new FuzzGateway;
    auto config = gateway::ParseSwanctlConf(kFuzzGatewayConf, "fuzz.conf", ".");
    if (!config) __builtin_trap();
    gateway::Options o;
    o.spus = 1;
    o.clock = &f->clock;
    o.deterministic_seed = 1;
    auto made = gateway::Gateway::Create(std::move(*config), o, f->wire);
    if (!made) __builtin_trap();
    f->gateway = std::move(*made);
    return f;
  }();
  return *g;
}

}  // namespace ipsecref::fuzz
