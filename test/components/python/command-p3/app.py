"""A WASI 0.3 wasi:cli command (wasi:cli/run@0.3.0), built by componentize-py:
the driver's tests and end-to-end jobs run it. The first argument says what
to do; files go through wasi:filesystem@0.3 (the bindings, not Python's
open(), which uses WASI 0.2 through wasi-libc):

  hello            one line through print (0.2) and one through 0.3 stdout
  args             the arguments, one per line
  env NAME         NAME's value (exit 2 if unset)
  exit N           exits with code N (wasi:cli/exit@0.3 exit-with-code)
  sysexit N        sys.exit(N): Python's libc exits through WASI 0.2's exit,
                   which carries only ok/err (N != 0 ends with code 1)
  fail             run() returns err (exit code 1)
  trap             raises: the instance traps
  cat PATH         a file's contents (paths are <mount>/<file>)
  ls DIR           a directory's entries, sorted
  write PATH TEXT  creates PATH with TEXT; prints "wrote" or the error code
  open PATH        opens PATH; prints "opened" or the error code
  sleep MS         waits MS ms (wasi:clocks wait-for), then prints "slept"
  spin             never returns
"""

import os
import sys

import componentize_py_async_support
import wit
from componentize_py_types import Err
from componentize_py_async_support.streams import ByteStreamWriter
from wit import exports
from wit.imports import exit as wasi_exit, monotonic_clock, preopens, stdout
from wit.imports.wasi_filesystem_types import Descriptor, DescriptorFlags, OpenFlags, PathFlags


async def write_out(text: str) -> None:
    tx, rx = wit.byte_stream()
    componentize_py_async_support.spawn(write_all(tx, text.encode()))
    await stdout.write_via_stream(rx).read()


async def write_all(tx: ByteStreamWriter, body: bytes) -> None:
    with tx:
        await tx.write_all(body)


def locate(path: str) -> tuple[Descriptor, str]:
    """The preopened mount a guest path is in, and the path relative to it."""
    for descriptor, mount in preopens.get_directories():
        prefix = mount.rstrip("/") + "/"
        if path == mount or path.startswith(prefix):
            return descriptor, path[len(prefix):] or "."
    raise Err(None)


def error_name(e: Err) -> str:
    return type(e.value).__name__.removeprefix("ErrorCode_")


async def cat(path: str) -> None:
    directory, relative = locate(path)
    file = await directory.open_at(PathFlags.SYMLINK_FOLLOW, relative, OpenFlags(0), DescriptorFlags.READ)
    rx, done = file.read_via_stream(0)
    data = b""
    with rx:
        while not rx.writer_dropped:
            data += await rx.read(64 * 1024)
    await done.read()
    await write_out(data.decode())


async def ls(path: str) -> None:
    directory, relative = locate(path)
    target = directory if relative == "." else await directory.open_at(
        PathFlags.SYMLINK_FOLLOW, relative, OpenFlags.DIRECTORY, DescriptorFlags.READ
    )
    rx, done = target.read_directory()
    names: list[str] = []
    with rx:
        while not rx.writer_dropped:
            names += [entry.name for entry in await rx.read(16)]
    await done.read()
    await write_out("".join(f"{name}\n" for name in sorted(names)))


async def write(path: str, text: str) -> None:
    directory, relative = locate(path)
    try:
        file = await directory.open_at(
            PathFlags(0), relative, OpenFlags.CREATE | OpenFlags.TRUNCATE, DescriptorFlags.WRITE
        )
    except Err as e:
        await write_out(f"{error_name(e)}\n")
        return
    tx, rx = wit.byte_stream()
    componentize_py_async_support.spawn(write_all(tx, text.encode()))
    result = await file.write_via_stream(rx, 0).read()
    await write_out("wrote\n" if result.__class__.__name__ == "Ok" else f"{error_name(result)}\n")


async def open_path(path: str) -> None:
    directory, relative = locate(path)
    try:
        await directory.open_at(PathFlags(0), relative, OpenFlags(0), DescriptorFlags.READ)
        await write_out("opened\n")
    except Err as e:
        await write_out(f"{error_name(e)}\n")


class Run(exports.Run):
    async def run(self) -> None:
        args = sys.argv[1:]
        what = args[0] if args else "hello"
        if what == "hello":
            print("hello from python on wasi 0.3 (print)")
            sys.stdout.flush()
            await write_out("hello from python on wasi 0.3 (stdout stream)\n")
        elif what == "args":
            await write_out("".join(f"{a}\n" for a in sys.argv))
        elif what == "env":
            value = os.environ.get(args[1])
            if value is None:
                wasi_exit.exit_with_code(2)
            await write_out(f"{value}\n")
        elif what == "exit":
            wasi_exit.exit_with_code(int(args[1]))
        elif what == "sysexit":
            sys.exit(int(args[1]))
        elif what == "fail":
            raise Err(None)
        elif what == "trap":
            raise RuntimeError("asked to trap")
        elif what == "cat":
            await cat(args[1])
        elif what == "ls":
            await ls(args[1])
        elif what == "write":
            await write(args[1], args[2])
        elif what == "open":
            await open_path(args[1])
        elif what == "sleep":
            await monotonic_clock.wait_for(int(args[1]) * 1_000_000)
            await write_out("slept\n")
        elif what == "spin":
            while True:
                pass
