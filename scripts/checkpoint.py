"""Keep a training run that spans sessions: its checkpoint in the repository, its pieces on the card.

Copies the run folder's ``config.json``, ``history.json``, ``last.keras`` (the model, its
augmentation and the optimizer's state) and ``best.keras`` into ``model/resume/`` and records the
run's progress, and this piece's hardware, epochs and wall time, in ``model/metadata.json``
(``training_in_progress``). A fresh machine continues with:

    cp -r model/resume runs/ferplus && python -m scripts.train --run runs/ferplus --resume

    python -m scripts.checkpoint --run runs/ferplus --first-epoch 1
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from fer.model_card import MODEL_DIR, ModelCard
from scripts.common import finish, machine

FILES = ("config.json", "history.json", "last.keras", "best.keras")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="the training run's folder")
    parser.add_argument("--first-epoch", type=int, required=True, help="the first epoch this piece trained")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    target = args.model_dir / "resume"
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(args.run / name, target / name)
    config = json.loads((args.run / "config.json").read_text())
    history = json.loads((args.run / "history.json").read_text())
    card = ModelCard.read(args.model_dir)
    progress = dict(card.training_in_progress)
    before = history[args.first_epoch - 2]["wall_s"] if args.first_epoch > 1 else 0.0
    piece = {
        "date": datetime.now(UTC).date().isoformat(),
        "hardware": machine(),
        "epochs": [args.first_epoch, len(history)],
        "wall_s": round(history[-1]["wall_s"] - before, 1),
    }
    pieces = [p for p in progress.get("pieces", []) if p["epochs"][0] != args.first_epoch] + [piece]
    best = max(history, key=lambda h: h[config["selection"]])
    progress = {
        "checkpoint": str(target.relative_to(args.model_dir.parent)),
        "resume": "cp -r model/resume runs/ferplus && python -m scripts.train --run runs/ferplus --resume",
        "train": config["train"],
        "model": config["model"],
        "precision": config["precision"],
        "parameters": config["parameters"],
        "epochs_done": len(history),
        "epochs_planned": config["train"]["epochs"],
        "wall_s": history[-1]["wall_s"],
        "best_so_far": {k: best[k] for k in ("epoch", "public_ferplus", "public_fer2013")},
        "pieces": pieces,
    }
    replace(card, training_in_progress=progress).write(args.model_dir)
    text = (
        f"{target}: epoch {len(history)} of {config['train']['epochs']}, {history[-1]['wall_s'] / 3600:.1f} h so "
        f"far; best PublicTest FER+ {best['public_ferplus']:.4f} at epoch {best['epoch']}"
    )
    return finish(text, progress, None)


if __name__ == "__main__":
    raise SystemExit(main())
