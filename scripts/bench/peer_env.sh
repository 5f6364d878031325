#!/usr/bin/env bash
# Make a virtual environment holding the peer, the PyPI package `fer` 25.10.3, for
# scripts/bench/peer_fer.py. It lives apart from the project because the project's own package is
# also named `fer`: the project never imports or depends on the PyPI one.
#
#     bash scripts/bench/peer_env.sh              # .peer-venv/ at the repository root
#     bash scripts/bench/peer_env.sh /tmp/peer    # somewhere else
#
# `pip install fer` would pull torch, CUDA wheels, matplotlib and moviepy; the peer's
# `from fer.fer import FER` with `FER(mtcnn=False)` needs only TensorFlow (its tf.lite
# interpreter), OpenCV, requests, Pillow and pkg_resources (setuptools<81). facenet-pytorch
# (MTCNN) is imported only with mtcnn=True, moviepy only by fer.classes.Video; neither is
# installed. pandas and tqdm come along for fer.classes. TensorFlow and OpenCV are pinned to
# the project's versions. Re-running with a working venv only verifies it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-$ROOT/.peer-venv}"
VENV="$(mkdir -p "$(dirname "$VENV")" && cd "$(dirname "$VENV")" && pwd)/$(basename "$VENV")"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

# Run from a neutral folder in isolated mode (-I: no script dir, cwd or PYTHON* variables on
# sys.path), so the project's fer/ can never shadow the peer. Errors show only when $1 is "loud".
verify() {
    local errors=/dev/null
    [[ "${1:-}" == loud ]] && errors=/dev/stderr
    (cd / && TF_CPP_MIN_LOG_LEVEL=3 "$PY" -I -W ignore -c '
import fer, tensorflow as tf
from fer.fer import FER
FER(mtcnn=False)
assert fer.__version__ == "25.10.3", fer.__version__
print(f"peer ok: fer {fer.__version__} from {fer.__file__}, tensorflow {tf.__version__}")
' 2>"$errors")
}

if [[ -x "$PY" ]] && verify; then
    exit 0
fi

echo "installing the peer into $VENV" >&2
[[ -x "$PY" ]] || "$PYTHON" -m venv "$VENV"
"$PY" -m pip install --quiet tensorflow-cpu==2.21.0 opencv-python-headless==4.14.0.94 \
    requests pillow pandas tqdm "setuptools<81"
# Last and without its dependencies, so pip neither pulls nor complains about the ones it skips.
"$PY" -m pip install --quiet --no-deps fer==25.10.3
verify loud
