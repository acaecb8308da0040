#!/usr/bin/env bash
# A throwaway single-node Ceph RGW for the S3 integration suites: 1 monitor, 1 memstore OSD (data in RAM), no
# manager, no auth, RGW on loopback. Everything lives in one temporary directory; nothing outside it is touched.
#
#   scripts/rgw.sh start DIR RGW_PORT MON_PORT [OWNER_PID]
#       Creates DIR, starts the daemons, creates the user TESTKEY/TESTSECRET and prints one line
#       "RGW_READY endpoint=http://127.0.0.1:RGW_PORT pids=<mon> <osd> <rgw> [watchdog]" when S3 answers.
#       With OWNER_PID, a watchdog stops the daemons (by their pids) once that process is gone.
#   scripts/rgw.sh stop DIR
#       Stops exactly the daemons this script started in DIR (their pid files, checked against the binary name)
#       and removes DIR.
#
# Needs: radosgw ceph-mon ceph-osd ceph-common curl (apt-get install -y --no-install-recommends radosgw ceph-mon
# ceph-osd ceph-common curl). Takes about 12 s to come up.
set -euo pipefail

die() {
  echo "rgw.sh: $*" >&2
  exit 1
}

# Prints the pid in a pid file if it still runs the binary we started (pids can be reused).
live_pid() {
  local file=$1 binary=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$binary"; then
    echo "$pid"
  fi
}

# Stops the daemons started in DIR: SIGTERM to each verified pid, SIGKILL to any left after 3 s (the data is
# throwaway, so there is nothing to shut down gracefully).
stop_all() {
  local d=$1 pids=()
  pids+=($(live_pid "$d/run/watchdog.pid" "rgw.sh"))
  pids+=($(live_pid "$d/run/client.rgw.pid" radosgw))
  for f in "$d"/run/osd.*.pid; do pids+=($(live_pid "$f" ceph-osd)); done
  pids+=($(live_pid "$d/run/mon.a.pid" ceph-mon))
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 30); do
    local alive=0
    for p in "${pids[@]}"; do [ -d "/proc/$p" ] && alive=1; done
    [ "$alive" = 1 ] || return 0
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

cmd_stop() {
  local d=${1:?usage: rgw.sh stop DIR}
  [ -d "$d" ] || return 0
  stop_all "$d"
  case "$d" in
  /tmp/* | "${TMPDIR:-/tmp}"/*) rm -rf "$d" ;;
  *) echo "rgw.sh: left $d in place (not under a temporary directory)" >&2 ;;
  esac
}

cmd_watchdog() {
  local d=$1 owner=$2
  while kill -0 "$owner" 2>/dev/null; do sleep 1; done
  rm -f "$d/run/watchdog.pid"
  cmd_stop "$d"
}

cmd_start() {
  local d=${1:?usage: rgw.sh start DIR RGW_PORT MON_PORT [OWNER_PID]} port=${2:?RGW_PORT} mon_port=${3:?MON_PORT}
  local owner=${4:-}
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
    command -v "$b" >/dev/null ||
      die "$b not found; install with: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl"
  done
  [ ! -e "$d" ] || [ -z "$(ls -A "$d")" ] || die "$d exists and is not empty"
  mkdir -p "$d"/{mon,osd0,rgw,run,log}
  trap 'echo "rgw.sh: start failed; logs in $d/log" >&2; stop_all "$d"' ERR
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$d/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
run dir = $d/run
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
pid file = $d/run/\$name.pid
keyring = $d/keyring
[mon]
mon data = $d/mon
[osd]
osd objectstore = memstore
memstore device bytes = 3221225472
osd data = $d/osd\$id
osd max object name len = 460
osd max object namespace len = 64
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port tcp_nodelay=1
rgw data = $d/rgw
rgw max put size = 5368709120
EOF
  local c="-c $d/ceph.conf"
  ceph-authtool --create-keyring "$d/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$d/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mgr 'allow *' >/dev/null
  monmaptool --create --add a "v1:127.0.0.1:$mon_port" --fsid "$fsid" "$d/monmap" >/dev/null
  ceph-mon $c -i a --mkfs --monmap "$d/monmap" --keyring "$d/keyring" >>"$d/log/setup.log" 2>&1
  ceph-mon $c -i a >>"$d/log/setup.log" 2>&1
  # A client's first command can race its monmap fetch ("wrong fsid" / EPERM): retry, here and below.
  local id=""
  for _ in 1 2 3 4 5; do
    if id=$(ceph $c --connect-timeout 30 osd create 2>>"$d/log/setup.log"); then break; fi
    id=""
    sleep 1
  done
  [ -n "$id" ] || die "ceph osd create failed (logs in $d/log)"
  ceph-osd $c -i "$id" --mkfs >>"$d/log/setup.log" 2>&1
  # The OSD's first mon command can race its monmap fetch too, and the OSD then exits: try again.
  local started=0
  for _ in 1 2 3 4 5; do
    if ceph-osd $c -i "$id" >>"$d/log/setup.log" 2>&1; then
      started=1
      break
    fi
    sleep 1
  done
  [ "$started" = 1 ] || die "ceph-osd did not start (logs in $d/log)"
  radosgw $c -n client.rgw >>"$d/log/setup.log" 2>&1
  local up=0
  for _ in $(seq 1 120); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then
      up=1
      break
    fi
    sleep 0.5
  done
  [ "$up" = 1 ] || die "RGW did not answer on 127.0.0.1:$port within 60 s (logs in $d/log)"
  local made=0
  for _ in 1 2 3 4 5; do
    if radosgw-admin $c user create --uid test --display-name test --access-key TESTKEY --secret TESTSECRET \
      >>"$d/log/setup.log" 2>&1; then
      made=1
      break
    fi
    sleep 1
  done
  [ "$made" = 1 ] || die "radosgw-admin user create failed (logs in $d/log)"
  trap - ERR
  if [ -n "$owner" ]; then
    nohup "$0" watchdog "$d" "$owner" >/dev/null 2>&1 &
    echo $! >"$d/run/watchdog.pid"
  fi
  echo "RGW_READY endpoint=http://127.0.0.1:$port pids=$(cat "$d"/run/*.pid | tr '\n' ' ')"
}

case "${1:-}" in
start) shift && cmd_start "$@" ;;
stop) shift && cmd_stop "$@" ;;
watchdog) shift && cmd_watchdog "$@" ;;
*) die "usage: rgw.sh start DIR RGW_PORT MON_PORT [OWNER_PID] | stop DIR" ;;
esac
