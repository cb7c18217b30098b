"""The nginx model's location matching checked against a real NGINX (Debian's `nginx`, installed by
scripts/setup): for every server of every case of the library, the locations the model says the
controller writes (`NginxModel.render`) are written into an NGINX config whose locations answer with
their own label; the probes are sent to NGINX on a loopback port, and each answer (the label, the
implicit 301 to the slashed path, or the root location) must be the model's. Servers whose locations
the model calls duplicates must make `nginx -t` fail.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import unavailable
from kgov.inventory import Inventory
from kgov.migration.nginx import NginxModel, Rendered, Server
from kgov.migration.parity import literal_prefix, path_variants
from kgov.migration.sample import example
from test_migration_cases import case_files, load_case, objects_of, parse_probe

ECHO_HEADER = "X-Kgov-Location"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
    if found is None:
        unavailable("nginx not installed (scripts/setup installs Debian's nginx package)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Site:
    """One server of one case: the name NGINX knows it by, the model, and the probes."""

    name: str
    model: NginxModel
    server: Server
    paths: list[str]


def quoted(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_block(site: Site, port: int, echo: int) -> str:
    rendered = site.model.render(site.server)
    lines = [f"server {{ listen 127.0.0.1:{port}; server_name {site.name}; absolute_redirect off;"]
    for index, item in enumerate(rendered):
        modifier = f"{item.modifier} " if item.modifier else ""
        lines.append(
            f"  location {modifier}{quoted(item.path)} {{ proxy_set_header {ECHO_HEADER} {index}; "
            f"proxy_pass http://127.0.0.1:{echo}; }}"
        )
    if not any(item.path == "/" and item.modifier != "=" for item in rendered):
        root = '~* "^/"' if site.server.regex else "/"
        lines.append(
            f"  location {root} {{ proxy_set_header {ECHO_HEADER} default; proxy_pass http://127.0.0.1:{echo}; }}"
        )
    lines.append("}")
    return "\n".join(lines)


def config(blocks: list[str], root: Path, echo: int) -> str:
    temp = " ".join(
        f"{kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"pid {root / 'nginx.pid'};\nerror_log {root / 'error.log'};\nworker_processes 1;\n"
        "events { worker_connections 256; }\n"
        f"http {{ access_log off; {temp}\n"
        f"server {{ listen 127.0.0.1:{echo}; location / {{ return 200 $http_x_kgov_location; }} }}\n"
        + "\n".join(blocks)
        + "\n}\n"
    )


def sites() -> tuple[list[Site], list[Site]]:
    """(servers NGINX loads, servers with duplicate locations)."""
    usable, duplicated = [], []
    for number, path in enumerate(case_files()):
        case = load_case(path)
        inventory = Inventory(objects_of(case))
        views = inventory.network.ingresses
        model = NginxModel(views, inventory.network)
        probes = [parse_probe(p) for p in case.get("probes") or {}]
        for index, (host, server) in enumerate(sorted(model.servers.items())):
            paths = [p.path for p in probes if p.host == host]
            for item in model.render(server):
                base = literal_prefix(item.path)
                paths += path_variants(base)
                sample = example(item.path) if item.modifier == "~*" else None
                if sample and sample.startswith("/"):
                    paths += path_variants(sample)
            site = Site(f"c{number}-{index}.kgov.test", model, server, list(dict.fromkeys(paths)))
            (duplicated if model.duplicates(server) else usable).append(site)
    return usable, duplicated


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Site]]]:
    binary = nginx_binary()
    root = tmp_path_factory.mktemp("nginx")
    usable, _ = sites()
    port, echo = free_port(), free_port()
    (root / "nginx.conf").write_text(
        config([server_block(s, port, echo) for s in usable], root, echo), encoding="utf-8"
    )
    process = subprocess.Popen(
        [binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = root / "error.log"
                    pytest.fail(f"nginx did not start: {log.read_text() if log.exists() else ''}")
                time.sleep(0.05)
        yield port, usable
    finally:
        process.terminate()
        process.wait(timeout=10)


def expected(site: Site, path: str) -> tuple[int, str]:
    found = site.model.choice(site.server, path)
    if found == "redirect":
        return 301, path + "/"
    if isinstance(found, Rendered):
        return 200, str(site.model.render(site.server).index(found))
    return 200, "default"


def ask(connection: http.client.HTTPConnection, host: str, path: str) -> tuple[int, str]:
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    body = response.read().decode()
    if response.status in (301, 302):
        return response.status, response.getheader("Location") or ""
    return response.status, body


def test_model_matches_locations_as_nginx_does(nginx: tuple[int, list[Site]]) -> None:
    port, usable = nginx
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    differences = []
    sent = 0
    for site in usable:
        for path in site.paths:
            sent += 1
            answer = ask(connection, site.name, path)
            wanted = expected(site, path)
            if answer != wanted:
                differences.append((site.name, site.server.host, path, wanted, answer))
    connection.close()
    assert not differences, differences[:20]
    assert sent > 500


def test_duplicate_locations_make_nginx_refuse_the_config(tmp_path: Path) -> None:
    binary = nginx_binary()
    _, duplicated = sites()
    assert duplicated
    for site in duplicated:
        (tmp_path / "nginx.conf").write_text(
            config([server_block(site, 1, 2)], tmp_path, 2), encoding="utf-8"
        )
        result = subprocess.run(
            [binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode != 0 and "duplicate location" in result.stderr, (site.name, result.stderr)
