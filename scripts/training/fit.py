"""Train the emotion CNN on FER2013's faces and the FER+ crowd's votes.

Trains on the Training split with soft targets (the crowd's vote distribution blended with the
original label; ``--targets fer2013`` uses the original labels alone), scores PublicTest after each
epoch on both label sets, keeps the checkpoint best on the FER+ majority labels and reports
PrivateTest once at the end. Everything a run needs to be repeated or resumed lives in its run
folder: ``config.json`` (all settings), ``history.json`` (per-epoch metrics), ``best.keras``
(the chosen classifier) and ``last.keras`` (classifier + augmentation + optimizer state).
``--init-from`` says where a run starts: ``scratch`` (the default), ``resume`` (where the run
folder's ``last.keras`` left off, with the run's own settings) or a trained classifier's ``.keras``
file of the same architecture (its weights; a classifier of another shape is refused).
``--teacher`` distils: each training target is blended with a teacher's answer on its face
(``--teacher-weight`` of it; the answers from ``scripts.training.teach``, for example a pair's views).

    python -m scripts.training.fit --data ../shared/data/fer2013/fer2013-images.tar.gz --run runs/main
    python -m scripts.training.fit --run runs/main --init-from resume      # continue an interrupted run
    python -m scripts.training.fit --run runs/tuned --init-from runs/main/best.keras --epochs 15 \
        --learning-rate 4e-4 --warmup-epochs 1 --no-erasing   # fine-tune a trained classifier
    python -m scripts.training.fit --run runs/distilled --init-from model/emotion_cnn.keras --epochs 16 \
        --learning-rate 5e-4 --warmup-epochs 1 --teacher runs/pair/teacher.npz   # distil a pair into one net

Works under any Keras 3 backend (``KERAS_BACKEND=tensorflow|jax|torch``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from fer.training.data import load_fer2013
from fer.training.ferplus import load_votes
from fer.training.model import AugmentConfig, ModelConfig, build_augmenter, build_model
from scripts.training.common import DEFAULT_DATA, DEFAULT_VOTES, machine
from scripts.training.degrade import DegradeConfig, degraded_batches
from scripts.training.targets import Split, accuracies, choose_precision, class_weights, prepare, taught
from scripts.training.teach import load_teacher

# What the end of a run prints, from its summary.
SUMMARY_SCORES = (
    ("PublicTest FER+", "public_ferplus"),
    ("PrivateTest FER+", "private_ferplus"),
    ("PrivateTest FER2013", "private_fer2013"),
)
NO_WEIGHT_DECAY = ["bn", "gamma", "beta", "bias"]  # BatchNorm parameters and biases (not saved with the optimizer)
SCRATCH, RESUME = "scratch", "resume"  # --init-from's words; anything else is a classifier's file


@dataclass(frozen=True)
class TrainConfig:
    data: str = str(DEFAULT_DATA)
    votes: str = str(DEFAULT_VOTES)  # FER+ crowd votes for every file of the archive
    targets: str = "ferplus"  # "ferplus": the crowd's vote distribution; "fer2013": the original label
    original_weight: float = 0.2  # with "ferplus": share of the original label blended into each target
    epochs: int = 100
    batch_size: int = 64
    learning_rate: float = 2e-3  # peak, after warm-up; cosine decay to 0 afterwards
    warmup_epochs: int = 3
    adamw_decay: float = 0.02  # AdamW's decoupled weight decay; not applied to BatchNorm parameters or biases
    label_smoothing: float = 0.05
    class_weighting: str = "sqrt"  # "none" or "sqrt" (inverse square root of class frequency)
    mixed_precision: str = "auto"  # "auto": the faster of float32 and bfloat16, timed on this machine
    seed: int = 1234
    limit: int = 0  # train on only the first N training faces (0 = all); for smoke tests
    degrade: bool = False  # video-call degradations (training.degrade) on every training batch
    degrade_share: float = DegradeConfig.share  # with degrade: the share of each batch's faces degraded
    ema_momentum: float = 0.0  # > 0: score and keep the exponential moving average of the weights (AdamW use_ema)
    teacher: str = ""  # a teacher's answers on the training faces (scripts.training.teach): distil from it
    teacher_weight: float = 0.5  # with teacher: its share of each target, the crowd's target the rest


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, TrainConfig, ModelConfig, AugmentConfig]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path, help="run folder (created if missing)")
    parser.add_argument(
        "--init-from",
        default=SCRATCH,
        metavar="scratch|resume|PATH",
        help="start from random weights (scratch), continue the run folder's last.keras with its own "
        "settings (resume), or start from the weights of a trained classifier (a .keras file of the same "
        "architecture)",
    )
    parser.add_argument(
        "--until-epoch",
        type=int,
        default=0,
        help="stop after this epoch (the schedule still spans --epochs); resume later",
    )
    for f in fields(TrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            parser.add_argument(flag, type=type(f.default), default=f.default)
    parser.add_argument("--widths", default=",".join(map(str, ModelConfig.widths)))
    parser.add_argument("--convs-per-block", default=",".join(map(str, ModelConfig.convs_per_block)))
    parser.add_argument("--dense-units", default=",".join(map(str, ModelConfig.dense_units)))
    parser.add_argument("--block-dropout", default=",".join(map(str, ModelConfig.block_dropout)))
    parser.add_argument("--no-erasing", action="store_true", help="turn random erasing off")
    args = parser.parse_args(argv)
    train = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    if train.targets not in ("ferplus", "fer2013"):
        parser.error(f"--targets must be 'ferplus' or 'fer2013', not {train.targets!r}")
    if args.init_from not in (SCRATCH, RESUME) and not Path(args.init_from).is_file():
        parser.error(f"--init-from {args.init_from}: not scratch, resume or a classifier's .keras file")
    ints = lambda s: tuple(int(v) for v in s.split(","))  # noqa: E731
    floats = lambda s: tuple(float(v) for v in s.split(","))  # noqa: E731
    model = ModelConfig(
        widths=ints(args.widths),
        convs_per_block=ints(args.convs_per_block),
        dense_units=ints(args.dense_units),
        block_dropout=floats(args.block_dropout),
    )
    augment = AugmentConfig(erasing_factor=0.0 if args.no_erasing else AugmentConfig.erasing_factor, seed=train.seed)
    return args, train, model, augment


def make_callbacks(
    run: Path, classifier, public: Split, selection: str, history: list[dict], start_time: float, offset: float
):
    import keras

    class Checkpoint(keras.callbacks.Callback):
        """Score PublicTest; keep the classifier best on ``selection`` and the full state of the last epoch."""

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            with averaged_weights(self.model.optimizer):  # the weights scored and kept: their average if kept
                self.score(epoch, logs)
            self.model.save(run / "last.keras")
            (run / "history.json").write_text(json.dumps(history, indent=1))

        def score(self, epoch: int, logs: dict) -> None:
            probs = classifier.predict(public.x, batch_size=256, verbose=0)
            val_loss = float(-(public.targets * np.log(np.clip(probs, 1e-7, 1.0))).sum(1).mean())
            public_acc = accuracies(probs, public)
            best = max((h[f"public_{selection}"] for h in history), default=-1.0)
            entry = {
                "epoch": epoch + 1,
                **logs,
                "val_loss": val_loss,
                **{f"public_{k}": v for k, v in public_acc.items()},
                "wall_s": round(offset + time.time() - start_time, 1),
                "lr": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
            }
            history.append(entry)
            if entry[f"public_{selection}"] > best:
                classifier.save(run / "best.keras")
                entry["best"] = True
            print(
                f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}  "
                f"public loss {val_loss:.4f}  FER+ {public_acc['ferplus']:.4f}  FER2013 {public_acc['fer2013']:.4f}  "
                f"lr {entry['lr']:.2e}  {entry['wall_s']:.0f}s{'  *best' if entry.get('best') else ''}",
                flush=True,
            )

    return [Checkpoint()]


@contextmanager
def averaged_weights(optimizer):
    """Within the block, the trained variables hold the optimizer's moving average (when it keeps one)."""
    import keras

    if not getattr(optimizer, "use_ema", False):
        yield
        return
    # Keras keeps the average beside each trained variable (as its SwapEMAWeights callback reads it).
    pairs = list(zip(optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True))
    current = [keras.ops.convert_to_numpy(variable) for variable, _ in pairs]
    for variable, average in pairs:
        variable.assign(average)
    try:
        yield
    finally:
        for (variable, _), value in zip(pairs, current, strict=True):
            variable.assign(value)


