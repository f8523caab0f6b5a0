"""A real container toolchain for the release tests: podman, skopeo and a registry on loopback.

Everything runs for real: podman builds the bento's image, pushes it to a `docker-registry`
(Debian's build of the CNCF distribution registry) listening on 127.0.0.1, skopeo tags it by
digest, and podman runs it for the smoke test. The one stand-in is the base image: no public
registry is reachable here, so Docker Hub's `python:X.Y-slim`, which BentoML's Dockerfile starts
from, is replaced by a Debian root filesystem made with debootstrap (with uv and this machine's
CA bundle, as the real image has pip and the build needs the proxy's certificates). It lives
only in the tests' own image store under build/containers/, never in the machine's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ci.bake import TEMPLATE_ROOT
from ci.servers import free_port, running

TOOLS = ("podman", "skopeo", "runc", "docker-registry", "debootstrap")
CACHE = TEMPLATE_ROOT / "build" / "containers"
SUITE = "bookworm"  # Debian 12: its python3.11 matches the baked projects' default
MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _run(command: list[str], env: dict[str, str] | None = None, **kwargs: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{done.stdout}\n{done.stderr}")


def container_env(registry: str) -> dict[str, str]:
    """Settings that keep podman and skopeo in build/containers/ and trust only our registry."""
    conf = CACHE / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n', encoding="utf-8"
    )
    (conf / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{CACHE / "storage"}"\n'
        f'runroot = "{CACHE / "run"}"\n',
        encoding="utf-8",
    )
    (conf / "registries.conf").write_text(
        f'unqualified-search-registries = ["docker.io"]\n\n[[registry]]\nlocation = "{registry}"\n'
        "insecure = true\n",
        encoding="utf-8",
    )
    return {
        "CONTAINERS_CONF": str(conf / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(conf / "storage.conf"),
        "CONTAINERS_REGISTRIES_CONF": str(conf / "registries.conf"),
    }


def base_image(python_version: str, uv: Path, env: dict[str, str]) -> str:
    """Import the stand-in for `python:<version>-slim` into the tests' store (cached)."""
    name = f"docker.io/library/python:{python_version}-slim"
    full_env = {**os.environ, **env}
    if subprocess.run(["podman", "image", "exists", name], env=full_env).returncode == 0:
        return name
    rootfs = CACHE / f"rootfs-{SUITE}"
    if not (rootfs / ".complete").is_file():
        shutil.rmtree(rootfs, ignore_errors=True)
        packages = f"--include=python{python_version},ca-certificates"
        _run(["debootstrap", "--variant=minbase", packages, SUITE, str(rootfs), MIRROR],
             timeout=1200)  # fmt: skip
        (rootfs / ".complete").touch()
    shutil.copyfile(CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    shutil.copyfile(uv, rootfs / "usr/local/bin/uv")
    (rootfs / "usr/local/bin/uv").chmod(0o755)
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--exclude=./.complete", "-c", "."], stdout=subprocess.PIPE
    )
    _run(["podman", "import", "--change", f"ENV SSL_CERT_FILE={CA_BUNDLE}",
          "--change", f'CMD ["python{python_version}"]', "-", name],
         env=full_env, stdin=tar.stdout, timeout=600)  # fmt: skip
    if tar.wait() != 0:
        raise RuntimeError(f"tar of {rootfs} failed with {tar.returncode}")
    return name


@contextmanager
def local_registry(root: Path) -> Iterator[str]:
    """An image registry on loopback for the duration of the block; yields `127.0.0.1:<port>`."""
    address = f"127.0.0.1:{free_port()}"
    config = root / "registry.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: {address}\n",
        encoding="utf-8",
    )
    command = ["docker-registry", "serve", str(config)]
    with running(command, f"http://{address}/v2/", root / "registry.log", 10):
        yield address
