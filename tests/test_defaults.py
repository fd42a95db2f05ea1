"""Each default is written once: library signatures and Settings agree because they read the
same constant (training/defaults.py) or the settings class (service.config.setting_default)."""

import inspect

from service.batch.engines import DaskEngine
from service.batch.fetch import Fetcher
from service.batch.job import JobOptions
from service.batch.sources import SourceOptions
from service.config import Settings
from training import registry, retrain, train


def default(name: str):
    return Settings.model_fields[name].default


def test_batch_and_fetch_defaults_are_the_settings():
    fetcher = Fetcher(cache_dir=None)
    assert fetcher.timeout == default("fetch_timeout")
    assert fetcher.max_bytes == default("fetch_max_bytes")
    assert fetcher.attempts == default("fetch_attempts")
    options = JobOptions(sources=[], output=None)
    assert options.batch_size == default("score_batch_size")
    assert options.scheduler_timeout == default("dask_connect_timeout")
    assert SourceOptions().max_document_chars == default("max_document_chars")
    timeout = inspect.signature(DaskEngine.__init__).parameters["timeout"].default
    assert timeout == default("dask_connect_timeout")


def test_training_defaults_are_the_settings():
    params = inspect.signature(retrain.retrain).parameters
    assert params["macro_tolerance"].default == default("retrain_macro_tolerance")
    assert params["label_tolerance"].default == default("retrain_label_tolerance")
    assert params["models_dir"].default == default("models_dir")
    assert inspect.signature(train.train).parameters["models_dir"].default == default("models_dir")
    assert default("models_dir") == registry.DEFAULT_MODELS_DIR
