#!/usr/bin/env python3
"""A counting TCP proxy in front of MySQL/MariaDB (standard library only).

    sqlcount.py LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT CONTROL_PORT

Forwards bytes unchanged and counts the commands the client sends: every MySQL packet with
sequence id 0 from the client starts a command, its first byte says which (COM_QUERY,
COM_STMT_EXECUTE, ...). Connecting to CONTROL_PORT returns the totals so far as one JSON line.
The connection must not use TLS (`?ssl-mode=disabled` in the URL), or nothing can be read.

Unlike the server's global `Questions` counter, this counts only the statements of the
process connected through it, so other users of a shared database don't distort the figure.
"""

import asyncio
import json
import sys
from collections import Counter

NAMES = {
    0x01: "quit",
    0x02: "init_db",
    0x03: "query",
    0x0E: "ping",
    0x11: "change_user",
    0x16: "prepare",
    0x17: "execute",
    0x19: "close_stmt",
    0x1A: "reset_stmt",
    0x1F: "reset_connection",
}
counts = Counter()


async def client_to_server(reader, writer):
    buf = b""
    while data := await reader.read(65536):
        writer.write(data)
        buf += data
        while len(buf) >= 4:
            length = buf[0] | buf[1] << 8 | buf[2] << 16
            if len(buf) < 4 + length:
                break
            if buf[3] == 0 and length > 0:
                counts[NAMES.get(buf[4], f"0x{buf[4]:02x}")] += 1
            buf = buf[4 + length :]
        await writer.drain()
    writer.close()


async def server_to_client(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def handle(creader, cwriter, host, port):
    try:
        sreader, swriter = await asyncio.open_connection(host, port)
    except OSError:
        cwriter.close()
        return
    counts["connections"] += 1
    await asyncio.gather(
        client_to_server(creader, swriter),
        server_to_client(sreader, cwriter),
        return_exceptions=True,
    )


async def control(_reader, writer):
    writer.write((json.dumps(counts) + "\n").encode())
    await writer.drain()
    writer.close()


async def main():
    listen, host, port, ctl = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    proxy = await asyncio.start_server(lambda r, w: handle(r, w, host, port), "127.0.0.1", listen)
    ctrl = await asyncio.start_server(control, "127.0.0.1", ctl)
    async with proxy, ctrl:
        await asyncio.gather(proxy.serve_forever(), ctrl.serve_forever())


if __name__ == "__main__":
    asyncio.run(main())
