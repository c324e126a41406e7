"""A researcher in the admin of the private stack: log in, ask for an export, download it."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.live.servers import ADMIN_PASSWORD, LOOPBACK


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class AdminBrowser:
    def __init__(self, port: int, headers: dict[str, str] | None = None, source: str | None = None) -> None:
        self.port = port
        self.source = source
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}

    def get(self, path: str) -> Page:
        return self._send("GET", path, None)

    def post(self, path: str, fields: dict[str, str]) -> Page:
        return self._send("POST", path, urlencode(fields).encode())

    def _send(self, method: str, path: str, body: bytes | None) -> Page:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            LOOPBACK, self.port, timeout=60, source_address=(self.source, 0) if self.source else None
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    jar = SimpleCookie()
                    jar.load(value)
                    self.cookies.update({key: morsel.coded_value for key, morsel in jar.items()})
            return Page(response.status, {k.lower(): v for k, v in response.getheaders()}, content)
        finally:
            connection.close()

    def csrf_token(self, page: Page) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not found:
            raise AssertionError(f"no CSRF token on the page ({page.status})")
        return found.group(1)

    def log_in(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
        form = self.get("/admin/login/")
        fields = {"username": username, "password": password, "next": "/admin/"}
        done = self.post("/admin/login/", {**fields, "csrfmiddlewaretoken": self.csrf_token(form)})
        if done.status != 302:
            raise AssertionError(f"admin login answered {done.status}")

    def export(self, wave_id: int, *, fmt: str, values: str = "codes", include: str = "all") -> str:
        """Ask for an export job of a wave in the admin's export form; return the job's ID."""
        path = f"/admin/exports/exportjob/wave/{wave_id}/"
        form = self.get(path)
        fields = {
            "csrfmiddlewaretoken": self.csrf_token(form),
            "format": fmt,
            "layout": "wave",
            "values": values,
            "language": "en",
            "dialect": "comma",
            "bom": "on",
            "include": include,
            "action": "job",
        }
        queued = self.post(path, fields)
        found = re.search(r"/admin/exports/exportjob/([0-9a-f-]{36})/", queued.headers.get("location", ""))
        if queued.status != 302 or not found:
            raise AssertionError(f"the export form answered {queued.status}: {queued.text[:2000]}")
        return found.group(1)
