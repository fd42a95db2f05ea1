"""Prometheus metrics. With several workers, set PROMETHEUS_MULTIPROC_DIR (``gravewatch serve``
does) so that /metrics adds up every worker's figures."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "gravewatch_http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "gravewatch_http_request_duration_seconds",
    "Time from request start to response end, by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PASSAGES = Counter("gravewatch_passages_classified_total", "Passages classified.")
LABELS_EMITTED = Counter(
    "gravewatch_labels_emitted_total", "Labels at or above threshold, by label.", ["label"]
)
ACTIVE_MODEL = Gauge(
    "gravewatch_active_model",
    "1 for the model version this worker serves.",
    ["version"],
    multiprocess_mode="livemax",
)


def set_active_model(version: str, previous: str | None) -> None:
    if previous and previous != version:
        ACTIVE_MODEL.labels(version=previous).set(0)
    ACTIVE_MODEL.labels(version=version).set(1)


def render() -> tuple[bytes, str]:
    """The exposition text for /metrics, summed over workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
