"""Evaluate the served model exactly as the app serves it, against both label sets.

Runs ``model/emotion_cnn.tflite`` through the LiteRT runtime (``fer.recognition.emotion_model``) on PublicTest and
PrivateTest, in three ways, by the app's own ``fer.recognition.face_classifier.FaceClassifier``: each face as seen
(``single_view``), the face and its mirror image averaged (``two_views``, how the app served
faces before), and as served (``served_views``: the probabilities of the face's six views,
averaged). Each is scored against two label sets:

* ``fer2013``: the original FER2013 labels, every face;
* ``ferplus``: the FER+ majority labels (``--votes``): the plurality of the ten vote columns; faces
  whose plurality is contempt, unknown or NF (not a face), or tied, are left out and counted;
* ``ferplus_repository`` (accuracy only): the FER+ authors' own rule, as their code applies it to the
  same votes: single votes dropped, a face kept only when one column has more than half of the rest
  and it is not unknown or NF; contempt faces count as wrong (the model has no contempt).

It also runs the whole pipeline on ``../shared/data/faces_wild/`` (``scripts/training/faces_wild.py``).
Prints accuracy, macro-F1 and per-class precision/recall; writes every figure (with the confusion
matrices) to ``model/metrics.json`` and the headline (:func:`headline`) into the card's ``metrics``;
rewrites the README's table of the served model (between its ``evaluate`` markers); writes
``model/confusion_matrix.png`` (FER2013), ``model/confusion_matrix_ferplus.png`` (FER+), both of
the served PrivateTest figures, and ``model/training_curves.png`` (from ``model/history.json``).

    python -m scripts.training.evaluate
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from fer.labels import LABELS
from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import HISTORY_NAME, METRICS_NAME, MODEL_DIR, VIEWS, ModelError, read_model_files
from fer.training.data import DataError, FerData, load_fer2013
from fer.training.ferplus import CONTEMPT, Votes, VotesError, load_votes, majority_labels, repository_majority_labels
from fer.training.metrics import Report, classification_report
from scripts.training.common import DEFAULT_DATA, DEFAULT_VOTES, ROOT
from scripts.training.faces_wild import score_faces_wild

BATCH = 64  # faces per model call, as in a crowded frame
SPLITS = ("PublicTest", "PrivateTest")
LABEL_SETS = {
    "fer2013": "the original FER2013 labels, every face",
    "ferplus": "FER+ majority: the plurality of the ten vote columns (neutral, happiness, surprise, sadness, "
    "anger, disgust, fear, contempt, unknown, NF); faces whose plurality is contempt, unknown or NF, "
    "or tied, are left out",
    "ferplus_repository": "the FER+ repository's majority rule: single votes dropped, faces kept only where one of "
    "the ten columns has more than half of the rest and it is not unknown or NF; contempt faces count as wrong",
}
VIEW_NAMES = {
    "single_view": "each face as seen",
    "two_views": "mean of the probabilities of the face and its mirror image",
    "served_views": f"as served: {VIEWS}",
}
README = ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- evaluate: start -->", "<!-- evaluate: end -->"
TABLE_ROWS = (
    ("ferplus", "FER+ majority labels", "accuracy, single view", "single_view", "accuracy"),
    ("ferplus", "FER+ majority labels", "accuracy, as served (six views averaged)", "served_views", "accuracy"),
    ("ferplus", "FER+ majority labels", "macro-F1, as served", "served_views", "macro_f1"),
    ("ferplus_repository", "FER+, the FER+ repository's rule", "accuracy, as served", "served_views", "accuracy"),
    ("fer2013", "FER2013 labels", "accuracy, single view", "single_view", "accuracy"),
    ("fer2013", "FER2013 labels", "accuracy, as served (six views averaged)", "served_views", "accuracy"),
    ("fer2013", "FER2013 labels", "macro-F1, as served", "served_views", "macro_f1"),
)


def view_probabilities(classifier: FaceClassifier, faces: np.ndarray) -> np.ndarray:
    """``(N, 7)`` probabilities of uint8 faces ``(N, 48, 48)`` in ``classifier``'s views.

    Each batch is laid side by side in one gray strip with a box per face, so that the app's own
    crop (an identity on a 48x48 face) and views code run unchanged.
    """
    side = faces.shape[1]
    out = []
    for i in range(0, len(faces), BATCH):
        batch = faces[i : i + BATCH]
        boxes = [(k * side, 0, side, side) for k in range(len(batch))]
        out.append(classifier.every_view(np.hstack(list(batch)), boxes))
    return np.concatenate(out)


def ferplus_majority(counts: np.ndarray) -> tuple[np.ndarray, dict]:
    """FER+ majority labels (``-1``: left out) and how many faces were kept and left out, and why."""
    labels = majority_labels(counts)
    tied = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    return labels, {
        "faces": len(labels),
        "kept": int((labels >= 0).sum()),
        "left_out_no_class": int(((labels < 0) & ~tied).sum()),
        "left_out_tied": int(tied.sum()),
    }


def describe(report: Report) -> str:
    recall = " ".join(f"{k} {v:.2f}" for k, v in report.recall.items())
    precision = " ".join(f"{k} {v:.2f}" for k, v in report.precision.items())
    return (
        f"accuracy {report.accuracy:.4f}  macro-F1 {report.macro_f1:.4f}  ({int(report.confusion.sum())} faces)\n"
        f"      recall    {recall}\n      precision {precision}"
    )


def evaluate(classify, data: FerData, votes: Votes) -> tuple[dict, dict[str, Report]]:
    """Scores by label set, split and view (with the FER+ face counts), and the served PrivateTest
    report of each label set."""
    classifiers = {
        "single_view": FaceClassifier(classify, mirror_views=False, zooms=(1.0,)),
        "two_views": FaceClassifier(classify, zooms=(1.0,)),
        "served_views": FaceClassifier(classify),
    }
    scores: dict[str, dict] = {"ferplus_faces": {}, "fer2013": {}, "ferplus": {}, "ferplus_repository": {}}
    served = {}
    for split in SPLITS:
        part = data.split(split)
        majority, scores["ferplus_faces"][split] = ferplus_majority(votes.aligned(part.names))
        rated = majority >= 0
        repository = repository_majority_labels(votes.aligned(part.names))
        for view, classifier in classifiers.items():
            predicted = view_probabilities(classifier, part.faces).argmax(axis=1)
            scores["ferplus_repository"].setdefault(split, {})[view] = repository_score(repository, predicted)
            reports = {
                "fer2013": classification_report(part.labels, predicted),
                "ferplus": classification_report(majority[rated], predicted[rated]),
            }
            for label_set, report in reports.items():
                scores[label_set].setdefault(split, {})[view] = report.to_dict()
                print(f"{label_set:7s} {split:11s} {view:12s} {describe(report)}", flush=True)
                if split == "PrivateTest" and view == "served_views":
                    served[label_set] = report
    return scores, served


def repository_score(labels: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy by the FER+ repository's rule (``labels`` from :func:`repository_majority_labels`)."""
    kept = labels >= 0
    return {
        "accuracy": round(float((predicted[kept] == labels[kept]).mean()), 4),
        "faces": int(kept.sum()),
        "contempt": int((labels == CONTEMPT).sum()),
    }


