#!/usr/bin/env bash
# Sets labelwise up on Debian 12 / Ubuntu: system packages (libtorch, OpenBLAS with OpenMP, the
# Python reference used by tests), npm dependencies (no install-time downloads), the native addon
# and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(libtorch-dev libopenblas0-openmp python3 python3-numpy python3-nibabel python3-scipy python3-pydicom chromium fonts-dejavu-core g++ make)
# Set LABELWISE_WITH_PYTORCH=1 to also install the PyTorch reference (goldens, benchmarks).
if [ "${LABELWISE_WITH_PYTORCH:-0}" = "1" ]; then SYSTEM_PACKAGES+=(python3-torch); fi

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libtorch uses OpenMP; the pthread flavour of OpenBLAS (pulled in by scipy) would otherwise win the
# alternatives and oversubscribe cores. The addon pins openblas-openmp through its RPATH anyway;
# this makes the Python reference use the same BLAS so benchmarks compare like with like.
arch_dir="/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
if [ -e "$arch_dir/openblas-openmp/libblas.so.3" ] && [ "$(id -u)" = "0" ]; then
  update-alternatives --quiet --set "libblas.so.3-$(basename "$arch_dir")" "$arch_dir/openblas-openmp/libblas.so.3" || true
  update-alternatives --quiet --set "liblapack.so.3-$(basename "$arch_dir")" "$arch_dir/openblas-openmp/liblapack.so.3" || true
  # The OpenMP libblas.so.3 finds libopenblas.so.0 through the system directory: pin it too.
  update-alternatives --quiet --set "libopenblas.so.0-$(basename "$arch_dir")" "$arch_dir/openblas-openmp/libopenblas.so.0" 2>/dev/null || true
fi

npm ci --no-audit --no-fund
npm run build:native
npm run build
