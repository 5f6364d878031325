"""Command line: ``python -m fer analyze PATH... [--format csv|json] [--output FILE] [--every S]
[--seats] [--report FILE]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fer.classroom.recorded import ROW_FIELDS, RecordedLesson, analyze_photo, face_rows
from fer.classroom.report import SEAT_FIELDS, report_html, seat_minutes
from fer.images import WORK_IMAGE_PIXELS, read_photo
from fer.labels import INPUT_SHAPE
from fer.media import MediaError, VideoReader, kind_of
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.model_card import MODEL_DIR, ModelError, ModelFiles, read_model_files
from fer.tables import FORMATS, RowWriter

DESCRIPTION = f"""Find every face in photos and videos and recognise its emotion.

Writes one row per face per analysed frame: source, frame, time_s, face_id, seat, x, y, w, h,
label, score and the probabilities p_angry ... p_neutral; boxes are in the file's own pixels
(a photo over {WORK_IMAGE_PIXELS / 1e6:g} megapixels is analysed reduced to that size). A video
is analysed as a recorded lesson: each face keeps its face_id for the whole video and gets a
seat of the call's gallery (like B3). With --seats, writes instead one row per seat per minute
of each video (the class page's seats CSV); with --report, the lesson's report as an HTML file.
Directories are searched for photos (jpg, png, webp, ...) and videos (mp4, webm, mov, ...). A
file that cannot be read is reported on stderr and the others are still processed; a video
that breaks off keeps what was analysed before.

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
        "--seats",
        action="store_true",
        help="for videos, one row per seat per minute instead of one per face per frame (photos are skipped)",
    )
    analyze.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="write each video's lesson report (HTML) here; with several videos, FILE's name gets the video's",
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

    def __init__(self, analysis: RecordedLesson) -> None:
        self.analysis, self.drawn = analysis, 0.0

    def update(self, done_s: float, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.drawn < 0.2:
            return
        self.drawn = now
        done, text = self.analysis.progress(done_s)
        bar = "" if done is None else f" [{'#' * round(done * 20):<20}] {done:4.0%}"
        sys.stderr.write(f"\r{self.analysis.name}{bar} {text}" + ("\n" if final else ""))
        sys.stderr.flush()


@dataclass
class Output:
    """What the command was asked to write, and where."""

    writer: RowWriter
    every_s: float
    files: ModelFiles
    seats: bool = False
    report: Path | None = None
    videos: int = 0  # videos seen so far, to name several reports


def report_path(report: Path, video: Path, several: bool) -> Path:
    return report.with_name(f"{report.stem}-{video.stem}{report.suffix or '.html'}") if several else report


def analyze_file(analyzer: FrameAnalyzer, path: Path, run: Output, several: bool = False) -> None:
    if not path.is_file():
        raise MediaError(f"{path}: no such file")
    kind = kind_of(path)
    if kind != "video":
        try:
            photo = read_photo(path)
        except MediaError:
            if kind == "image":
                raise
        else:
            if not run.seats:  # a large photo is analysed reduced; its boxes are in the file's own pixels
                result = analyze_photo(analyzer, photo.bgr)
                run.writer.write(face_rows(str(path), replace(result, faces=photo.in_original(result.faces))))
            return
    with VideoReader(path, run.every_s) as reader:  # a video, or a file of unknown kind that is no photo
        write_recording(path, reader, run, several)


def write_recording(path: Path, reader: VideoReader, run: Output, several: bool) -> None:
    """Analyse one recording as a lesson; its rows, and its report, even when it breaks off."""
    analysis = RecordedLesson(path.name, reader, run.files)
    progress = Progress(analysis)
    try:
        for result in analysis.frames():
            if not run.seats:
                run.writer.write(face_rows(str(path), result))
            progress.update(result.time_s)
        ended = analysis.lesson.latest_s if analysis.broke_off else reader.duration_s or analysis.lesson.latest_s
        progress.update(ended, final=True)
    except MediaError:
        progress.update(analysis.lesson.latest_s, final=True)
        raise
    finally:
        snapshot = analysis.lesson.snapshot()
        if run.seats:
            run.writer.write([{"source": str(path), **row} for row in seat_minutes(snapshot)])
        if run.report:
            target = report_path(run.report, path, several)
            target.write_text(report_html(snapshot), encoding="utf-8")
            print(f"wrote the report of {path.name} to {target}", file=sys.stderr)
    if analysis.broke_off:
        raise MediaError(f"{path}: {analysis.broke_off}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.every <= 0:
        print("error: --every must be > 0", file=sys.stderr)
        return 2
    try:
        model = read_model_files(args.model_dir)
        analyzer = FrameAnalyzer.from_model(model)
        # Run the model once before any file is read or any output opened: a model that loads but
        # cannot run stops here. (The runtime's notice on stderr is dropped where it is loaded.)
        analyzer.classifier.classify(np.zeros((1, *INPUT_SHAPE), np.float32))
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = args.output.open("w", newline="", encoding="utf-8") if args.output else sys.stdout
    writer = RowWriter(out, ("source", *SEAT_FIELDS) if args.seats else ROW_FIELDS, args.format)
    run = Output(writer, args.every, model, seats=args.seats, report=args.report)
    paths = list(expand(args.paths))
    several = sum(kind_of(p) != "image" for p in paths) > 1
    files = 0
    failed = 0
    try:
        for path in paths:
            try:
                analyze_file(analyzer, path, run, several)
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