def plot_confusion(report: Report, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report.confusion / np.maximum(report.confusion.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(
                j,
                i,
                f"{rows[i, j]:.2f}\n({report.confusion[i, j]})",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if rows[i, j] > 0.5 else "black",
            )
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# PublicTest accuracies a run's history may hold: runs before FER+ logged ``val_accuracy`` (FER2013 labels).
PUBLIC_CURVES = {
    "val_accuracy": "PublicTest, FER2013 labels",
    "public_fer2013": "PublicTest, FER2013 labels",
    "public_ferplus": "PublicTest, FER+ majority labels",
}


def plot_history(history: list[dict] | dict[str, list[dict]], path: Path) -> None:
    """Loss and accuracy per epoch, with the chosen epoch (the last one flagged ``best``) marked: one row
    of plots for one net's history, a row for each run of a pair's (its histories by run name)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = history if isinstance(history, dict) else {"": history}
    fig, axes = plt.subplots(len(runs), 2, figsize=(11, 4 * len(runs)), dpi=110, squeeze=False)
    for (name, epochs_run), (loss_ax, acc_ax) in zip(runs.items(), axes, strict=True):
        plot_run(epochs_run, loss_ax, acc_ax, f"{name}: " if name else "")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_run(history: list[dict], loss_ax, acc_ax, prefix: str) -> None:
    """One run's loss and accuracy curves on two axes."""
    epochs = [h["epoch"] for h in history]
    loss_ax.plot(epochs, [h["loss"] for h in history], label="Training (augmented)")
    loss_ax.plot(epochs, [h["val_loss"] for h in history], label="PublicTest")
    loss_ax.set_title(f"{prefix}cross-entropy (Training's with label smoothing)")
    acc_ax.plot(epochs, [h["accuracy"] for h in history], label="Training (augmented)")
    for key, label in PUBLIC_CURVES.items():
        if key in history[0]:
            acc_ax.plot(epochs, [h[key] for h in history], label=label)
    chosen = [h["epoch"] for h in history if h.get("best")]
    if chosen:
        acc_ax.axvline(chosen[-1], color="grey", linestyle=":", label=f"chosen: epoch {chosen[-1]}")
    acc_ax.set_title(f"{prefix}accuracy")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()


def headline(metrics: dict) -> dict:
    """The card's ``metrics``: of every figure (``metrics``, as ``model/metrics.json`` holds them),
    accuracy and macro-F1 of each label set, split and view, per-class recall as served, and
    faces_wild's totals and recall (no precision, no confusion matrices)."""

    def brief(view: str, report: dict) -> dict:
        kept = ("accuracy", "macro_f1", "recall") if view == metrics["served"] else ("accuracy", "macro_f1")
        return {k: report[k] for k in kept}

    # ferplus_repository goes whole
    card = {k: v for k, v in metrics.items() if k not in ("fer2013", "ferplus", "faces_wild")}
    card["every_figure"] = METRICS_NAME
    for label_set in ("fer2013", "ferplus"):
        card[label_set] = {
            split: {view: brief(view, report) for view, report in views.items()}
            for split, views in metrics.get(label_set, {}).items()
        }
    card["faces_wild"] = {k: v for k, v in metrics["faces_wild"].items() if k != "confusion_faces_found"}
    return card


def readme_table(metrics: dict) -> str:
    """The README's table of the served model's figures, from its metrics (the card's or ``metrics.json``)."""

    def figure(value: float, key: str) -> str:
        return f"{value:.1%}" if key == "accuracy" else f"{value:.3f}"

    lines = ["| served int8 TFLite file, LiteRT | PublicTest | PrivateTest |", "| --- | --- | --- |"]
    for label_set, name, what, view, key in TABLE_ROWS:
        public, private = (metrics[label_set][split][view][key] for split in SPLITS)
        served = view == "served_views"
        cell = f"**{figure(private, key)}**" if served else figure(private, key)
        lines.append(f"| {name}: {what} | {figure(public, key)} | {cell} |")
    kept = metrics["ferplus_faces"]["PrivateTest"]
    repository = metrics["ferplus_repository"]["PrivateTest"]["served_views"]
    recalls = []
    for label_set, name in (("ferplus", "FER+"), ("fer2013", "FER2013 labels")):
        recall = metrics[label_set]["PrivateTest"]["served_views"]["recall"]
        recalls.append(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in recall.items()))
    wild = metrics["faces_wild"]
    wild_recall = ", ".join(f"{k} {v:.2f}" for k, v in wild["recall"].items())
    return "\n".join(
        [
            *lines,
            "",
            f"FER+ majority labels leave out the faces whose plurality is contempt, unknown or not a face, "
            f"or tied (PrivateTest keeps {kept['kept']:,} of {kept['faces']:,}). The FER+ repository's rule drops "
            f"single votes and keeps a face only when one column has more than half of the rest (PrivateTest keeps "
            f"{repository['faces']:,}, of which {repository['contempt']} contempt faces count as wrong). "
            f"PrivateTest recall per class "
            f"as served, {recalls[0]}; {recalls[1]}.",
            "",
            f"Through the whole pipeline (`python -m fer analyze`, the largest face of each photo) on the "
            f"{wild['photos']} real photos of `faces_wild/`, whose labels are noisy: **{wild['accuracy']:.1%}** "
            f"right (a face is found in {wild['faces_found']}, of which {wild['accuracy_faces_found']:.1%} are "
            f"labelled right; recall {wild_recall}).",
        ]
    )


def write_readme_table(metrics: dict, readme: Path = README) -> None:
    """Replace the README's text between the ``evaluate`` markers with :func:`readme_table`."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {TABLE_START} ... {TABLE_END} markers")
    table = f"{TABLE_START}\n{readme_table(metrics)}\n{TABLE_END}"
    readme.write_text(text[:start] + table + text[end + len(TABLE_END) :], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="FER2013 image release (folder or tar)")
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES, help="FER+ votes for every face of --data")
    parser.add_argument("--readme", type=Path, default=README, help="the README whose table to rewrite")
    parser.add_argument(
        "--keep-readme", action="store_true", help="leave the README's table as is (scoring another model's files)"
    )
    args = parser.parse_args(argv)

    try:
        files = read_model_files(args.model_dir)
        scores, served = evaluate(EmotionModel(files), load_fer2013(args.data), load_votes(args.votes))
    except (ModelError, DataError, VotesError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    metrics = {
        "by": "scripts.training.evaluate",
        "note": "the TFLite file through LiteRT, as the app runs it",
        "data": args.data.name,
        "votes": args.votes.name,
        "served": "served_views",
        "views": VIEW_NAMES,
        "label_sets": LABEL_SETS,
        **scores,
        "faces_wild": score_faces_wild(args.model_dir.resolve()),
    }
    print(f"faces_wild: {json.dumps(metrics['faces_wild']['recall'])}, accuracy {metrics['faces_wild']['accuracy']}")
    (args.model_dir / METRICS_NAME).write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    card_path = replace(files.card, views=VIEWS, metrics=headline(metrics)).write(args.model_dir)
    for label_set, name, title in (
        ("fer2013", "confusion_matrix.png", "FER2013 labels"),
        ("ferplus", "confusion_matrix_ferplus.png", "FER+ majority labels"),
    ):
        report = served[label_set]
        plot_confusion(
            report,
            f"PrivateTest, {title}, served model (six views): accuracy {report.accuracy:.1%}, "
            f"macro-F1 {report.macro_f1:.3f}",
            args.model_dir / name,
        )
    history = json.loads((args.model_dir / HISTORY_NAME).read_text(encoding="utf-8"))
    plot_history(history, args.model_dir / "training_curves.png")
    if not args.keep_readme:
        write_readme_table(metrics, args.readme)
    print(
        f"wrote the metrics to {args.model_dir / METRICS_NAME} and their headline to {card_path}; "
        f"confusion_matrix.png, confusion_matrix_ferplus.png, "
        f"training_curves.png beside it" + ("" if args.keep_readme else f"; the table in {args.readme}")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
