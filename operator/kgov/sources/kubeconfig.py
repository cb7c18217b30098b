"""The kube context `kgov scan --cluster` reads with: a kubeconfig (or the pod's service account),
resolved into one server, its TLS settings and the request headers that authenticate.

Every way a kubeconfig can be broken (not YAML, not a mapping, wrong types, a missing file it names, a
certificate that does not load, a login plugin that fails or hangs) is a `KubeconfigError` with the
reason; nothing is skipped quietly, so kgov never carries on unauthenticated.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import ssl
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgov import escape
from kgov.decode import LimitExceeded, decode, load_yaml

EXEC_TIMEOUT = 60.0  # seconds a login (exec) plugin may take
MAX_FILE = 4 * 1024 * 1024  # bytes of one kubeconfig, certificate or token file
SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")


class KubeconfigError(Exception):
    """The kube context cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Connection:
    server: str  # scheme://host[:port][/prefix], without a trailing slash
    ssl_context: ssl.SSLContext | None
    headers: Mapping[str, str] = field(default_factory=dict)
    proxy: str | None = None
    tls_server_name: str | None = None


def connect(context: str | None = None) -> Connection:
    """The connection of `context` (or the current context), or of the pod's service account when no
    kubeconfig exists and no context was named."""
    paths = _kubeconfig_paths()
    existing = [p for p in paths if p.is_file()]
    if not existing:
        if context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            return _in_cluster()
        shown = ", ".join(str(p) for p in paths)
        raise KubeconfigError(f"no kubeconfig found (looked at {shown}) and not running in a cluster")
    merged = _Merged()
    for path in existing:
        merged.add(path, _read_config(path))
    return merged.connection(context)


def _kubeconfig_paths() -> list[Path]:
    value = os.environ.get("KUBECONFIG")
    if value:
        return [Path(p).expanduser() for p in value.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE + 1)
    except OSError as exc:
        raise KubeconfigError(f"cannot read {what} {escape.quoted(str(path))}: {exc.strerror}") from None
    if len(data) > MAX_FILE:
        raise KubeconfigError(f"{what} {escape.quoted(str(path))} is larger than {MAX_FILE} bytes")
    return data


