#!/usr/bin/env bash
# Start a private containerd (Debian containerd 1.6): config, root, state, sockets, pid file and log
# all live in DIR, so nothing is shared with a system containerd. CRI is disabled. Waits until the
# API answers, then prints "CONTAINERD_ADDRESS=DIR/containerd.sock",
# "CONTAINERD_SNAPSHOTTER=overlayfs|native" (overlayfs unless DIR's filesystem refuses it) and the pid.
# Use it as: ctr -a "$CONTAINERD_ADDRESS" -n NS images import/pull …  (export CONTAINERD_SNAPSHOTTER for ctr)
#   start-containerd.sh DIR
#   start-containerd.sh --stop DIR     # kills remaining tasks, stops the daemon, removes leftover mounts
# DIR must be at most 80 characters: containerd refuses unix socket paths over 104 bytes.
set -euo pipefail

stop() {
  local dir=$1 pidfile=$1/containerd.pid pid sock=$1/containerd.sock ns id
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null && [ -S "$sock" ]; then
      # running tasks keep their shims (and mounts) alive after the daemon exits: end them first
      for ns in $(ctr -a "$sock" namespaces ls -q 2>/dev/null || true); do
        for id in $(ctr -a "$sock" -n "$ns" tasks ls -q 2>/dev/null || true); do
          ctr -a "$sock" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
          for _ in $(seq 50); do
            ctr -a "$sock" -n "$ns" tasks rm "$id" >/dev/null 2>&1 && break
            sleep 0.1
          done
        done
        for id in $(ctr -a "$sock" -n "$ns" containers ls -q 2>/dev/null || true); do
          ctr -a "$sock" -n "$ns" containers rm "$id" >/dev/null 2>&1 || true
        done
      done
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  # snapshot mounts of a daemon that died mid-way; deepest first
  { findmnt -rn -o TARGET | grep -F "$dir/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
}

if [ "${1:-}" = "--stop" ]; then
  [ -d "$2" ] || exit 0
  stop "$(cd "$2" && pwd)"; exit 0
fi
[ $# -eq 1 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
dir=$(mkdir -p "$1" && cd "$1" && pwd)
sock=$dir/containerd.sock
if [ ${#dir} -gt 80 ]; then
  echo "DIR path too long (${#dir} > 80 characters): $dir" >&2; exit 2
fi

snapshotter() { # overlayfs reports "skip" in plugins ls when DIR's filesystem cannot hold it
  if ctr -a "$sock" plugins ls 2>/dev/null | awk '$2 == "overlayfs" && $4 == "ok"' | grep -q .; then
    echo overlayfs
  else
    echo native
  fi
}

if [ -f "$dir/containerd.pid" ] && kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
  echo "CONTAINERD_ADDRESS=$sock"; echo "CONTAINERD_SNAPSHOTTER=$(snapshotter)"; cat "$dir/containerd.pid"; exit 0
fi

cat > "$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
rm -f "$sock" "$sock.ttrpc"
# setsid: the daemon outlives this script and the caller's Ctrl-C
setsid containerd --config "$dir/config.toml" >>"$dir/containerd.log" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$dir/containerd.pid"
for _ in $(seq 100); do
  if [ -S "$sock" ] && ctr -a "$sock" version >/dev/null 2>&1; then
    echo "CONTAINERD_ADDRESS=$sock"; echo "CONTAINERD_SNAPSHOTTER=$(snapshotter)"; echo "$pid"; exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
echo "containerd did not come up; see $dir/containerd.log" >&2
stop "$dir"
exit 1
