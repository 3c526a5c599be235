#!/usr/bin/env bash
# Installs what mimamori's tests need on a fresh machine. Idempotent: a second run only checks.
#
#  - PostgreSQL server (Debian `postgresql`): the governance store is tested on PostgreSQL as
#    well as SQLite; scripts/test starts a throwaway cluster.
#  - ffmpeg/ffprobe: decoding checks of recorded footage; clips for the interop tests.
#  - chromium + chromium-driver: the browser tests of the web application (WebDriver).
#  - nasm: openh264 (camsim's synthetic clips) builds its SIMD code only when nasm is present.
#  - gst-rtsp-server and plugins: a third-party RTSP server (tools/gst-camfarm.py) for interop.
#  - libavcodec/libavformat dev packages, pkg-config and libclang: the optional `libav` build of
#    the mask burn-in (libavcodec's decoder, libx264 through libavcodec) is tested too.
#  - prometheus (Debian): a real Prometheus scrapes `/metrics` in the operations test, and its
#    promtool checks the exposition text.
#  - poppler-utils: pdftotext/pdfinfo check the forms the browser prints to PDF.
#  - slapd + ldap-utils: a real OpenLDAP server for the directory-login test.
#  - Python `holidays` (PyPI), pinned, in ./.venv: the independent dataset the holiday tests
#    compare against (crates/policy/tests/holidays_reference.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

HOLIDAYS_VERSION=0.109
apt_packages=()

ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
command -v ffprobe >/dev/null 2>&1 || apt_packages+=(ffmpeg)
command -v nasm >/dev/null 2>&1 || apt_packages+=(nasm)
# Third-party zip readers: evidence packages must open in them exactly as the verifier reads them.
command -v unzip >/dev/null 2>&1 || apt_packages+=(unzip)
command -v bsdtar >/dev/null 2>&1 || apt_packages+=(libarchive-tools)
# A real browser for the web application's end-to-end tests.
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_packages+=(chromium-driver)
# The optional libav build of the mask burn-in: libraries, and what its bindings are made with.
pkg-config --exists libavcodec libavformat libavutil libswscale libswresample 2>/dev/null ||
  apt_packages+=(pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev)
# bindgen loads libclang.so / libclang-N.so.*; libclang-cpp (present on some images) is not it.
compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null ||
  compgen -G '/usr/lib/*/libclang-[0-9]*.so*' >/dev/null || apt_packages+=(libclang-dev)
# A real Prometheus (and promtool) for the /metrics test.
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || apt_packages+=(prometheus)
# A real OpenLDAP server (slapd, started by the directory-login test) and its tools.
[ -x /usr/sbin/slapd ] || apt_packages+=(slapd)
command -v ldapadd >/dev/null 2>&1 || apt_packages+=(ldap-utils)
# systemd-analyze verifies the packaged units; dpkg-deb builds the package.
command -v systemd-analyze >/dev/null 2>&1 || apt_packages+=(systemd)
command -v dpkg-deb >/dev/null 2>&1 || apt_packages+=(dpkg)
# openssl makes the tests' certificates; curl checks the HTTPS the server serves.
command -v openssl >/dev/null 2>&1 || apt_packages+=(openssl)
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
# pdftotext/pdfinfo read the printed forms the browser tests print to PDF (issue 18 item 6).
command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || apt_packages+=(poppler-utils)
# Japanese glyphs in the browser tests' screenshots.
[ -d /usr/share/fonts/opentype/noto ] || apt_packages+=(fonts-noto-cjk)
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" >/dev/null 2>&1 ||
  apt_packages+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-tools)

if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "test-deps: installing ${apt_packages[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if ! .venv/bin/python -c "import holidays, sys; sys.exit(holidays.__version__ != '$HOLIDAYS_VERSION')" 2>/dev/null; then
  echo "test-deps: installing Python holidays==$HOLIDAYS_VERSION into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "holidays==$HOLIDAYS_VERSION"
fi

# An S3-compatible object store server for the tests of packages kept in one (issue 21, item
# 4): s3s-fs from crates.io (0.14.1: the newest for rustc 1.95), built once into .tools.
S3S_FS_VERSION=0.14.1
if ! [ -x .tools/bin/s3s-fs ] || ! .tools/bin/s3s-fs --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
  echo "test-deps: installing s3s-fs $S3S_FS_VERSION (an S3-compatible server) into .tools"
  cargo install --quiet --locked "s3s-fs@$S3S_FS_VERSION" --features binary --root .tools
fi
