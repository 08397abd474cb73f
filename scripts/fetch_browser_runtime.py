"""Fetch ONNX Runtime Web (the npm package ``onnxruntime-web``, MIT) into the demo, so the webcam page can run the
model in the viewer's browser with no CDN: the page loads these files from the demo server itself.

    python scripts/fetch_browser_runtime.py          # scripts/setup.sh runs it

Only the three files the page loads are kept (the WebAssembly build with SIMD and threads: about 12 MB), with the
package's license, in ``demo/browser_runtime/`` (git-ignored; a wheel built afterwards carries them). They are
fetched at build time rather than committed because the repository keeps one large file only, the bundled model.
The version and the tarball's SHA-512 are pinned; anything else is refused. Without these files the demo works as
before, running the webcam's model on the server.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "1.23.2"
INTEGRITY = "sha512-T09JUtMn+CZLk3mFwqiH0lgQf+4S7+oYHHtk6uhaYAAJI95bTcKi5bOOZYwORXfS/RLZCjDDEXGWIuOCAFlEjg=="
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
TARGET = Path(__file__).resolve().parents[1] / "demo" / "browser_runtime"
LICENSE = f"""onnxruntime-web {VERSION} (https://www.npmjs.com/package/onnxruntime-web), files {', '.join(FILES)}
from its dist/ folder, unchanged.

MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of
the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def registry() -> str:
    """The npm registry this machine uses (npm's own setting where npm is installed)."""
    if os.environ.get("NPM_CONFIG_REGISTRY"):
        return os.environ["NPM_CONFIG_REGISTRY"].rstrip("/")
    try:
        found = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, timeout=30)
        if found.returncode == 0 and found.stdout.strip().startswith("http"):
            return found.stdout.strip().rstrip("/")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "https://registry.npmjs.org"


def verified_tarball(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:
        data = answer.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        sys.exit(f"{url}: checksum {digest[:30]}... is not the pinned {INTEGRITY[:30]}...; refusing it")
    return data


def installed(target: Path = TARGET) -> bool:
    """Whether the pinned version's files are already in place."""
    return (target / "VERSION").is_file() and (target / "VERSION").read_text().strip() == VERSION and all(
        (target / name).is_file() for name in FILES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, default=TARGET, help="where the files go (default: %(default)s)")
    parser.add_argument("--tarball", help="a local onnxruntime-web-VERSION.tgz instead of the registry's")
    args = parser.parse_args()
    if installed(args.target):
        print(f"onnxruntime-web {VERSION} is already in {args.target}")
        return 0
    source = args.tarball or f"{registry()}/onnxruntime-web/-/onnxruntime-web-{VERSION}.tgz"
    data = verified_tarball(Path(source).resolve().as_uri() if args.tarball else source)
    args.target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in FILES:
            member = archive.extractfile(f"package/dist/{name}")
            (args.target / name).write_bytes(member.read())
        meta = json.load(archive.extractfile("package/package.json"))
    if meta.get("license") != "MIT" or meta.get("version") != VERSION:
        sys.exit(f"unexpected package metadata: {meta.get('name')} {meta.get('version')} {meta.get('license')}")
    (args.target / "LICENSE").write_text(LICENSE)
    (args.target / "VERSION").write_text(VERSION + "\n")
    size = sum((args.target / name).stat().st_size for name in FILES)
    print(f"onnxruntime-web {VERSION}: {len(FILES)} files, {size / 2**20:.1f} MiB in {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
