"""cases.py: the interop matrix's test cases, as a table.

Each case sets up one IKE SA with one CHILD SA between an initiator and a
responder, then runs its steps in order; every step is judged (runner.py
STEPS), and every run's capture is judged afterwards by `ipsecref check` and
by tshark (judge.py). A case needs the features it lists: an implementation
that lacks one (implementations.json) makes the run `unsupported`, never
`failed`.

Proposals are written in strongSwan's keywords (the reference gateway reads
the same); other adapters translate them.

Steps:
  ping         3 pings each way between the inner addresses (the outer ones
               in transport mode), every one answered
  bulk         1 MiB each way over TCP through the tunnel, its SHA-256 checked
               at the other end (bulk.py)
  rekey-child  the initiator rekeys the CHILD SA, then the responder does;
               both ends must show the new SPIs, then ping
  rekey-ike    the same for the IKE SA (RFC 7296 section 1.3.2), then ping
  liveness     the initiator sends a liveness check; the capture must hold an
               INFORMATIONAL request and its response; the SA stays up
  delete       the initiator deletes the IKE SA; neither end may keep an SA
Capture checks (after the run):
  udp-encap    every ESP packet is in UDP 4500 (RFC 3948), none raw
  raw-esp      every ESP packet is raw (IP protocol 50): no NAT, no UDP
  fragments    IKE_AUTH went in IKE fragments (RFC 7383: an SKF payload)
"""


class Case:
    def __init__(self, description, requirements, ike="aes128gcm16-prfsha256-x25519", esp="aes128gcm16",
                 auth="psk", mode="tunnel", family=4, nat=False, mtu=None, steps=("ping",), capture=(),
                 features=()):
        self.description = description
        self.requirements = list(requirements)
        self.ike, self.esp, self.auth, self.mode = ike, esp, auth, mode
        self.family, self.nat, self.mtu = family, nat, mtu
        self.steps, self.capture = list(steps), list(capture)
        # what an implementation must support for this case
        self.features = sorted(set(features) | ({"cert-" + auth} if auth != "psk" else set())
                               | ({"transport"} if mode == "transport" else set())
                               | ({"ipv6"} if family == 6 else set()) | ({"nat"} if nat else set())
                               | ({s for s in steps if s in ("rekey-child", "rekey-ike", "liveness", "delete")}))


CASES = {
    "gcm": Case("AES-GCM-16 IKE with X25519, ESP AES-GCM-16, PSK; pings both ways",
                ["rfc7296#section-1.2", "rfc5282#section-8", "rfc4106#section-8.1", "rfc8031#section-3.1"]),
    "cbc-sha2": Case("AES-CBC-256 + HMAC-SHA2-256 with MODP 3072, both in IKE and ESP; pings",
                     ["rfc7296#section-2.14", "rfc4868#section-2.1.1", "rfc3602#section-3", "rfc3526#section-4"],
                     ike="aes256-sha256-modp3072", esp="aes256-sha256", features=["modp"]),
    "chacha": Case("ChaCha20-Poly1305 in IKE and ESP with ECP-256; pings",
                   ["rfc7634", "rfc7634#section-2", "rfc5903#section-7"],
                   ike="chacha20poly1305-prfsha256-ecp256", esp="chacha20poly1305", features=["chacha20poly1305"]),
    "ecdsa": Case("ECDSA P-256 certificates (RFC 7427 digital signatures); pings",
                  ["rfc7296#section-2.15", "rfc7427#section-3"], auth="ecdsa"),
    "rsa": Case("RSA 2048 certificates; pings", ["rfc7296#section-2.15", "rfc7427#section-3"], auth="rsa"),
    "transport": Case("transport mode between the outer addresses; pings",
                      ["rfc7296#section-1.3.1", "rfc4303#section-3.1.1"], mode="transport", capture=["raw-esp"]),
    "ipv6": Case("IPv6 outside and inside; pings", ["rfc7296#section-3.13.1", "rfc4303#section-3.1.2"], family=6),
    "nat": Case("the initiator behind a NAT (masquerade): NAT detection, port 4500, ESP in UDP; pings",
                ["rfc7296#section-2.23", "rfc3948#section-2.1"], nat=True, capture=["udp-encap"]),
    "fragmentation": Case("RSA certificates over a 1280-byte MTU link: IKE_AUTH in IKE fragments; pings",
                          ["rfc7383#section-2.5", "rfc7383#section-2.6"], auth="rsa", mtu=1280,
                          capture=["fragments"], features=["fragmentation"]),
    "rekey-child": Case("CHILD SA rekeyed by the initiator, then by the responder; pings after each",
                        ["rfc7296#section-1.3.3", "rfc7296#section-2.8"], steps=["ping", "rekey-child", "ping"]),
    "rekey-ike": Case("IKE SA rekeyed by the initiator, then by the responder; pings after each",
                      ["rfc7296#section-1.3.2", "rfc7296#section-2.18"], steps=["ping", "rekey-ike", "ping"]),
    "liveness": Case("a liveness check (empty INFORMATIONAL) from the initiator is answered",
                     ["rfc7296#section-2.4", "rfc7296#section-1.4"], steps=["ping", "liveness", "ping"]),
    "delete": Case("the initiator deletes the IKE SA: neither end keeps an SA",
                   ["rfc7296#section-1.4.1"], steps=["ping", "delete"]),
    "bulk": Case("1 MiB each way over TCP through the tunnel, bytes checked", ["rfc4303#section-3.4"],
                 steps=["ping", "bulk"]),
    "esn": Case("ESP with 64-bit extended sequence numbers (AES-GCM-16); pings",
                ["rfc4303#section-2.2.1", "rfc7296#section-3.3.2"], esp="aes128gcm16-esn", features=["esn"]),
}
