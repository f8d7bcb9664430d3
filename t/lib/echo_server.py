"""A small upstream application for the proxy tests: answers every request
with its method, path and headers as JSON.  Run as a script on a free
loopback port (EchoServer starts it and stops it by PID)."""

import json
import os
import signal
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from wait import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({"method": self.command, "path": self.path,
                           "headers": [[k, v] for k, v in
                                       self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


class EchoServer:
    def __init__(self, port):
        self.port = port
        self.proc = None

    def start(self, timeout=10):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "echo_server.py"),
             str(self.port)], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s = requests.Session()
        s.trust_env = False
        try:
            # any answer will do (a Response is false for a 4xx or 5xx)
            wait_until(lambda: s.get("http://127.0.0.1:%d/" % self.port,
                                     timeout=1) is not None,
                       timeout, 0.05, "the echo server to answer",
                       ignore=requests.RequestException)
        except AssertionError:
            self.stop()
            raise RuntimeError("the echo server did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    server.serve_forever()
