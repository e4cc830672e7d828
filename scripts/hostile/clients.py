#!/usr/bin/env python3
"""Hostile clients against a running proxy (issue 13 §1): slowloris headers, slow bodies (1 byte/s),
short bodies (a Content-Length never met), idle connections, and /health latency while they are open. Stdlib only. Prints one figure a line."""
import asyncio
import os
import statistics
import sys
import time

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
SLOWLORIS = int(os.environ.get("SLOWLORIS", 100))
SLOW_BODIES = int(os.environ.get("SLOW_BODIES", 20))
SHORT_BODIES = int(os.environ.get("SHORT_BODIES", 20))
IDLE = int(os.environ.get("IDLE", 1100))
HOLD_S = float(os.environ.get("HOLD_S", 45))


async def connect():
    return await asyncio.open_connection(HOST, PORT)


async def trickle(writer, data, state):
    """Writes one byte a second until the peer closes or the hold ends."""
    try:
        for b in data:
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(1)
    except (ConnectionError, OSError):
        state["closed"] = True


async def watch(reader, state):
    try:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                break
            state["got"] += chunk
    except (ConnectionError, OSError):
        pass
    state["closed"] = True
    state["at"] = time.monotonic()


async def open_group(kind, n):
    states = []
    for _ in range(n):
        state = {"kind": kind, "closed": False, "got": b"", "at": None}
        try:
            reader, writer = await connect()
        except OSError as e:
            state["closed"] = True
            state["error"] = str(e)
            states.append(state)
            continue
        state["writer"] = writer
        asyncio.ensure_future(watch(reader, state))
        if kind == "slowloris":
            data = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
            asyncio.ensure_future(trickle(writer, data, state))
        elif kind == "slow-body":
            head = (b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            writer.write(head)
            asyncio.ensure_future(trickle(writer, b'{"model":' + b" " * 200, state))
        elif kind == "short-body":
            writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         b'{"model":')
        states.append(state)
    return states


async def health_once():
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(connect(), 5)
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        ok = data.startswith(b"HTTP/1.1 200")
        return (time.monotonic() - start) * 1000, ok, data[:12]
    except (OSError, asyncio.TimeoutError) as e:
        return (time.monotonic() - start) * 1000, False, repr(e).encode()


async def main():
    t0 = time.monotonic()
    groups = {}
    for kind, n in (("slowloris", SLOWLORIS), ("slow-body", SLOW_BODIES),
                    ("short-body", SHORT_BODIES), ("idle", IDLE)):
        groups[kind] = await open_group(kind, n)
    print(f"opened: {', '.join(f'{k} {len(v)}' for k, v in groups.items())} "
          f"in {time.monotonic() - t0:.1f} s")
    latencies, failures, statuses = [], 0, {}
    while time.monotonic() - t0 < HOLD_S:
        ms, ok, head = await health_once()
        latencies.append(ms)
        if not ok:
            failures += 1
            statuses[head] = statuses.get(head, 0) + 1
        await asyncio.sleep(0.5)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"/health while open: {len(latencies)} requests, {failures} failed {statuses or ''}, "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms")
    for kind, states in groups.items():
        still = sum(1 for s in states if not s["closed"])
        times = sorted(s["at"] - t0 for s in states if s["at"] is not None)
        when = f", closed by {times[-1]:.0f} s (median {statistics.median(times):.0f} s)" if times else ""
        got = sum(1 for s in states if b"408" in s["got"][:16])
        extra = f", {got} answered 408" if kind.endswith("-body") else ""
        print(f"{kind}: {still} of {len(states)} still open after {HOLD_S:.0f} s{when}{extra}")
    for states in groups.values():
        for s in states:
            if "writer" in s:
                s["writer"].close()


asyncio.run(main())
