"""Train the FER2013 emotion CNN.

Trains on the Training split, keeps the checkpoint with the best PublicTest accuracy and reports
PrivateTest once at the end. Everything a run needs to be repeated or resumed lives in its run
folder: ``config.json`` (all settings), ``history.json`` (per-epoch metrics), ``best.keras``
(the chosen classifier) and ``last.keras`` (classifier + augmentation + optimizer state).

    python scripts/train.py --data ../shared/data/fer2013/fer2013-images.tar.gz --run runs/main
    python scripts/train.py --run runs/main --resume      # continue an interrupted run

Works under any Keras 3 backend (``KERAS_BACKEND=tensorflow|jax|torch``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from fer.data import load_fer2013  # noqa: E402
from fer.labels import LABELS  # noqa: E402
from fer.model import AugmentConfig, ModelConfig, build_augmenter, build_model  # noqa: E402
from scripts.common import DEFAULT_DATA, machine  # noqa: E402

NO_WEIGHT_DECAY = ["bn", "gamma", "beta", "bias"]  # BatchNorm parameters and biases (not saved with the optimizer)


@dataclass(frozen=True)
class TrainConfig:
    data: str = str(DEFAULT_DATA)
    epochs: int = 80
    batch_size: int = 64
    learning_rate: float = 2e-3  # peak, after warm-up; cosine decay to 0 afterwards
    warmup_epochs: int = 3
    weight_decay: float = 0.02  # AdamW, decoupled; not applied to BatchNorm parameters or biases
    label_smoothing: float = 0.1
    class_weighting: str = "none"  # "none" or "sqrt" (inverse square root of class frequency)
    mixed_precision: str = "auto"  # "auto": bfloat16 on a CPU that has it, float16 on a GPU
    seed: int = 1234
    limit: int = 0  # train on only the first N training faces (0 = all); for smoke tests


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, TrainConfig, ModelConfig, AugmentConfig]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="run folder (created if missing)")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder's last.keras")
    parser.add_argument("--until-epoch", type=int, default=0,
                        help="stop after this epoch (the schedule still spans --epochs); resume later")
    for f in fields(TrainConfig):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    parser.add_argument("--widths", default=",".join(map(str, ModelConfig.widths)))
    parser.add_argument("--convs-per-block", default=",".join(map(str, ModelConfig.convs_per_block)))
    parser.add_argument("--dense-units", default=",".join(map(str, ModelConfig.dense_units)))
    parser.add_argument("--no-erasing", action="store_true", help="turn random erasing off")
    args = parser.parse_args(argv)
    train = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    ints = lambda s: tuple(int(v) for v in s.split(","))  # noqa: E731
    model = ModelConfig(widths=ints(args.widths), convs_per_block=ints(args.convs_per_block),
                        dense_units=ints(args.dense_units), weight_decay=0.0)
    augment = AugmentConfig(erasing_factor=0.0 if args.no_erasing else AugmentConfig.erasing_factor,
                            seed=train.seed)
    return args, train, model, augment


def class_weights(labels: np.ndarray, mode: str) -> dict[int, float] | None:
    """Per-class loss weights, normalised to a mean of 1 over the training faces."""
    if mode == "none":
        return None
    if mode != "sqrt":
        raise ValueError(f"class_weighting must be 'none' or 'sqrt', not {mode!r}")
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    weights = 1.0 / np.sqrt(counts)
    weights /= (weights[labels]).mean()
    return {i: float(w) for i, w in enumerate(weights)}


def choose_precision(requested: str) -> str:
    import keras

    if requested != "auto":
        return requested
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "mixed_float16"
    elif keras.backend.backend() == "jax":
        import jax

        if jax.default_backend() == "gpu":
            return "mixed_bfloat16"
    cpu_flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "mixed_bfloat16" if "avx512_bf16" in cpu_flags or "amx_bf16" in cpu_flags else "float32"


def make_callbacks(run: Path, classifier, history: list[dict], start_time: float, offset: float):
    import keras

    class Checkpoint(keras.callbacks.Callback):
        """Keep the classifier with the best PublicTest accuracy and the full state of the last epoch."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            best = max((h["val_accuracy"] for h in history), default=-1.0)
            entry = {"epoch": epoch + 1, **logs, "wall_s": round(offset + time.time() - start_time, 1),
                     "lr": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))}
            history.append(entry)
            if logs["val_accuracy"] > best:
                classifier.save(run / "best.keras")
                entry["best"] = True
            self.model.save(run / "last.keras")
            (run / "history.json").write_text(json.dumps(history, indent=1))
            print(f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}  "
                  f"public loss {logs['val_loss']:.4f}  public acc {logs['val_accuracy']:.4f}  "
                  f"lr {entry['lr']:.2e}  {entry['wall_s']:.0f}s{'  *best' if entry.get('best') else ''}",
                  flush=True)

    return [Checkpoint()]


