"""Compare training runs of different settings on the same PublicTest faces, beside the card.

Each RUN is a folder of ``scripts.training.fit``. Prints, per run, its settings (targets, and the filters
where they are not the served model's), parameters, epochs, hardware and wall time, and its best
PublicTest accuracy on the FER+ majority labels with the FER2013 accuracy of that epoch (the Keras
model, one view), as a Markdown table (with each run's median seconds per epoch, which a pause
does not distort); records the same in ``model/variants.json`` under the comparison's ``--name``
(a record of the lab beside the card, not on it; an export leaves it as it is).

    python -m scripts.training.fit --run runs/variants/soft --epochs 8 --warmup-epochs 1 --original-weight 0
    python -m scripts.training.variants runs/variants/soft runs/variants/blend-0.2 \
        runs/variants/blend-0.5 runs/variants/fer2013
    python -m scripts.training.variants --name widths runs/variants/blend-0.2 runs/widths/widths-48
    python -m scripts.training.variants --name fine-tune runs/ferplus runs/tuned
    python -m scripts.training.variants --name second-net runs/videocall runs/videocall-tune
    python -m scripts.training.variants --name second-net --add runs/videocall-light runs/distilled
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from fer.recognition.model_card import MODEL_DIR, VARIANTS_NAME
from fer.training.model import AugmentConfig, ModelConfig
from scripts.training.common import finish


def targets(train: dict) -> str:
    """A run's targets in words."""
    if train["targets"] == "fer2013":
        return "original labels alone"
    if not train["original_weight"]:
        return "FER+ vote distribution alone"
    return f"FER+ votes, original label blended at {train['original_weight']:g}"


def settings(config: dict) -> str:
    """A run's targets in words, and where it differs from the served model's recipe: its filters,
    its blocks' dropout, its degradations, the weights' average, random erasing off, the teacher it
    was distilled from and the classifier it started from."""
    model = config.get("model", {})
    parts = [targets(config["train"])]
    widths = tuple(model.get("widths", ModelConfig.widths))
    if widths != ModelConfig.widths:
        parts.append(f"filters {'-'.join(map(str, widths))}")
    dropout = tuple(model.get("block_dropout", ModelConfig.block_dropout))
    if dropout != ModelConfig.block_dropout:
        parts.append(f"block dropout {'-'.join(f'{d:g}' for d in dropout)}")
    if config["train"].get("degrade"):
        share = config["train"].get("degrade_share", config.get("degrade", {}).get("share", 0.8))
        parts.append(f"video-call degradations on {share:.0%} of faces")
    if config["train"].get("ema_momentum"):
        parts.append(f"weights' moving average ({config['train']['ema_momentum']:g}) scored and kept")
    if config.get("augment", {}).get("erasing_factor", AugmentConfig.erasing_factor) == 0:
        parts.append("no random erasing")
    if config["train"].get("teacher"):
        teacher = Path(config["train"]["teacher"]).name
        parts.append(f"taught by {teacher}'s answers at weight {config['train']['teacher_weight']:g}")
    if config.get("init"):
        init = Path(config["init"])
        peak = config["train"]["learning_rate"]
        parts.append(f"started from {init.parent.name}/{init.name}, peak learning rate {peak:g}")
    return "; ".join(parts)


def summary(run: Path) -> dict:
    """What the comparison keeps of one run."""
    config = json.loads((run / "config.json").read_text())
    history = json.loads((run / "history.json").read_text())
    best = max(history, key=lambda h: h["public_ferplus"])
    return {
        "run": run.name,
        "settings": settings(config),
        "parameters": config.get("parameters"),
        "train": config["train"],
        "model": config.get("model"),
        "hardware": config["hardware"],
        "precision": config["precision"],
        "epochs": len(history),
        "wall_s": history[-1]["wall_s"],  # a run paused for a while counts the pause too
        "epoch_s_median": round(float(np.median(np.diff([0.0] + [h["wall_s"] for h in history]))), 1),
        "best_epoch": best["epoch"],
        "public_ferplus": round(best["public_ferplus"], 4),
        "public_fer2013": round(best["public_fer2013"], 4),
        "best_public_fer2013": round(max(h["public_fer2013"] for h in history), 4),
    }


def table(runs: list[dict]) -> str:
    lines = [
        "| settings | epochs | PublicTest FER+ majority (best epoch) | FER2013 labels, same epoch "
        "| best FER2013 labels |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in runs:
        lines.append(
            f"| {r['settings']} | {r['epochs']} ({r['epoch_s_median']:.0f} s each) | {r['public_ferplus']:.1%} "
            f"({r['best_epoch']}) | {r['public_fer2013']:.1%} | {r['best_public_fer2013']:.1%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run folders of training.fit")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--name", default="targets", help="the comparison's name in variants.json (one per name)")
    parser.add_argument(
        "--add",
        action="store_true",
        help="add the runs to those the comparison recorded already (a run of the same name is replaced)",
    )
    parser.add_argument("--json", type=Path, help="also write the comparison here")
    args = parser.parse_args(argv)
    path = args.model_dir / VARIANTS_NAME
    comparisons = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    runs = [summary(run) for run in args.runs]
    if args.add:
        names = {r["run"] for r in runs}
        runs = [r for r in comparisons.get(args.name, {}).get("runs", []) if r["run"] not in names] + runs
    comparison = {
        "by": "scripts.training.variants",
        "compared_on": "PublicTest (3,589 faces): FER+ majority accuracy picks each run's epoch; Keras model, one view",
        "runs": runs,
    }
    path.write_text(json.dumps({**comparisons, args.name: comparison}, indent=1) + "\n", encoding="utf-8")
    return finish(table(runs), comparison, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
