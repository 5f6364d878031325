"""The benchmark's per-frame figures: the whole frame path, cold and as a stream, and the classifier alone."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fer.config import AnalyzerConfig
from fer.recognition.detection import FaceDetector
from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier, View, show_views
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import ModelCard, ModelFiles, shipped_model_files
from fer.recognition.preprocessing import model_input, to_gray
from fer.training.data import load_fer2013
from fer.video.live_annotator import LiveAnnotator
from fer.video.mood import MoodTimeline
from fer.video.overlay import draw_faces
from fer.video.stream import StreamAnalyzer
from fer.video.tracking import FaceTracker
from tests.fixtures import video_frames
from tests.fixtures.galleries import build_gallery


def stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {
        "median_ms": round(float(np.median(a)), 2),
        "p90_ms": round(float(np.percentile(a, 90)), 2),
        "mean_ms": round(float(a.mean()), 2),
        "frames": len(a),
    }


def face_counts(counts: list[int], rounds: int) -> dict:
    first = counts[: len(counts) // rounds]
    return {"frames_with_faces": sum(c > 0 for c in first), "faces": sum(first), "min_faces": min(first)}


def time_cold(frames: list[np.ndarray], rounds: int) -> dict:
    """The plain path, every frame from scratch: search, classify (six views), track, mood, overlay."""
    analyzer, times, counts = FrameAnalyzer.from_model(), [], []
    analyzer.analyze(frames[0])
    for _ in range(rounds):
        tracker, mood = FaceTracker(), MoodTimeline()
        for bgr in frames:
            work = bgr.copy()  # each frame arrives as a fresh array; keep the copy out of the timing
            start = time.perf_counter()
            faces = tracker.update(analyzer.analyze(work))
            mood.update(faces)
            draw_faces(work, faces)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(faces))
    return {**stats(times), **face_counts(counts, rounds)}


def time_search(frames: list[np.ndarray], rounds: int) -> dict:
    """The whole-frame Haar search alone (gray frame in, boxes out): the floor of the cold path."""
    detector, times = FaceDetector(), []
    for _ in range(rounds):
        for bgr in frames:
            gray = to_gray(bgr)
            start = time.perf_counter()
            detector.detect(gray)
            times.append((time.perf_counter() - start) * 1000)
    return stats(times)


def time_stream(frames: list[np.ndarray], rounds: int) -> dict:
    """The live path (``LiveAnnotator.annotate``) over consecutive frames, a fresh session per round."""
    times, counts = [], []
    files = shipped_model_files()
    for _ in range(rounds):
        session = LiveAnnotator(StreamAnalyzer.from_model(files))
        for bgr in frames:
            work = bgr.copy()
            start = time.perf_counter()
            _, faces = session.annotate(work)
            times.append((time.perf_counter() - start) * 1000)
            counts.append(len(faces))
    return {**stats(times), **face_counts(counts, rounds)}


def bench_frames(video: Path, data: Path, rounds: int, gallery_frames: int) -> tuple[dict, np.ndarray]:
    """The frame figures, and the gallery they were measured on (the peer is timed on it too)."""
    frames = video_frames(video)
    faces = load_fer2013(data).split("PrivateTest").faces
    gallery = build_gallery(faces, frontal=True)
    return {
        "video": {
            "source": f"{video.name} ({frames[0].shape[1]}x{frames[0].shape[0]}, {len(frames)} frames)",
            "cold": time_cold(frames, rounds),
            "stream": time_stream(frames, rounds),
            "search": time_search(frames, rounds),
        },
        "gallery": {
            "source": "25 FER2013 PrivateTest faces, 1280x720 (scripts/bench/gallery.py --frontal)",
            "cold": time_cold([gallery] * gallery_frames, 1),
            "stream": time_stream([gallery] * gallery_frames, 1),
            "search": time_search([gallery] * 10, 1),
        },
    }, gallery


def ms_per_face(classify, crops: np.ndarray, views: Sequence[View], n: int, repeats: int) -> float:
    """Median ms per face of one model call on ``n`` faces, each in ``views``."""
    x = np.concatenate(show_views(crops[:n], views))
    classify(x)  # sizes the interpreter's tensors
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        classify(x)
        times.append(time.perf_counter() - start)
    return round(float(np.median(times)) * 1000 / n, 3)


def bench_classifier(data: Path, batches: list[int], repeats: int, widths: Sequence[str] = ()) -> dict:
    """Median ms per face of one model call on ``n`` faces in one view, and in the six views a photo's
    faces are shown in (``fer.recognition.face_classifier``). With ``widths`` (e.g. "64,128,256,512"), also nets of
    those filters, untrained, quantised as the served file is: what a wider model would cost."""
    crops = model_input(load_fer2013(data).split("PrivateTest").faces[: max(batches)])
    threads = AnalyzerConfig().num_threads
    models = {"": shipped_model_files().tflite} | {f"filters {w.replace(',', '-')}, ": wider(w, crops) for w in widths}
    out = {}
    for name, tflite in models.items():
        classify = EmotionModel(ModelFiles(tflite, ModelCard()), num_threads=threads)
        for views, shown in (("one view", (View(),)), ("six views", FaceClassifier(classify).views)):
            for n in batches:
                out[f"{name}{views} batch {n}"] = ms_per_face(classify, crops, shown, n, repeats)
    return out


def wider(widths: str, calibration: np.ndarray) -> bytes:
    """An int8 TFLite file of the model with these filters per block (random weights)."""
    from fer.training.model import ModelConfig, build_model
    from scripts.training.quantize import quantize

    return quantize(build_model(ModelConfig(widths=tuple(int(w) for w in widths.split(",")))), calibration)