def _read_config(path: Path) -> dict[str, Any]:
    where = f"kubeconfig {escape.quoted(str(path))}"
    text = decode(_read_bytes(path, "kubeconfig"))
    if text is None:
        raise KubeconfigError(f"{where} is not a text file")
    try:
        value = load_yaml(text)
    except LimitExceeded as exc:
        raise KubeconfigError(f"{where}: {exc}") from None
    except Exception as exc:
        raise KubeconfigError(f"{where} is not valid YAML: {_first_line(exc)}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise KubeconfigError(f"{where} is not a mapping (got {type(value).__name__})")
    return value


def _first_line(exc: BaseException) -> str:
    return escape.line(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


@dataclass(slots=True)
class _Entry:
    value: dict[str, Any]
    base: Path  # folder relative file names are read from


@dataclass(slots=True)
class _Merged:
    """Kubeconfig files merged as kubectl merges them: the first file to name an entry wins."""

    clusters: dict[str, _Entry] = field(default_factory=dict)
    users: dict[str, _Entry] = field(default_factory=dict)
    contexts: dict[str, _Entry] = field(default_factory=dict)
    current: str | None = None

    def add(self, path: Path, config: dict[str, Any]) -> None:
        where = f"kubeconfig {escape.quoted(str(path))}"
        for section, inner, table in (
            ("clusters", "cluster", self.clusters),
            ("users", "user", self.users),
            ("contexts", "context", self.contexts),
        ):
            entries = config.get(section) or []
            if not isinstance(entries, list):
                raise KubeconfigError(f"{where}: {section} is not a list")
            for index, entry in enumerate(entries):
                name = entry.get("name") if isinstance(entry, dict) else None
                body = entry.get(inner) if isinstance(entry, dict) else None
                if not isinstance(name, str) or not isinstance(body, dict | None):
                    raise KubeconfigError(f"{where}: {section}[{index}] needs a name and a {inner} mapping")
                table.setdefault(name, _Entry(body or {}, path.parent))
        current = config.get("current-context")
        if current is not None and not isinstance(current, str):
            raise KubeconfigError(f"{where}: current-context is not a string")
        self.current = self.current or current or None

    def connection(self, context: str | None) -> Connection:
        name = context or self.current
        if not name:
            raise KubeconfigError("no current-context in the kubeconfig (name one with --context)")
        found = self.contexts.get(name)
        if found is None:
            raise KubeconfigError(f"context {escape.quoted(name)} is not in the kubeconfig")
        cluster_name = _string(found.value, "cluster", f"context {name}")
        user_name = _string(found.value, "user", f"context {name}", required=False)
        cluster = self.clusters.get(cluster_name or "")
        if cluster is None:
            raise KubeconfigError(f"cluster {escape.quoted(cluster_name or '')} is not in the kubeconfig")
        user = self.users.get(user_name) if user_name else _Entry({}, cluster.base)
        if user is None:
            raise KubeconfigError(f"user {escape.quoted(user_name or '')} is not in the kubeconfig")
        return _build(cluster, user, f"context {escape.quoted(name)}")


def _string(values: Mapping[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = values.get(key)
    if value is None or value == "":
        if required:
            raise KubeconfigError(f"{where}: {key} is missing")
        return None
    if not isinstance(value, str):
        raise KubeconfigError(f"{where}: {key} is not a string (got {type(value).__name__})")
    return value


def _data(values: Mapping[str, Any], key: str, where: str) -> bytes | None:
    """A `*-data` field: base64 of the content."""
    text = _string(values, f"{key}-data", where, required=False)
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KubeconfigError(f"{where}: {key}-data is not base64") from None


def _file_or_data(values: Mapping[str, Any], key: str, entry: _Entry, where: str) -> bytes | None:
    data = _data(values, key, where)
    if data is not None:
        return data
    name = _string(values, key, where, required=False)
    return _read_bytes(entry.base / Path(name).expanduser(), key) if name else None


def _build(cluster: _Entry, user: _Entry, where: str) -> Connection:
    values = cluster.value
    server = _string(values, "server", f"{where}: cluster")
    assert server is not None
    if not server.startswith(("https://", "http://")):
        raise KubeconfigError(f"{where}: server {escape.quoted(server)} is not an http(s) URL")
    insecure = values.get("insecure-skip-tls-verify", False)
    if not isinstance(insecure, bool):
        raise KubeconfigError(f"{where}: insecure-skip-tls-verify is not true or false")
    ca = _file_or_data(values, "certificate-authority", cluster, f"{where}: cluster")
    credentials = _credentials(user, server, where)
    context = _ssl_context(ca, insecure, credentials.cert, where) if server.startswith("https") else None
    return Connection(
        server=server.rstrip("/"),
        ssl_context=context,
        headers=credentials.headers,
        proxy=_string(values, "proxy-url", f"{where}: cluster", required=False),
        tls_server_name=_string(values, "tls-server-name", f"{where}: cluster", required=False),
    )


@dataclass(slots=True)
class _Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    cert: tuple[bytes, bytes] | None = None  # client certificate and key, PEM


def _credentials(user: _Entry, server: str, where: str) -> _Credentials:
    values, who = user.value, f"{where}: user"
    for unsupported in ("auth-provider", "as", "as-groups", "as-uid", "as-user-extra"):
        if values.get(unsupported):
            raise KubeconfigError(f"{who}: {unsupported} is not supported by kgov (use an exec plugin)")
    found = _Credentials()
    token = _string(values, "token", who, required=False)
    token_file = _string(values, "tokenFile", who, required=False)
    if token is None and token_file:
        token = _read_bytes(user.base / token_file, "token file").decode("utf-8", "replace").strip()
    username = _string(values, "username", who, required=False)
    if username is not None:
        password = _string(values, "password", who, required=False) or ""
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        found.headers["Authorization"] = f"Basic {basic}"
    cert = _file_or_data(values, "client-certificate", user, who)
    key = _file_or_data(values, "client-key", user, who)
    if (cert is None) != (key is None):
        raise KubeconfigError(f"{who}: a client certificate needs its key and a key its certificate")
    found.cert = (cert, key) if cert is not None and key is not None else None
    if values.get("exec") is not None:
        token, exec_cert = _exec_plugin(values["exec"], user.base, server, who)
        found.cert = exec_cert or found.cert
    if token:
        found.headers["Authorization"] = f"Bearer {_header_safe(token, who)}"
    return found


def _header_safe(token: str, who: str) -> str:
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in token):
        raise KubeconfigError(f"{who}: the token holds characters a header cannot carry")
    return token


def _exec_plugin(
    spec: Any, base: Path, server: str, who: str
) -> tuple[str | None, tuple[bytes, bytes] | None]:
    """Run the login plugin (with a timeout, no terminal) and return its token or client certificate."""
    where = f"{who}: exec"
    if not isinstance(spec, dict):
        raise KubeconfigError(f"{where} is not a mapping")
    command = _string(spec, "command", where)
    assert command is not None
    args = spec.get("args") or []
    env_list = spec.get("env") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise KubeconfigError(f"{where}: args is not a list of strings")
    if not isinstance(env_list, list) or not all(
        isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("value"), str)
        for e in env_list
    ):
        raise KubeconfigError(f"{where}: env is not a list of name/value pairs")
    api_version = _string(spec, "apiVersion", where, required=False) or EXEC_API_VERSIONS[0]
    if api_version not in EXEC_API_VERSIONS:
        raise KubeconfigError(f"{where}: apiVersion {escape.quoted(api_version)} is not supported")
    if spec.get("interactiveMode") == "Always":
        raise KubeconfigError(f"{where}: the plugin needs a terminal (interactiveMode: Always)")
    info = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo") is True:
        info["spec"] = {"interactive": False, "cluster": {"server": server}}
    env = {
        **os.environ,
        **{e["name"]: e["value"] for e in env_list},
        "KUBERNETES_EXEC_INFO": json.dumps(info),
    }
    executable = str(base / command) if os.sep in command and not Path(command).is_absolute() else command
    shown = escape.quoted(command)
    try:
        done = subprocess.run(
            [executable, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=EXEC_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise KubeconfigError(f"{where}: login plugin {shown} did not finish in {EXEC_TIMEOUT:g} s") from None
    except OSError as exc:
        hint = spec.get("installHint")
        extra = f" ({escape.line(hint.strip())})" if isinstance(hint, str) and hint.strip() else ""
        raise KubeconfigError(f"{where}: cannot run login plugin {shown}: {exc.strerror}{extra}") from None
    if done.returncode != 0:
        detail = escape.line(done.stderr.decode("utf-8", "replace").strip()[-300:])
        raise KubeconfigError(f"{where}: login plugin {shown} failed (exit {done.returncode}): {detail}")
    return _exec_status(done.stdout, where, shown)


def _exec_status(stdout: bytes, where: str, shown: str) -> tuple[str | None, tuple[bytes, bytes] | None]:
    try:
        status = json.loads(stdout).get("status")
    except (ValueError, AttributeError, RecursionError):
        status = None
    if not isinstance(status, dict):
        raise KubeconfigError(f"{where}: login plugin {shown} did not print an ExecCredential with a status")
    token = status.get("token")
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if isinstance(token, str) and token:
        return token, None
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        return None, (cert.encode(), key.encode())
    raise KubeconfigError(f"{where}: login plugin {shown} returned neither a token nor a client certificate")


def _ssl_context(
    ca: bytes | None, insecure: bool, cert: tuple[bytes, bytes] | None, where: str
) -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif ca is not None:
            context.load_verify_locations(cadata=ca.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError) as exc:
        raise KubeconfigError(
            f"{where}: the certificate authority does not load ({_first_line(exc)})"
        ) from None
    if cert is not None:
        _load_client_certificate(context, *cert, where)
    return context


def _load_client_certificate(context: ssl.SSLContext, cert: bytes, key: bytes, where: str) -> None:
    """ssl loads certificates from files only: both go to a private folder, removed right after."""
    with tempfile.TemporaryDirectory(prefix="kgov-") as folder:
        cert_path, key_path = Path(folder, "client.crt"), Path(folder, "client.key")
        for path, content in ((cert_path, cert), (key_path, key)):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(content)
        try:
            context.load_cert_chain(cert_path, key_path)
        except (ssl.SSLError, ValueError, OSError) as exc:
            raise KubeconfigError(
                f"{where}: the client certificate or key does not load ({_first_line(exc)})"
            ) from None


def _in_cluster() -> Connection:
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    token = _read_bytes(SERVICE_ACCOUNT / "token", "service account token").decode("utf-8", "replace").strip()
    ca = _read_bytes(SERVICE_ACCOUNT / "ca.crt", "service account CA")
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    headers = {"Authorization": f"Bearer {_header_safe(token, 'service account')}"}
    return Connection(server, _ssl_context(ca, False, None, "service account"), headers)
