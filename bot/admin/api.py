"""The console's JSON API under /admin/api/ (documented in the README)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from bot.admin import actions, data
from bot.admin.console import Console, api, json_body, json_response, text_of

MAX_UPLOAD = 20 * 1024 * 1024


@api
async def exchanges(console: Console, request: Request) -> Response:
    items = await run_in_threadpool(data.exchanges, console.services, dict(request.query_params))
    return json_response({"items": items})


@api
async def queue(console: Console, request: Request) -> Response:
    items = await run_in_threadpool(data.queue, console.services, dict(request.query_params))
    return json_response({"items": items})


@api
async def overview(console: Console, request: Request) -> Response:
    from bot.admin.pages import overview_data

    found = await run_in_threadpool(overview_data, console.services, dict(request.query_params))
    return json_response(found)


@api
async def search(console: Console, request: Request) -> Response:
    question = request.query_params.get("q", "").strip()
    if not question:
        raise ValueError("q (the question) is missing")
    return json_response(await run_in_threadpool(data.search, console.services, question))


@api
async def articles(console: Console, request: Request) -> Response:
    if request.method == "GET":
        return json_response({"items": data.articles(console.services)})
    article = await run_in_threadpool(actions.upload, console.services, *await uploaded(request))
    return json_response({"article": article}, 201)


async def uploaded(request: Request) -> tuple[str, bytes]:
    """The multipart field ``file``: its name and bytes (ValueError when it is missing or too big)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValueError("send the article as multipart/form-data, field 'file'")
    fields = await request.form(max_part_size=MAX_UPLOAD)
    item = fields.get("file")
    if not isinstance(item, UploadFile):
        raise ValueError("no file in the field 'file'")
    content = await item.read()
    return item.filename or "", content


@api
async def article_meta(console: Console, request: Request) -> Response:
    body = await json_body(request)
    article = request.path_params["article"]
    await run_in_threadpool(
        actions.set_meta, console.services, article, text_of(body, "title"), text_of(body, "year"), text_of(body, "districts")
    )
    return json_response({"ok": True, "article": article})


@api
async def reload(console: Console, request: Request) -> Response:
    return json_response(await run_in_threadpool(actions.reload, console.services))


@api
async def handled(console: Console, request: Request) -> Response:
    body = await json_body(request)
    if request.url.path.endswith("/unhandled"):
        await run_in_threadpool(actions.unmark, console.services, text_of(body, "key"))
    else:
        await run_in_threadpool(
            actions.mark_handled, console.services, text_of(body, "key"), text_of(body, "question"), text_of(body, "note")
        )
    return json_response({"ok": True})


@api
async def word(console: Console, request: Request) -> Response:
    body = await json_body(request)
    result = await run_in_threadpool(
        actions.add_word, console.services, text_of(body, "list"), text_of(body, "term"), text_of(body, "words")
    )
    return json_response(result, 201)


@api
async def corrections(console: Console, request: Request) -> Response:
    services = console.services
    if request.method == "GET":
        return json_response({"items": services.corrections()})
    body = await json_body(request)
    await run_in_threadpool(
        actions.correct, services, text_of(body, "question"), text_of(body, "article"), text_of(body, "paragraph")
    )
    return json_response({"ok": True}, 201)


@api
async def correction(console: Console, request: Request) -> Response:
    await run_in_threadpool(actions.remove_correction, console.services, request.path_params["id"])
    return json_response({"ok": True})


# (path, handler, methods)
API_ROUTES = [
    ("/exchanges", exchanges, ["GET"]),
    ("/queue", queue, ["GET"]),
    ("/queue/handled", handled, ["POST"]),
    ("/queue/unhandled", handled, ["POST"]),
    ("/overview", overview, ["GET"]),
    ("/search", search, ["GET"]),
    ("/articles", articles, ["GET", "POST"]),
    ("/articles/{article}/meta", article_meta, ["POST"]),
    ("/reload", reload, ["POST"]),
    ("/wordlist", word, ["POST"]),
    ("/corrections", corrections, ["GET", "POST"]),
    ("/corrections/{id}", correction, ["DELETE"]),
]
