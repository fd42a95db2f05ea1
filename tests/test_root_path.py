"""Behind a reverse proxy under a path prefix (GRAVEWATCH_ROOT_PATH, https://host/gravewatch/):
the API, its docs and the review page work whether the proxy strips the prefix or passes it on,
and with no prefix nothing changes."""

import json
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database, upgrade
from tests.browser import TEXT, Site, shown_text
from tests.factories import error_of
from tests.servers import live_server
from training.resources import packaged

PREFIX = "/gravewatch"
NOT_A_PATH = "it is not a URL path (an empty segment, a space, a query or a fragment)"


def error_message(response) -> str:
    return response.json()["error"]["message"]


def refusal_of_root_path(value: str, data_dir) -> str:
    """What a command prints when GRAVEWATCH_ROOT_PATH is ``value``, which it must refuse
    (exit status 2)."""
    env = {"GRAVEWATCH_ROOT_PATH": value, "GRAVEWATCH_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(cli, ["keys", "list"], env=env)
    assert result.exit_code == 2
    return result.output


@pytest.fixture
def behind_proxy(trained):
    """The API with GRAVEWATCH_ROOT_PATH set, as `gravewatch serve` runs it behind the proxy."""
    with TestClient(create_app(Settings(models_dir=trained[0], root_path=PREFIX))) as c:
        yield c


@pytest.mark.parametrize("prefix", ["", "/gravewatch", "/tools/gravewatch-v2", "/a%20b"])
def test_a_root_path_is_empty_or_a_path_prefix(prefix):
    assert Settings(root_path=prefix).root_path == prefix


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("gravewatch", "it does not start with /"),
        ("/gravewatch/", "it ends with /"),
        ("/", "it ends with /"),
        ("/a//b", NOT_A_PATH),
        ("/a b", NOT_A_PATH),
        ("/gravewatch?x=1", NOT_A_PATH),
    ],
)
def test_a_root_path_that_is_not_a_path_prefix_is_one_line(tmp_path, value, problem):
    assert refusal_of_root_path(value, tmp_path) == (
        f"error: invalid setting GRAVEWATCH_ROOT_PATH={value!r}: value error, {problem}: give a "
        "prefix such as /gravewatch, or nothing to serve at the root\n"
    )


@pytest.mark.parametrize(
    ("value", "clash"),
    [
        ("/v1", "/v1/classify and 19 more"),
        ("/v1/review", "/v1/review/queue and 5 more"),
        ("/v1/models/2024-01-01", "/v1/models/{version}/promote"),
        ("/review", "/review and 1 more"),
        ("/review/app.js", "/review/{name}"),
        ("/docs", "/docs and 1 more"),
        ("/openapi.json", "/openapi.json"),
        ("/metrics", "/metrics"),
        ("/v%31", "/v1/classify and 19 more"),
    ],
)
def test_a_root_path_that_starts_the_apis_own_paths_is_one_line(tmp_path, value, clash):
    """Such a prefix would misroute: a request for /v1/labels from a proxy that strips /v1
    would be taken for one that kept it, and served as /labels."""
    assert refusal_of_root_path(value, tmp_path) == (
        f"error: invalid setting GRAVEWATCH_ROOT_PATH={value!r}: value error, the API's own "
        f"paths start with it ({clash}), so a request for one would be taken for one under the "
        "prefix: give a prefix that starts none of them, such as /gravewatch\n"
    )


@pytest.mark.parametrize("prefix", ["/v1/gravewatch", "/v2", "/reviews", "/docs-gw", "/gw/v1"])
def test_a_root_path_that_only_resembles_the_apis_paths_is_accepted(prefix):
    assert Settings(root_path=prefix).root_path == prefix


@pytest.mark.parametrize("path", ["", PREFIX], ids=["proxy-strips-the-prefix", "proxy-keeps-it"])
def test_behind_a_proxy_the_api_answers_and_the_docs_load_the_schema_under_the_prefix(
    behind_proxy, trained, path
):
    assert behind_proxy.get(f"{path}/readyz").json()["model"] == trained[1].version
    assert behind_proxy.get(f"{path}/v1/labels").status_code == 200
    schema = behind_proxy.get(f"{path}/openapi.json").json()
    assert schema["servers"] == [{"url": PREFIX}]
    assert "/v1/classify" in schema["paths"]  # paths stay relative to the server URL
    for docs in ("/docs", "/redoc"):
        page = behind_proxy.get(f"{path}{docs}")
        assert f"'{PREFIX}/openapi.json'" in page.text or f'"{PREFIX}/openapi.json"' in page.text
        assert "content-security-policy" not in page.headers  # they load their CDN scripts
    missing = behind_proxy.get(f"{path}/v1/nothing")
    assert error_message(missing) == (
        f"no such endpoint: GET {PREFIX}/v1/nothing; see {PREFIX}/docs"
    )
    redirect = behind_proxy.get(f"{path}/review/", follow_redirects=False)
    assert urlsplit(redirect.headers["location"]).path == f"{PREFIX}/review"


