"""ingress-nginx annotations read into what one Ingress asks of the data plane (its intent), each key
either carried over or reported with the catalogue's class and notes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kgov.catalogue import NGINX_PREFIX, AnnotationCatalogue, Catalogue, Controller
from kgov.migration.convert_model import Level, Note
from kgov.migration.values import AnnotationValues, CanaryRule, canary_rule, redirect_code

# ingress-nginx defaults (docs/user-guide/nginx-configuration/annotations.md, CORS section).
CORS_DEFAULT_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
CORS_DEFAULT_HEADERS = "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
CORS_DEFAULT_MAX_AGE = 1728000
CORS_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"}
_ORIGIN = re.compile(
    r"(^\*$)|(^(http(s)?)://(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)"
)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
_CAPTURE = re.compile(r"\$(\d|\{)")
REDIRECT_CODES = {301, 302, 303, 307, 308}
SSL_REDIRECT_CODE = 308  # ingress-nginx `http-redirect-code` default
WWW_REDIRECT_CODE = 308

# Keys this converter carries over (some with a recorded gap); every other key is reported.
CANARY_KEYS = {
    "canary",
    "canary-weight",
    "canary-weight-total",
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
}
CORS_KEYS = {
    "enable-cors",
    "cors-allow-origin",
    "cors-allow-methods",
    "cors-allow-headers",
    "cors-expose-headers",
    "cors-allow-credentials",
    "cors-max-age",
}
TIMEOUT_KEYS = ("proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout")
BACKEND_TLS_KEYS = {"proxy-ssl-verify", "proxy-ssl-secret", "proxy-ssl-name", "proxy-ssl-server-name"}


@dataclass(slots=True)
class BackendTLS:
    hostname: str | None = None
    ca_config_map: str | None = None


@dataclass(slots=True)
class Intent:
    """What one Ingress's annotations ask for, in Gateway API terms."""

    regex: bool = False
    rewrite_path: str | None = None
    rewrite_host: str | None = None
    redirect: dict[str, Any] | None = None
    app_root: str | None = None
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    www_redirect: bool = False
    aliases: list[str] = field(default_factory=list)
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    cors: dict[str, Any] | None = None
    timeout: str | None = None
    protocol: str = "HTTP"
    backend_tls: BackendTLS | None = None
    passthrough: bool = False
    canary: CanaryRule | None = None
    notes: list[Note] = field(default_factory=list)


ConfigMapLookup = Callable[[str | None, str], Mapping[str, str] | None]


