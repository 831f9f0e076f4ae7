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

if engine_has_userns; then
  log "engine with userns-remap is running"
  exit 0
fi

if docker info >/dev/null 2>&1; then
  log "a Docker engine answers but without userns-remap; refusing to reconfigure a daemon this script did not start."
  log "restart it with \"userns-remap\": \"default\" in /etc/docker/daemon.json (see DESIGN §4 Isolation)"
  exit 1
fi

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v docker >/dev/null 2>&1 || need_pkgs+=(docker-cli)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v newuidmap >/dev/null 2>&1 || need_pkgs+=(uidmap)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

mkdir -p /etc/docker
# Sandboxes get one internal network each: Docker's default pools hold only ~31 networks,
# so give it room for thousands of /24s.
if ! grep -q '"userns-remap"' /etc/docker/daemon.json 2>/dev/null || ! grep -q '"default-address-pools"' /etc/docker/daemon.json; then
  [ -f /etc/docker/daemon.json ] && cp /etc/docker/daemon.json /etc/docker/daemon.json.labctl-backup
  log "writing /etc/docker/daemon.json (userns-remap=default, address pool 10.240.0.0/12 in /24s)"
  cat > /etc/docker/daemon.json <<'JSON'
{
  "userns-remap": "default",
  "default-address-pools": [{ "base": "10.240.0.0/12", "size": 24 }]
}
JSON
fi

log "starting dockerd (log: /var/log/labctl-dockerd.log)"
nohup dockerd >/var/log/labctl-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if engine_has_userns; then log "engine is up"; exit 0; fi
  sleep 1
done
log "dockerd did not come up within 60 s; last log lines:"
tail -20 /var/log/labctl-dockerd.log >&2
exit 1
