"""The Ray executor on real local Ray instances: the same audio as the local executor, a killed engine
actor's work redone, errors from inside an actor as one line, no Ray process left behind.

Two instances: the one `render --executor ray` starts itself (the default), and one this module starts
that the CLI joins through RAY_ADDRESS (an existing cluster) and the in-process tests use.

Every Ray instance here is local, bound to loopback (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 makes Ray use
127.0.0.1 instead of the machine's network address, so no token is needed: RAY_AUTH_MODE=disabled) and
sized to 2 CPUs: two engine actors.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from pipeline.config import Config
from pipeline.errors import EngineError
from pipeline.ffmpeg import decode_pcm
from tests.conftest import run_cli
from tests.epubs import STORY, story_book, write_epub

RENDER = str(Path(sys.executable).with_name("render"))
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
ACTOR_TITLE = "ray::EngineActor"
RUN_TIMEOUT_S = 300


def _ray_env(address: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # never an outside cluster
    return {**env, **LOOPBACK, **({"RAY_ADDRESS": address} if address else {})}


def _pcm(out: Path) -> dict[str, np.ndarray]:
    """Decoded audio of every chapter file of every book under `out`, by path relative to `out`."""
    return {str(p.relative_to(out)): decode_pcm(str(p))[0] for p in sorted(out.glob("*/*.mp3"))}


@pytest.fixture(scope="module")
def shelf(tmp_path_factory) -> Path:
    """Two small books with different text (so the second does not come from the first one's cache)."""
    d = tmp_path_factory.mktemp("shelf")
    story_book(d / "ferryman.epub", chapters=2)
    write_epub(
        d / "baker.epub",
        [
            (
                f"Part {i}: Loaves",
                [f"{p} The baker counted {i * 5 + j} loaves." for j, p in enumerate(reversed(STORY))],
            )
            for i in range(1, 3)
        ],
        title="The Baker's Year",
    )
    return d


@pytest.fixture(scope="module")
def local_pcm(shelf, tmp_path_factory) -> dict[str, np.ndarray]:
    out = tmp_path_factory.mktemp("local")
    proc = run_cli(
        str(shelf),
        "--out",
        str(out / "out"),
        "--engine",
        "hibari",
        "--quiet",
        "--cache-dir",
        str(out / "cache"),
    )
    assert proc.returncode == 0, proc.stderr
    pcm = _pcm(out / "out")
    assert len(pcm) == 4
    return pcm


def _title(p: psutil.Process) -> str:
    """The command line, or the title a Ray worker gives itself ("ray::EngineActor.render")."""
    try:
        return " ".join(p.cmdline()).strip()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return ""


def _descendants(
    proc: subprocess.Popen, seen: dict[int, psutil.Process], titles: dict[int, set[str]]
) -> list[tuple[psutil.Process, str]]:
    """The process tree under `proc` now, as (process, title); `seen` and `titles` collect every one seen."""
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    now = []
    for k in kids:
        seen.setdefault(k.pid, k)
        title = _title(k)
        titles.setdefault(k.pid, set()).add(title)
        now.append((k, title))
    return now


def _render_on_ray(shelf: Path, out: Path, cache: Path, on_tick=None, address: str | None = None):
    """`render SHELF --out OUT --executor ray` as a user types it (the CLI starts its own local Ray instance,
    or joins the one at `address` through RAY_ADDRESS), watching the process tree: `on_tick([(process,
    title)])` every 50 ms while it runs. Returns (the completed process, every descendant process seen,
    their titles by pid)."""
    args = [
        RENDER,
        str(shelf),
        "--out",
        str(out),
        "--engine",
        "hibari",
        "--quiet",
        "--cache-dir",
        str(cache),
        "--executor",
        "ray",
    ]
    seen: dict[int, psutil.Process] = {}
    titles: dict[int, set[str]] = {}
    for _ in range(
        2
    ):  # Ray's own 30 s start-up limit, met on an overloaded machine before any work: once more
        proc = _run_watched(args, address, on_tick, seen, titles)
        if not (proc.returncode == 7 and "could not start a local Ray instance" in proc.stderr):
            break
    return proc, seen, titles


def _run_watched(args, address, on_tick, seen, titles) -> subprocess.CompletedProcess:
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ray_env(address)
    ) as proc:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        try:
            while proc.poll() is None:
                kids = _descendants(proc, seen, titles)
                if on_tick is not None:
                    on_tick(kids)
                if time.monotonic() > deadline:
                    raise AssertionError(f"render --executor ray did not finish in {RUN_TIMEOUT_S} s")
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
            stdout, stderr = proc.communicate()
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _assert_no_ray_left(seen: dict[int, psutil.Process]) -> None:
    assert seen, "the render started no Ray processes"
    deadline = time.monotonic() + 20
    alive = list(seen.values())
    while time.monotonic() < deadline:
        alive = [p for p in seen.values() if _alive(p)]
        if not alive:
            return
        time.sleep(0.2)
    raise AssertionError(f"Ray processes left behind: {[(p.pid, _title(p)[:60]) for p in alive]}")


