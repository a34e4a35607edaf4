#!/usr/bin/env python3
"""Serve the GPU pages (tests/gpu/) on 127.0.0.1 with COOP/COEP (cross-origin isolated: WASM threads work), take
their results as POST /result?name=NAME (written to OUT/NAME.json) and log lines as POST /log (OUT/pagelog.txt).
usage: serve.py ROOT OUT PORT"""
import os
import sys
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ROOT, OUT, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(OUT, exist_ok=True)


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".json": "application/json"}

    def __init__(self, *a, **k):
        super().__init__(*a, directory=ROOT, **k)

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def translate_path(self, path):
        # The hub's download URLs: /hub/{owner}/{name}/resolve/{revision}/{file} is /hub/{owner}/{name}/{file}.
        parts = urllib.parse.urlparse(path).path.split("/")
        if len(parts) > 6 and parts[1] == "hub" and parts[4] == "resolve":
            path = "/".join(parts[:4] + parts[6:])
        return super().translate_path(path)

    def log_message(self, *args):
        pass

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if url.path == "/result":
            name = urllib.parse.parse_qs(url.query).get("name", ["result"])[0]
            name = "".join(c for c in name if c.isalnum() or c in "-_")
            with open(os.path.join(OUT, name + ".json"), "wb") as f:
                f.write(body)
        elif url.path == "/log":
            with open(os.path.join(OUT, "pagelog.txt"), "ab") as f:
                f.write(body + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
