"""A WASI 0.3 wasi:http service (wasi:http/handler@0.3.0), built by
componentize-py: the driver's tests and end-to-end jobs call its routes.

  GET  /                 "hello from python on wasi 0.3"
  POST /echo             streams the request body back as it arrives, with
                         the request's trailers as response trailers
  GET  /stream?n=N&ms=M  N lines, M ms apart (wasi:clocks wait-for); with
                         &trap=1 it traps after the first line
  GET  /trailers         a body and an x-checksum trailer
  GET  /body-error       a line of body, then `err` in its trailers future:
                         the body failed after the response had started
  GET  /env?name=X       the environment variable X (404 if unset)
  GET  /config?key=K     wasi:config/store get(K) (404 if none)
  GET  /fetch?url=U      GETs U through wasi:http/client, answers
                         "<status> <body>" or 502 "<error code>"
  GET  /counter          "<global> <memory> <handle>": a counter in a global,
                         the length of a buffer that grows by one byte per
                         request, and the handle number of a Fields
                         resource it keeps (the handle table grows too)
  GET  /keep-stream      makes a byte stream and keeps both its ends after
                         the response (a per-request instance that cannot
                         be reset: it holds a stream)
  GET  /trap             raises: the instance traps
  GET  /grow?mb=N        keeps N MiB alive (the memory ceiling)
  GET  /spin             never returns (runaway stop)
  GET  /log              writes to stdout (0.2 print) and stderr (0.3 stream)
"""

import os
import sys
import hashlib
from typing import Optional
from urllib import parse

import componentize_py_async_support
import wit
from componentize_py_types import Ok, Err, Result
from componentize_py_async_support.streams import ByteStreamWriter
from componentize_py_async_support.futures import FutureReader
from wit import exports
from wit.imports import client, store, monotonic_clock, stderr
from wit.imports.wasi_http_types import (
    ErrorCode,
    ErrorCode_InternalError,
    Fields,
    Method_Get,
    Method_Post,
    Request,
    Response,
    Scheme_Http,
    Scheme_Https,
)

COUNTER = 0
MEMORY = bytearray(0)
KEPT: list[bytearray] = []
LEAKED: list[Fields] = []
KEPT_STREAMS: list[object] = []


def trailers_future(fields: Optional[Fields] = None) -> FutureReader[Result[Optional[Fields], ErrorCode]]:
    return wit.result_option_wasi_http_types_fields_wasi_http_types_error_code_future(
        lambda: Ok(fields)
    )[1]


def unit_future() -> FutureReader[Result[None, ErrorCode]]:
    return wit.result_unit_wasi_http_types_error_code_future(lambda: Ok(None))[1]


def respond(status: int, body: bytes, content_type: bytes = b"text/plain", trailers: Optional[Fields] = None) -> Response:
    tx, rx = wit.byte_stream()
    componentize_py_async_support.spawn(write_all(tx, body))
    response = Response.new(Fields.from_list([("content-type", content_type)]), rx, trailers_future(trailers))[0]
    response.set_status_code(status)
    return response


async def write_all(tx: ByteStreamWriter, body: bytes) -> None:
    with tx:
        await tx.write_all(body)


class Handler(exports.Handler):
    async def handle(self, request: Request) -> Response:
        method = request.get_method()
        target = parse.urlparse(request.get_path_with_query() or "/")
        query = dict(parse.parse_qsl(target.query))
        path = target.path

        if isinstance(method, Method_Post) and path == "/echo":
            headers = [(k, v) for k, v in request.get_headers().copy_all() if k == "content-type"]
            rx, trailers = Request.consume_body(request, unit_future())
            return Response.new(Fields.from_list(headers), rx, trailers)[0]

        if path == "/":
            return respond(200, b"hello from python on wasi 0.3\n")
        if path == "/stream":
            tx, rx = wit.byte_stream()
            lines = slow_lines(tx, int(query.get("n", "3")), int(query.get("ms", "100")), query.get("trap") == "1")
            componentize_py_async_support.spawn(lines)
            return Response.new(Fields(), rx, trailers_future())[0]
        if path == "/trailers":
            body = b"body with a trailer\n"
            trailers = Fields.from_list([("x-checksum", hashlib.sha256(body).hexdigest().encode())])
            return respond(200, body, trailers=trailers)
        if path == "/body-error":
            tx, rx = wit.byte_stream()
            componentize_py_async_support.spawn(write_all(tx, b"partial body\n"))
            failed = wit.result_option_wasi_http_types_fields_wasi_http_types_error_code_future(
                lambda: Err(ErrorCode_InternalError("the body failed"))
            )[1]
            return Response.new(Fields(), rx, failed)[0]
        if path == "/env":
            value = os.environ.get(query.get("name", ""))
            return respond(404, b"unset\n") if value is None else respond(200, value.encode())
        if path == "/config":
            value = store.get(query.get("key", ""))
            return respond(404, b"none\n") if value is None else respond(200, value.encode())
        if path == "/fetch":
            return await fetch(query.get("url", ""))
        if path == "/counter":
            global COUNTER, MEMORY
            COUNTER += 1
            MEMORY += b"x"
            LEAKED.append(Fields())
            return respond(200, f"{COUNTER} {len(MEMORY)} {LEAKED[-1].handle}\n".encode())
        if path == "/keep-stream":
            KEPT_STREAMS.append(wit.byte_stream())
            return respond(200, b"keeping a stream\n")
        if path == "/trap":
            raise RuntimeError("asked to trap")
        if path == "/grow":
            KEPT.append(bytearray(int(query.get("mb", "1")) * 1024 * 1024))
            return respond(200, f"holding {sum(len(b) for b in KEPT) // (1024 * 1024)} MiB\n".encode())
        if path == "/spin":
            while True:
                pass
        if path == "/log":
            print("stdout line from python (wasi 0.2 print)")
            sys.stdout.flush()
            tx, rx = wit.byte_stream()
            componentize_py_async_support.spawn(write_all(tx, b"stderr line from python (wasi 0.3 stream)\n"))
            await stderr.write_via_stream(rx).read()
            return respond(200, b"logged\n")
        return respond(404, b"no such route\n")


async def slow_lines(tx: ByteStreamWriter, n: int, ms: int, trap: bool) -> None:
    for i in range(n):
        if i > 0:
            await monotonic_clock.wait_for(ms * 1_000_000)
            if trap:
                # Not in a `with`: the body stays open, the instance traps mid-response.
                raise RuntimeError("asked to trap in the middle of a response")
        await tx.write_all(f"line {i}\n".encode())
    tx.__exit__(None, None, None)


async def fetch(url: str) -> Response:
    parsed = parse.urlparse(url)
    request = Request.new(Fields(), None, trailers_future(), None)[0]
    request.set_scheme(Scheme_Https() if parsed.scheme == "https" else Scheme_Http())
    request.set_authority(parsed.netloc)
    request.set_path_with_query(parsed.path or "/")
    try:
        upstream = await client.send(request)
    except Err as e:
        return respond(502, f"{type(e.value).__name__}\n".encode())
    status = upstream.get_status_code()
    rx = Response.consume_body(upstream, unit_future())[0]
    body = b""
    with rx:
        while not rx.writer_dropped:
            body += await rx.read(16 * 1024)
    return respond(200, f"{status} ".encode() + body)
