#!/usr/bin/env bash
# Usage: benchmarks/psplib.sh j30 [LIMIT_S]   (sets: j10 j12 j14 j16 j18 j20 j30)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${AGORA_SHARED_DATA:-../shared/data}/mrcpsp"
set_name="${1:?which set: j10 ... j30}"
limit="${2:-2}"
.venv/bin/agora bench psplib "$data/$set_name" --reference "$data/solutions/reference_makespans.csv" \
  --time-limit-s "$limit" --json
