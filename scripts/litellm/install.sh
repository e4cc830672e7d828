#!/usr/bin/env bash
# Installs LiteLLM's proxy into a venv for the side-by-side benchmark (not used by CI).
#   scripts/litellm/install.sh            → .ci-cache/litellm-venv (or $LITELLM_VENV)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${LITELLM_VENV:-$here/../../.ci-cache/litellm-venv}"
version="${LITELLM_VERSION:-1.106.2}"
if [ -x "$venv/bin/litellm" ] && "$venv/bin/pip" show litellm 2>/dev/null | grep -qx "Version: $version"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q "litellm[proxy]==$version"
