"""Dependencies injected into routes, as ``Annotated`` aliases.

They are ``async`` because they do no blocking work: FastAPI would run plain functions in its
thread pool, one thread hop per dependency per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.active_model import LoadedModel
from service.config import Settings
from service.scorer import ModelUnavailable, Scorer
from service.store.db import Database
from training.errors import Unavailable


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_loaded(request: Request) -> LoadedModel:
    loaded = request.app.state.active_model.current
    if loaded is None:
        reason = request.app.state.active_model.last_error or "no model is loaded yet"
        raise ModelUnavailable(reason)
    return loaded


async def get_store(request: Request) -> Database:
    return usable_store(request)


def usable_store(request: Request) -> Database:
    """The review store, or 503 saying what is missing (the check runs again each time until
    the operator has fixed it)."""
    store = request.app.state.store
    if store.problem:
        store.check()  # the operator may have run the migrations since
    if store.problem:
        raise Unavailable(store.problem, code="store_unavailable")
    return store


async def get_scorer(request: Request) -> Scorer:
    return request.app.state.scorer


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
LoadedModelDep = Annotated[LoadedModel, Depends(get_loaded)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]
StoreDep = Annotated[Database, Depends(get_store)]
