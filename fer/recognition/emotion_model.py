"""The served emotion model: the exported TFLite file run by the LiteRT runtime.

:class:`EmotionModel` is a pure function ``(N, 48, 48, 1) float32 raw 0..255 -> (N, 7)
float32 probabilities`` in LABELS order; how faces are shown to it (one view or two) is
:mod:`fer.recognition.face_classifier`' business. TensorFlow is never imported here.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from fer.labels import INPUT_SHAPE, LABELS
from fer.recognition.model_card import ModelError, ModelFiles

Classify = Callable[[np.ndarray], np.ndarray]  # (N, 48, 48, 1) float32 0..255 -> (N, 7) probabilities

# What LiteRT's native code writes to the process's stderr when an interpreter first applies its
# CPU delegate (once a process, in this version). Nothing a user can act on, and it lands in the
# command line's output; its Python API has no option to turn it off (only C++ sets the log level).
RUNTIME_NOTICE = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
_stderr_lock = threading.Lock()


@contextmanager
def _without_runtime_notice() -> Iterator[None]:
    """Hold back what reaches file descriptor 2 while the block runs, then pass it on less the notice.

    The descriptor is process-wide: another thread's stderr written meanwhile (a few milliseconds,
    once per interpreter) is delayed, not lost. The lock keeps two interpreters' blocks from nesting.
    """
    with _stderr_lock:
        try:
            caught, saved = tempfile.TemporaryFile(), os.dup(2)
        except OSError:  # no writable temp folder, or no stderr: let the notice through
            caught = None
        if caught is None:
            yield
            return
        with caught:
            if sys.stderr:
                sys.stderr.flush()
            os.dup2(caught.fileno(), 2)
            try:
                yield
            finally:
                if sys.stderr:
                    sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                caught.seek(0)
                rest = caught.read().replace(RUNTIME_NOTICE, b"")
                if rest:
                    with open(2, "wb", closefd=False) as stderr:
                        stderr.write(rest)


class EmotionModel:
    """Callable ``(N, 48, 48, 1)`` raw gray 0..255 -> ``(N, 7)`` probabilities, in one interpreter call.

    Not thread-safe: one instance per thread (the model bytes may be shared).
    """

    def __init__(self, files: ModelFiles, *, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            with _without_runtime_notice():
                self._interpreter = Interpreter(model_content=files.tflite, num_threads=num_threads)
                self._interpreter.allocate_tensors()  # where the runtime applies its delegate
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"the TFLite model cannot be loaded ({err})") from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces, dtype=np.float32)
        if faces.ndim != 4 or faces.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"faces must have shape (N, 48, 48, 1), got {faces.shape}")
        if len(faces) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        if len(faces) != self._batch:
            self._interpreter.resize_tensor_input(self._input, faces.shape, strict=True)
            self._interpreter.allocate_tensors()
            self._batch = len(faces)
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(faces))
        self._interpreter.invoke()
        probs = self._interpreter.get_tensor(self._output)
        # An int8 model's softmax comes in steps of 1/256 and its rows sum to about 1: make them 1.
        return probs / probs.sum(axis=1, keepdims=True)
