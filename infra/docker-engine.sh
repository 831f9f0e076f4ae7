#!/usr/bin/env bash
# Make sure a Docker engine with a user namespace (--userns-remap=default) answers.
# Idempotent: does nothing when such an engine already runs. Needs root.
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*" >&2; }

engine_has_userns() { docker info --format '{{json .SecurityOptions}}' 2>/dev/null | grep -q 'name=userns'; }

# All sandboxes run as one remapped host user, and runc gives every container a session keyring:
# the per-user kernel key quota (200 keys by default) would cap a machine at ~100 sandboxes.
raise_key_quota() {
  local keys bytes
  keys=$(cat /proc/sys/kernel/keys/maxkeys 2>/dev/null || echo 0)
  bytes=$(cat /proc/sys/kernel/keys/maxbytes 2>/dev/null || echo 0)
  [ "$keys" -ge 5000 ] || echo 5000 > /proc/sys/kernel/keys/maxkeys 2>/dev/null || log "could not raise kernel.keys.maxkeys (now $keys)"
  [ "$bytes" -ge 500000 ] || echo 500000 > /proc/sys/kernel/keys/maxbytes 2>/dev/null || log "could not raise kernel.keys.maxbytes (now $bytes)"
}
raise_key_quota

# Each idle session is ~16 tasks (tini, its process, a terminal's shell, and 11-12 threads of its
# containerd-shim): the default pid_max of 32768 would cap a machine near 2,000 sessions, well
# below what its memory holds. 4194304 is the 64-bit kernel's maximum (and systemd's default).
raise_pid_max() {
  local now; now=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 0)
  [ "$now" -ge 4194304 ] || echo 4194304 > /proc/sys/kernel/pid_max 2>/dev/null || log "could not raise kernel.pid_max (now $now)"
}
raise_pid_max

# Sandboxes see a sysfs at /run/host-sys so that `ip netns exec` can mount a per-namespace /sys (a
# user namespace may mount sysfs only where a fully visible one exists). A bind of the host's /sys
# brings its submounts along (the cgroup tree, rw, with every sandbox's ids and memory); this is a
# separate sysfs mount with nothing under it, which the provider binds read-only when it exists.
# (Mounted rw here: a read-only source is locked read-only in the sandbox's user namespace, and
# then `ip netns exec`'s own sysfs mount is refused.)
private_sysfs() {
  local dir=/run/netdojo/sys
  mountpoint -q "$dir" && return 0
  mkdir -p "$dir" && chmod 700 /run/netdojo
  mount -t sysfs -o nosuid,nodev,noexec sysfs "$dir" && mount --make-private "$dir" && return 0
  log "could not mount a private sysfs at $dir: sandboxes fall back to a bind of /sys"
}
private_sysfs

DATA_DIR=/var/lib/netdojo
DATA_ROOT=$DATA_DIR/docker
DATA_IMG=$DATA_DIR/docker-data.btrfs

# Simple quotas only: full qgroup accounting slows every container create/remove to a crawl, and
# it charges a container's snapshot with every byte of its image, so any image bigger than the
# quota fails its first write (EDQUOT at chown). Docker's btrfs driver turns quotas OFF whenever
# dockerd stops (its Cleanup), and turns *full* quotas on by itself at the first sized create when
# it meets none: so simple quotas are turned on again before every dockerd start. The live mode is
# read from sysfs, not from the superblock's incompat flag, which stays set once simple quotas were
# ever on.
qgroup_mode() {
  local uuid; uuid=$(findmnt -no UUID "$DATA_ROOT" 2>/dev/null | head -1)
  [ -n "$uuid" ] && cat "/sys/fs/btrfs/$uuid/qgroups/mode" 2>/dev/null || echo none
}
ensure_simple_quotas() {
  mountpoint -q "$DATA_ROOT" && [ "$(findmnt -no FSTYPE "$DATA_ROOT" | head -1)" = btrfs ] || return 0
  local mode; mode=$(qgroup_mode)
  [ "$mode" = squota ] && return 0
  if [ "$mode" != none ]; then
    log "btrfs quotas on $DATA_ROOT are in '$mode' mode: turning them off to turn on simple quotas"
    btrfs quota disable "$DATA_ROOT"
  fi
  if python3 "$(dirname "$0")/btrfs-simple-quota.py" "$DATA_ROOT"; then log "btrfs simple quotas on"
  else log "WARNING: this kernel has no btrfs simple quotas (needs Linux >= 6.7): sandboxes get no disk quota"; fi
}