def build_trainer(model_cfg: ModelConfig, augment_cfg: AugmentConfig, train_cfg: TrainConfig, steps_per_epoch: int):
    """The compiled training model: augmentation, then the classifier (returned too)."""
    import keras

    classifier = build_model(model_cfg)
    faces = keras.Input((48, 48, 1), name="face_gray")
    trainer = keras.Model(faces, classifier(build_augmenter(augment_cfg)(faces)), name="trainer")
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=train_cfg.learning_rate / 20,
        decay_steps=max(1, (train_cfg.epochs - train_cfg.warmup_epochs) * steps_per_epoch),
        warmup_target=train_cfg.learning_rate,
        warmup_steps=train_cfg.warmup_epochs * steps_per_epoch,
    )
    ema = dict(use_ema=True, ema_momentum=train_cfg.ema_momentum) if train_cfg.ema_momentum else {}
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=train_cfg.adamw_decay, **ema)
    optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
    trainer.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=train_cfg.label_smoothing),
        metrics=["accuracy"],
    )
    return trainer, classifier


def degrade_config(train_cfg: TrainConfig) -> DegradeConfig:
    return replace(DegradeConfig(), share=train_cfg.degrade_share)


def start_from(classifier, path: Path) -> None:
    """Load a trained classifier's weights into ``classifier``; the two must have the same layers."""
    import keras

    trained = keras.models.load_model(path)
    shapes = lambda model: [tuple(w.shape) for w in model.weights]  # noqa: E731
    if shapes(trained) != shapes(classifier):
        raise SystemExit(f"--init-from {path}: its layers differ from this run's model (--widths, --dense-units ...)")
    classifier.set_weights(trained.get_weights())
    print(f"starting from the weights of {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args, train_cfg, model_cfg, augment_cfg = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads
    run: Path = args.run
    resume = args.init_from == RESUME
    init = None if resume or args.init_from == SCRATCH else Path(args.init_from)
    run.mkdir(parents=True, exist_ok=True)
    if resume:
        saved = json.loads((run / "config.json").read_text())
        train_cfg = TrainConfig(**saved["train"])
        model_cfg = ModelConfig.from_dict(saved["model"])
        augment_cfg = AugmentConfig(**saved["augment"])

    import keras

    data = load_fer2013(train_cfg.data)
    votes = load_votes(train_cfg.votes)
    train_data = data.split("Training")
    if train_cfg.limit:
        train_data = train_data.select(slice(0, train_cfg.limit))
    targets = (train_cfg.targets, train_cfg.original_weight)
    train = prepare(train_data, votes, *targets, training=True)
    teacher: dict = {}
    if train_cfg.teacher:
        try:
            answers, teacher = load_teacher(train_cfg.teacher, train.names)
        except (OSError, ValueError) as err:
            raise SystemExit(f"--teacher: {err}") from err
        train = taught(train, answers, train_cfg.teacher_weight)
    public, private = (prepare(data.split(s), votes, *targets, training=False) for s in ("PublicTest", "PrivateTest"))
    selection = "ferplus" if train_cfg.targets == "ferplus" else "fer2013"
    steps_per_epoch = int(np.ceil(len(train.x) / train_cfg.batch_size))
    weights = class_weights(train.targets.argmax(1), train_cfg.class_weighting)
    sample_weight = None if weights is None else weights[train.targets.argmax(1)].astype(np.float32)

    history: list[dict] = []
    offset = 0.0
    keras.utils.set_random_seed(train_cfg.seed)
    if resume:
        precision = saved["precision"]
        keras.mixed_precision.set_global_policy(precision)
        trainer = keras.models.load_model(run / "last.keras")
        classifier = trainer.get_layer("emotion_cnn")
        trainer.optimizer.exclude_from_weight_decay(var_names=NO_WEIGHT_DECAY)
        history = json.loads((run / "history.json").read_text())
        offset = history[-1]["wall_s"] if history else 0.0
        print(f"resuming {run} after epoch {len(history)}", flush=True)
    else:
        precision, timings = choose_precision(
            train_cfg.mixed_precision,
            train_cfg.batch_size,
            lambda: build_trainer(model_cfg, augment_cfg, train_cfg, steps_per_epoch)[0],
        )
        keras.mixed_precision.set_global_policy(precision)
        keras.utils.set_random_seed(train_cfg.seed)
        trainer, classifier = build_trainer(model_cfg, augment_cfg, train_cfg, steps_per_epoch)
        if init:
            start_from(classifier, init)
        # Everything the run needs to be repeated or resumed, and what it ran on.
        config = {"train": asdict(train_cfg), "model": model_cfg.to_dict(), "augment": augment_cfg.to_dict()}
        config |= {"precision": precision, "precision_ms_per_step": timings, "selection": f"public_{selection}"}
        config |= {"backend": keras.backend.backend(), "keras": keras.__version__, "hardware": machine()}
        config |= {"train_faces": len(train.x), "parameters": classifier.count_params()}
        config |= {"init": str(init)} if init else {}
        config |= {"teacher": teacher} if teacher else {}
        config |= {"degrade": degrade_config(train_cfg).to_dict()} if train_cfg.degrade else {}
        (run / "config.json").write_text(json.dumps(config, indent=1))

    sizes = f"{len(train.x)} training faces ({train_cfg.targets} targets), {len(public.x)} PublicTest"
    print(f"{sizes}, {len(private.x)} PrivateTest; {classifier.count_params():,} parameters", flush=True)
    print(f"training in {precision} on {keras.backend.backend()}; {machine()}", flush=True)
    start = time.time()
    # Augmentation is active only in training; the PublicTest scores are of the plain classifier.
    fit_args = dict(
        epochs=min(args.until_epoch or train_cfg.epochs, train_cfg.epochs),
        initial_epoch=len(history),
        callbacks=make_callbacks(run, classifier, public, selection, history, start, offset),
        verbose=0,
    )
    if train_cfg.degrade:
        batches = degraded_batches(
            train.x,
            train.targets,
            sample_weight,
            train_cfg.batch_size,
            train_cfg.seed,
            degrade_config(train_cfg),
            len(history),
        )
        trainer.fit(batches, **fit_args)
    else:
        trainer.fit(
            train.x,
            train.targets,
            sample_weight=sample_weight,
            batch_size=train_cfg.batch_size,
            shuffle=True,
            **fit_args,
        )

    if len(history) < train_cfg.epochs:
        print(f"stopped after epoch {len(history)} of {train_cfg.epochs}; continue with --init-from resume", flush=True)
        return 0
    best = keras.models.load_model(run / "best.keras")
    best_epoch = max(history, key=lambda h: h[f"public_{selection}"])
    private_acc = accuracies(best.predict(private.x, batch_size=256, verbose=0), private)
    summary = dict(best_epoch=best_epoch["epoch"], selection=f"public_{selection}", epochs_run=len(history))
    summary |= {f"public_{k}": best_epoch[f"public_{k}"] for k in private_acc}
    summary |= {f"private_{k}": v for k, v in private_acc.items()} | {"wall_s": history[-1]["wall_s"]}
    (run / "summary.json").write_text(json.dumps(summary, indent=1))
    scores = ", ".join(f"{name} {summary[key]:.4f}" for name, key in SUMMARY_SCORES)
    print(f"best epoch {summary['best_epoch']} (single view, Keras): {scores}; {summary['wall_s']:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