def test_killed_engine_actor_is_restarted_and_the_shelf_completes(shelf, local_pcm, tmp_path):
    """The default: `render --executor ray` starts a local Ray instance and shuts it down at the end."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    state: dict = {"killed": None, "actors_before": set(), "actors_after": set()}

    def kill_a_busy_actor(kids):
        actors = {k.pid for k, title in kids if title.startswith(ACTOR_TITLE)}
        if state["killed"] is not None:
            state["actors_after"] |= actors
            return
        state["actors_before"] |= actors
        if not any(cache.glob("??/*.npz")):
            return  # no segment rendered yet: the actors are still starting
        busy = [k for k, title in kids if title.startswith(f"{ACTOR_TITLE}.render")]
        if busy:
            os.kill(busy[0].pid, signal.SIGKILL)
            state["killed"] = busy[0].pid
            state["chapters_at_kill"] = len(list(out.glob("*/*.mp3")))

    proc, seen, _ = _render_on_ray(shelf, out, cache, on_tick=kill_a_busy_actor)
    assert state["killed"] is not None, "the shelf finished before an engine actor could be killed"
    assert state["chapters_at_kill"] < len(local_pcm), "the kill came after every chapter was written"
    assert proc.returncode == 0, proc.stderr
    assert len(state["actors_before"]) == 2, "one engine actor per CPU of the 2-CPU local instance"
    assert state["actors_after"] - state["actors_before"], "the killed engine actor was not restarted"
    assert json.loads((out / "corpus.json").read_text())["done"] == 2
    got = _pcm(out)
    assert got.keys() == local_pcm.keys()
    for name, audio in local_pcm.items():
        assert np.array_equal(got[name], audio), name
    _assert_no_ray_left(seen)


@pytest.fixture(scope="module")
def ray_instance():
    """A local Ray instance started here, as a cluster that exists before the render: (ray, its address).
    Shut down after the module's tests, and checked to leave no process behind."""
    saved = {k: os.environ.get(k) for k in (*LOOPBACK, "RAY_ADDRESS")}
    os.environ.update(LOOPBACK)
    os.environ.pop("RAY_ADDRESS", None)
    import ray

    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    except Exception as e:  # Ray's 30 s start-up limit on an overloaded machine: once more
        if "timed out during startup" not in str(e):
            raise
        ray.shutdown()
        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    seen = {p.pid: p for p in psutil.Process().children(recursive=True)}
    try:
        yield ray, ray.get_runtime_context().gcs_address
    finally:
        seen.update({p.pid: p for p in psutil.Process().children(recursive=True)})
        ray.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    _assert_no_ray_left(seen)


def test_ray_shelf_on_an_existing_cluster_equals_local_executor(ray_instance, shelf, local_pcm, tmp_path):
    """RAY_ADDRESS=... render SHELF --out OUT --executor ray: the CLI joins the cluster, renders the same
    audio as the local executor, and takes its actors away again, leaving the cluster up."""
    ray, address = ray_instance
    proc, _, _titles = _render_on_ray(shelf, tmp_path / "out", tmp_path / "cache", address=address)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "corpus.json").read_text())["done"] == 2
    got = _pcm(tmp_path / "out")
    assert got.keys() == local_pcm.keys()
    for name, audio in local_pcm.items():
        assert np.array_equal(got[name], audio), name
    assert ray.cluster_resources().get("CPU") == 2, "the render must not shut down a cluster it joined"
    deadline = time.monotonic() + 20
    while left := [p for p in psutil.Process().children(recursive=True) if _title(p).startswith(ACTOR_TITLE)]:
        assert time.monotonic() < deadline, f"engine actors left on the cluster: {[p.pid for p in left]}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def local_render(shelf):
    """(config, two chapters' segments, the local Worker after rendering them, its results)."""
    from pipeline.executors import SynthesisWorker, make_worker
    from pipeline.plan import plan_book

    cfg = Config()
    cfg.engine.name = "hibari"
    plan = plan_book(shelf / "ferryman.epub", cfg, "1-2")
    segments = [s for c in plan.chapters for s in plan.segments[c.index]]
    local = make_worker(cfg, None, None, on_done=None)
    assert isinstance(local, SynthesisWorker)
    return cfg, segments, local, local.render(segments)


