#!/usr/bin/env bash
# End-to-end test of the desktop app on a real X server, as a user drives it:
#   a `docshelf demo` server on a free loopback port, Xvfb, the window manager jwm with
#   its system tray, and `docshelf desktop` signed in as anna (German UI). xdotool
#   right-clicks the tray icon and chooses "Synchronisieren", Ctrl+double-clicks the
#   footer, clicks the footer and chooses "Synchronisieren" in its pop-up; after each a
#   manual sync must have happened (`docshelf status`: new last update, schedule as it
#   was). Screenshots of the window, the footer's pop-up and the tray menu on the way.
#
# Usage: tests/e2e/desktop.sh [--screenshots DIR] [--update-screenshots] [--language de|en]
#   --screenshots DIR     where to save the screenshots (also DOCSHELF_E2E_SCREENSHOTS;
#                         default: a new temporary folder, kept)
#   --update-screenshots  also copy them into docs/screenshots/ (the README shows them)
#   --language de|en      the system's language the app starts in (default de); the
#                         English screenshots are named desktop-*-en.png
#
# System packages: `scripts/system-packages.sh qt e2e` installs them when root. Without
# root and with packages missing, it says what is missing, prints "SKIPPED" and exits 0.
# Only 127.0.0.1 is contacted; every process started here is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${VENV_BIN:-$root/.venv/bin}
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
shots=${DOCSHELF_E2E_SCREENSHOTS:-}
update=0
language=de

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshots) [ $# -ge 2 ] || { usage >&2; exit 2; }; shots=$2; shift ;;
    --update-screenshots) update=1 ;;
    --language) [ $# -ge 2 ] && [[ "$2" =~ ^(de|en)$ ]] || { usage >&2; exit 2; }; language=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

case "$language" in
  de) locale=de_CH.UTF-8 suffix="" ;;
  *) locale=en_GB.UTF-8 suffix="-en" ;;
esac
started=$SECONDS
unset DISPLAY # nothing here may touch the display this was started from
say() { echo "desktop e2e [$((SECONDS - started)) s]: $*"; }

# --- system packages ------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  "$root/scripts/system-packages.sh" qt e2e
elif ! report=$("$root/scripts/system-packages.sh" qt e2e 2>&1); then
  echo "$report" >&2
  if [ "$update" -eq 1 ]; then
    say "cannot run without these packages, so no screenshots were updated." >&2
    exit 1
  fi
  say "SKIPPED: system packages missing and not root to install them."
  exit 0
fi
"$bin/python" -c 'import PySide6' 2>/dev/null || {
  say "$bin/python cannot import PySide6 (make venv-dev installs it)." >&2
  exit 1
}

# --- processes, cleaned up on exit ----------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/docshelf-e2e.XXXXXX")
if [ -z "$shots" ]; then
  shots=$(mktemp -d "${TMPDIR:-/tmp}/docshelf-e2e-screenshots.XXXXXX")
fi
mkdir -p "$shots"
home=$tmp/home
app_pid="" wm_pid="" xvfb_pid="" server_pid=""
screen_w=1280 screen_h=800

stop() {
  # TERM (twice, for a server or window manager that is slow to go), then KILL what is
  # still there after 5 seconds.
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$i" -ne 10 ] || kill -TERM "$pid" 2>/dev/null || true
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  stop "$app_pid"
  stop "$wm_pid"
  stop "$xvfb_pid"
  stop "$server_pid"
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "desktop e2e: FAILED: $*" >&2
  local log
  if [ -n "${DISPLAY:-}" ] && "${clean[@]}" "$bin/python" "$here/screen.py" \
    grab "$shots/failure.png" 0 0 "$screen_w" "$screen_h"; then
    echo "the screen at the failure: $shots/failure.png" >&2
  fi
  for log in "$tmp"/{server,xvfb,wm,app}.out "$home/logs/client.log"; do
    if [ -s "$log" ]; then
      echo "--- last lines of ${log#"$tmp"/}" >&2
      tail -n 15 "$log" >&2
    fi
  done
  exit 1
}

