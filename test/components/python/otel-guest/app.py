# A wasi:http service that knows nothing of HTTP tracing but emits its own
# span through wasi:otel: for each request it starts a span named
# "<GUEST_NAME>.call" whose parent is the span context the host gives it,
# calls NEXT_URL (if set) inside that span, ends the span, and answers with
# what it saw. Built twice: against the released wasi:otel rc.2
# (`outer-span-context`) and against the renamed one (`current-span-context`).
import os
import time

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports import environment, outgoing_handler, tracing, wasi_otel_types
from wit_world.imports import wasi_http_types as types
from wit_world.imports.wall_clock import Datetime

SHAPE = "current" if hasattr(tracing, "current_span_context") else "outer"


def parent_context() -> tracing.SpanContext:
    if SHAPE == "current":
        return tracing.current_span_context()
    return tracing.outer_span_context()


def now() -> Datetime:
    ns = time.time_ns()
    return Datetime(seconds=ns // 1_000_000_000, nanoseconds=ns % 1_000_000_000)


def env() -> dict:
    return dict(environment.get_environment())


def read_all(stream) -> bytes:
    data = b""
    while True:
        try:
            data += stream.blocking_read(65536)
        except Err:
            return data


def call(url: str) -> str:
    scheme, rest = url.split("://", 1)
    authority, _, path = rest.partition("/")
    request = types.OutgoingRequest(types.Fields.from_list([]))
    request.set_scheme(types.Scheme_Https() if scheme == "https" else types.Scheme_Http())
    request.set_authority(authority)
    request.set_path_with_query("/" + path)
    types.OutgoingBody.finish(request.body(), None)
    future = outgoing_handler.handle(request, None)
    future.subscribe().block()
    outcome = future.get()
    if outcome is None or isinstance(outcome, Err) or isinstance(outcome.value, Err):
        failure = outcome.value.value if isinstance(outcome, Ok) else outcome
        return f"error {failure}"
    response = outcome.value.value
    body = response.consume()
    with body.stream() as stream:
        text = read_all(stream).decode()
    return f"{response.status()} {text}"


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: types.IncomingRequest, response_out: types.ResponseOutparam) -> None:
        settings = env()
        name = settings.get("GUEST_NAME", "guest")
        parent = parent_context()
        span = tracing.SpanContext(
            trace_id=parent.trace_id,
            span_id=os.urandom(8).hex(),
            trace_flags=parent.trace_flags,
            is_remote=False,
            trace_state=[],
        )
        started = now()
        tracing.on_start(span)
        downstream = call(settings["NEXT_URL"]) if "NEXT_URL" in settings else "end"
        tracing.on_end(
            tracing.SpanData(
                span_context=span,
                parent_span_id=parent.span_id,
                span_kind=tracing.SpanKind.INTERNAL,
                name=f"{name}.call",
                start_time=started,
                end_time=now(),
                attributes=[
                    wasi_otel_types.KeyValue(key="guest.name", value=f'"{name}"'),
                    wasi_otel_types.KeyValue(key="guest.otel.shape", value=f'"{SHAPE}"'),
                ],
                events=[],
                links=[],
                status=tracing.Status_Ok(),
                instrumentation_scope=wasi_otel_types.InstrumentationScope(
                    name="otel-guest", version="1.0", schema_url=None, attributes=[]
                ),
                dropped_attributes=0,
                dropped_events=0,
                dropped_links=0,
            )
        )
        text = f"{name} ({SHAPE}; trace {parent.trace_id}) -> {downstream}\n".encode()
        response = types.OutgoingResponse(types.Fields.from_list([("content-type", b"text/plain")]))
        response.set_status_code(200)
        body = response.body()
        types.ResponseOutparam.set(response_out, Ok(response))
        with body.write() as out:
            out.blocking_write_and_flush(text)
        types.OutgoingBody.finish(body, None)