def _two_free_cpus(ray) -> None:
    """RayWorker sizes its pool to the free CPUs; a closed worker's actors free theirs asynchronously."""
    deadline = time.monotonic() + 30
    while ray.available_resources().get("CPU", 0) < 2:
        assert time.monotonic() < deadline, f"CPUs still held: {ray.available_resources()}"
        time.sleep(0.2)


def _assert_same_audio(got, expected) -> None:
    assert [r.segment for r in got] == [r.segment for r in expected]
    for g, e in zip(got, expected, strict=True):
        assert np.array_equal(g.audio, e.audio) and (g.seed, g.attempts) == (e.seed, e.attempts), g.segment.id


def test_ray_worker_matches_local_worker_segment_by_segment(ray_instance, local_render):
    from pipeline.executors import make_worker
    from pipeline.executors.ray_executor import RayWorker

    cfg, segments, local, expected = local_render
    cfg = cfg.model_copy(deep=True)
    cfg.run.executor = "ray"
    done = []
    _two_free_cpus(ray_instance[0])
    worker = make_worker(cfg, None, None, on_done=done.append)
    try:
        assert isinstance(worker, RayWorker)
        assert worker.identity == local.identity and worker.describe() == local.describe()
        got = worker.render(segments)
    finally:
        worker.close()
    assert ray_instance[0].is_initialized(), "a RayWorker must not shut down a Ray connection it did not open"
    _assert_same_audio(got, expected)
    assert sorted(r.segment.id for r in done) == sorted(s.id for s in segments)
    assert (worker.stats.rendered, worker.stats.failed) == (local.stats.rendered, local.stats.failed)
    assert worker.stats.audio_s == pytest.approx(local.stats.audio_s)
    assert worker.history.keys() == local.history.keys()


def test_a_batch_whose_actor_is_gone_for_good_goes_to_another(ray_instance, local_render, caplog):
    from pipeline.executors import SynthesisWorker
    from pipeline.executors.ray_executor import RayWorker

    ray, _ = ray_instance
    cfg, segments, _, expected = local_render
    _two_free_cpus(ray)
    worker = RayWorker(cfg, None)
    try:
        assert isinstance(worker, SynthesisWorker)
        assert len(worker._actors) == 2
        ray.kill(worker._actors[0], no_restart=True)  # beyond what Ray restarts
        _assert_same_audio(worker.render(segments), expected)
        assert "lost a batch" in caplog.text
        ray.kill(worker._actors[1], no_restart=True)
        with pytest.raises(EngineError, match="every Ray engine actor died"):
            worker.render(segments)
    finally:
        worker.close()


def test_engine_error_inside_an_actor_reaches_the_driver_as_itself(ray_instance):
    from pipeline.executors.ray_executor import RayWorker

    cfg = Config()
    cfg.engine.name = "hibari"
    cfg.engine.voice = "no-such-voice"
    with pytest.raises(EngineError, match="unknown hibari voice 'no-such-voice'"):
        RayWorker(cfg, None)


def test_a_ray_address_where_nothing_listens_fails_in_seconds(shelf, tmp_path):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    proc = run_cli(
        str(shelf),
        "--out",
        str(tmp_path / "out"),
        "--engine",
        "hibari",
        "--quiet",
        "--executor",
        "ray",
        "--ray-address",
        f"127.0.0.1:{port}",
        env=LOOPBACK,
        timeout=120,
    )
    assert proc.returncode == 7, proc.stderr
    assert f"nothing answers at the Ray address 127.0.0.1:{port}" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert time.monotonic() - t0 < 60


def test_missing_ray_says_how_to_install_it(monkeypatch):
    from pipeline.executors.ray_executor import RayWorker

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    with pytest.raises(EngineError, match=r"pip install -e '\.\[ray\]'"):
        RayWorker(Config(), None)
