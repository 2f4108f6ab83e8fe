#!/usr/bin/env bash
# Make a Docker engine answer on this machine and build the local test image.
#
# Idempotent: installs Debian's docker.io and busybox-static only if missing, starts
# dockerd only if no engine answers, and rebuilds the test image only when it is absent
# (tests/images/build.sh decides). Networking: the engine gets no bridge and touches no
# iptables; containers use the host or none network modes only.
#
# Exit status: 0 when an engine answers and the test image exists, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "docker-setup: $*"; }

have_engine() { docker info >/dev/null 2>&1; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
# The image needs the statically linked busybox (Debian's plain busybox is dynamic).
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ "${#need[@]}" -gt 0 ]; then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if ! have_engine; then
    log "starting dockerd (log: /tmp/dockerd.log)"
    # Own session so it outlives this script; no bridge, no iptables rules.
    setsid dockerd --bridge=none --iptables=false \
        >>/tmp/dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 120); do
        have_engine && break
        sleep 0.5
    done
fi

if ! have_engine; then
    log "no Docker engine answers after 60 s; last lines of /tmp/dockerd.log:"
    tail -n 30 /tmp/dockerd.log >&2 || true
    exit 1
fi
log "engine answers: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"

bash tests/images/build.sh
