"""The benchmarks: the product's figures as its users run it, beside the peer (the PyPI package ``fer``).

Run each as ``python -m scripts.bench.NAME`` from the checkout: ``python -m scripts.bench`` (per frame, the
classifier, simultaneous live sessions, memory, the browser, the peer), ``scripts.bench.class_page`` (the
class page's server work), ``scripts.bench.recorded`` (recorded lessons), ``scripts.bench.gallery`` (faces found in
a 25-face gallery) and ``scripts.bench.deploy_size`` (the Heroku slug). The peer runs in its own virtual
environment (``bash scripts/bench/peer_env.sh``) through ``peer_fer.py`` and ``peer_video.py``. The
galleries and recordings measured on are the tests' (``tests/fixtures/``).
"""
