# A Spin 4 HTTP app in Python, written as spin-sdk 5 documents it (async
# handlers, the WASI 0.3 world spin:up/http-trigger@4.1.0) and built the way
# `spin build` builds it (componentize-py -w spin:up/http-trigger@4.1.0
# componentize app). The test suites call its routes to see what the
# driver's Spin host answers to the async (3.x) Spin interfaces:
#   GET  /                          a greeting
#   GET  /variables/<name>          spin_sdk.variables.get(name)   (spin:variables@3.0.0)
#   GET  /kv/<store>/<key>          key_value.open(store).get(key) (spin:key-value@3.0.0)
#   PUT  /kv/<store>/<key>          ... set(key, body)
#   DELETE /kv/<store>/<key>        ... delete(key)
#   GET  /kv-exists/<store>/<key>   ... exists(key)
#   GET  /kv-keys/<store>           ... get_keys() (a stream and a future), sorted, one per line
#   GET  /unavailable/<what>        redis, mqtt, mysql, sqlite, postgres: the error the call answers
# A failed call answers 500 with the error, as an app that lets it escape would.
from urllib.parse import unquote, urlparse

from componentize_py_types import Err
from spin_sdk import http, key_value, mqtt, mysql, postgres, redis, sqlite, variables
from spin_sdk.http import Request, Response


def text(status: int, body: str) -> Response:
    return Response(status, {"content-type": "text/plain"}, bytes(body, "utf-8"))


def describe(error: Err) -> str:
    return f"{type(error.value).__name__}: {getattr(error.value, 'value', '')}"


async def unavailable(what: str) -> None:
    if what == "redis":
        await redis.open("redis://127.0.0.1:6379")
    elif what == "mqtt":
        await mqtt.open("mqtt://127.0.0.1:1883", "", "", 30)
    elif what == "mysql":
        await mysql.open("mysql://app@127.0.0.1/app")
    elif what == "sqlite":
        await sqlite.Connection.open_default()
    elif what == "postgres":
        await postgres.Connection.open("host=127.0.0.1 user=app dbname=app")


async def all_keys(store: key_value.Store) -> list:
    rx, done = await store.get_keys()
    keys: list = []
    with rx:
        while not rx.writer_dropped:
            keys += await rx.read(100)
    result = await done.read()
    if isinstance(result, Err):
        raise result
    return keys


class HttpHandler(http.Handler):
    async def handle_request(self, request: Request) -> Response:
        parts = [unquote(p) for p in urlparse(request.uri).path.split("/")[1:]]
        try:
            return await self.route(request, parts)
        except Err as error:
            return text(500, describe(error))

    async def route(self, request: Request, parts: list) -> Response:
        head = parts[0] if parts else ""
        if head == "":
            return text(200, "hello from a Spin 4 app in Python")
        if head == "variables":
            return text(200, await variables.get(parts[1]))
        if head == "kv":
            with await key_value.open(parts[1]) as store:
                if request.method == "PUT":
                    await store.set(parts[2], request.body or b"")
                    return text(200, "stored")
                if request.method == "DELETE":
                    await store.delete(parts[2])
                    return text(200, "deleted")
                value = await store.get(parts[2])
                if value is None:
                    return text(404, "no such key")
                return Response(200, {"content-type": "application/octet-stream"}, value)
        if head == "kv-exists":
            with await key_value.open(parts[1]) as store:
                return text(200, str(await store.exists(parts[2])).lower())
        if head == "kv-keys":
            with await key_value.open(parts[1]) as store:
                return text(200, "\n".join(sorted(await all_keys(store))))
        if head == "unavailable":
            await unavailable(parts[1])
            return text(200, f"{parts[1]} answered")
        return text(404, "no such route")