@pytest.mark.parametrize("path", ["", "/a%20b"], ids=["proxy-strips-the-prefix", "proxy-keeps-it"])
def test_a_percent_encoded_root_path_is_matched_as_the_request_path_is(trained, path):
    settings = Settings(models_dir=trained[0], root_path="/a%20b")
    with TestClient(create_app(settings)) as client:
        assert client.get(f"{path}/readyz").json()["model"] == trained[1].version


@pytest.mark.parametrize("path", ["", PREFIX], ids=["proxy-strips-the-prefix", "proxy-keeps-it"])
def test_behind_a_proxy_404_and_405_point_to_the_docs_under_the_prefix(behind_proxy, path):
    missing = behind_proxy.get(f"{path}/v1/nothing")
    assert (missing.status_code, error_of(missing)) == (
        404,
        {
            "code": "not_found",
            "message": f"no such endpoint: GET {PREFIX}/v1/nothing; see {PREFIX}/docs",
        },
    )
    wrong_method = behind_proxy.delete(f"{path}/v1/labels")
    assert (wrong_method.status_code, error_of(wrong_method)) == (
        405,
        {
            "code": "method_not_allowed",
            "message": f"DELETE is not allowed on {PREFIX}/v1/labels; see {PREFIX}/docs",
        },
    )


def test_without_a_root_path_404_and_405_point_to_the_docs_at_the_root(trained):
    with TestClient(create_app(Settings(models_dir=trained[0]))) as c:
        missing, wrong_method = c.get("/v1/nothing"), c.delete("/v1/labels")
    assert error_message(missing) == "no such endpoint: GET /v1/nothing; see /docs"
    assert error_message(wrong_method) == "DELETE is not allowed on /v1/labels; see /docs"


@pytest.mark.parametrize(("prefix", "servers"), [(PREFIX, [{"url": PREFIX}]), ("", None)])
def test_gravewatch_openapi_names_the_server_under_the_root_path(tmp_path, prefix, servers):
    """The printed schema is the one the proxy serves: its server URL carries the prefix, so
    that clients generated from it (and the docs' "Try it out") call the API under it."""
    env = {"GRAVEWATCH_ROOT_PATH": prefix, "GRAVEWATCH_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["openapi"], env=env)
    assert result.exit_code == 0
    assert json.loads(result.stdout).get("servers") == servers


def test_under_uvicorns_root_path_the_docs_load_their_cdn_scripts(trained):
    """`uvicorn --root-path` (no setting): the request path carries the prefix."""
    app = create_app(Settings(models_dir=trained[0]))
    with TestClient(app, root_path=PREFIX) as c:
        docs = c.get(f"{PREFIX}/docs")
        page = c.get(f"{PREFIX}/review")
    assert f"'{PREFIX}/openapi.json'" in docs.text
    assert "content-security-policy" not in docs.headers
    assert "content-security-policy" in page.headers


def test_without_a_root_path_the_schema_names_no_server_and_the_docs_load_it_from_the_root(trained):
    with TestClient(create_app(Settings(models_dir=trained[0]))) as c:
        assert "servers" not in c.get("/openapi.json").json()
        assert "'/openapi.json'" in c.get("/docs").text
        assert c.get("/gravewatch/readyz").status_code == 404


def test_the_review_page_names_its_files_relative_to_where_it_is_served():
    html = (packaged("service", "web") / "review.html").read_text(encoding="utf-8")
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert urls and [u for u in urls if u.startswith("/") or "://" in u] == []


@pytest.mark.browser
def test_the_review_page_behind_a_proxy_that_strips_the_prefix_calls_the_api_under_it(
    trained, tmp_path, browser
):
    """The browser reaches the server only through a proxy that serves PREFIX/* and strips the
    prefix (Playwright's routing); a request outside the prefix would get 404."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    store = Database(url)
    with store.sessions.begin() as session:
        keys = {
            role: repo.create_key(session, f"k-{role}", role) for role in ("ingest", "reviewer")
        }
    settings = Settings(
        models_dir=trained[0], database_url=url, data_dir=tmp_path, root_path=PREFIX
    )
    requested: list[str] = []
    with live_server(settings) as base:
        Site(base, store, keys).add(TEXT, "behind-a-proxy")

        def proxy(route) -> None:
            asked = urlsplit(route.request.url)
            requested.append(asked.path)
            if asked.path.startswith(f"{PREFIX}/"):
                query = f"?{asked.query}" if asked.query else ""
                route.fulfill(response=route.fetch(url=f"{base}{asked.path[len(PREFIX) :]}{query}"))
            else:
                route.fulfill(status=404, body="not behind the proxy")

        context = browser.new_context()
        context.route("**/*", proxy)
        page = Site(f"{base}{PREFIX}", store, keys).open(context)
        page.wait_for_selector("#workspace:not([hidden])", timeout=15_000)
        assert shown_text(page) == TEXT
        page.wait_for_load_state("networkidle")
        context.close()
    store.close()
    assert page.errors == []
    assert f"{PREFIX}/v1/review/queue" in requested and f"{PREFIX}/v1/labels" in requested
    assert [p for p in requested if not p.startswith(f"{PREFIX}/")] == []