if engine_has_userns; then
  ensure_simple_quotas
  log "engine with userns-remap is running"
  exit 0
fi

if docker info >/dev/null 2>&1; then
  log "a Docker engine answers but without userns-remap; refusing to reconfigure a daemon this script did not start."
  log "restart it with \"userns-remap\": \"default\" in /etc/docker/daemon.json (see docs/dev/architecture.md, Sandboxes and isolation)"
  exit 1
fi

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v docker >/dev/null 2>&1 || need_pkgs+=(docker-cli)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v newuidmap >/dev/null 2>&1 || need_pkgs+=(uidmap)
command -v mkfs.btrfs >/dev/null 2>&1 || need_pkgs+=(btrfs-progs)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3-minimal)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# Per-sandbox disk quotas: Docker's btrfs storage driver enforces `StorageOpt size` with btrfs
# qgroups (XFS project quotas would do too, but this kernel is built without quota support).
# The data root is a sparse, loop-mounted btrfs image, so nothing about the host's own
# filesystem needs to change. NETDOJO_DOCKER_DISK sets its size (default: 60% of free space,
# at most 200G); NETDOJO_DOCKER_BTRFS=0 keeps the host's filesystem and overlay2 (no quotas).
storage_json=""
if [ "${NETDOJO_DOCKER_BTRFS:-1}" != 0 ] && { grep -qw btrfs /proc/filesystems 2>/dev/null || modprobe btrfs 2>/dev/null; }; then
  mkdir -p "$DATA_ROOT"
  if ! mountpoint -q "$DATA_ROOT"; then
    if [ ! -f "$DATA_IMG" ]; then
      free_kb=$(df -Pk "$DATA_DIR" | awk 'NR==2 {print $4}')
      size_g=${NETDOJO_DOCKER_DISK:-$(( free_kb * 6 / 10 / 1024 / 1024 ))}
      size_g=${size_g%G}; [ "$size_g" -gt 200 ] && size_g=200
      log "creating a ${size_g}G sparse btrfs image for Docker's data root ($DATA_IMG)"
      truncate -s "${size_g}G" "$DATA_IMG"
      mkfs.btrfs -q "$DATA_IMG" >/dev/null
    fi
    log "mounting $DATA_IMG on $DATA_ROOT"
    mount -o loop "$DATA_IMG" "$DATA_ROOT"
  fi
  ensure_simple_quotas
  storage_json=$(printf ',\n  "data-root": "%s",\n  "storage-driver": "btrfs"' "$DATA_ROOT")
else
  log "WARNING: no btrfs here: sandboxes get no disk quota (a learner can fill the host's disk)"
fi

mkdir -p /etc/docker
# Sandboxes get one internal network each: Docker's default pools hold only ~31 networks,
# so give it room for thousands of /24s. live-restore keeps sandboxes running while dockerd restarts.
want=$(printf '{\n  "userns-remap": "default",\n  "live-restore": true,\n  "default-address-pools": [{ "base": "10.240.0.0/12", "size": 24 }]%s\n}\n' "$storage_json")
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$(printf '%s' "$want")" ]; then
  [ -f /etc/docker/daemon.json ] && cp /etc/docker/daemon.json /etc/docker/daemon.json.netdojo-backup
  log "writing /etc/docker/daemon.json (userns-remap=default, live-restore, address pool 10.240.0.0/12 in /24s${storage_json:+, btrfs data root})"
  printf '%s\n' "$want" > /etc/docker/daemon.json
fi

log "starting dockerd (log: /var/log/netdojo-dockerd.log)"
# dockerd and containerd keep ~10 descriptors per running container with an attached terminal (log
# pipes, exec streams): a shell's limit (often 1024 or 20000) would cap the sessions; systemd's unit
# for Docker sets no limit either
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nohup dockerd >>/var/log/netdojo-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if engine_has_userns; then log "engine is up"; exit 0; fi
  sleep 1
done
log "dockerd did not come up within 60 s; last log lines:"
tail -20 /var/log/netdojo-dockerd.log >&2
exit 1
