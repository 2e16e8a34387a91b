#!/usr/bin/env bash
# Debian packages the tests use: the real Fashion-MNIST IDX files, PyTorch as the reference,
# python3-venv (a Python without torch, for the PyTorch engine's tests), Chromium + the native build deps code-server needs for the end-to-end suite.
set -euo pipefail
pkgs=(dataset-fashion-mnist python3-torch python3-venv chromium libkrb5-dev ripgrep)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
