"""Command line: ``python -m fer analyze PATH... [--format csv|json] [--output FILE] [--every S]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fer.frame import FrameAnalyzer
from fer.media import MediaError, VideoReader, kind_of, read_image
from fer.model_card import MODEL_DIR, ModelError, read_model_files
from fer.recorded import FORMATS, RowWriter, analyze_photo, analyze_video, face_rows, time_left

DESCRIPTION = """Find every face in photos and videos and recognise its emotion.

Writes one row per face per analysed frame: source, frame, time_s, face_id, x, y, w, h,
label, score and the probabilities p_angry ... p_neutral. Directories are searched for
photos (jpg, png, webp, ...) and videos (mp4, webm, mov, ...). A file that cannot be read
is reported on stderr and the others are still processed.

exit status: 0 all files analysed; 1 some could not be read; 2 usage error or unusable model."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fer", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    analyze = commands.add_parser(
        "analyze",
        help="analyse photos, videos and directories of them",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="photo, video or directory")
    analyze.add_argument("--format", choices=FORMATS, default="csv", help="output format (default: csv)")
    analyze.add_argument("--output", "-o", type=Path, help="write here instead of standard output")
    analyze.add_argument(
        "--every",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="analyse one video frame every SECONDS (default: 0.5)",
    )
    analyze.add_argument(
        "--model-dir",
        type=Path,
        default=MODEL_DIR,
        metavar="DIR",
        help="folder of the model files (default: the project's model/)",
    )
    return parser


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files given directly, then the photos and videos found under directories, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p))
        else:
            yield path


class Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second."""

    def __init__(self, name: str, total_s: float | None) -> None:
        self.name, self.total_s, self.started, self.drawn = name, total_s, time.monotonic(), 0.0

    def update(self, done_s: float, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.drawn < 0.2:
            return
        self.drawn = now
        if self.total_s:
            share = min(1.0, done_s / self.total_s)
            left = time_left(now - self.started, share)
            bar = "#" * round(share * 20)
            line = f"{self.name} [{bar:<20}] {share:4.0%} {done_s:.1f}/{self.total_s:.1f} s" + (
                f", ~{left:.0f} s left" if left is not None else ""
            )
        else:
            line = f"{self.name} {done_s:.1f} s"
        sys.stderr.write("\r" + line + ("\n" if final else ""))
        sys.stderr.flush()


def analyze_file(analyzer: FrameAnalyzer, path: Path, writer: RowWriter, every_s: float) -> None:
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    kind = kind_of(path)
    if kind != "video":
        try:
            bgr = read_image(path)
        except MediaError:
            if kind == "image":
                raise
        else:
            writer.write(face_rows(str(path), analyze_photo(analyzer, bgr)))
            return
    with VideoReader(path, every_s) as reader:  # a video, or a file of unknown kind that is no photo
        progress = Progress(path.name, reader.duration_s)
        last = 0.0
        for result in analyze_video(analyzer, reader):
            writer.write(face_rows(str(path), result))
            last = result.time_s
            progress.update(last)
        progress.update(reader.duration_s or last, final=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.every <= 0:
        print("error: --every must be > 0", file=sys.stderr)
        return 2
    try:
        analyzer = FrameAnalyzer.from_model(read_model_files(args.model_dir))
        # The runtime announces its CPU delegate on stderr when the model first runs: let it do so
        # now, before any progress bar is drawn.
        analyzer.classifier.classify(np.zeros((1, 48, 48, 1), np.float32))
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = args.output.open("w", newline="", encoding="utf-8") if args.output else sys.stdout
    writer = RowWriter(out, args.format)
    files = 0
    failed = 0
    try:
        for path in expand(args.paths):
            try:
                analyze_file(analyzer, path, writer, args.every)
                files += 1
            except MediaError as err:
                failed += 1
                print(f"error: {err}", file=sys.stderr)
            except Exception as err:  # noqa: BLE001 - one odd file must not stop the others
                failed += 1
                print(
                    f"error: {path}: cannot be analysed ({type(err).__name__}: {err})".splitlines()[0], file=sys.stderr
                )
    finally:
        writer.close()
        if args.output:
            out.close()
    if args.output:
        print(
            f"wrote {writer.count} row{'s' * (writer.count != 1)} ({args.format}) for {files} "
            f"file{'s' * (files != 1)} to {args.output}" + (f"; {failed} could not be read" if failed else ""),
            file=sys.stderr,
        )
    return 1 if failed else 0
