"""``portraitseg batch``: segment a photo collection on Ray Data, locally or on a cluster, resumable.

The driver lists the inputs, names the outputs as ``predict`` names them and leaves out those already written;
actors (:class:`portraitseg.ray.SegmentFiles`, the model loaded once each) read, segment and write; only small
manifest rows travel back, streamed into ``manifest.parquet`` with a progress bar.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from portraitseg.errors import PortraitsegError
from portraitseg.outputs import output_names, output_suffix
from portraitseg.ray import MANIFEST_COLUMNS
from portraitseg.storage import folder_and_name, is_uri, list_inputs, make_folder, names_in

MANIFEST_NAME = "manifest.parquet"
# where the Ray driver's native log lines go unless portraitseg logs at debug level (-v)
RAY_DRIVER_LOG = str(Path(tempfile.gettempdir()) / "ray" / "portraitseg-batch-driver.log")


@dataclass
class BatchJob:
    """One ``portraitseg batch`` run. ``effect`` holds :class:`portraitseg.ray.Segment`'s options (output kind,
    threshold, softness, blur, color, background, edges, device, threads, precision, quality); ``format`` the
    output files' (:func:`portraitseg.outputs.output_suffix`)."""

    inputs: list[str]
    output: str
    effect: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    actors: int | None = None
    batch_size: int = 4
    address: str | None = None
    progress: bool = True
    format: str = "auto"

    @property
    def kind(self) -> str:
        return self.effect.get("output", "mask")


def plan(sources: list[str], output: str, kind: str, fmt: str = "auto",
         foreign=lambda location: False) -> list[tuple[str, str]]:
    """(source, target) per input, targets named (and so encoded) as ``portraitseg predict`` names them; a name
    holding a file ``foreign`` says this job did not write is passed over, as predict passes over a user's file."""
    out = output.rstrip("/") or "/"
    names = output_names([PurePosixPath(s) for s in sources], PurePosixPath(out), kind,
                         foreign=lambda p: foreign(f"{out}/{p.name}"), suffix=lambda p: output_suffix(kind, p, fmt))
    return [(source, f"{out}/{name.name}") for source, name in zip(sources, names)]


def manifest_schema():
    import pyarrow as pa

    types = {"width": pa.int32(), "height": pa.int32(), "bytes": pa.int64(), "person_share": pa.float64(),
             "seconds": pa.float64()}
    return pa.schema([(name, types.get(name, pa.string())) for name in MANIFEST_COLUMNS])


def _earlier_rows(output: str) -> dict[str, dict]:
    """The rows of an earlier run's manifest, by output location (empty when there is none or it is unreadable)."""
    import pyarrow.parquet as pq

    from portraitseg.storage import exists, read_bytes

    location = f"{output.rstrip('/')}/{MANIFEST_NAME}"
    if not exists(location):
        return {}
    try:
        table = pq.read_table(io.BytesIO(read_bytes(location)))
    except Exception:  # a manifest cut short by a crash: the outputs themselves say what is done
        return {}
    return {row["output"]: row for row in table.to_pylist() if row.get("output")}


def _kept_row(source: str, target: str, earlier: dict[str, dict]) -> dict:
    row = dict(earlier.get(target) or {})
    base = {name: None for name in MANIFEST_COLUMNS}
    return {**base, **{k: v for k, v in row.items() if k in base}, "input": source, "output": target,
            "status": "kept", "seconds": 0.0}


def _foreign_test(output: str, existing: set[str], earlier: dict[str, dict]):
    """Which files in the output folder this job may count as its own: those an earlier run's manifest lists, and
    locally those carrying portraitseg's mark (outputs of a run stopped before its manifest was written). Anything
    else there (a user's ``other.png``) is foreign: never kept in place of an output, never replaced."""
    from portraitseg.outputs import not_ours

    def foreign(location: str) -> bool:
        taken = folder_and_name(location)[1] in existing and location not in earlier
        return taken and (is_uri(location) or not_ours(Path(location)))

    return foreign


def start_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address`` (or ``$RAY_ADDRESS``), else start a local Ray without its dashboard. Ray's
    own messages (its notices, its C++ workers' log lines) stay in its log folder (:func:`ray_logs_folder`) unless
    portraitseg logs at debug level (``portraitseg -v``)."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    verbose = _verbose()
    quiet = {"logging_level": logging.INFO if verbose else logging.ERROR, "log_to_driver": verbose}
    if address:
        ray.init(address=address, **quiet)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **quiet)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)


@contextlib.contextmanager
def native_stderr_into(path: Path):
    """Meanwhile, what native code writes to the process's stderr (the driver's Ray C++ log lines) goes to
    ``path``; Python's ``sys.stderr`` (progress bar, messages) keeps the terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as log, os.fdopen(os.dup(saved), "w", buffering=1) as terminal:
        os.dup2(log.fileno(), 2)
        python_stderr, sys.stderr = sys.stderr, terminal
        try:
            yield
        finally:
            sys.stderr = python_stderr
            os.dup2(saved, 2)
            os.close(saved)


def _verbose() -> bool:
    """Whether portraitseg logs at debug level (``portraitseg -v``): then Ray's own messages reach the terminal."""
    return logging.getLogger("portraitseg").isEnabledFor(logging.DEBUG)


