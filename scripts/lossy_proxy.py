"""A reverse proxy in front of the emulators that loses the answers of a share of successful writes.

    python3 scripts/lossy_proxy.py --listen 127.0.0.1:5631 --default http://127.0.0.1:5630 \\
        --route dynamodb=http://127.0.0.1:4630 --route s3=http://127.0.0.1:4630 --every 2 --log lost.jsonl

Point ``AWS_ENDPOINT_URL`` (and every ``AWS_ENDPOINT_URL_<SERVICE>``) at it. Each request goes to the
upstream of its service (the service of its SigV4 credential scope: ``--route <signing name>=<url>``, else
``--default``), unchanged (the Host header too). When the upstream answered a WRITE with 2xx, the proxy may
lose that answer, as a client sees a lost answer on real AWS ("Operations might also time out or encounter
other server issues before they complete, even though the request has already returned a result",
"Ensuring idempotency in Amazon EC2 API requests",
https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html):

- ``close``: the connection is closed without an answer (botocore: ConnectionClosedError);
- ``500``: an HTTP 500 InternalError answer in the protocol's error format.

Which answers are lost is deterministic: per (service, region, action), the occurrences 1, 1 + every,
1 + 2 x every, ... (so the FIRST of each write in each region, whatever the order of the hosts' runs); the
mode alternates per action, starting from a seeded hash. A write is: EC2/Query ``Action=`` not
Describe*/List*/Get*; JSON/CBOR RPC (``X-Amz-Target``, ``/service/<s>/operation/<Op>``) likewise; REST by
method (not GET/HEAD), named by the botocore model's request URI. ``--only``/``--skip`` (action names, or
``service:Action``) narrow the writes that may be lost. Every lost answer is a JSON line in ``--log``
(service, region, action, mode, status).

Counting mode (``make bench``): ``--every 0`` loses nothing, and ``--count FILE`` writes one JSON line per
request, whatever its answer (service, region, action, write, status).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
import contextlib

READ_PREFIXES = ("Describe", "List", "Get", "Query", "Scan", "BatchGet", "Head", "Lookup", "Search")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
CREDENTIAL = re.compile(r"Credential=[^/\s,]+/\d{8}/([^/\s,]+)/([^/\s,]+)/aws4_request")
RPC_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")
# The REST services whose operations are named from the botocore model (by signing name).
REST_MODELS = {"route53": "route53", "lambda": "lambda", "s3": "s3"}


def service_and_region(headers, query):
    """(signing name, region) from the SigV4 Authorization header or a presigned URL's X-Amz-Credential."""
    auth = headers.get("Authorization", "") or ""
    match = CREDENTIAL.search(auth)
    if not match:
        credential = (query.get("X-Amz-Credential") or [""])[0]
        match = CREDENTIAL.search("Credential=" + credential)
    if not match:
        return "", ""
    return match.group(2), match.group(1)


def _rest_operations(service):
    """[(method, regex, query keys, literal length, name)] of a REST service's botocore model."""
    cached = _REST_CACHE.get(service)
    if cached is None:
        import botocore.session

        model = botocore.session.get_session().get_service_model(REST_MODELS[service])
        cached = []
        for name in model.operation_names:
            http = model.operation_model(name).http
            uri = http.get("requestUri", "/")
            path, _mark, query = uri.partition("?")
            pattern, literal = "", 0
            for part in re.split(r"(\{[^}]+\})", path):
                if part.startswith("{"):
                    pattern += ".+" if part.endswith("+}") else "[^/]+"
                else:
                    pattern += re.escape(part)
                    literal += len(part)
            keys = [pair.split("=")[0] for pair in query.split("&") if pair]
            cached.append((http.get("method", "POST"), re.compile("^" + pattern + "/?$"), keys, literal, name))
        _REST_CACHE[service] = cached
    return cached


_REST_CACHE: dict = {}


def rest_action(service, method, path, query):
    """The operation a REST request is, by the botocore model (the most specific match), or METHOD path."""
    if service in REST_MODELS:
        best = None
        for op_method, regex, keys, literal, name in _rest_operations(service):
            if op_method != method or not regex.match(path) or any(key not in query for key in keys):
                continue
            score = (len(keys), literal)
            if best is None or score > best[0]:
                best = (score, name)
        if best:
            return best[1]
    return "%s %s" % (method, path)


def classify(method, path, headers, body):
    """(service, region, action, is_write) of a request."""
    split = urlsplit(path)
    query = parse_qs(split.query, keep_blank_values=True)
    service, region = service_and_region(headers, query)
    target = headers.get("X-Amz-Target")
    rpc = RPC_PATH.match(split.path)
    action = None
    if target:
        action = target.rsplit(".", 1)[-1]
    elif rpc:
        action = rpc.group(1)
    elif "Action" in query:
        action = query["Action"][0]
    elif method == "POST" and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        action = (form.get("Action") or [None])[0]
    if action:
        return service, region, action, not action.startswith(READ_PREFIXES)
    action = rest_action(service, method, split.path, query)
    # REST: by method, but a read sent as POST (Route 53 ListTagsForResources) is named a read by the model.
    return service, region, action, method not in ("GET", "HEAD", "OPTIONS") and not action.startswith(READ_PREFIXES)


