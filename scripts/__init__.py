"""Tools run from the checkout, never by the app: ``scripts.training`` (the model pipeline, from FER2013 to
the served TFLite file and its card) and ``scripts.bench`` (the benchmarks and the comparison with a peer)."""
