#!/usr/bin/env bash
# tools/fresh-machine.sh [--reuse] ROOT [COMMAND...]
#
# A developer's script, run by no test: shows that the README's commands pass
# on a machine holding nothing but a minimal Debian 12 and what
# tools/setup.sh installs. As root:
#   1. installs debootstrap on this machine with apt-get when it is missing
#      (the script's own dependency, deliberately not in tools/setup.sh);
#   2. builds a clean Debian 12 (bookworm, variant minbase: the Essential and
#      required packages, as in a container image; plus git and
#      ca-certificates, to clone) in ROOT, a new or empty directory, from
#      deb.debian.org;
#   3. bind-mounts /proc, /sys, /dev, /dev/pts and this repository's git
#      directory (read-only, at /mnt/ipsecref.git) into ROOT;
#   4. inside the chroot, as root, in a fresh `git clone` of this checkout's
#      HEAD commit (committed work only) at /root/ipsecref: tools/setup.sh,
#      then COMMAND (default: tools/run-tests.sh), through bash -c;
#   5. unmounts all it mounted on exit, whatever happened (trap).
# Prints the time each step took. Exit status: COMMAND's, or 1 when a step
# before it failed.
#
#   tools/fresh-machine.sh /var/tmp/bookworm
#   tools/fresh-machine.sh --reuse /var/tmp/bookworm \
#       'cmake --preset dev >/dev/null && ctest --test-dir build/dev -R setup/programs'
#
# --reuse: ROOT holds a root this script made before; debootstrap is skipped
# (the clone is made anew, and setup.sh installs what it lacks). Remove ROOT
# with `rm -rf --one-file-system ROOT` only after the script has exited.
set -euo pipefail

reuse=0
if [ "${1:-}" = --reuse ]; then reuse=1; shift; fi
[ $# -ge 1 ] || { echo "usage: fresh-machine.sh [--reuse] ROOT [COMMAND...]" >&2; exit 2; }
root=$(realpath -m "$1")
shift
command=${*:-tools/run-tests.sh}
[ "$(id -u)" = 0 ] || { echo "fresh-machine: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
git_dir=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)
commit=$(git -C "$repo" rev-parse HEAD)
mirror=http://deb.debian.org/debian

started=$SECONDS
step_start=$SECONDS
step_name=""
times=()
step() {  # step NAME: ends the step before (its time noted), starts NAME
  [ -n "$step_name" ] && times+=("$(printf '%5d s  %s' $((SECONDS - step_start)) "$step_name")")
  step_name=$*
  step_start=$SECONDS
  [ -n "$step_name" ] && echo "== fresh-machine: $step_name"
  return 0
}

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount --lazy "${mounted[i]}" \
      || echo "fresh-machine: cannot unmount ${mounted[i]}" >&2
  done
  mounted=()
}
finish() {
  local status=$?
  step ""
  unmount_all
  echo "== fresh-machine: exit $status after $((SECONDS - started)) s"
  printf '%s\n' "${times[@]}"
  exit $status
}
trap finish EXIT
trap 'exit 130' INT TERM
bind() {  # bind SOURCE TARGET [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounted+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

if ! command -v debootstrap >/dev/null; then
  step "installing debootstrap on this machine (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if [ $reuse = 0 ]; then
  if [ -e "$root" ] && [ -n "$(ls -A "$root")" ]; then
    echo "fresh-machine: $root is not empty (--reuse takes a root this script made)" >&2
    exit 2
  fi
  step "debootstrap bookworm (minbase + git, ca-certificates) into $root from $mirror"
  mkdir -p "$root"
  debootstrap --variant=minbase --include=git,ca-certificates bookworm "$root" "$mirror" \
    > "$root.debootstrap.log" 2>&1 || { tail -20 "$root.debootstrap.log" >&2; exit 1; }
  # No daemon started by a package's install script inside the chroot (the
  # usual policy-rc.d of chroots; strongswan-starter would start charon).
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
else
  [ -x "$root/usr/bin/git" ] || { echo "fresh-machine: $root holds no root made by this script" >&2; exit 2; }
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

step "mounting /proc /sys /dev /dev/pts and $git_dir (read-only)"
# The root bound onto itself is a mount point, as a machine's / is: `ip netns`
# (the interop tests' namespaces) remounts / and fails on a plain directory.
bind "$root" "$root"
bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"
bind "$git_dir" "$root/mnt/ipsecref.git" ro

in_root() {  # in_root SCRIPT: bash -c SCRIPT in the chroot, with a clean environment
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}

step "git clone of $commit into /root/ipsecref"
in_root "set -e; rm -rf /root/ipsecref
  git -c safe.directory='*' clone -q --no-hardlinks --no-checkout /mnt/ipsecref.git /root/ipsecref
  git -C /root/ipsecref checkout -q --detach $commit"

step "tools/setup.sh in the chroot"
in_root "cd /root/ipsecref && tools/setup.sh"

step "in the chroot: $command"
in_root "cd /root/ipsecref && $command"