def error_answer(headers, action):
    """(headers, body) of a 500 InternalError in the request's protocol."""
    message = "We encountered an internal error. Please try again. (lossy_proxy: %s)" % action
    content_type = headers.get("Content-Type") or ""
    if headers.get("X-Amz-Target") or "json" in content_type:
        body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
        return {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "InternalFailure"}, body
    if "cbor" in content_type or headers.get("smithy-protocol"):
        return {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}, b""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>'
        "<Message>%s</Message></Error><Errors><Error><Code>InternalError</Code><Message>%s</Message></Error></Errors>"
        "<RequestId>lossy-proxy</RequestId></ErrorResponse>" % (message, message)
    ).encode()
    return {"Content-Type": "text/xml", "x-amzn-ErrorType": "InternalError"}, body


class Policy:
    """Which successful writes lose their answer, and how (deterministic)."""

    def __init__(self, every=2, seed=0, only=(), skip=()):
        self.every = max(0, int(every))  # 0: lose nothing (counting mode)
        self.seed = int(seed)
        self.only = set(only)
        self.skip = set(skip)
        self.counts: dict = {}
        self.lost: dict = {}
        self.lock = threading.Lock()

    def _listed(self, names, service, action):
        return action in names or "%s:%s" % (service, action) in names

    def decide(self, service, region, action):
        """None (answer passes) or the mode ("close" or "500") for this successful write."""
        if not self.every:
            return None
        if self.only and not self._listed(self.only, service, action):
            return None
        if self._listed(self.skip, service, action):
            return None
        key = (service, region, action)
        with self.lock:
            count = self.counts.get(key, 0)
            self.counts[key] = count + 1
            if count % self.every:
                return None
            lost = self.lost.get(key, 0)
            self.lost[key] = lost + 1
        start = zlib.crc32(("%d/%s/%s" % (self.seed, service, action)).encode())
        return ("close", "500")[(start + lost) % 2]


def read_body(rfile, headers):
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(rfile.read(size))
            rfile.readline()
        return b"".join(chunks), True
    length = int(headers.get("Content-Length") or 0)
    return (rfile.read(length) if length else b""), False


def make_handler(routes, default, policy, log_path, count_path=None):
    log_lock = threading.Lock()
    count_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _forward(self):
            body, chunked = read_body(self.rfile, self.headers)
            service, region, action, write = classify(self.command, self.path, self.headers, body)
            upstream = urlsplit(routes.get(service, default))
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in self.headers.items():
                if key.lower() in HOP_BY_HOP or key.lower() == "content-length":
                    continue
                conn.putheader(key, value)
            if body or self.command in ("POST", "PUT", "PATCH") or chunked:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            answer = conn.getresponse()
            payload = answer.read()
            status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
            conn.close()

            if count_path:
                with count_lock, open(count_path, "a") as count:
                    record = {"service": service, "region": region, "action": action, "write": write, "status": status}
                    count.write(json.dumps(record) + "\n")
            mode = policy.decide(service, region, action) if write and 200 <= status < 300 else None
            if mode:
                with log_lock, open(log_path, "a") as log:
                    record = {"service": service, "region": region, "action": action, "mode": mode, "status": status}
                    log.write(json.dumps(record) + "\n")
            if mode == "close":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if mode == "500":
                headers, payload = error_answer(self.headers, action)
                status, reason, answer_headers = 500, "Internal Server Error", list(headers.items())
            self.send_response_only(status, reason)
            for key, value in answer_headers:
                if key.lower() in HOP_BY_HOP or key.lower() == "content-length":
                    continue
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward

    return Handler


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--listen", default="127.0.0.1:5631", help="host:port to listen on")
    parser.add_argument("--default", required=True, help="the upstream of every service not routed")
    parser.add_argument("--route", action="append", default=[], help="<signing name>=<upstream url>")
    parser.add_argument(
        "--every", type=int, default=2, help="lose occurrences 1, 1+every, ... of each write (0: lose none)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the close/500 alternation")
    parser.add_argument("--only", default="", help="comma-separated actions (or service:Action) that may be lost")
    parser.add_argument("--skip", default="", help="comma-separated actions (or service:Action) never lost")
    parser.add_argument("--log", help="JSON lines of the lost answers (required unless --every 0)")
    parser.add_argument("--count", help="JSON lines of every request: service, region, action, write, status")
    args = parser.parse_args(argv)
    if args.every and not args.log:
        parser.error("--log is required unless --every 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    routes = dict(route.split("=", 1) for route in args.route)
    names = [name for name in args.only.split(",") if name]
    skipped = [name for name in args.skip.split(",") if name]
    policy = Policy(args.every, args.seed, names, skipped)
    host, port = args.listen.rsplit(":", 1)
    handler = make_handler(routes, args.default, policy, args.log, args.count)
    server = ThreadingHTTPServer((host, int(port)), handler)
    server.daemon_threads = True
    print("lossy_proxy: listening on %s, default %s, routes %s" % (args.listen, args.default, routes), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