def ray_logs_folder() -> str:
    """Where this Ray session writes its logs (on the node running the command)."""
    import ray

    node = getattr(ray._private.worker, "_global_node", None)  # no public API names the folder
    return node.get_logs_dir_path() if node is not None else "the log folder of Ray's latest session"


def default_actors(threads: int, device: str) -> int:
    """One actor per GPU of the cluster where actors take a GPU, else one per ``threads`` CPUs."""
    import ray

    from portraitseg.api import wants_cuda

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    return max(1, gpus if gpus and wants_cuda(device) else int(resources.get("CPU", 1)) // max(1, threads))


def _worker_options(job: BatchJob) -> dict[str, Any]:
    """The actors' Segment options, a background image decoded here once (so workers need no access to it)."""
    options = dict(job.effect)
    background = options.get("background")
    if isinstance(background, str):
        from portraitseg.image_io import WORKING_MAX_PIXELS, read_image, read_image_bytes
        from portraitseg.storage import read_input

        options["background"] = read_image_bytes(read_input(background), background, WORKING_MAX_PIXELS) \
            if is_uri(background) else read_image(background, max_pixels=WORKING_MAX_PIXELS)
    return options


def _segment_on_ray(job: BatchJob, todo: list[tuple[str, str]], options: dict[str, Any]):
    """Stream the manifest rows of ``todo`` (pyarrow tables) from SegmentFiles actors; returns (actors, batches)."""
    import ray

    from portraitseg.ray import Segment, SegmentFiles

    start_ray(job.address)
    threads, device = options.get("threads") or 1, options.get("device", "auto")
    actors = job.actors or default_actors(threads, device)
    dataset = ray.data.from_items([{"source": s, "target": t} for s, t in todo]).map_batches(
        SegmentFiles, fn_constructor_kwargs={"model": job.model, **options}, batch_size=job.batch_size,
        compute=ray.data.ActorPoolStrategy(size=actors), **Segment.resources(device, threads))
    return actors, dataset.iter_batches(batch_size=None, batch_format="pyarrow")


def run(job: BatchJob) -> dict[str, int]:
    """Run the job; returns the counts of written, kept and failed images."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from portraitseg.api import load
    from portraitseg.storage import is_folder, move, open_temporary, remove

    output = job.output if is_uri(job.output) else str(Path(job.output).expanduser().resolve())
    manifest = f"{output}/{MANIFEST_NAME}"
    if is_folder(manifest):
        raise PortraitsegError(f"{manifest} is a folder: the manifest is written there; move it away")
    earlier = _earlier_rows(output)
    sources = [path for spec in job.inputs for path in list_inputs(spec) if path not in earlier]  # not our outputs
    if not sources:
        raise PortraitsegError(f"no images found in {' '.join(job.inputs)}")
    options = _worker_options(job)
    load(job.model, device="cpu", threads=1, precision=options.get("precision", "auto"))  # a bad model fails here
    make_folder(output)
    existing = names_in(output)
    pairs = plan(sources, output, job.kind, job.format, foreign=_foreign_test(output, existing, earlier))
    todo = [(s, t) for s, t in pairs if folder_and_name(t)[1] not in existing]
    kept = [_kept_row(s, t, earlier) for s, t in pairs if folder_and_name(t)[1] in existing]
    counts = {"written": 0, "kept": len(kept), "failed": 0}
    schema = manifest_schema()
    sink, partial = open_temporary(manifest)
    try:
        with sink, pq.ParquetWriter(sink, schema) as writer:
            if kept:
                writer.write_table(pa.Table.from_pylist(kept, schema=schema))
            if todo:
                _write_results(job, todo, options, writer, counts)
        move(partial, manifest)
    except BaseException:
        remove(partial)  # an interrupted manifest is never read: the outputs themselves say what is done
        raise
    return counts


def _write_results(job: BatchJob, todo: list[tuple[str, str]], options: dict[str, Any], writer,
                   counts: dict[str, int]) -> None:
    """Segment ``todo`` on Ray, writing each batch's manifest rows as they arrive and counting their statuses."""
    from tqdm.auto import tqdm

    quiet = contextlib.nullcontext() if _verbose() else native_stderr_into(Path(RAY_DRIVER_LOG))
    with quiet:
        actors, batches = _segment_on_ray(job, todo, options)
        with tqdm(total=len(todo), desc=f"batch ({actors} actors)", unit="img", disable=not job.progress) as bar:
            for batch in batches:
                table = batch.select(list(MANIFEST_COLUMNS)).cast(writer.schema)
                writer.write_table(table)
                for status in table.column("status").to_pylist():
                    counts[status] += 1
                bar.update(table.num_rows)
