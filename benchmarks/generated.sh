#!/usr/bin/env bash
# Generated workflows of 100 / 1,000 / 10,000 tasks with 8 modes, 30 s each; one process per size.
set -euo pipefail
cd "$(dirname "$0")/.."
for n in 100 1000 10000; do
  .venv/bin/agora bench generated --tasks "$n" --modes 8 --time-limit-s "${LIMIT_S:-30}"
done
