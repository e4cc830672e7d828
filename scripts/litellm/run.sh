#!/usr/bin/env bash
# Starts LiteLLM's proxy in the foreground (exec, so the caller's pid is LiteLLM's), offline,
# against a running simulator's public Gemini route.
#   scripts/litellm/run.sh PORT SIM_BASE_URL      e.g. run.sh 4000 http://127.0.0.1:41234
# Needs the venv from scripts/litellm/install.sh (or LITELLM_VENV pointing at one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${LITELLM_VENV:-$here/../../.ci-cache/litellm-venv}"
port="${1:?usage: run.sh PORT SIM_BASE_URL}"
sim="${2:?usage: run.sh PORT SIM_BASE_URL}"

export LITELLM_LOCAL_MODEL_COST_MAP=True     # no download of the model cost map at start
export LITELLM_TELEMETRY=False
export LITELLM_LOG="${LITELLM_LOG:-ERROR}"
export LITELLM_MASTER_KEY="${LITELLM_MASTER_KEY:-sk-bench}"
export SIM_GEMINI_API_BASE="$sim/v1beta"     # LiteLLM appends /models/MODEL:generateContent
export SIM_GEMINI_API_KEY="sim-key"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
unset DATABASE_URL HTTP_PROXY HTTPS_PROXY http_proxy https_proxy || true
exec "$venv/bin/litellm" --config "$here/config.yaml" --host 127.0.0.1 --port "$port" --num_workers 1
