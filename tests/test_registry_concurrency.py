"""Activations are serialised: promotions and rollbacks from several processes at once leave
``ACTIVE`` naming a valid model that is the activation log's last entry, one well-formed log
entry per operation, and every rollback going back from the model that was active when it ran.

The registry's reads and writes are slowed down (random pauses after writing ACTIVE and after
reading the log) so that, without the activation lock, operations interleave on nearly every
run."""

import json
import multiprocessing
import random
import time

import pytest

import training.registry as registry
from tests.factories import clone_model

WORKERS = 4
OPERATIONS = 5  # per worker: 20 in all, promotions and rollbacks interleaved


def slowed(function, pause: float):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(random.uniform(0, pause))
        return result

    return wrapper


def worker(number, models, versions, start, results):
    random.seed(number)
    start.wait()
    done, errors = 0, []
    for i in range(OPERATIONS):
        try:
            if (number + i) % 2:
                registry.set_active(
                    random.choice(versions), models, by=f"worker {number}", reason="promoted"
                )
            else:
                registry.rollback(models, by=f"worker {number}")
            done += 1
        except registry.RegistryError as e:
            errors.append(str(e))
    results.put((done, errors))


@pytest.fixture
def versions(trained, models_copy):
    first = trained[1].version
    clones = [clone_model(models_copy, first, f"2999010{i}T000000000000Z-clone{i}") for i in (1, 2)]
    registry.set_active(clones[0], models_copy, by="test", reason="trained")
    return [first, *clones]


def test_concurrent_promotions_and_rollbacks_keep_active_and_log_consistent(
    models_copy, versions, monkeypatch
):
    monkeypatch.setattr(registry, "write_atomic", slowed(registry.write_atomic, 0.05))
    monkeypatch.setattr(registry, "activations", slowed(registry.activations, 0.05))
    entries_before = len(registry.activations(models_copy))
    context = multiprocessing.get_context("fork")  # the workers inherit the slowed registry
    start, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=worker, args=(n, models_copy, versions, start, results))
        for n in range(WORKERS)
    ]
    for p in processes:
        p.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0

    assert [errors for _, errors in outcomes] == [[]] * WORKERS
    done = sum(count for count, _ in outcomes)
    assert done == WORKERS * OPERATIONS

    lines = (models_copy / registry.ACTIVATIONS_FILE).read_text().splitlines()
    log = [json.loads(line) for line in lines]  # every line is whole JSON
    assert all(set(e) == {"version", "at", "by", "reason"} for e in log)
    assert len(log) == entries_before + done
    active = registry.active_version(models_copy)
    registry.verify(active, models_copy)
    assert active in versions and active == log[-1]["version"]
    for previous, entry in zip(log, log[1:], strict=False):
        if entry["reason"].startswith("rollback from "):
            # read and written under one lock: it rolled back from the model then active
            assert entry["reason"] == f"rollback from {previous['version']}", (previous, entry)
            assert entry["version"] != previous["version"]


def test_a_held_lock_makes_activation_wait_then_refuse_with_a_clear_message(
    models_copy, versions, monkeypatch
):
    monkeypatch.setattr(registry, "LOCK_TIMEOUT", 0.3)
    before = registry.active_version(models_copy)
    with registry.activation_lock(models_copy):
        context = multiprocessing.get_context("fork")
        results = context.Queue()

        def try_promote():
            try:
                registry.set_active(versions[0], models_copy, by="other", reason="promoted")
                results.put("activated")
            except registry.RegistryBusy as e:
                results.put(str(e))

        other = context.Process(target=try_promote)
        other.start()
        message = results.get(timeout=30)
        other.join(timeout=10)
    assert "another gravewatch process" in message and "try again" in message
    assert registry.active_version(models_copy) == before


def test_a_line_cut_by_a_crash_does_not_spoil_the_next_entry(models_copy, versions):
    with (models_copy / registry.ACTIVATIONS_FILE).open("a") as fh:
        fh.write('{"version": "half-writ')
    registry.set_active(versions[0], models_copy, by="test", reason="promoted")
    assert registry.activations(models_copy)[-1]["version"] == versions[0]
    assert registry.active_version(models_copy) == versions[0]
