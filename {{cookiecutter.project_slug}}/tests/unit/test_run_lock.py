"""One run per project: a second is refused naming the first, and a killed run frees the lock;
outputs take their name only once whole."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.layout import atomic_output, write_json
from {{ cookiecutter.package_name }}.run_lock import LOCK_NAME, exclusive_run

from ..conftest import write_params

HOLD = (
    "import sys, time; from pathlib import Path; "
    "from {{ cookiecutter.package_name }}.run_lock import exclusive_run\n"
    "with exclusive_run(Path(sys.argv[1]), 'pipeline'):\n"
    "    print('held', flush=True); time.sleep(60)"
)


def _holder(root: Path) -> subprocess.Popen:
    """Another process running `pipeline` in the same project."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_is_refused_naming_the_first(tmp_path: Path) -> None:
    first = _holder(tmp_path)
    try:
        refusal = rf"pid {first.pid}, `pipeline`, since .*wait"
        with pytest.raises(PipelineError, match=refusal), exclusive_run(tmp_path, "train"):
            pytest.fail("two runs held the lock at once")
    finally:
        first.send_signal(signal.SIGKILL)  # as `kill -9` would: no cleanup runs
        first.wait()
    with exclusive_run(tmp_path, "train"):  # the kernel freed it with the process
        assert "`train`" in (tmp_path / LOCK_NAME).read_text(encoding="utf-8")
    with exclusive_run(tmp_path, "pipeline"):  # and it is free again after a clean exit
        pass


def test_the_same_run_may_not_nest(tmp_path: Path) -> None:
    """A stage that started a second run of its own project would be refused too."""
    with (
        exclusive_run(tmp_path, "pipeline"),
        pytest.raises(PipelineError, match="another run holds"),
        exclusive_run(tmp_path, "extract"),
    ):
        pass


def test_an_output_interrupted_midway_leaves_the_old_one(tmp_path: Path) -> None:
    target = write_json(tmp_path / "reports" / "metrics.json", {"score": 0.9})
    with pytest.raises(RuntimeError), atomic_output(target) as scratch:
        scratch.write_text('{"score": 0.', encoding="utf-8")  # half-written, then a crash
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == '{\n  "score": 0.9\n}\n'
    assert [path.name for path in target.parent.iterdir()] == ["metrics.json"]


def test_a_reader_sees_a_whole_file_while_it_is_rewritten(tmp_path: Path) -> None:
    target = write_json(tmp_path / "state.json", {"n": 0, "pad": "x" * 100_000})
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from {{ cookiecutter.package_name }}.layout import write_json\n"
         "for n in range(200): write_json(Path(sys.argv[1]), {'n': n, 'pad': 'x' * 100_000})",
         str(target)],
    )  # fmt: skip
    seen = 0
    while writer.poll() is None:
        json.loads(target.read_text(encoding="utf-8"))  # never a half-written file
        seen += 1
        time.sleep(0.001)
    assert writer.returncode == 0 and seen > 0


@pytest.mark.parametrize("command", [["pipeline"], ["train"]])
def test_the_cli_refuses_a_second_run_before_any_stage(tmp_path: Path, command) -> None:
    """As two `make pipeline` in one project: the second exits at once, the first's outputs
    untouched."""
    params = write_params(tmp_path)
    first = _holder(tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", *command, "--params", str(params)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"another run holds {tmp_path / LOCK_NAME} (pid {first.pid}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "artifacts").exists()
