"""What training.fit prepares before it trains: targets, class weights, the precision to train in."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from fer.labels import LABELS
from fer.recognition.preprocessing import model_input
from fer.training.data import FerData
from fer.training.ferplus import Votes, majority_labels, soft_targets


def class_weights(labels: np.ndarray, mode: str) -> np.ndarray | None:
    """Per-class loss weights ``(7,)``, normalised to a mean of 1 over the training faces."""
    if mode == "none":
        return None
    if mode != "sqrt":
        raise ValueError(f"class_weighting must be 'none' or 'sqrt', not {mode!r}")
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    weights = 1.0 / np.sqrt(np.maximum(counts, 1.0))
    return weights / weights[labels].mean()


@dataclass(frozen=True)
class Split:
    """Faces ``(N, 48, 48, 1)`` float32, targets ``(N, 7)``, original labels, FER+ majority labels and the
    faces' names."""

    x: np.ndarray
    targets: np.ndarray
    original: np.ndarray
    majority: np.ndarray
    names: np.ndarray


def prepare(data: FerData, votes: Votes, targets: str, original_weight: float, training: bool) -> Split:
    """Targets of one split. With FER+ targets, training leaves out the faces the crowd gave no class;
    evaluation keeps every face (their FER+ majority label is -1, their target the original label)."""
    if targets not in ("ferplus", "fer2013"):
        raise ValueError(f"targets must be 'ferplus' or 'fer2013', not {targets!r}")
    counts = votes.aligned(data.names)
    original = np.eye(len(LABELS), dtype=np.float32)[data.labels]
    wanted = original
    if targets == "ferplus":
        soft, rated = soft_targets(counts)
        wanted = np.where(rated[:, None], (1.0 - original_weight) * soft + original_weight * original, original)
        if training:
            data, wanted, counts = data.select(rated), wanted[rated], counts[rated]
    return Split(model_input(data.faces), wanted, data.labels, majority_labels(counts), data.names)


def taught(split: Split, teacher: np.ndarray, weight: float) -> Split:
    """``split`` with each target blended with a teacher's probabilities of its face: ``(1 - weight)`` of
    the crowd's target, ``weight`` of the teacher's answer (``teach.load_teacher``, in the split's order)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"teacher_weight must be within 0..1, got {weight}")
    if teacher.shape != split.targets.shape:
        raise ValueError(f"the teacher answers {teacher.shape}, the split has targets {split.targets.shape}")
    blended = (1.0 - weight) * split.targets + weight * teacher / teacher.sum(1, keepdims=True)
    return replace(split, targets=blended.astype(np.float32))


def time_precisions(candidates: tuple[str, ...], batch_size: int, build) -> dict[str, float]:
    """Median ms per training step of each Keras dtype policy, timed on random batches."""
    import keras

    x = np.random.default_rng(0).uniform(0, 255, (batch_size, 48, 48, 1)).astype(np.float32)
    y = np.eye(len(LABELS), dtype=np.float32)[np.arange(batch_size) % len(LABELS)]
    timings = {}
    for policy in candidates:
        keras.mixed_precision.set_global_policy(policy)
        trainer = build()
        for _ in range(3):
            trainer.train_on_batch(x, y)
        steps = []
        for _ in range(8):
            start = time.perf_counter()
            trainer.train_on_batch(x, y)
            steps.append(time.perf_counter() - start)
        timings[policy] = round(1000 * float(np.median(steps)), 1)
        keras.backend.clear_session()
    return timings


def choose_precision(requested: str, batch_size: int, build) -> tuple[str, dict[str, float]]:
    """The dtype policy to train with: the one asked for, or on "auto" the faster one measured here."""
    import keras

    if requested != "auto":
        return requested, {}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "mixed_float16", {}
    timings = time_precisions(("float32", "mixed_bfloat16"), batch_size, build)
    return min(timings, key=timings.get), timings


def accuracies(probs: np.ndarray, split: Split) -> dict[str, float]:
    """FER+ majority accuracy (faces with a majority class) and accuracy on the original labels."""
    predicted = probs.argmax(1)
    rated = split.majority >= 0
    return {
        "ferplus": float((predicted[rated] == split.majority[rated]).mean()),
        "fer2013": float((predicted == split.original).mean()),
    }
