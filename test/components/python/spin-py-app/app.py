# A Spin HTTP app in Python, written as the Spin SDK (spin-sdk 3.x, the
# WASI 0.2 world) documents it and built the way `spin build` builds it
# (componentize-py -w spin-http componentize app). The test suites call its
# routes to see what the driver's Spin host answers:
#   GET  /                          a greeting
#   GET  /variables/<name>          spin_sdk.variables.get(name)
#   GET  /config/<key>              wasi:config/store get(key)
#   GET  /kv/<store>/<key>          key_value.open(store).get(key)
#   PUT  /kv/<store>/<key>          ... set(key, body)
#   DELETE /kv/<store>/<key>        ... delete(key)
#   GET  /kv-exists/<store>/<key>   ... exists(key)
#   GET  /kv-keys/<store>           ... get_keys(), sorted, one per line
#   GET  /wasi-kv/<store>/<key>     wasi:keyvalue/store open(store).get(key)
#   POST /wasi-kv-incr/<store>/<key>?by=N   wasi:keyvalue/atomics increment
#   GET  /unavailable/<what>        sqlite, spin-sqlite, redis, postgres, spin-postgres, mysql, mqtt,
#                                   llm: the error the call answers
#   GET  /outbound?url=<url>        spin_sdk.http.send, the status it got (or the error)
# A failed call answers 500 with the error, as an app that lets it escape would.
from urllib.parse import parse_qs, unquote, urlparse

from spin_sdk import http, key_value, llm, mqtt, mysql, postgres, redis, variables
from spin_sdk.http import Request, Response
# spin_sdk.sqlite of spin-sdk 3.4.1 imports a binding module that
# componentize-py 0.17.2 names differently (fermyon_spin_sqlite): the
# bindings are used directly for SQLite and for the spin:* packages.
from spin_sdk.wit.imports import (
    atomics,
    fermyon_spin_sqlite,
    spin_postgres_postgres_4_0_0,
    spin_sqlite_sqlite,
    wasi_config_store,
    wasi_keyvalue_store,
)
from spin_sdk.wit.types import Err


def text(status: int, body: str) -> Response:
    return Response(status, {"content-type": "text/plain"}, bytes(body, "utf-8"))


def describe(error: Err) -> str:
    return f"{type(error.value).__name__}: {getattr(error.value, 'value', '')}"


def unavailable(what: str) -> None:
    if what == "sqlite":
        fermyon_spin_sqlite.Connection.open("default")
    elif what == "spin-sqlite":
        spin_sqlite_sqlite.Connection.open("default")
    elif what == "spin-postgres":
        spin_postgres_postgres_4_0_0.Connection.open("host=127.0.0.1 user=app dbname=app")
    elif what == "redis":
        redis.open("redis://127.0.0.1:6379")
    elif what == "postgres":
        postgres.open("host=127.0.0.1 user=app dbname=app")
    elif what == "mysql":
        mysql.open("mysql://app@127.0.0.1/app")
    elif what == "mqtt":
        mqtt.open("mqtt://127.0.0.1:1883", "", "", 30)
    elif what == "llm":
        llm.infer("llama2-chat", "hello")


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        url = urlparse(request.uri)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        query = parse_qs(url.query)
        try:
            return self.route(request, parts, query)
        except Err as error:
            return text(500, describe(error))

    def route(self, request: Request, parts: list, query: dict) -> Response:
        head = parts[0] if parts else ""
        if head == "":
            return text(200, "hello from a Spin app in Python")
        if head == "variables":
            return text(200, variables.get(parts[1]))
        if head == "config":
            value = wasi_config_store.get(parts[1])
            return text(404, "none") if value is None else text(200, value)
        if head == "kv":
            with key_value.open(parts[1]) as store:
                if request.method == "PUT":
                    store.set(parts[2], request.body or b"")
                    return text(200, "stored")
                if request.method == "DELETE":
                    store.delete(parts[2])
                    return text(200, "deleted")
                value = store.get(parts[2])
                if value is None:
                    return text(404, "no such key")
                return Response(200, {"content-type": "application/octet-stream"}, value)
        if head == "kv-exists":
            with key_value.open(parts[1]) as store:
                return text(200, str(store.exists(parts[2])).lower())
        if head == "kv-keys":
            with key_value.open(parts[1]) as store:
                return text(200, "\n".join(sorted(store.get_keys())))
        if head == "wasi-kv":
            bucket = wasi_keyvalue_store.open(parts[1])
            value = bucket.get(parts[2])
            return text(404, "no such key") if value is None else Response(200, {}, value)
        if head == "wasi-kv-incr":
            bucket = wasi_keyvalue_store.open(parts[1])
            by = int(query.get("by", ["1"])[0])
            return text(200, str(atomics.increment(bucket, parts[2], by)))
        if head == "unavailable":
            unavailable(parts[1])
            return text(200, f"{parts[1]} answered")
        if head == "outbound":
            response = http.send(Request("GET", query["url"][0], {}, None))
            return text(200, f"status {response.status}")
        return text(404, "no such route")
