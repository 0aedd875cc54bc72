"""A small MCP server on the official Python SDK (mcp 2.3.0): the project's non-Node example server.

The sidecar tests run it behind the stdio wrapper and the HTTP reverse proxy, and the README's "Python, Go, anything:
the sidecar" section points here: the sidecar observes it at the protocol level, without touching this code.
`npm run setup` installs the SDK in a venv; run it with that venv's python:

    ~/.cache/mcp-observatory/python-mcp/2.3.0/bin/python examples/python/server.py

Environment:
    MCP_TRANSPORT   stdio (default) or http (Streamable HTTP)
    MCP_HOST        127.0.0.1 (default)      MCP_PORT  8000 (default)      MCP_PATH  /mcp (default)
    MCP_STATELESS   1: stateless HTTP with JSON responses (default: stateful sessions, SSE responses)
    FAIL_ALL        1: echo and add return error results too, so the error ratio goes up
    OTEL_EXPORTER_OTLP_ENDPOINT   set: the SDK's own SERVER spans go there over OTLP/HTTP (service.name from
                    OTEL_SERVICE_NAME), for the collector to turn into the operation-duration histogram
"""

import os
import sys

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

TRANSPORT = os.environ.get("MCP_TRANSPORT", "stdio")
HOST = os.environ.get("MCP_HOST", "127.0.0.1")
PORT = int(os.environ.get("MCP_PORT", "8000"))
PATH = os.environ.get("MCP_PATH", "/mcp")
STATELESS = os.environ.get("MCP_STATELESS") == "1"
FAIL_ALL = os.environ.get("FAIL_ALL") == "1"

# Logs go to stderr: in stdio mode stdout is the protocol.
mcp = MCPServer("python-example", version="1.0.0", log_level="WARNING")


def check_fail_all() -> None:
    if FAIL_ALL:
        raise ToolError("FAIL_ALL is set: every call fails")


@mcp.tool()
def echo(text: str) -> str:
    """Return the text."""
    check_fail_all()
    return text


@mcp.tool()
def add(a: int | float, b: int | float) -> str:
    """Add two numbers; the sum comes back as text."""
    check_fail_all()
    return str(a + b)


@mcp.tool()
def fail() -> str:
    """Always fail: the result has isError true."""
    raise ToolError("this tool always fails")


@mcp.tool()
async def slow(ms: int = 50) -> str:
    """Sleep ms milliseconds."""
    await anyio.sleep(ms / 1000)
    return f"slept {ms} ms"


@mcp.prompt()
def greeting(name: str) -> str:
    """Greet someone by name."""
    return f"Please greet {name} warmly."


@mcp.resource("docs://readme", mime_type="text/plain")
def readme() -> str:
    """What this server is."""
    return "The mcp-observatory Python example server: tools echo, add, fail and slow."


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying on stderr when the port accepts connections."""

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"listening on http://{HOST}:{PORT}{PATH}", file=sys.stderr, flush=True)


def serve_http() -> None:
    """What mcp.run("streamable-http") does, plus the line that says the server is up."""
    app = mcp.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=STATELESS,
        json_response=STATELESS,
        host=HOST,  # on 127.0.0.1 the SDK turns on its DNS-rebinding protection (Host and Origin checks)
    )
    config = uvicorn.Config(app, host=HOST, port=PORT, log_level="warning", timeout_graceful_shutdown=2)
    AnnouncingServer(config).run()


def export_spans() -> None:
    """Send the spans the SDK makes for every request (it needs only a tracer provider) to the OTLP endpoint."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()  # its resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


if __name__ == "__main__":
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        export_spans()
    if TRANSPORT == "stdio":
        mcp.run()
    elif TRANSPORT == "http":
        serve_http()
    else:
        sys.exit(f"MCP_TRANSPORT must be stdio or http, not {TRANSPORT!r}")