class IntentReader:
    """Reads one Ingress's annotations; `note` records what is not carried over exactly."""

    def __init__(
        self,
        namespace: str | None,
        name: str,
        annotations: Mapping[str, str],
        catalogue: AnnotationCatalogue | None,
        config_maps: ConfigMapLookup,
    ) -> None:
        self.namespace, self.name = namespace, name
        self.typed = AnnotationValues(annotations, NGINX_PREFIX)
        self.values = self.typed.values
        self.catalogue = catalogue
        self.config_maps = config_maps
        self.intent = Intent()
        self.used: set[str] = set()

    def note(self, key: str, level: Level, reason: str) -> None:
        entry = self.catalogue.lookup(key) if self.catalogue else None
        klass = (entry.klass if entry else None) or "?"
        self.intent.notes.append(Note(self.namespace, self.name, NGINX_PREFIX + key, klass, level, reason))

    def get(self, key: str) -> str | None:
        if key in self.values:
            self.used.add(key)
        return self.typed.get(key)

    def flag(self, key: str, default: bool = False) -> bool:
        if key in self.values:
            self.used.add(key)
        return self.typed.flag(key, default)

    def integer(self, key: str, default: int) -> int:
        if key in self.values:
            self.used.add(key)
        return self.typed.number(key, default)

    def read(self) -> Intent:
        canary = self.flag("canary")
        if canary:
            self._canary()
        else:
            self.used.update(k for k in CANARY_KEYS if k in self.values)
        self._paths()
        self._redirects()
        self._headers()
        self._cors()
        self._timeouts()
        self._protocol()
        self._unused(canary)
        for invalid in self.typed.invalid.values():
            self.note(invalid.key, "info", invalid.message())
        return self.intent

    # ---- families -------------------------------------------------------------------------------

    def _canary(self) -> None:
        spec = canary_rule(self.integer, self.get)
        if spec.header and not _HEADER_NAME.match(spec.header):
            self.note("canary-by-header", "blocker", "not a valid HTTP header name")
            spec.header = None
        if spec.header_pattern and spec.header and not spec.header_value:
            self.note(
                "canary-by-header-pattern",
                "gap",
                "header match of type RegularExpression: ingress-nginx uses PCRE, Gateway API regex "
                "flavour and support are implementation-specific",
            )
        if spec.cookie:
            self.note(
                "canary-by-cookie",
                "gap",
                "no cookie matcher in Gateway API; written as a RegularExpression match on the Cookie "
                "header, whose support is implementation-specific",
            )
        self.intent.canary = spec

    def _paths(self) -> None:
        self.intent.regex = self.flag("use-regex")
        target = self.get("rewrite-target")
        if self.intent.regex:
            self.note(
                "use-regex",
                "gap",
                "written as case-insensitive RegularExpression prefix matches ((?i)<path>.*) on every "
                "path of the host; Gateway API regex support is implementation-specific",
            )
        if target is None:
            return
        self.intent.regex = True
        if _CAPTURE.search(target):
            self.note(
                "rewrite-target",
                "blocker",
                "capture-group references need an implementation-specific filter; the rewrite is not written",
            )
        elif not target.startswith("/"):
            self.note("rewrite-target", "blocker", "not an absolute path; the rewrite is not written")
        else:
            self.intent.rewrite_path = target
            self.note(
                "rewrite-target",
                "gap",
                "URLRewrite ReplaceFullPath (NGINX replaces the whole URI); the annotation also turns the "
                "host's paths into case-insensitive RegularExpression matches",
            )

    def _redirects(self) -> None:
        temporal, permanent = self.get("temporal-redirect"), self.get("permanent-redirect")
        if temporal and permanent:
            self.note("permanent-redirect", "info", "temporal-redirect takes precedence, as in ingress-nginx")
        if temporal:
            self._redirect("temporal-redirect", temporal, self._code("temporal"))
        elif permanent:
            self._redirect("permanent-redirect", permanent, self._code("permanent"))
        app_root = self.get("app-root")
        if app_root is not None:
            if app_root.startswith("/") and _valid_path(app_root):
                self.intent.app_root = app_root
            else:
                self.note("app-root", "blocker", "only an absolute path can be written as a redirect path")
        self.intent.ssl_redirect = self.flag("ssl-redirect", default=True)
        self.intent.force_ssl_redirect = self.flag("force-ssl-redirect")
        if self.get("preserve-trailing-slash") is not None:
            self.note(
                "preserve-trailing-slash", "info", "Gateway API redirects keep the request path as it is"
            )
        self.intent.www_redirect = self.flag("from-to-www-redirect")
        aliases = self.get("server-alias")
        if aliases:
            self.intent.aliases = [a.strip() for a in aliases.split(",") if a.strip()]

    def _code(self, kind: str) -> int:
        """The code ingress-nginx answers with (`redirect_code`), if Gateway API has it."""
        key = f"{kind}-redirect-code"
        if key in self.values:
            self.used.add(key)
        code = redirect_code(self.typed, kind)
        if code not in REDIRECT_CODES:
            default = 302 if kind == "temporal" else 301
            self.note(
                key,
                "blocker",
                f"ingress-nginx answers {code}; Gateway API redirects only use {sorted(REDIRECT_CODES)}: "
                f"{default} written",
            )
            return default
        return code

    def _redirect(self, key: str, url: str, code: int) -> None:
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            self.note(key, "blocker", "the URL's query string or fragment has no RequestRedirect field")
            return
        if (parts.scheme and parts.scheme not in ("http", "https")) or (parts.scheme and not parts.hostname):
            self.note(key, "blocker", "only http(s) URLs with a host, or absolute paths, can be written")
            return
        path = parts.path or "/"
        if not _valid_path(path):
            self.note(key, "blocker", "the URL path is not a valid Gateway API path")
            return
        redirect: dict[str, Any] = {"statusCode": code}
        if parts.scheme:
            redirect["scheme"] = parts.scheme
            redirect["hostname"] = parts.hostname
            if parts.port is not None:
                redirect["port"] = parts.port
        redirect["path"] = {"type": "ReplaceFullPath", "replaceFullPath": path}
        self.intent.redirect = redirect

    def _headers(self) -> None:
        vhost = self.get("upstream-vhost")
        if vhost:
            self.intent.rewrite_host = vhost
        for key, header in (
            ("x-forwarded-prefix", "X-Forwarded-Prefix"),
            ("connection-proxy-header", "Connection"),
        ):
            value = self.get(key)
            if value:
                self.intent.request_headers[header] = value
        custom = self.get("custom-headers")
        if custom is None:
            return
        namespace, _, name = custom.rpartition("/")
        data = self.config_maps(namespace or self.namespace, name)
        if data is None:
            self.note(
                "custom-headers",
                "blocker",
                f"ConfigMap {custom} is not in the input; its headers are not written",
            )
            return
        bad = [h for h in data if not _HEADER_NAME.match(h)]
        if bad:
            self.note("custom-headers", "blocker", f"not valid header names: {', '.join(sorted(bad))}")
        self.intent.response_headers.update({h: v for h, v in data.items() if h not in bad})

    def _cors(self) -> None:
        if not self.flag("enable-cors"):
            for key in sorted(CORS_KEYS & self.values.keys() - {"enable-cors"}):
                self.get(key)
                self.note(key, "info", "has no effect without enable-cors, as in ingress-nginx")
            return
        origins = _split(self.get("cors-allow-origin") or "*")
        bad = [o for o in origins if not _ORIGIN.match(o)]
        if bad:
            self.note(
                "cors-allow-origin", "blocker", f"origins Gateway API does not accept: {', '.join(bad)}"
            )
        origins = [o for o in origins if o not in bad] or ["*"]
        if "*" in origins:
            origins = ["*"]
        methods = [m.upper() for m in _split(self.get("cors-allow-methods") or CORS_DEFAULT_METHODS)]
        unknown = [m for m in methods if m not in CORS_METHODS]
        if unknown:
            self.note(
                "cors-allow-methods", "blocker", f"methods Gateway API does not accept: {', '.join(unknown)}"
            )
        cors: dict[str, Any] = {
            "allowOrigins": origins,
            "allowMethods": _unique([m for m in methods if m in CORS_METHODS]) or ["GET"],
            "allowHeaders": _headers_list(self.get("cors-allow-headers") or CORS_DEFAULT_HEADERS),
            "allowCredentials": self.flag("cors-allow-credentials", default=True),
            "maxAge": self._max_age(),
        }
        exposed = _headers_list(self.get("cors-expose-headers") or "")
        if exposed:
            cors["exposeHeaders"] = exposed
        self.intent.cors = cors

    def _max_age(self) -> int:
        age = self.integer("cors-max-age", CORS_DEFAULT_MAX_AGE)
        if age < 1:
            self.note("cors-max-age", "blocker", f"{age} is below the CORS filter's minimum of 1 second")
            return CORS_DEFAULT_MAX_AGE
        return age

    def _timeouts(self) -> None:
        seconds = [self._seconds(k) for k in TIMEOUT_KEYS if k in self.values]
        if not seconds or max(seconds) == 0:
            return
        longest = min(max(seconds), 99999)
        self.intent.timeout = f"{longest}s"
        used = [k for k in TIMEOUT_KEYS if k in self.values]
        self.note(
            used[0],
            "gap",
            f"NGINX times each connect/read/send separately; written as one whole-request timeout of "
            f"{longest}s (the longest of {', '.join(used)})",
        )

    def _seconds(self, key: str) -> int:
        """proxy-*-timeout is an int of seconds (`proxy/main.go` ValidateInt): `10s` is invalid, so
        the controller keeps its ConfigMap's timeout and nothing is written for it."""
        return max(self.integer(key, 0), 0)

    def _protocol(self) -> None:
        self.intent.passthrough = self.flag("ssl-passthrough")
        protocol = (self.get("backend-protocol") or "HTTP").upper()
        if protocol in ("HTTP", "AUTO_HTTP"):
            protocol = "HTTP"
        elif protocol not in ("HTTPS", "GRPC", "GRPCS"):
            self.note("backend-protocol", "blocker", f"{protocol} backends have no Gateway API equivalent")
            protocol = "HTTP"
        self.intent.protocol = protocol
        if protocol in ("HTTPS", "GRPCS"):
            self._backend_tls()
        elif BACKEND_TLS_KEYS & self.values.keys():
            for key in sorted(BACKEND_TLS_KEYS & self.values.keys()):
                self.get(key)
                self.note(key, "info", "has no effect unless backend-protocol is HTTPS or GRPCS")

    def _backend_tls(self) -> None:
        tls = BackendTLS(hostname=self.get("proxy-ssl-name"))
        verify = self.flag("proxy-ssl-verify")
        secret = self.get("proxy-ssl-secret")
        if secret:
            namespace, _, name = secret.rpartition("/")
            if not name:
                self.note("proxy-ssl-secret", "blocker", "names no Secret")
            elif namespace and namespace != (self.namespace or namespace):
                self.note(
                    "proxy-ssl-secret",
                    "blocker",
                    "BackendTLSPolicy CA references are same-namespace only; the Secret is in another namespace",
                )
            else:
                tls.ca_config_map = name
                self.note(
                    "proxy-ssl-secret",
                    "gap",
                    f"BackendTLSPolicy reads the CA from ConfigMap {name!r} (key ca.crt), which must be "
                    "created; a client certificate is Gateway-wide (spec.tls.backend) and not written",
                )
        if not verify:
            self.note(
                "backend-protocol",
                "gap",
                "ingress-nginx does not verify the backend certificate unless proxy-ssl-verify is on; "
                "BackendTLSPolicy always verifies (against the system CAs unless a CA is given)",
            )
        if self.get("proxy-ssl-server-name") in ("off", "false"):
            self.note("proxy-ssl-server-name", "gap", "BackendTLSPolicy always sends SNI")
        self.intent.backend_tls = tls

    def _unused(self, canary: bool) -> None:
        for key in sorted(self.values.keys() - self.used):
            entry = self.catalogue.lookup(key) if self.catalogue else None
            if canary and not key.startswith("canary"):
                self.note(key, "info", "ingress-nginx ignores it on a canary Ingress")
                continue
            if entry is None:
                self.note(key, "blocker", "not an ingress-nginx annotation this converter knows")
                continue
            detail = entry.notes or f"Gateway API: {entry.gateway or 'none'}"
            if entry.key != key:
                detail = f"alias of {entry.key}; Gateway API: {entry.gateway or 'none'}"
            reason = {
                "I": "needs an implementation-specific policy",
                "X": "needs the Experimental channel",
                "—": "no Gateway API equivalent",
            }.get(entry.klass or "", "not converted")
            self.note(key, "blocker", f"{reason}: {detail}")


