#!/usr/bin/env bash
# Installs nudge's build and test dependencies from Debian's packages.
# Does nothing when everything is already present; runs `apt-get update` only when something is missing.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  libchipmunk-dev      # physics
  libsdl2-dev          # window and drawing
  libsdl2-ttf-dev      # text in the view
  fonts-dejavu-core    # the view's font, found at run time
  libopenblas-dev      # all of the model's matrix math
  zlib1g-dev           # crc32 and PNG compression
  xvfb xauth           # window tests without a display
  python3 python3-numpy  # the numpy client check and the Python binding's tests
  libcjson-dev         # the dataset manifest (data/), read and written with cJSON
  ffmpeg               # --video: frames piped to ffmpeg; ffprobe in the video test
  slurm-wlm munge      # tests/slurm_test.sh: a real single-node Slurm cluster
  xdotool              # the view's interaction tests drive the window under Xvfb
  clang libclang-rt-14-dev  # libFuzzer harnesses (tests/fuzz, make fuzz)
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
