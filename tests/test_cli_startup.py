"""The command line starts light: ``--help`` and the core commands import none of the heavy layers.

Speed itself is measured in ``bench/startup.py``; here the test checks what is imported, which is what the
speed comes from, and that the lazily loaded commands are listed exactly as if they were loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from annotate import cli as cli_module
from annotate.cli import cli, main

HEAVY = ("pandas", "pyarrow", "annotate.export", "annotate.maps", "annotate.render", "cv2", "streamlit")
# Nor does help need the store, the queue, the password hasher, the media layer or the model (20 ms).
HELP_HEAVY = HEAVY + ("sqlalchemy", "huey", "redis", "argon2", "av", "numpy", "annotate.model")

PROBE = """
import json, sys
from annotate.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list", "--help"], ["info", "--help"]])
def test_help_and_core_commands_import_no_heavy_layer(args):
    code, modules = _imported(*args)
    assert code == 0
    loaded = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HELP_HEAVY))
    assert loaded == [], f"annotate {' '.join(args)} imported {loaded[:8]}"


def test_a_lazy_command_loads_when_it_is_run():
    code, modules = _imported("map", "--help")
    assert code == 0 and "annotate.maps" in modules


@pytest.mark.parametrize("limit", [30, 45, 60, 200])
def test_lazy_commands_are_listed_with_their_own_help_line(limit):
    ctx = click.Context(cli)
    for name, (_, line) in cli_module.LAZY_COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        assert click.Command(name, help=line).get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_every_command_is_listed_in_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("add", "clip", "export", "flow", "import", "info", "list", "map", "metrics", "reel", "render", "serve"):
        assert f"\n  {name} " in out, name


def test_info_on_a_video_loads_the_probe_only(tmp_path):
    from annotate.testing import make_clip

    clip = make_clip(tmp_path / "call.mp4", n_frames=10, audio=False)
    code, modules = _imported("info", str(clip))
    assert code == 0
    unneeded = (*HEAVY, "annotate.media.proxy", "annotate.model", "sqlalchemy")
    loaded = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in unneeded))
    assert loaded == [], f"annotate info imported {loaded[:8]}"
