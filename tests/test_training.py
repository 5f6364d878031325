"""The real training, export, quantisation and evaluation commands on a few hundred real FER2013 faces."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import ROOT, shared_data

from fer.labels import LABELS
from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import (
    HISTORY_NAME,
    KERAS_NAME,
    METRICS_NAME,
    TFLITE_NAME,
    VARIANTS_NAME,
    face_crop,
    read_model_files,
    sha256,
)
from fer.recognition.preprocessing import model_input
from fer.training.data import FerData
from fer.training.ferplus import load_votes, soft_targets
from scripts.training.common import DEFAULT_VOTES, machine
from scripts.training.evaluate import headline, view_probabilities
from scripts.training.export import pieces
from scripts.training.fit import TrainConfig, parse_args
from scripts.training.pair import PAIR
from scripts.training.targets import prepare, taught
from scripts.training.teach import load_teacher

HISTORY_KEYS = {"epoch", "loss", "accuracy", "val_loss", "public_ferplus", "public_fer2013", "lr", "wall_s"}


def run_script(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", f"scripts.training.{name}", *args], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"scripts.training.{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_a_run_starts_from_scratch_from_where_it_stopped_or_from_a_classifier(tmp_path):
    classifier = tmp_path / "best.keras"
    classifier.write_bytes(b"")
    for words, init_from in (
        ([], "scratch"),
        (["--init-from", "resume"], "resume"),
        (["--init-from", str(classifier)], str(classifier)),
    ):
        assert parse_args(["--run", "r", *words])[0].init_from == init_from
    with pytest.raises(SystemExit):  # neither word nor file: refused before anything loads
        parse_args(["--run", "r", "--init-from", "resmue"])


def test_training_targets_leave_out_the_faces_the_crowd_gave_no_class():
    votes = load_votes(shared_data(DEFAULT_VOTES))
    names = votes.paths[votes.splits == "Training"][:300]
    data = FerData(
        np.zeros((len(names), 48, 48), np.uint8),
        np.arange(len(names)) % len(LABELS),
        np.full(len(names), "Training"),
        names,
    )
    _, rated = soft_targets(votes.aligned(names))
    assert 0 < (~rated).sum() < len(names)
    train = prepare(data, votes, "ferplus", TrainConfig.original_weight, training=True)
    assert train.x.shape == (rated.sum(), 48, 48, 1) and train.x.dtype == np.float32
    np.testing.assert_allclose(train.targets.sum(axis=1), 1.0, atol=1e-6)
    # The original label keeps its share of each blended target.
    assert (train.targets[np.arange(len(train.targets)), train.original] >= TrainConfig().original_weight - 1e-6).all()
    scored = prepare(data, votes, "ferplus", TrainConfig.original_weight, training=False)
    assert len(scored.x) == len(names) and (scored.majority[~rated] == -1).all()
    assert list(train.names) == list(names[rated])

    # A teacher's answers take their share of each target; the crowd's target keeps the rest.
    answers = np.random.default_rng(0).dirichlet(np.ones(len(LABELS)), len(train.targets)).astype(np.float32)
    np.testing.assert_allclose(taught(train, answers, 0.0).targets, train.targets)
    np.testing.assert_allclose(taught(train, answers * 3, 1.0).targets, answers, atol=1e-6)
    half = taught(train, answers, 0.5)
    np.testing.assert_allclose(half.targets, (train.targets + answers) / 2, atol=1e-6)
    assert half.targets.dtype == np.float32 and (half.x is train.x)
    with pytest.raises(ValueError, match="within 0..1"):
        taught(train, answers, 1.5)
    with pytest.raises(ValueError, match="the teacher answers"):
        taught(train, answers[:-1], 0.5)


@pytest.fixture(scope="module")
def trained(fer_tar, tmp_path_factory):
    """Two epochs on 256 real faces, run in two pieces (stop after epoch 1, then resume); the run
    folder, and its history and config as the first piece left them."""
    run = tmp_path_factory.mktemp("run")
    first = run_script(
        "fit",
        "--run",
        str(run),
        "--data",
        str(fer_tar),
        "--epochs",
        "2",
        "--warmup-epochs",
        "1",
        "--limit",
        "256",
        "--batch-size",
        "32",
        "--until-epoch",
        "1",
    )
    assert "epoch   1" in first and "stopped after epoch 1 of 2" in first
    assert not (run / "summary.json").exists()
    history, config = (run / "history.json").read_text(), (run / "config.json").read_text()
    second = run_script("fit", "--run", str(run), "--init-from", "resume")
    assert "resuming" in second and "epoch   2" in second and "epoch   1 " not in second
    return run, json.loads(history), config


@pytest.mark.slow
def test_training_writes_a_resumable_run(trained, fer_faces):
    run, first_history, first_config = trained
    config = json.loads((run / "config.json").read_text())
    assert (run / "config.json").read_text() == first_config  # resuming reads the run's settings, never rewrites them
    assert config["train"]["limit"] == 256 and config["selection"] == "public_ferplus"
    votes = load_votes(config["train"]["votes"])
    _, rated = soft_targets(votes.aligned(fer_faces.split("Training").names[:256]))
    assert config["train_faces"] == rated.sum() < 256  # the faces the crowd gave no class are left out

    history = json.loads((run / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[:1] == first_history  # the resumed run goes on with the same history
    for h in history:
        assert HISTORY_KEYS <= set(h) and np.isfinite(h["loss"]) and np.isfinite(h["val_loss"])
        assert all(0 <= h[k] <= 1 for k in ("accuracy", "public_ferplus", "public_fer2013"))
    # After warm-up the cosine schedule decays; the wall clock carries on across the restart.
    assert history[1]["lr"] < history[0]["lr"] and history[1]["wall_s"] > history[0]["wall_s"]
    assert history[0].get("best")

    summary = json.loads((run / "summary.json").read_text())
    best = max(history, key=lambda h: h["public_ferplus"])
    assert summary["epochs_run"] == 2 and summary["best_epoch"] == best["epoch"]
    assert 0 <= summary["private_ferplus"] <= 1 and 0 <= summary["private_fer2013"] <= 1
    for name in ("best.keras", "last.keras"):
        assert (run / name).stat().st_size > 100_000


@pytest.mark.slow
def test_a_run_can_start_from_a_trained_classifier(trained, fer_tar, tmp_path):
    import keras

    run, _, _ = trained
    tuned = tmp_path / "tuned"
    common = ["--data", str(fer_tar), "--epochs", "1", "--warmup-epochs", "0", "--limit", "256", "--batch-size", "32"]
    # At a learning rate of 0 only BatchNorm's running statistics move: the kernels are the start's.
    printed = run_script(
        "fit",
        "--run",
        str(tuned),
        "--init-from",
        str(run / "best.keras"),
        "--learning-rate",
        "0",
        "--no-erasing",
        *common,
    )
    assert f"starting from the weights of {run / 'best.keras'}" in printed
    config = json.loads((tuned / "config.json").read_text())
    assert config["init"] == str(run / "best.keras") and config["augment"]["erasing_factor"] == 0.0
    start, after = (keras.models.load_model(r / "best.keras") for r in (run, tuned))
    kernels = lambda model: [w.numpy() for w in model.weights if "kernel" in w.path]  # noqa: E731
    assert len(kernels(after)) == 12  # 7 convolutions, then 5 dense layers
    for a, b in zip(kernels(start), kernels(after), strict=True):
        np.testing.assert_array_equal(a, b)

    # A classifier of another shape is refused in one line, before any training.
    other = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.training.fit",
            "--run",
            str(tmp_path / "other"),
            "--init-from",
            str(run / "best.keras"),
        ]
        + ["--widths", "16,32,64,128", *common],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert other.returncode != 0 and "its layers differ from this run's model" in other.stderr
    assert not (tmp_path / "other" / "history.json").exists()


@pytest.mark.slow
def test_export_quantize_and_evaluate(trained, fer_tar, tmp_path):
    run, _, _ = trained
    out = tmp_path / "model"
    printed = run_script("export", "--run", str(run), "--out", str(out), "--data", str(fer_tar))
    assert "max |diff|" in printed
    exported = read_model_files(out).card  # checks checksum, labels, input contract and face crop
    assert exported.labels == LABELS and exported.face_crop == face_crop()
    assert exported.parity["max_abs_diff"] <= 1e-4 and exported.parity["faces"] == 512
    assert exported.files[KERAS_NAME]["sha256"] == sha256((out / KERAS_NAME).read_bytes())
    assert exported.parameters == json.loads((run / "config.json").read_text())["parameters"]
    assert exported.training["epochs_run"] == 2 and exported.training["selection"] == "public_ferplus"
    assert "history" not in exported.training  # the run's epochs go beside the card
    assert json.loads((out / HISTORY_NAME).read_text()) == json.loads((run / "history.json").read_text())
    assert [p["epochs"] for p in exported.training["pieces"]] == [[1, 2]]
    assert not exported.quantization and not exported.metrics and not (out / METRICS_NAME).exists()

    run_script("quantize", "--model-dir", str(out), "--data", str(fer_tar), "--calibration", "64")
    files = read_model_files(out)
    quantized = files.card
    assert quantized.files[TFLITE_NAME]["bytes"] < exported.files[TFLITE_NAME]["bytes"] / 2  # int8 weights
    assert quantized.files[KERAS_NAME] == exported.files[KERAS_NAME] and quantized.training == exported.training
    assert quantized.quantization["calibration"]["faces"] == 64 and not quantized.parity
    probs = EmotionModel(files)(np.zeros((3, 48, 48, 1), np.float32))
    assert probs.shape == (3, 7) and np.allclose(probs.sum(axis=1), 1.0)

    readme = tmp_path / "README.md"
    readme.write_text("# Model\n\n<!-- evaluate: start -->\nold table\n<!-- evaluate: end -->\n\nMore.\n")
    printed = run_script("evaluate", "--model-dir", str(out), "--data", str(fer_tar), "--readme", str(readme))
    assert "ferplus PrivateTest served_views accuracy" in printed
    card = read_model_files(out).card  # evaluation kept the checksums valid
    assert card.files == quantized.files and card.quantization == quantized.quantization
    metrics = json.loads((out / METRICS_NAME).read_text())  # every figure; the card has their headline
    assert (
        card.metrics == headline(metrics) and "confusion" not in card.metrics["ferplus"]["PrivateTest"]["served_views"]
    )
    for split in ("PublicTest", "PrivateTest"):
        faces = metrics["ferplus_faces"][split]
        assert faces["kept"] + faces["left_out_no_class"] + faces["left_out_tied"] == faces["faces"] == 3589
        for label_set, counted in (("fer2013", 3589), ("ferplus", faces["kept"])):
            for view in ("single_view", "two_views", "served_views"):
                report = metrics[label_set][split][view]
                assert report["faces"] == sum(map(sum, report["confusion"])) == counted
                assert 0 <= report["accuracy"] <= 1
    for name in ("confusion_matrix.png", "confusion_matrix_ferplus.png", "training_curves.png"):
        assert (out / name).stat().st_size > 10_000
    wild = metrics["faces_wild"]
    assert wild["photos"] == 311 and 250 < wild["faces_found"] <= 311 and 0 <= wild["accuracy"] <= 1
    table = readme.read_text()
    assert "old table" not in table and table.startswith("# Model\n") and table.endswith("\n\nMore.\n")
    private = metrics["ferplus"]["PrivateTest"]["served_views"]["accuracy"]
    assert f"**{private:.1%}**" in table and f"**{wild['accuracy']:.1%}** right" in table


@pytest.mark.slow
def test_a_run_with_video_call_degradations_pairs_with_an_exported_net_and_the_pair_teaches_one_net(
    trained, fer_tar, fer_faces, tmp_path
):
    import keras

    from scripts.training.evaluate import plot_history

    run, _, _ = trained
    first, second, pair = tmp_path / "first", tmp_path / "second", tmp_path / "pair"
    run_script("export", "--run", str(run), "--out", str(first), "--data", str(fer_tar))
    run_script(
        "fit",
        *("--run", str(second), "--data", str(fer_tar), "--epochs", "1", "--warmup-epochs", "0"),
        *("--limit", "256", "--batch-size", "32", "--seed", "7", "--degrade", "--degrade-share", "0.5"),
        *("--ema-momentum", "0.9"),
    )
    config = json.loads((second / "config.json").read_text())
    assert config["train"]["degrade"] and config["degrade"]["share"] == 0.5 and config["degrade"]["jpeg_quality"]
    printed = run_script(
        "pair", "--first", str(first), "--second", str(second), "--out", str(pair), "--data", str(fer_tar)
    )
    assert "max |diff|" in printed
    card = read_model_files(pair).card  # checksums, labels, input contract, face crop
    assert [net["role"] for net in card.training["nets"]] == ["first", "second"]
    assert card.training["nets"][1]["train"]["degrade"] and card.parity["max_abs_diff"] <= 1e-4
    assert set(json.loads((pair / HISTORY_NAME).read_text())) == {"first", "second"}
    plot_history(json.loads((pair / HISTORY_NAME).read_text()), tmp_path / "curves.png")  # a row of plots a net
    assert (tmp_path / "curves.png").stat().st_size > 10_000

    # One model whose output is the mean of the two nets' outputs, each net's weights as trained.
    joined = keras.models.load_model(pair / KERAS_NAME, compile=False)
    nets = [keras.models.load_model(path, compile=False) for path in (first / KERAS_NAME, second / "best.keras")]
    assert joined.count_params() == card.parameters == sum(net.count_params() for net in nets)
    for inner, net in zip((joined.get_layer("first"), joined.get_layer("second")), nets, strict=True):
        for a, b in zip(inner.get_weights(), net.get_weights(), strict=True):
            np.testing.assert_array_equal(a, np.asarray(b, np.float32))
    faces = model_input(fer_faces.split("PublicTest").faces[:16])
    apart = [joined.get_layer(role).predict(faces, verbose=0) for role in ("first", "second")]
    assert np.abs(apart[0] - apart[1]).max() > 1e-3  # two different nets, so that their mean tells
    mean = (apart[0] + apart[1]) / 2
    np.testing.assert_allclose(joined.predict(faces, verbose=0), mean, atol=1e-6)

    run_script("quantize", "--model-dir", str(pair), "--data", str(fer_tar), "--calibration", "64")
    files = read_model_files(pair)
    assert files.card.files[TFLITE_NAME]["bytes"] < card.files[TFLITE_NAME]["bytes"] / 2  # int8
    probs = EmotionModel(files)(faces)
    assert probs.shape == (16, 7) and np.allclose(probs.sum(axis=1), 1.0)
    assert np.abs(probs - mean).max() < 0.1

    # The pair teaches: its served answers on the training faces, then a net distilled from them.
    answers = tmp_path / "teacher.npz"
    run_script("teach", "--model-dir", str(pair), "--data", str(fer_tar), "--out", str(answers), "--limit", "256")
    training = fer_faces.split("Training").select(slice(0, 256))
    taught_probs, teacher = load_teacher(answers, training.names[::-1])  # in the order asked
    served = FaceClassifier(EmotionModel(files))
    np.testing.assert_allclose(taught_probs[-8:], view_probabilities(served, training.faces[:8])[::-1], atol=1e-6)
    assert teacher["faces"] == 256 and teacher["views"] == card.views and teacher["training"] == PAIR
    distilled = tmp_path / "distilled"
    run_script(
        "fit",
        *("--run", str(distilled), "--data", str(fer_tar), "--epochs", "1", "--warmup-epochs", "0"),
        *("--limit", "256", "--batch-size", "32", "--init-from", str(first / KERAS_NAME)),
        *("--teacher", str(answers), "--teacher-weight", "0.5"),
    )
    config = json.loads((distilled / "config.json").read_text())
    assert config["train"]["teacher"] == str(answers) and config["teacher"]["training"] == PAIR
    run_script("export", "--run", str(distilled), "--out", str(tmp_path / "one"), "--data", str(fer_tar))
    assert read_model_files(tmp_path / "one").card.training["train"]["teacher_weight"] == 0.5
    # Faces the teacher did not answer are refused, in one line, before any training.
    short = subprocess.run(
        [sys.executable, "-m", "scripts.training.fit", "--run", str(tmp_path / "short"), "--data", str(fer_tar)]
        + ["--limit", "300", "--epochs", "1", "--teacher", str(answers)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert short.returncode != 0 and "--teacher: " in short.stderr and "no answer for" in short.stderr

    # A folder that already serves a pair is not a first net.
    again = subprocess.run(
        [sys.executable, "-m", "scripts.training.pair", "--first", str(pair), "--second", str(second)]
        + ["--out", str(tmp_path / "again")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert again.returncode != 0 and "serves a pair already" in again.stderr


def test_an_exported_run_records_every_sitting():
    config = {"train": {"epochs": 5}}
    history = [{"epoch": e, "wall_s": 100.0 * e} for e in range(1, 6)]
    earlier = [{"date": "d", "hardware": "CPU A", "epochs": [1, 3], "wall_s": 300.0}]
    sittings = pieces(config, history, {"train": {"epochs": 5}, "pieces": earlier})
    assert sittings[0] == earlier[0]
    assert sittings[1]["epochs"] == [4, 5] and sittings[1]["wall_s"] == 200.0
    assert sittings[1]["hardware"] == machine()  # the machine that finished the run
    # Another run's checkpoint record is not this run's: the whole run is one sitting.
    alone = pieces(config, history, {"train": {"epochs": 9}, "pieces": earlier})
    assert [p["epochs"] for p in alone] == [[1, 5]] and alone[0]["wall_s"] == 500.0


def test_variants_are_compared_beside_the_card(tmp_path):
    import shutil

    from fer.recognition.model_card import MODEL_DIR, ModelCard
    from scripts.training import variants

    model = tmp_path / "model"
    model.mkdir()
    for name in (TFLITE_NAME, "metadata.json", VARIANTS_NAME):
        shutil.copy(MODEL_DIR / name, model / name)
    card = ModelCard.read(model)
    runs = (("soft", 0.0, [32, 64, 128, 256], [0.5, 0.7, 0.6]), ("blend", 0.2, [64, 128, 256, 512], [0.6, 0.65, 0.72]))
    for name, weight, widths, scores in runs:
        run = tmp_path / name
        run.mkdir()
        train = {**vars(TrainConfig()), "original_weight": weight}
        config = {"train": train, "model": {"widths": widths}, "hardware": "CPU", "precision": "float32"}
        (run / "config.json").write_text(json.dumps(config))
        history = [
            {"epoch": e + 1, "public_ferplus": f, "public_fer2013": f - 0.2, "wall_s": 100.0 * (e + 1) + 900 * (e == 2)}
            for e, f in enumerate(scores)
        ]
        (run / "history.json").write_text(json.dumps(history))
    earlier = json.loads((model / VARIANTS_NAME).read_text())
    assert (
        variants.main([str(tmp_path / "soft"), str(tmp_path / "blend"), "--model-dir", str(model), "--name", "x"]) == 0
    )
    comparisons = json.loads((model / VARIANTS_NAME).read_text())
    assert {k: v for k, v in comparisons.items() if k != "x"} == earlier  # other comparisons are kept
    assert ModelCard.read(model) == card  # the card is not the lab's notebook
    runs = comparisons["x"]["runs"]
    assert [r["settings"] for r in runs] == [
        "FER+ vote distribution alone",
        "FER+ votes, original label blended at 0.2; filters 64-128-256-512",
    ]
    assert (runs[0]["best_epoch"], runs[0]["public_ferplus"], runs[0]["public_fer2013"]) == (2, 0.7, 0.5)
    assert runs[1]["best_epoch"] == 3 and runs[1]["wall_s"] == 1200.0 and runs[1]["epoch_s_median"] == 100.0
    # A run added later joins those recorded (whose folders may be gone); one of the same name is replaced.
    (tmp_path / "soft" / "history.json").write_text(
        json.dumps([{"epoch": 1, "public_ferplus": 0.8, "public_fer2013": 0.6, "wall_s": 50.0}])
    )
    assert variants.main([str(tmp_path / "soft"), "--model-dir", str(model), "--name", "x", "--add"]) == 0
    runs = json.loads((model / VARIANTS_NAME).read_text())["x"]["runs"]
    assert [(r["run"], r["public_ferplus"]) for r in runs] == [("blend", 0.72), ("soft", 0.8)]
    read_model_files(model)  # the card still matches the served file


@pytest.mark.slow
def test_a_checkpoint_goes_into_the_repository_and_comes_back_as_the_run(trained, tmp_path):
    import shutil

    import keras

    from fer.recognition.model_card import MODEL_DIR, ModelCard

    run, _, _ = trained
    model = tmp_path / "model"
    model.mkdir()
    for name in (TFLITE_NAME, "metadata.json"):
        shutil.copy(MODEL_DIR / name, model / name)
    printed = run_script("checkpoint", "--run", str(run), "--first-epoch", "1", "--model-dir", str(model))
    assert "epoch 2 of 2" in printed
    for name in ("config.json", "history.json", "best.keras"):
        assert (model / "resume" / name).read_bytes() == (run / name).read_bytes()
    assert not (model / "resume" / "last.keras").exists()  # weights and optimizer state as .npz, a third smaller
    progress = ModelCard.read(model).training_in_progress
    history = json.loads((run / "history.json").read_text())
    assert progress["epochs_done"] == 2 and progress["wall_s"] == history[-1]["wall_s"]
    assert progress["resume"] == (
        f"python -m scripts.training.checkpoint --restore {run} && "
        f"python -m scripts.training.fit --run {run} --init-from resume"
    )
    assert [p["epochs"] for p in progress["pieces"]] == [[1, 2]] and progress["pieces"][0]["wall_s"] == history[-1][
        "wall_s"
    ]
    read_model_files(model)  # the served file still matches its card

    restored = tmp_path / "restored"
    run_script("checkpoint", "--restore", str(restored), "--model-dir", str(model))
    config = json.loads((run / "config.json").read_text())
    keras.mixed_precision.set_global_policy(config["precision"])
    original, rebuilt = (keras.models.load_model(folder / "last.keras") for folder in (run, restored))
    keras.mixed_precision.set_global_policy("float32")
    for a, b in zip(original.get_weights(), rebuilt.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    steps = [int(keras.ops.convert_to_numpy(m.optimizer.iterations)) for m in (original, rebuilt)]
    assert steps[0] == steps[1] > 0  # the schedule goes on where it stopped
    for a, b in zip(original.optimizer.variables, rebuilt.optimizer.variables, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(b), keras.ops.convert_to_numpy(a), rtol=1e-2, atol=1e-12)

    # The run ended: its checkpoint leaves the repository and the card forgets it.
    assert f"({run} was in progress)" in run_script("checkpoint", "--drop", "--model-dir", str(model))
    assert not (model / "resume").exists() and ModelCard.read(model).training_in_progress == {}
    read_model_files(model)


def test_a_fine_tuning_run_is_named_by_what_it_changed():
    from scripts.training.variants import settings

    config = {
        "train": {**vars(TrainConfig()), "learning_rate": 4e-4, "teacher": "runs/pair-teacher.npz"},
        "model": {"widths": [32, 64, 128, 256], "block_dropout": [0.05, 0.1, 0.15, 0.2]},
        "augment": {"erasing_factor": 0.0},
        "init": "runs/ferplus/best.keras",
    }
    assert settings(config) == (
        "FER+ votes, original label blended at 0.2; block dropout 0.05-0.1-0.15-0.2; no random erasing; "
        "taught by pair-teacher.npz's answers at weight 0.5; started from ferplus/best.keras, peak learning rate 0.0004"
    )


def test_evaluating_another_models_files_can_leave_the_readme_alone(monkeypatch, tmp_path):
    import shutil

    from fer.recognition.model_card import MODEL_DIR
    from scripts.training import evaluate

    model = tmp_path / "model"
    model.mkdir()
    for name in (TFLITE_NAME, "metadata.json", HISTORY_NAME):
        shutil.copy(MODEL_DIR / name, model / name)
    readme = tmp_path / "README.md"
    readme.write_text("<!-- evaluate: start -->\nthe served model's table\n<!-- evaluate: end -->\n")
    # Scoring itself is tested on real faces above; here only what main does with the scores.
    monkeypatch.setattr(evaluate, "load_fer2013", lambda path: None)
    monkeypatch.setattr(evaluate, "load_votes", lambda path: None)
    served = dict.fromkeys(("fer2013", "ferplus"), SimpleNamespace(accuracy=0.8, macro_f1=0.7))
    monkeypatch.setattr(evaluate, "evaluate", lambda classify, data, votes: ({"ferplus": {}}, served))
    monkeypatch.setattr(evaluate, "score_faces_wild", lambda folder: {"recall": {}, "accuracy": 0.5})
    monkeypatch.setattr(evaluate, "plot_confusion", lambda *args: None)
    monkeypatch.setattr(evaluate, "plot_history", lambda *args: None)
    args = ["--model-dir", str(model), "--readme", str(readme)]
    assert evaluate.main([*args, "--keep-readme"]) == 0
    assert "the served model's table" in readme.read_text()
    assert read_model_files(model).card.metrics["faces_wild"]["accuracy"] == 0.5
