"""Keep a training run that spans sessions: its checkpoint in the repository, its pieces on the card.

``--run R`` writes ``model/resume/``: the run's ``config.json``, ``history.json`` and ``best.keras``,
the trainer's weights (``weights.npz``, float32) and the optimizer's state (``optimizer.npz``: its
step count, and Adam's moments in bfloat16, half the bytes of float32 with float32's range), and
records the run's progress and this piece's hardware, epochs and wall time in
``model/metadata.json`` (``training_in_progress``). ``--restore R`` rebuilds the run folder from
it on any machine, ``last.keras`` included, so that training goes on:

    python -m scripts.training.checkpoint --run runs/ferplus --first-epoch 1
    python -m scripts.training.checkpoint --restore runs/ferplus
    python -m scripts.training.fit --run runs/ferplus --init-from resume

``--drop`` removes ``model/resume/`` and the card's ``training_in_progress`` once the run has ended
(its export moves the sittings into the card's training record; a run not shipped is recorded with
``scripts.training.variants``).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fer.recognition.model_card import MODEL_DIR, ModelCard
from fer.training.model import AugmentConfig, ModelConfig
from scripts.training.common import finish, machine

COPIED = ("config.json", "history.json", "best.keras")
# How the card says to go on with the run (its folder as given to --run).
RESUME = (
    "python -m scripts.training.checkpoint --restore {run} && "
    "python -m scripts.training.fit --run {run} --init-from resume"
)


def save_state(last_keras: Path, target: Path) -> None:
    """The trainer's weights and the optimizer's variables of ``last_keras``, as two .npz files."""
    import keras
    import ml_dtypes

    trainer = keras.models.load_model(last_keras)
    np.savez(target / "weights.npz", *trainer.get_weights())
    # Adam's moments in bfloat16 (stored as uint16); the weights' moving average, when kept, as its
    # difference from the weights in bfloat16 ("diff_i"), which keeps it as exact as float32 in half the bytes.
    averaged = moving_averages(trainer.optimizer)
    state = {}
    for i, variable in enumerate(trainer.optimizer.variables):
        value = keras.ops.convert_to_numpy(variable)
        if variable.path in averaged:
            value = value - keras.ops.convert_to_numpy(averaged[variable.path])
            state[f"diff_{i}"] = np.asarray(value, ml_dtypes.bfloat16).view(np.uint16)
        else:
            is_float = value.dtype.kind == "f"
            state[f"arr_{i}"] = np.asarray(value, ml_dtypes.bfloat16).view(np.uint16) if is_float else value
    np.savez(target / "optimizer.npz", **state)


def moving_averages(optimizer) -> dict:
    """The trained variable of each moving-average variable, by the average's path (empty without ``use_ema``)."""
    if not getattr(optimizer, "use_ema", False):
        return {}
    pairs = zip(optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True)
    return {average.path: variable for variable, average in pairs}


def restore(source: Path, run: Path) -> None:
    """The run folder of ``source`` (a ``model/resume``), with ``last.keras`` rebuilt from its state."""
    import keras
    import ml_dtypes

    from scripts.training.fit import TrainConfig, build_trainer

    run.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy2(source / name, run / name)
    config = json.loads((source / "config.json").read_text())
    keras.mixed_precision.set_global_policy(config["precision"])
    train_cfg = TrainConfig(**config["train"])
    steps_per_epoch = math.ceil(config["train_faces"] / train_cfg.batch_size)
    trainer, _ = build_trainer(
        ModelConfig.from_dict(config["model"]), AugmentConfig(**config["augment"]), train_cfg, steps_per_epoch
    )
    with np.load(source / "weights.npz") as weights:
        trainer.set_weights([weights[f"arr_{i}"] for i in range(len(weights.files))])
    trainer.optimizer.build(trainer.trainable_variables)
    averaged = moving_averages(trainer.optimizer)
    with np.load(source / "optimizer.npz") as state:
        for i, variable in enumerate(trainer.optimizer.variables):
            if f"diff_{i}" in state:
                difference = state[f"diff_{i}"].view(ml_dtypes.bfloat16).astype(np.float32)
                variable.assign(keras.ops.convert_to_numpy(averaged[variable.path]) + difference)
                continue
            value = state[f"arr_{i}"]
            if np.dtype(variable.dtype).kind == "f":
                value = value.view(ml_dtypes.bfloat16).astype(np.float32)
            variable.assign(value)
    trainer.save(run / "last.keras")


def sitting(history: list[dict], first_epoch: int) -> dict:
    """The record of the sitting that trained epochs ``first_epoch`` to the last of ``history``,
    on this machine, today: its date, hardware, epochs and wall time."""
    before = history[first_epoch - 2]["wall_s"] if first_epoch > 1 else 0.0
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "hardware": machine(),
        "epochs": [first_epoch, len(history)],
        "wall_s": round(history[-1]["wall_s"] - before, 1),
    }


def record(run: Path, model_dir: Path, first_epoch: int) -> str:
    """Write the checkpoint into ``model_dir/resume`` and the progress onto the card."""
    target = model_dir / "resume"
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy2(run / name, target / name)
    save_state(run / "last.keras", target)
    config = json.loads((run / "config.json").read_text())
    history = json.loads((run / "history.json").read_text())
    card = ModelCard.read(model_dir)
    piece = sitting(history, first_epoch)
    # The pieces of this run before this one: a piece recorded again, or a new run from epoch 1,
    # replaces what it covers.
    pieces = [p for p in card.training_in_progress.get("pieces", []) if p["epochs"][1] < first_epoch]
    best = max(history, key=lambda h: h[config["selection"]])
    progress = {
        "checkpoint": "model/resume",
        "resume": RESUME.format(run=run),
        **{k: config[k] for k in ("train", "model", "precision", "parameters")},
        "epochs_done": len(history),
        "epochs_planned": config["train"]["epochs"],
        "wall_s": history[-1]["wall_s"],
        "best_so_far": {k: best[k] for k in ("epoch", "public_ferplus", "public_fer2013")},
        "pieces": [*pieces, piece],
    }
    replace(card, training_in_progress=progress).write(model_dir)
    return (
        f"{target}: epoch {len(history)} of {config['train']['epochs']}, {history[-1]['wall_s'] / 3600:.1f} h so "
        f"far; best PublicTest FER+ {best['public_ferplus']:.4f} at epoch {best['epoch']}"
    )


def drop(model_dir: Path) -> str:
    """Remove ``model_dir/resume`` and the card's ``training_in_progress``."""
    card = ModelCard.read(model_dir)
    shutil.rmtree(model_dir / "resume", ignore_errors=True)
    replace(card, training_in_progress={}).write(model_dir)
    run = card.training_in_progress.get("resume", "").split()[4:5] or ["no run"]
    return f"{model_dir / 'resume'}: removed ({run[0]} was in progress)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--run", type=Path, help="the training run's folder to keep")
    action.add_argument("--restore", type=Path, help="the run folder to rebuild from model/resume")
    action.add_argument("--drop", action="store_true", help="the run has ended: remove model/resume and its record")
    parser.add_argument("--first-epoch", type=int, default=1, help="with --run: the first epoch this piece trained")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    if args.drop:
        return finish(drop(args.model_dir), {}, None)
    if args.restore:
        restore(args.model_dir / "resume", args.restore)
        return finish(
            f"{args.restore}: ready to go on with "
            f"python -m scripts.training.fit --run {args.restore} --init-from resume",
            {},
            None,
        )
    return finish(record(args.run, args.model_dir, args.first_epoch), {}, None)


if __name__ == "__main__":
    raise SystemExit(main())
