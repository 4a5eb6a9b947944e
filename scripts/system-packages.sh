#!/usr/bin/env bash
# Install the system packages docshelf needs, when missing (via apt-get when root).
# Groups (default: all but e2e):
#   postgres  the PostgreSQL server binaries: the tests start a throw-away cluster with
#             initdb/pg_ctl;
#   haproxy   HAProxy, the load balancer in front of several server processes (`make
#             cluster` and the cluster tests);
#   qt        the libraries Qt (the desktop app, PySide6) loads, also for its offscreen
#             platform that the desktop tests use, and a font to draw text with;
#   browser   Debian's Chromium, which the dashboard tests drive through Playwright
#             (launched by its path; Playwright downloads no browser);
#   office    LibreOffice Writer without its GUI (soffice --headless converts the filled
#             demo documents to PDF) and poppler-utils (pdftotext, pdfimages read the PDF
#             back), for the documents tests; a font to lay the text out with;
#   e2e       for tests/e2e/desktop.sh, which asks for this group itself:
#             Xvfb, a window manager with a system tray (jwm), xdotool, and the
#             libraries of Qt's X11 (xcb) platform.
set -euo pipefail

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(postgres haproxy qt browser office)

have_pg() {
  command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

libs=""
have_lib() {
  # Read once into a variable: `ldconfig -p | grep -q` fails under pipefail when grep
  # stops reading early.
  [ -n "$libs" ] || libs=$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)
  [[ "$libs" == *"$1 "* ]]
}

# library file → Debian package(s) providing it; the first one apt knows is installed
# (Debian 13 renamed some libraries with a t64 suffix).
qt_libs=(
  "libEGL.so.1:libegl1"
  "libGL.so.1:libgl1"
  "libfontconfig.so.1:libfontconfig1"
  "libxkbcommon.so.0:libxkbcommon0"
  "libglib-2.0.so.0:libglib2.0-0t64 libglib2.0-0"
  "libdbus-1.so.3:libdbus-1-3"
  "libX11.so.6:libx11-6"
)

# Qt's xcb platform plugin (PySide6 wheels): what a minimal system lacks.
e2e_libs=(
  "libX11-xcb.so.1:libx11-xcb1"
  "libxcb-cursor.so.0:libxcb-cursor0"
  "libxcb-icccm.so.4:libxcb-icccm4"
  "libxcb-image.so.0:libxcb-image0"
  "libxcb-keysyms.so.1:libxcb-keysyms1"
  "libxcb-randr.so.0:libxcb-randr0"
  "libxcb-render-util.so.0:libxcb-render-util0"
  "libxcb-shape.so.0:libxcb-shape0"
  "libxcb-util.so.1:libxcb-util1"
  "libxcb-xkb.so.1:libxcb-xkb1"
  "libxkbcommon-x11.so.0:libxkbcommon-x11-0"
)

missing=()
for group in "${groups[@]}"; do
  case "$group" in
    postgres) have_pg || missing+=(postgresql) ;;
    haproxy) command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy) ;;
    qt)
      for entry in "${qt_libs[@]}"; do
        have_lib "${entry%%:*}" || missing+=("${entry#*:}")
      done
      compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null || missing+=(fonts-dejavu-core)
      ;;
    e2e)
      command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
      command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
      command -v jwm >/dev/null 2>&1 || missing+=(jwm)
      for entry in "${e2e_libs[@]}"; do
        have_lib "${entry%%:*}" || missing+=("${entry#*:}")
      done
      ;;
    browser) command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
    office)
      # The -nogui flavour is the smallest Writer that converts .docx to PDF headless.
      command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
      command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
      compgen -G "/usr/share/fonts/truetype/dejavu/*.ttf" >/dev/null || missing+=(fonts-dejavu-core)
      ;;
    *) echo "unknown group $group (known: postgres, haproxy, qt, browser, office, e2e)" >&2; exit 2 ;;
  esac
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]}." >&2
  echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]%% *}) and run make again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
packages=()
for choice in "${missing[@]}"; do
  pick=""
  for candidate in $choice; do
    if apt-cache show "$candidate" >/dev/null 2>&1; then pick=$candidate; break; fi
  done
  packages+=("${pick:-${choice%% *}}")
done
echo "Installing system packages: ${packages[*]}"
apt-get install -y -qq --no-install-recommends "${packages[@]}"
