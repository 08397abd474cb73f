"""The local OpenCV loop: a camera or a video file through the model, with the demo's effects and smoothing."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from portraitseg.atomic import check_replaceable, plain_permissions, same_file, writable_path
from portraitseg.demo.processing import StreamState, process_frame
from portraitseg.effects import VIEW_SOFTNESS, Effect
from portraitseg.errors import PortraitsegError
from portraitseg.segmenter import Segmenter
from portraitseg.temporal import TemporalSmoother

WINDOW = "portraitseg (q quits)"


def open_source(source: str) -> cv2.VideoCapture:
    """A camera index ("0") or a video file. OpenCV's own warnings while it tries its camera back ends are kept
    quiet: the error below says what failed."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        capture = cv2.VideoCapture(int(source)) if source.isdigit() else cv2.VideoCapture(str(source))
    finally:
        cv2.utils.logging.setLogLevel(level)
    if not capture.isOpened():
        what = f"camera {source}" if source.isdigit() else f"video file {source}"
        raise PortraitsegError(f"cannot open {what}" + ("" if source.isdigit() or Path(source).exists()
                                                         else " (no such file)"))
    if source.isdigit():
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, 640)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, 480)
    return capture


def window_supported() -> bool:
    """Whether OpenCV can open a window here: not with opencv-python-headless (the package's dependency, as
    servers and CI have no GUI libraries) nor without a display."""
    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE)
    except cv2.error:
        return False
    cv2.destroyWindow(WINDOW)
    return True


def check_window_support() -> None:
    if not window_supported():
        raise PortraitsegError("this OpenCV build cannot open windows (opencv-python-headless, or no display): "
                               "use --no-window [--output OUT.mp4], or 'portraitseg demo' for the live webcam in a "
                               "browser")


def draw_fps(frame: np.ndarray, state: StreamState) -> None:
    text = f"{state.fps():.1f} fps  {np.median(state.latencies):.0f} ms"
    cv2.putText(frame, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(frame, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA)


def run_webcam(segmenter: Segmenter, source: str = "0", effect: Effect | None = None, output: str | None = None,
               show: bool = True, mirror: bool | None = None, smoother: TemporalSmoother | None = None,
               fps_overlay: bool = True, max_frames: int | None = None) -> int:
    """Process frames until the source ends, ``q`` is pressed or ``max_frames``; returns the frames written/shown.
    Cameras are mirrored by default (a mirror is what people expect to see), files are not."""
    effect = effect or Effect("blur", softness=VIEW_SOFTNESS)
    mirror = source.isdigit() if mirror is None else mirror
    if output:
        check_video_output(source, Path(output))
    if show:
        check_window_support()
    capture = open_source(source)
    fps_in = capture.get(cv2.CAP_PROP_FPS) or 30.0
    recording = Recording(Path(output), fps_in) if output else None
    state = StreamState(smoother or TemporalSmoother())
    try:
        while max_frames is None or state.frames < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(cv2.flip(bgr, 1) if mirror else bgr, cv2.COLOR_BGR2RGB)
            out = cv2.cvtColor(process_frame(rgb, segmenter, effect, state), cv2.COLOR_RGB2BGR)
            if out.ndim == 2:
                out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
            if fps_overlay:
                draw_fps(out, state)
            if recording:
                recording.write(out)
            if show:
                cv2.imshow(WINDOW, out)
                if cv2.waitKey(1) & 0xFF == ord("q"):
                    break
    except KeyboardInterrupt:  # Ctrl-C ends a recording as q does: what was recorded is kept
        pass
    except BaseException:
        if recording:
            recording.discard()
        raise
    finally:
        capture.release()
        if show:
            cv2.destroyAllWindows()
    if recording:
        recording.finish()
    return state.frames


VIDEO_SIGNATURES = ((4, b"ftyp"), (0, b"RIFF"), (0, b"\x1a\x45\xdf\xa3"))  # MP4/MOV, AVI, Matroska/WebM


def video_problem(path: Path) -> str | None:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return None if any(head[at:at + len(sig)] == sig for at, sig in VIDEO_SIGNATURES) else "it is not a video file"


def check_video_output(source: str, output: Path) -> None:
    """An output is never the source, nor a file other than a video (a photo, a document): checked before a frame
    is read."""
    if same_file(source, output):
        raise PortraitsegError(f"the output {output} is the source video itself; write the result to another file")
    check_replaceable(writable_path(output), "--output", video_problem, "video")


class Recording:
    """The output video, written beside its target under a temporary name and moved onto it when it ends, so an
    earlier video there is replaced only by a whole one."""

    def __init__(self, output: Path, fps: float):
        self.output, self.fps, self.writer = output, fps, None
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=output.suffix or ".mp4")
        os.close(fd)
        self.partial = Path(name)

    def write(self, frame: np.ndarray) -> None:
        if self.writer is None:
            self.writer = cv2.VideoWriter(str(self.partial), cv2.VideoWriter_fourcc(*"mp4v"), self.fps,
                                          (frame.shape[1], frame.shape[0]))
            if not self.writer.isOpened():
                self.discard()
                raise PortraitsegError(f"cannot write video {self.output}")
        self.writer.write(frame)

    def finish(self) -> None:
        """Move the video onto its name; with no frame written, nothing is (the name is left as it was)."""
        if self.writer is None:
            self.discard()
            return
        self.writer.release()
        plain_permissions(self.partial)  # as every other output: not mkstemp's 0600
        os.replace(self.partial, self.output)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.release()
        self.partial.unlink(missing_ok=True)


def summary(frames: int, started: float) -> str:
    seconds = time.perf_counter() - started
    return f"{frames} frames in {seconds:.1f} s ({frames / max(seconds, 1e-9):.1f} frames/s)"