def read_intent(
    namespace: str | None,
    name: str,
    annotations: Mapping[str, str],
    catalogue: Catalogue,
    controller: Controller | None,
    config_maps: ConfigMapLookup,
) -> Intent:
    nginx = catalogue.catalogue_for(NGINX_PREFIX, catalogue.get("ingress-nginx"))
    intent = IntentReader(namespace, name, annotations, nginx, config_maps).read()
    intent.notes.extend(_foreign(namespace, name, annotations, catalogue, controller))
    return intent


def _foreign(
    namespace: str | None,
    name: str,
    annotations: Mapping[str, str],
    catalogue: Catalogue,
    controller: Controller | None,
) -> list[Note]:
    """Annotations of other controllers' prefixes: none is carried over."""
    notes = []
    for key in sorted(annotations):
        if key.startswith(NGINX_PREFIX):
            continue
        found = catalogue.prefix_of(key, controller)
        if found is None:
            continue
        prefix, owners = found
        own = catalogue.catalogue_for(prefix, controller)
        entry = own.lookup(key[len(prefix) :]) if own else None
        klass = (entry.klass if entry else None) or "?"
        detail = f" ({entry.notes})" if entry and entry.notes else ""
        owner = ", ".join(sorted(owners))
        notes.append(
            Note(namespace, name, key, klass, "blocker", f"{owner} annotation, not converted{detail}")
        )
    return notes


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _headers_list(value: str) -> list[str]:
    headers = _unique([h for h in _split(value) if _HEADER_NAME.match(h)])
    return ["*"] if "*" in headers else headers


_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")


def _valid_path(path: str) -> bool:
    """The Gateway API CEL rules for Exact and PathPrefix values (and redirect/rewrite paths)."""
    if not path.startswith("/") or not _PATH_CHARS.match(path):
        return False
    if any(part in path for part in ("//", "/./", "/../", "%2f", "%2F", "#")):
        return False
    return not (path.endswith("/..") or path.endswith("/."))


valid_path = _valid_path
