#!/usr/bin/env bash
# Installs the Debian 12 packages dpeval needs to build, test and run its demo
# (python3 runs the script tests; chromium opens the HTML report in tests/report/browser_test.py;
# ccache caches compiles in the project's cache directory, cmake/dpeval_ccache.cmake).
# Idempotent and quick when everything is already there: apt-get runs only for missing packages.
# Usage: scripts/install-deps.sh [--fuzz] [--peers]
#   --fuzz   adds clang and its libFuzzer runtime (make fuzz, make fuzz-replay)
#   --peers  adds Debian's PyTorch, scikit-learn, pandas, Flask and OpenBLAS runtime (bench/, tests/golden and
#            tests/eval fixture generators)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libopenblas-dev libopenblas0-pthread
  libopenmpi-dev openmpi-bin
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libfmt-dev libfast-float-dev
  libxxhash-dev libssl-dev zlib1g-dev libsqlite3-dev libre2-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev libboost-math-dev libboost-dev
  dataset-fashion-mnist
  python3 chromium prometheus
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --peers) packages+=(python3-torch python3-numpy python3-sklearn python3-pandas libopenblas0-pthread python3-flask) ;;
    *) echo "install-deps: unknown option $arg (expected --fuzz or --peers)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
