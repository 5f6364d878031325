"""Measure what a Heroku build of this app weighs against Heroku's 500 MB compressed slug limit.

The packages of requirements.txt are installed as Heroku's Python buildpack does (``pip install``,
byte-compiled) into a temporary folder; the slug is a gzipped tarball of them plus the
repository's tracked files (``git ls-files``). Heroku's Python runtime, also in the slug, is not
counted. Prints a table: files, size on disk and compressed per part, the total against the
limit, and the ten biggest installed distributions. Downloads the wheels from PyPI.

    python -m scripts.bench.deploy_size
    python -m scripts.bench.deploy_size --json deploy-size.json
    python -m scripts.bench.deploy_size --target /tmp/slug --skip-install   # measure an earlier install again
"""

from __future__ import annotations

import argparse
import gzip
import platform
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import distributions
from pathlib import Path

from scripts.training.common import ROOT, finish

SLUG_LIMIT_BYTES = 500 * 10**6  # Heroku's compressed slug limit (counted here in MB of 10^6 bytes)
MB = 10**6


class _Counter:
    """A write-only file that counts the bytes written to it, so the tarball never touches disk."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def install(target: Path, requirements: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            str(target),
            "-r",
            str(requirements),
        ],
        check=True,
    )


def measure(files: list[tuple[Path, str]]) -> dict:
    """Files, bytes on disk and gzipped tar bytes (level 6, as ``tar czf``) of ``(path, name in tar)``."""
    sink = _Counter()
    with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        for path, name in files:
            tar.add(path, arcname=name, recursive=False)
    return {"files": len(files), "bytes": sum(p.lstat().st_size for p, _ in files), "compressed_bytes": sink.bytes}


def tree(folder: Path, prefix: str) -> list[tuple[Path, str]]:
    paths = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return [(p, f"{prefix}/{p.relative_to(folder)}") for p in paths]


def tracked(root: Path) -> list[tuple[Path, str]]:
    names = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout
    return [(root / name, f"app/{name}") for name in names.splitlines() if (root / name).is_file()]


def biggest_distributions(target: Path, n: int) -> list[dict]:
    """The ``n`` installed distributions with the most bytes on disk (their RECORD files, .pyc included)."""
    sizes = []
    for dist in distributions(path=[str(target)]):
        paths = {target / f for f in dist.files or ()}
        size = sum(p.lstat().st_size for p in paths if p.exists() or p.is_symlink())
        sizes.append({"name": dist.metadata["Name"], "version": dist.version, "bytes": size})
    return sorted(sizes, key=lambda d: -d["bytes"])[:n]


def report(result: dict) -> str:
    rows = [f"{'part':<40} {'files':>7} {'on disk MB':>11} {'gzipped MB':>11}"]
    for name, part in result["parts"].items():
        rows.append(f"{name:<40} {part['files']:7d} {part['bytes'] / MB:11.1f} {part['compressed_bytes'] / MB:11.1f}")
    slug = result["slug_compressed_bytes"]
    rows.append(
        f"{'slug (Python runtime not counted)':<40} {'':>7} {result['slug_bytes'] / MB:11.1f} "
        f"{slug / MB:11.1f}  = {slug / SLUG_LIMIT_BYTES:.0%} of the {SLUG_LIMIT_BYTES // MB} MB limit"
    )
    rows.append("\nbiggest installed distributions (on disk MB)")
    rows += [f"  {d['name'] + ' ' + d['version']:<40} {d['bytes'] / MB:8.1f}" for d in result["biggest"]]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requirements", type=Path, default=ROOT / "requirements.txt")
    parser.add_argument("--target", type=Path, help="install here and keep it (default: a temporary folder)")
    parser.add_argument("--skip-install", action="store_true", help="measure --target as it is")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.skip_install and not args.target:
        parser.error("--skip-install needs --target")

    with tempfile.TemporaryDirectory(prefix="slug-") as scratch:
        target = args.target or Path(scratch)
        if not args.skip_install:
            install(target, args.requirements)
        parts = {
            "packages (pip install -r requirements)": measure(tree(target, "app/.heroku/python/site-packages")),
            "repository (git ls-files)": measure(tracked(ROOT)),
        }
        result = {
            "python": platform.python_version(),
            "requirements": str(args.requirements),
            "parts": parts,
            "slug_bytes": sum(p["bytes"] for p in parts.values()),
            "slug_compressed_bytes": sum(p["compressed_bytes"] for p in parts.values()),
            "slug_limit_bytes": SLUG_LIMIT_BYTES,
            "biggest": biggest_distributions(target, 10),
        }
    return finish(f"Python {result['python']}, {args.requirements.name}\n\n{report(result)}", result, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
