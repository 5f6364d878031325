#!/bin/sh
# Heroku start-up: write Streamlit's server config for this dyno (port from $PORT).
set -eu
mkdir -p "$HOME/.streamlit"
cat > "$HOME/.streamlit/config.toml" <<CONFIG
[server]
headless = true
port = ${PORT:-8501}
maxUploadSize = 200

[browser]
gatherUsageStats = false

[client]
toolbarMode = "viewer"
CONFIG
