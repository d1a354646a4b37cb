#!/usr/bin/env bash
# Installs what scripts/cross-encoder/train.py needs, from Debian's packages (idempotent):
# PyTorch and onnx for /usr/bin/python3, and OpenBLAS, which Debian's PyTorch reaches through
# libblas.so.3 (without it the reference BLAS makes training about 35 times slower).
set -euo pipefail
missing=()
for p in python3-torch python3-onnx libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
/usr/bin/python3 -c 'import torch, onnx; print("torch", torch.__version__, "onnx", onnx.__version__)'