# A clean environment: no proxies (only 127.0.0.1 is contacted), no session bus (the tray
# icon must go to this X server's tray, not to a desktop's StatusNotifier host), a home
# and runtime folder of its own, the token in a file instead of a keyring, the language
# asked for (German by default).
mkdir -p "$tmp/user" "$tmp/run"
chmod 700 "$tmp/run"
clean=(env -i "PATH=$PATH" "HOME=$tmp/user" "XDG_RUNTIME_DIR=$tmp/run"
  "DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/no-bus" "DOCSHELF_KEYRING=0"
  "LANG=$locale" "TZ=UTC" ${PYTHONPATH:+"PYTHONPATH=$PYTHONPATH"})
ds() { "${clean[@]}" "$bin/docshelf" --home "$home" "$@"; }

wait_for() { # SECONDS WHAT COMMAND...: until COMMAND succeeds
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${seconds} s waiting for $what"
    sleep 0.2
  done
}

# --- the server -----------------------------------------------------------------------
port=$("$bin/python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"${clean[@]}" "$bin/docshelf" demo --data-dir "$tmp/server" --host 127.0.0.1 --port "$port" \
  >"$tmp/server.out" 2>&1 &
server_pid=$!
server_ready() {
  kill -0 "$server_pid" 2>/dev/null || fail "the demo server exited"
  "$bin/python" -c '
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
opener.open(sys.argv[1], timeout=2).close()' "$url/readyz" 2>/dev/null
}
wait_for 60 "the demo server" server_ready
# The app's first scheduled sync comes after a random delay up to this bound: the largest
# allowed, two hours, so that one seldom falls into the test (and see `due_soon` below).
"${clean[@]}" "$bin/docshelf" admin --data-dir "$tmp/server" settings set \
  ClientSyncMaxDelayAfterStart 7200000 >/dev/null || fail "could not change a setting"
echo demo | ds login --server "$url" --user anna --password-stdin --device-name e2e >/dev/null \
  || fail "docshelf login"
ds sync >/dev/null || fail "docshelf sync"
say "demo server on $url, anna signed in and synchronised"

# --- X server, window manager with tray -----------------------------------------------
Xvfb -displayfd 3 -screen 0 "${screen_w}x${screen_h}x24" -nolisten tcp \
  3>"$tmp/display" >"$tmp/xvfb.out" 2>&1 &
xvfb_pid=$!
display_known() {
  kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb exited"
  [ -s "$tmp/display" ]
}
wait_for 20 "Xvfb" display_known
display=:$(tr -d '[:space:]' <"$tmp/display")
clean+=("DISPLAY=$display")
export DISPLAY=$display # for xdotool
say "X server on $display"

cat >"$tmp/jwmrc" <<'EOF'
<?xml version="1.0"?>
<JWM>
  <Desktops width="1" height="1"><Background type="solid">#336699</Background></Desktops>
  <Tray x="0" y="-1" height="32" autohide="off"><Spacer/><Dock/></Tray>
</JWM>
EOF
"${clean[@]}" jwm -f "$tmp/jwmrc" >"$tmp/wm.out" 2>&1 &
wm_pid=$!
"${clean[@]}" "$bin/python" "$here/screen.py" wait-tray 20 || fail "jwm's system tray did not come up"

# --- helpers for windows and the sync status ------------------------------------------
geometry() { # WINDOW -> "x y width height" (right for windows whose parent is the root)
  xdotool getwindowgeometry --shell "$1" 2>/dev/null |
    awk -F= '{v[$1] = $2} END {print v["X"] + 0, v["Y"] + 0, v["WIDTH"] + 0, v["HEIGHT"] + 0}'
}
origin() { # WINDOW -> "x y" on the screen, also for a window inside a frame
  xdotool mousemove --sync --window "$1" 0 0
  xdotool getmouselocation --shell |
    awk -F= '$1 == "X" || $1 == "Y" {printf "%s ", $2} END {print ""}'
}
app_windows() { # the app's visible windows: main window, tray icon, open menus
  # By process, not by name: Qt may name the tray icon's window late or not at all.
  xdotool search --onlyvisible --pid "$app_pid" 2>/dev/null | sort || true
}
grab() { # NAME X Y WIDTH HEIGHT
  "${clean[@]}" "$bin/python" "$here/screen.py" grab "$shots/$1.png" "$2" "$3" "$4" "$5" \
    || fail "screenshot $1"
}
away() { xdotool mousemove --sync $((screen_w - 10)) 10; } # off the window: no hover, no tooltip
# "last_update next_sync state" from `docshelf status --json`, "-" for none
snapshot() {
  ds status --json | "$bin/python" -c '
import json, sys
status = json.load(sys.stdin)
print(*(status.get(key) or "-" for key in ("last_update", "next_sync", "state")))'
}
new_window() { # BEFORE-LIST -> a visible app window not in it, or nothing
  comm -13 <(echo "$1") <(app_windows) | head -n 1
}

expect_manual_sync() { # WHAT BEFORE-SNAPSHOT: a sync ended since, schedule as it was
  local what=$1 before=$2 after deadline
  local -a was now
  deadline=$((SECONDS + 20))
  while :; do
    after=$(snapshot)
    read -r -a was <<<"$before"
    read -r -a now <<<"$after"
    [ "${now[0]}" != "${was[0]}" ] && [ "${now[2]}" = idle ] && break
    [ "$SECONDS" -lt "$deadline" ] || fail "$what: no sync within 20 s (status: $after)"
    sleep 0.2
  done
  "$bin/python" -c '
import sys
from datetime import datetime
was, now = sys.argv[1:]
same = was != "-" and now != "-" and abs(
    (datetime.fromisoformat(now) - datetime.fromisoformat(was)).total_seconds()) < 2
sys.exit(0 if same else 1)' "${was[1]}" "${now[1]}" ||
    fail "$what: the next scheduled sync moved (${was[1]} -> ${now[1]}): not a manual sync"
  say "ok: $what synchronised (last update ${now[0]})"
}

# --- the app --------------------------------------------------------------------------
# Not through ds(): $! must be the app's own process id (windows are found by it).
"${clean[@]}" "$bin/docshelf" --home "$home" desktop >"$tmp/app.out" 2>&1 &
app_pid=$!
main="" tray=""
find_windows() {
  kill -0 "$app_pid" 2>/dev/null || fail "docshelf desktop exited"
  local w x y width height
  for w in $(app_windows); do
    read -r x y width height <<<"$(geometry "$w")"
    : "$x" "$y"
    if [ "$width" -ge 400 ]; then
      main=$w
    elif ((width >= 16 && width <= 64 && height >= 16 && height <= 64)); then
      tray=$w
    fi
  done
  [ -n "$main" ] && [ -n "$tray" ]
}
wait_for 30 "the app's window and tray icon" find_windows
scheduled() { [[ "$(snapshot)" =~ ^[^\ ]+\ [0-9] ]]; } # the app's scheduler set next_sync
wait_for 30 "the app's schedule" scheduled
say "app up: window and tray icon"
# No scheduled sync during the checks: if one is due within a minute, let it pass first
# (the next one is then ClientSyncInterval, 15 minutes, away).
due_soon() {
  "$bin/python" -c '
import sys
from datetime import datetime, timezone
due = datetime.fromisoformat(sys.argv[1]) - datetime.now(timezone.utc)
sys.exit(0 if due.total_seconds() < 60 else 1)' "$(snapshot | cut -d" " -f2)"
}
if due_soon; then
  say "a scheduled sync is due within a minute: waiting for it"
  wait_for 90 "the scheduled sync" eval '! due_soon'
fi
read -r win_x win_y <<<"$(origin "$main")"
read -r _ _ win_w win_h <<<"$(geometry "$main")"
away
sleep 0.5 # let the window finish drawing
grab "desktop-window$suffix" "$win_x" "$win_y" "$win_w" "$win_h"

# 1. Tray icon: right-click, "Synchronisieren" (the first enabled entry, below the status).
before=$(snapshot)
shown=$(app_windows)
xdotool mousemove --sync --window "$tray" 10 10 click 3
menu=""
menu_open() { menu=$(new_window "$shown"); [ -n "$menu" ]; }
wait_for 10 "the tray menu" menu_open
xdotool key Down
sleep 0.4
read -r m_x m_y _ _ <<<"$(geometry "$menu")"
x0=$((m_x > 40 ? m_x - 40 : 0)) y0=$((m_y > 40 ? m_y - 40 : 0))
grab "desktop-tray-menu$suffix" "$x0" "$y0" $((screen_w - x0)) $((screen_h - y0))
xdotool key Return
expect_manual_sync "tray menu → Synchronisieren" "$before"

# 2. Footer, bottom right of the window: Ctrl + double-click syncs at once, no pop-up.
label_x=$((win_w - 40)) label_y=$((win_h - 10))
before=$(snapshot)
shown=$(app_windows)
xdotool mousemove --sync --window "$main" "$label_x" "$label_y"
xdotool keydown Control_L click --repeat 2 --delay 100 1 keyup Control_L
away # and so no tooltip of the label either
expect_manual_sync "footer Ctrl + double-click" "$before"
sleep 0.6 # longer than a double-click interval: a pop-up would be open by now
extra=$(new_window "$shown")
[ -z "$extra" ] || fail "Ctrl + double-click on the footer opened a window: $(geometry "$extra")"

# 3. Footer: a click opens the pop-up with "Synchronisieren"; choosing it syncs.
before=$(snapshot)
xdotool mousemove --sync --window "$main" "$label_x" "$label_y" click 1
popup=""
popup_open() { popup=$(new_window "$shown"); [ -n "$popup" ]; }
wait_for 10 "the footer's pop-up" popup_open
xdotool key Down
sleep 0.4
read -r p_x p_y _ _ <<<"$(geometry "$popup")"
x0=$((win_x + win_w - 460)) y0=$((p_y - 60))
[ "$x0" -le $((p_x - 20)) ] || x0=$((p_x - 20))
[ "$x0" -ge "$win_x" ] || x0=$win_x
[ "$y0" -ge "$win_y" ] || y0=$win_y
grab "desktop-popup$suffix" "$x0" "$y0" $((win_x + win_w - x0)) $((win_y + win_h - y0))
xdotool key Return
expect_manual_sync "footer pop-up → Synchronisieren" "$before"

kill -0 "$app_pid" 2>/dev/null || fail "docshelf desktop exited"
# One SIGTERM ends the app, although its window only hides into the tray when closed.
kill -TERM "$app_pid"
for _ in $(seq 50); do
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$app_pid" 2>/dev/null && fail "docshelf desktop did not end on SIGTERM"
wait "$app_pid" 2>/dev/null || true
app_pid=""
say "ok: SIGTERM ended the app"
if [ "$update" -eq 1 ]; then
  mkdir -p "$root/docs/screenshots"
  for name in desktop-window$suffix desktop-popup$suffix desktop-tray-menu$suffix; do
    size=$(wc -c <"$shots/$name.png")
    [ "$size" -lt 150000 ] || fail "$name.png is $size bytes, too big to keep"
    cp "$shots/$name.png" "$root/docs/screenshots/$name.png"
  done
  say "screenshots copied into docs/screenshots/"
fi
say "all checks passed; screenshots in $shots"
