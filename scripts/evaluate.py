"""Evaluate the shipped model exactly as the app serves it.

Runs ``model/emotion_cnn.tflite`` through the LiteRT runtime (``fer.classifier``), with and
without the app's test-time augmentation (horizontal flip), on PublicTest and PrivateTest.
Prints accuracy, macro-F1 and per-class precision/recall; writes ``model/confusion_matrix.png``,
``model/training_curves.png`` and the metrics into ``model/metadata.json``.

    python scripts/evaluate.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from fer.classifier import METADATA_NAME, MODEL_DIR, EmotionClassifier, read_model_files  # noqa: E402
from fer.data import load_fer2013  # noqa: E402
from fer.labels import LABELS  # noqa: E402
from fer.metrics import Report, classification_report  # noqa: E402
from scripts.common import DEFAULT_DATA  # noqa: E402

BATCH = 64


def predict(classifier: EmotionClassifier, faces: np.ndarray) -> np.ndarray:
    """Class indices for uint8 faces ``(N, 48, 48)``, in batches as the app would send them."""
    x = faces[..., None].astype(np.float32)
    return np.concatenate([classifier(x[i:i + BATCH]).argmax(1) for i in range(0, len(x), BATCH)])


def plot_confusion(report: Report, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report.confusion / report.confusion.sum(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, f"{rows[i, j]:.2f}\n({report.confusion[i, j]})", ha="center", va="center",
                    fontsize=7, color="white" if rows[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_history(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    loss_ax.plot(epochs, [h["loss"] for h in history], label="Training (augmented)")
    loss_ax.plot(epochs, [h["val_loss"] for h in history], label="PublicTest")
    loss_ax.set_title("loss (with label smoothing)")
    acc_ax.plot(epochs, [h["accuracy"] for h in history], label="Training (augmented)")
    acc_ax.plot(epochs, [h["val_accuracy"] for h in history], label="PublicTest")
    best = max(history, key=lambda h: h["val_accuracy"])
    acc_ax.axvline(best["epoch"], color="grey", linestyle=":", label=f"chosen: epoch {best['epoch']}")
    acc_ax.set_title("accuracy")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="FER2013 (CSV, image folder or tar)")
    args = parser.parse_args(argv)

    files = read_model_files(args.model_dir)
    data = load_fer2013(args.data)
    metrics: dict[str, dict] = {}
    for tta in (False, True):
        classifier = EmotionClassifier(files, flip_tta=tta)
        for split in ("PublicTest", "PrivateTest"):
            part = data.split(split)
            report = classification_report(part.labels, predict(classifier, part.faces))
            key = f"{split}{'_flip_tta' if tta else ''}"
            metrics[key] = report.to_dict()
            print(f"{split:12s} {'flip TTA' if tta else 'single  '}  accuracy {report.accuracy:.4f}  "
                  f"macro-F1 {report.macro_f1:.4f}  recall "
                  + " ".join(f"{k} {v:.2f}" for k, v in report.recall.items()), flush=True)
            if tta and split == "PrivateTest":
                served = report

    metadata = dict(files.metadata)
    metadata["metrics"] = {
        "served": "PrivateTest_flip_tta",
        "note": "measured on the TFLite file through LiteRT, as the app runs it; by scripts/evaluate.py",
        "data": args.data.name,
        **metrics,
    }
    (args.model_dir / METADATA_NAME).write_text(json.dumps(metadata, indent=1) + "\n")
    plot_confusion(served, f"PrivateTest, served model (flip TTA): accuracy {served.accuracy:.1%}, "
                           f"macro-F1 {served.macro_f1:.3f}", args.model_dir / "confusion_matrix.png")
    plot_history(metadata["training"]["history"], args.model_dir / "training_curves.png")
    print(f"wrote metrics to {args.model_dir / METADATA_NAME}, confusion_matrix.png, training_curves.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
