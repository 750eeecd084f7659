"""Which event loop and HTTP parser a service runs with: uvloop and httptools when installed,
the standard library's loop and h11 otherwise (shared/runtime.py)."""

from __future__ import annotations

import importlib.util

import uvicorn
from fastapi import FastAPI

from shared.runtime import server_choice


def test_a_service_runs_on_uvloop_and_httptools_when_both_are_installed() -> None:
    assert server_choice(lambda module: True) == ("uvloop", "httptools")


def test_a_service_falls_back_to_asyncio_and_h11_when_neither_is_installed() -> None:
    assert server_choice(lambda module: False) == ("asyncio", "h11")


def test_each_of_the_two_falls_back_on_its_own() -> None:
    assert server_choice(lambda module: module == "uvloop") == ("uvloop", "h11")
    assert server_choice(lambda module: module == "httptools") == ("asyncio", "httptools")


def test_the_choice_on_this_machine_follows_what_is_installed_and_uvicorn_loads_it() -> None:
    loop, http = server_choice()
    assert (loop == "uvloop") == (importlib.util.find_spec("uvloop") is not None)
    assert (http == "httptools") == (importlib.util.find_spec("httptools") is not None)
    config = uvicorn.Config(FastAPI(), loop=loop, http=http, log_config=None)
    config.load()  # imports the chosen HTTP protocol: fails on a missing one
    assert config.loaded
    assert config.get_loop_factory() is not None  # imports the chosen loop, likewise