def main(argv: list[str] | None = None) -> int:
    args, train_cfg, model_cfg, augment_cfg = parse_args(argv)
    run: Path = args.run
    run.mkdir(parents=True, exist_ok=True)
    if args.resume:
        saved = json.loads((run / "config.json").read_text())
        train_cfg = TrainConfig(**saved["train"])
        model_cfg = ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved["model"].items()})
        augment_cfg = AugmentConfig(**saved["augment"])

    import keras

    keras.utils.set_random_seed(train_cfg.seed)
    precision = choose_precision(train_cfg.mixed_precision)
    keras.mixed_precision.set_global_policy(precision)

    data = load_fer2013(train_cfg.data)
    train, public, private = (data.split(s) for s in ("Training", "PublicTest", "PrivateTest"))
    if train_cfg.limit:
        train = type(train)(train.faces[: train_cfg.limit], train.labels[: train_cfg.limit],
                            train.splits[: train_cfg.limit])
    as_input = lambda d: d.faces[..., None].astype("float32")  # noqa: E731
    as_target = lambda d: keras.utils.to_categorical(d.labels, len(LABELS))  # noqa: E731
    steps_per_epoch = int(np.ceil(len(train) / train_cfg.batch_size))

    history: list[dict] = []
    offset = 0.0
    if args.resume:
        trainer = keras.models.load_model(run / "last.keras")
        classifier = trainer.get_layer("emotion_cnn")
        trainer.optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
        history = json.loads((run / "history.json").read_text())
        offset = history[-1]["wall_s"] if history else 0.0
        print(f"resuming {run} after epoch {len(history)}", flush=True)
    else:
        classifier = build_model(model_cfg)
        faces = keras.Input((48, 48, 1), name="face_gray")
        trainer = keras.Model(faces, classifier(build_augmenter(augment_cfg)(faces)), name="trainer")
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=train_cfg.learning_rate / 20,
            decay_steps=(train_cfg.epochs - train_cfg.warmup_epochs) * steps_per_epoch,
            warmup_target=train_cfg.learning_rate,
            warmup_steps=train_cfg.warmup_epochs * steps_per_epoch,
        )
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=train_cfg.weight_decay)
        optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
        trainer.compile(optimizer=optimizer,
                        loss=keras.losses.CategoricalCrossentropy(label_smoothing=train_cfg.label_smoothing),
                        metrics=["accuracy"])
        config = {"train": asdict(train_cfg), "model": model_cfg.to_dict(), "augment": augment_cfg.to_dict(),
                  "precision": precision, "backend": keras.backend.backend(), "keras": keras.__version__,
                  "hardware": machine(), "train_faces": len(train), "parameters": classifier.count_params()}
        (run / "config.json").write_text(json.dumps(config, indent=1))

    print(f"{len(train)} training faces, {len(public)} PublicTest, {len(private)} PrivateTest; "
          f"{classifier.count_params():,} parameters; {precision} on {keras.backend.backend()}; {machine()}",
          flush=True)
    start = time.time()
    # The classifier's own (val) metrics are measured without augmentation: validation runs with
    # training=False, so the augmenter is the identity there.
    trainer.fit(
        as_input(train), as_target(train),
        batch_size=train_cfg.batch_size,
        epochs=min(args.until_epoch or train_cfg.epochs, train_cfg.epochs),
        initial_epoch=len(history),
        validation_data=(as_input(public), as_target(public)),
        class_weight=class_weights(train.labels, train_cfg.class_weighting),
        callbacks=make_callbacks(run, classifier, history, start, offset),
        shuffle=True,
        verbose=0,
    )

    if len(history) < train_cfg.epochs:
        print(f"stopped after epoch {len(history)} of {train_cfg.epochs}; continue with --resume", flush=True)
        return 0
    best = keras.models.load_model(run / "best.keras")
    best_epoch = max(history, key=lambda h: h["val_accuracy"])
    probs = best.predict(as_input(private), batch_size=256, verbose=0)
    private_acc = float((probs.argmax(1) == private.labels).mean())
    summary = {"best_epoch": best_epoch["epoch"], "public_accuracy": best_epoch["val_accuracy"],
               "private_accuracy": private_acc, "epochs_run": len(history), "wall_s": history[-1]["wall_s"]}
    (run / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"best epoch {summary['best_epoch']}: PublicTest {summary['public_accuracy']:.4f}, "
          f"PrivateTest {private_acc:.4f} (single crop, Keras); {summary['wall_s']:.0f}s of training", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
