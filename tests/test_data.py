from __future__ import annotations

import gzip

import cv2
import numpy as np
import pytest
from helpers import write_tar, write_tree

from fer.labels import LABELS, SPLITS
from fer.training.data import DataError, load_csv, load_fer2013

CSV_COUNTS = {"angry": 177, "disgust": 14, "fear": 189, "happy": 272, "sad": 182, "surprise": 141, "neutral": 192}


def test_csv_sample_gzipped(fer_csv):
    data = load_fer2013(fer_csv)
    assert len(data) == 1167
    assert data.faces.shape == (1167, 48, 48) and data.faces.dtype == np.uint8
    assert data.labels.dtype == np.int64
    assert data.counts() == CSV_COUNTS
    assert set(data.splits) == {"Training"}


def test_csv_plain_matches_gzipped(fer_csv, tmp_path):
    plain = tmp_path / "fer2013.csv"
    plain.write_bytes(gzip.decompress(fer_csv.read_bytes()))
    a, b = load_csv(plain), load_csv(fer_csv)
    assert np.array_equal(a.faces, b.faces) and np.array_equal(a.labels, b.labels)
    # The first row of the real file: emotion 0 (angry), first pixels 70 80 82.
    assert a.labels[0] == 0 and a.faces[0, 0, :3].tolist() == [70, 80, 82]


def _csv_lines(fer_csv, n=3) -> list[str]:
    return gzip.decompress(fer_csv.read_bytes()).decode().splitlines()[: n + 1]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda row: row.replace(",", ",12 ", 1), "2305 pixels, expected 2304"),
        (lambda row: "9" + row[1:], "emotion 9 is outside 0..6"),
        (lambda row: "x" + row[1:], "emotion 'x' is not an integer"),
        (lambda row: row.replace(",Training", ",Validation"), "Usage 'Validation'"),
        (lambda row: row.replace(",", ",300 ", 1).rsplit(" ", 1)[0] + ",Training", "pixels must be integers 0..255"),
        (lambda row: row.split(",")[0], "expected 'emotion,pixels[,Usage]'"),
    ],
)
def test_csv_bad_row_names_file_and_line(fer_csv, tmp_path, mutate, message):
    header, first, second, third = _csv_lines(fer_csv)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([header, first, mutate(second), third]) + "\n")
    with pytest.raises(DataError) as err:
        load_csv(bad)
    assert str(err.value).startswith(f"{bad}: line 3: ")
    assert message in str(err.value)


def test_csv_bad_header_and_empty(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("label,image\n0,1 2 3\n")
    with pytest.raises(DataError, match="line 1: expected the header"):
        load_csv(wrong)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty file"):
        load_csv(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("emotion,pixels,Usage\n")
    with pytest.raises(DataError, match="no faces"):
        load_csv(header_only)


def test_corrupt_gzip(tmp_path):
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(DataError, match="broken.csv.gz: cannot be read"):
        load_fer2013(broken)


def _check_members(data, members):
    assert len(data) == len(members)
    assert data.faces.dtype == np.uint8 and data.faces.shape[1:] == (48, 48)
    for (name, raw), face, label, split in zip(members, data.faces, data.labels, data.splits, strict=True):
        parts = name.split("/")
        assert LABELS[label] == parts[-2]
        assert split == parts[-1].split("_")[0]
        assert np.array_equal(face, cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE))


def test_image_folder_and_archives_from_real_faces(fer_members, tmp_path):
    assert {n.split("/")[-1].split("_")[0] for n, _ in fer_members} == set(SPLITS)
    assert {n.split("/")[-2] for n, _ in fer_members} == set(LABELS)
    members = sorted(fer_members)
    _check_members(load_fer2013(write_tree(tmp_path / "tree", members)), members)
    _check_members(load_fer2013(write_tar(tmp_path / "s.tar.gz", members)), members)
    _check_members(load_fer2013(write_tar(tmp_path / "s.tar", members, "w")), members)


def test_archive_with_leading_folder_and_extra_files(fer_members, tmp_path):
    members = [("fer2013/" + n, d) for n, d in fer_members[:5]] + [("fer2013/README.txt", b"hello")]
    data = load_fer2013(write_tar(tmp_path / "nested.tar.gz", members))
    assert len(data) == 5


def test_unknown_class_folder_names_member(fer_members, tmp_path):
    name, raw = fer_members[0]
    bad_name = "train/contempt/Training_1.jpg"
    archive = write_tar(tmp_path / "bad.tar.gz", [(name, raw), (bad_name, raw)])
    with pytest.raises(DataError) as err:
        load_fer2013(archive)
    assert str(err.value) == (
        f"{archive}: {bad_name}: unknown class folder 'contempt'; expected one of {', '.join(LABELS)}"
    )


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("train/happy/Training_9.jpg", b"not a jpeg", "not a readable image"),
        ("train/happy/Validation_9.jpg", None, "file name must start with one of"),
        (
            "train/happy/Training_9.png",
            cv2.imencode(".png", np.zeros((64, 48), np.uint8))[1].tobytes(),
            "image is 48x64, expected 48x48",
        ),
    ],
)
def test_bad_member_is_named(fer_members, tmp_path, name, data, message):
    good = fer_members[0]
    archive = write_tar(tmp_path / "bad.tar", [good, (name, data if data is not None else good[1])], "w")
    with pytest.raises(DataError, match=f"{name}: {message}"):
        load_fer2013(archive)


def test_empty_archive_and_folder(tmp_path):
    archive = write_tar(tmp_path / "empty.tar.gz", [])
    with pytest.raises(DataError, match="empty.tar.gz: no FER2013 images found"):
        load_fer2013(archive)
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DataError, match="no FER2013 images found"):
        load_fer2013(tmp_path / "empty_dir")


def test_not_an_archive_and_missing_path(tmp_path):
    fake = tmp_path / "fake.tar.gz"
    fake.write_bytes(b"plain text")
    with pytest.raises(DataError, match="fake.tar.gz: cannot be read as a tar archive"):
        load_fer2013(fake)
    with pytest.raises(DataError, match="no such file"):
        load_fer2013(tmp_path / "nowhere.csv")
    other = tmp_path / "faces.zip"
    other.write_bytes(b"PK")
    with pytest.raises(DataError, match="not a FER2013 CSV"):
        load_fer2013(other)


def test_whole_release_counts(fer_faces):
    assert len(fer_faces) == 35887
    train, public, private = (fer_faces.split(s) for s in SPLITS)
    assert (len(train), len(public), len(private)) == (28709, 3589, 3589)
    assert train.counts() == {
        "angry": 3995,
        "disgust": 436,
        "fear": 4097,
        "happy": 7215,
        "sad": 4830,
        "surprise": 3171,
        "neutral": 4965,
    }
    with pytest.raises(ValueError, match="unknown split"):
        fer_faces.split("Validation")
