#!/usr/bin/env bash
# Installs exactly the Debian 12 packages ipsecref needs: every program a
# test or script runs, other than those of Debian's Essential packages
# (coreutils, grep, sed, ...), comes from a package named here, and the ctest
# setup/programs (tools/check_programs.py) fails naming any that does not.
# Idempotent; prints nothing when everything is present.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
  # lld: clang's linker (CMakeLists.txt, IPSECREF_LLD), several times faster than GNU ld on the sanitized binaries
  lld
  # clang's source-based coverage (clang++-14, llvm-profdata-14, llvm-cov-14):
  # tools/coverage.sh, and tools/fuzz/compare_mutators.sh's yardstick
  clang-14 llvm-14
  # libraries
  libcrypto++-dev libpcap-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  # X.509 parsing and path checks (reference/crypto/x509.cc: OpenSSL's libcrypto)
  libssl-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  # independent checkers (Scapy's ESP/AH needs python3-cryptography, which
  # python3-scapy only recommends)
  python3 python3-scapy python3-cryptography tshark
  # programs the scripts run: awk, mount (for charon's private /run), xxd
  # (tools/fuzz/run_all.sh shows crashers)
  mawk mount xxd
  # vectors/x509/make.sh (the test certificates; tests never run it)
  openssl
  # tools/fuzz/oss_fuzz_emulate.sh (OSS-Fuzz's build.sh run here; no test runs
  # it): dpkg-source for apt-get source, libc++ (OSS-Fuzz's -stdlib=libc++),
  # make, flex and bison (Crypto++'s and libpcap's builds), zip and unzip (seed
  # corpora), binutils' ar, apt's apt-get (source)
  apt dpkg-dev libc++-dev libc++abi-dev make flex bison zip unzip binutils
  # live peers for `ipsecref replay` (interop/replay): charon, swanctl/vici,
  # userspace ESP (kernel-libipsec is in libcharon-extra-plugins), namespaces, capture
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  # XAuth (IKEv1) for the recorded IKEv1 captures (pcaps/ikev1/record.sh): xauth-generic
  libcharon-extauth-plugins
  # kernel-netlink (charon on the kernel's XFRM: the strongswan-xfrm conformance target)
  libstrongswan
  # (ping sends through the tunnel)
  iproute2 tcpdump iputils-ping
  # strongSwan's pki: the certificates of interop/gateway, made at test time
  strongswan-pki
  # the interop matrix (interop/run): the Linux kernel's own IPsec (XFRM) in a
  # user-mode Linux guest (interop/uml/guest.sh loads its modules with kmod's
  # modprobe and builds its XSAVE shim with gcc), NAT between the peers (nft, or
  # iptables-legacy where the kernel has no nft NAT chain: the guest's),
  # and the runtime libraries and certutil of libreswan's pluto, unpacked below
  user-mode-linux kmod gcc nftables iptables libldns3 libevent-pthreads-2.1-7 libnss3-tools libunbound8
)

# libreswan conflicts with strongSwan's packages (Conflicts: strongswan-libcharon),
# so its package is unpacked, not installed, under LIBRESWAN_ROOT; the interop
# matrix runs its pluto from there (interop/adapters/libreswan.py).
LIBRESWAN_ROOT=/opt/ipsecref/libreswan
install_libreswan() {
  [ -x "$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" ] && return 0
  echo "setup: unpacking libreswan into $LIBRESWAN_ROOT"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq libreswan 2> /dev/null) && $SUDO mkdir -p "$LIBRESWAN_ROOT" &&
    $SUDO dpkg-deb -x "$tmp"/libreswan_*.deb "$LIBRESWAN_ROOT"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
[ ${#missing[@]} -eq 0 ] && { install_libreswan; exit $?; }

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_libreswan
