# The kube-governor image: `kgov` on a slim Python base, running as an unprivileged user.
# Build: docker build -t kube-governor:0.1.0 .
# The chart runs it as `kgov run --config /etc/kube-governor/config.yaml` with a read-only root
# filesystem and /tmp as its only writable path.

FROM python:3.12-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
# Wheels for kube-governor with the operator extra and its runtime dependencies only (no dev extras, no
# build tools in the final image).
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[operator]"

FROM python:3.12-slim-bookworm
RUN groupadd --system --gid 65532 kgov \
 && useradd --system --uid 65532 --gid 65532 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin kgov
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "kube-governor[operator]" \
 && rm -rf /wheels
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["kgov"]
CMD ["--help"]
