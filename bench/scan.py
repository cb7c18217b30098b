"""Scan benchmark: kube-governor against the YAML parse floor and against checkov, in one run.

For the corpus and for generated sets of 1x, 10x and 100x its size (in documents) it times, each a
few times and taking the median:

- parse: PyYAML's C loader (`yaml.CSafeLoader`) reading and parsing the same files, nothing else;
- kgov parse: kgov's own parser on the same files (rapidyaml's tree, PyYAML for what it leaves);
- kgov in-process: what `kgov scan` does between reading its arguments and rendering the report,
  timed inside this process: load (read, split, parse, lift metadata), inventory (projections and
  indices) and evaluate (every check), plus placing error lines;
- kgov process: `python -m kgov scan DIR -o json` as a whole process (start-up, config, rendering);
- checkov: `checkov -d DIR --framework kubernetes --quiet --compact` from its own virtualenv under
  `bench/.venv-checkov` (installed on first use, version pinned below).

It prints a table and writes `bench/results/scan.json`. `--quick` runs in seconds on a corpus
subset and a small generated set (checkov only if already installed) so CI keeps it working.

    .venv/bin/python bench/scan.py            # full run (the 100x set takes several minutes)
    .venv/bin/python bench/scan.py --quick
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402 - the sibling module, importable once BENCH is on the path

try:
    import kgov
    from kgov import decode, fastyaml
    from kgov.analysis import Capabilities, evaluate, resolve_params, select_checks
    from kgov.checks.builtin import default_registry
    from kgov.commands.common import collector_paused
    from kgov.config import load_config
    from kgov.inventory import Inventory
    from kgov.report.formats import render_json
    from kgov.report.model import ScanReport
    from kgov.sources.files import LoadResult, discover, read_source, split_documents
    from kgov.sources.locate import refine_lines
except ImportError:  # pragma: no cover - a usage error, not a bug
    sys.exit(
        "kgov is not importable: run with the project's virtualenv (scripts/setup, then .venv/bin/python)"
    )

CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = BENCH / ".venv-checkov"
OUT = BENCH / "out"
RESULTS = BENCH / "results" / "scan.json"
QUICK_RESULTS = OUT / "scan-quick.json"
QUICK_SIZES = (200, 400)  # documents
LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Sets with more documents than this are timed once: one run of the 100x set takes minutes.
ONE_RUN_ABOVE = 50_000
# Above this many documents checkov is timed on the first repeat only: one run of 10x takes it
# many minutes (and it grows faster than the input).
CHECKOV_ONCE_ABOVE = 10_000
BUDGET_KGOV_OVER_PARSE = 1.5
# Issue 19: the whole `kgov scan` process of the corpus within the C loader's parse of it, and at least
# 30x faster than checkov there.
BUDGET_PROCESS_OVER_PARSE = 1.0
BUDGET_CHECKOV_OVER_KGOV = 30.0
# Per-document kgov time at the largest generated set over the smallest: 1.0 is linear; the margin
# absorbs the noise of a shared machine.
LINEARITY_TOLERANCE = 1.25


@dataclass
class DataSet:
    name: str
    path: Path
    multiple: float | None  # of the corpus, for generated sets
    files: int = 0
    documents: int = 0
    bytes: int = 0


@dataclass
class Timing:
    """Wall-clock and CPU seconds of each run (CPU of child processes for whole-process runs)."""

    runs: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.runs.append(wall)
        self.cpu.append(cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---- what is timed ---------------------------------------------------------------------------


def parse_floor(files: list[Path]) -> int:
    """Read and parse every file with the C loader, keeping nothing: the least any YAML tool does.

    It runs with the cyclic collector paused, as `kgov scan` does: left on, the collector walks each
    large document while it is built, and the floor would be slower than kgov on the corpus.
    """
    with collector_paused():
        return _parse_all(files)


def _parse_all(files: list[Path]) -> int:
    documents = 0
    for path in files:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        try:
            if path.suffix.lower() == ".json":
                json.loads(text)
                documents += 1
            else:
                documents += sum(1 for doc in yaml.load_all(text, Loader=LOADER) if doc is not None)
        except (ValueError, yaml.YAMLError):
            continue  # kgov reports these; the floor just moves on
    return documents


def kgov_parse(files: list[Path]) -> int:
    """kgov's own parse of the same files: read, decode, split into documents, and each parsed as
    `kgov scan` parses it past its first megabyte (rapidyaml's tree, PyYAML for what it leaves), the
    collector paused. Timed beside the floor, it is the parser's share of the analysis."""
    parsers = decode._Parsers(fast_after=0)
    documents = 0
    with collector_paused():
        for path in files:
            text = decode.decode(path.read_bytes())
            if text is None or path.suffix.lower() == ".json":
                continue
            for _, chunk in split_documents(text):
                if parsers.load(chunk) is fastyaml.FALLBACK:
                    try:
                        yaml.load(chunk, Loader=decode._Loader)
                    except yaml.YAMLError:
                        continue
                documents += 1
    return documents


@dataclass
class KgovRun:
    load_s: float
    inventory_s: float
    evaluate_s: float
    report_s: float  # the JSON report rendered from the evaluation
    cpu_s: float
    objects: int
    documents: int
    findings: Counter[str]
    errors: int

    @property
    def total_s(self) -> float:
        """The analysis: what the budget against the parse floor counts (the report is timed apart)."""
        return self.load_s + self.inventory_s + self.evaluate_s


class KgovInProcess:
    """`kgov scan`'s own work on files, as the CLI does it, with the registry and config made once."""

    def __init__(self) -> None:
        self.registry = default_registry()
        self.config = load_config(None)
        self.params = resolve_params(self.registry, self.config)
        self.checks = select_checks(self.registry, self.config)

    def run(self, root: Path) -> KgovRun:
        with collector_paused():  # as `kgov scan` runs it
            cpu_start = time.process_time()
            start = time.perf_counter()
            sources, errors = discover([str(root)])
            loaded = LoadResult(errors=errors)
            for source in sources:
                loaded.extend(read_source(source))
            loaded_at = time.perf_counter()
            inventory = Inventory(loaded.objects)
            inventory_at = time.perf_counter()
            evaluation = evaluate(inventory, self.checks, self.config, self.params, Capabilities())
            evaluation.errors[:0] = [*loaded.errors, *inventory.errors]
            refine_lines(evaluation.errors, loaded.texts)
            done = time.perf_counter()
            report = ScanReport(
                evaluation, self.checks, documents=loaded.documents, objects=len(loaded.objects)
            )
            render_json(report)
            reported = time.perf_counter()
            cpu = time.process_time() - cpu_start
        return KgovRun(
            load_s=loaded_at - start,
            inventory_s=inventory_at - loaded_at,
            evaluate_s=done - inventory_at,
            report_s=reported - done,
            cpu_s=cpu,
            objects=len(loaded.objects),
            documents=loaded.documents,
            findings=Counter(f.check for f in evaluation.findings),
            errors=len(evaluation.errors),
        )


def timed_process(
    command: list[str], **options: Any
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a command to completion: wall seconds, CPU seconds of it and its children, the result."""
    cpu_start = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    return time.perf_counter() - start, children_cpu() - cpu_start, done


def kgov_process(root: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "kgov", "scan", str(root), "-o", "json"]
        wall, cpu, done = timed_process([*command, "--output-file", str(report)])
        if done.returncode not in (0, 1, 2) or not report.is_file():
            raise RuntimeError(f"kgov scan failed ({done.returncode}): {done.stderr[-2000:]}")
        json.loads(report.read_text(encoding="utf-8"))
    return wall, cpu


def checkov_bin() -> Path:
    return CHECKOV_VENV / "bin" / "checkov"


def ensure_checkov(install: bool) -> str | None:
    """The checkov version in the bench's own virtualenv, installing it if asked; None if absent."""
    if not checkov_bin().is_file():
        if not install:
            return None
        print(f"installing checkov {CHECKOV_VERSION} into {CHECKOV_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        pip = [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"checkov=={CHECKOV_VERSION}"], check=True)
    done = subprocess.run([str(checkov_bin()), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def checkov_process(root: Path) -> tuple[float, float]:
    # --skip-download: checkov's cloud is out of reach here, and its retries would be timed too.
    command = [
        str(checkov_bin()),
        *("-d", str(root), "--framework", "kubernetes", "--quiet", "--compact", "--skip-download"),
    ]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    wall, cpu, done = timed_process(command, env=env, cwd=root)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, cpu


# ---- start-up: one small file, the pre-commit case ----------------------------------------------

# A typical file a pre-commit hook hands kgov: one Deployment and its Service.
ONE_FILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:1.4.2
          ports: [{containerPort: 8080}]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
BUDGET_ONE_FILE_OVER_IMPORT_YAML = 4.0
# Never imported by `kgov scan FILE -o json`: other output formats, other subcommands, the operator,
# the package metadata pydantic's plugin loader reads (the CLI runs without pydantic plugins), and
# chart rendering with the process and file machinery it needs.
NOT_ON_SCAN_PATH = (
    "importlib.metadata",
    "kgov.sources.render",
    "shutil",
    "subprocess",
    "rich",
    "kopf",
    "kubernetes",
    "kgov.operator",
    "kgov.commands.gate",
    "kgov.commands.convert",
    "kgov.commands.run",
    "kgov.migration.convert",
    "kgov.report.table",
    "kgov.report.compact",
    "kgov.report.github",
    "kgov.report.sarif",
    "kgov.report.junit",
    "kgov.report.codequality",
    "kgov.report.markdown",
    "kgov.report.html",
    "kgov.report.policyreport",
)


DEPENDENCIES_IN_USE = """
import yaml, click
from pydantic import BaseModel, ConfigDict
class One(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)
    name: str
One.model_validate({"name": "web"})
"""
# The same as kgov runs it: without pydantic's search for plugins (see kgov.commands.plugins).
DEPENDENCIES_IN_USE_WITHOUT_PLUGINS = (
    "from kgov.commands.plugins import without_pydantic_plugins\nwithout_pydantic_plugins()\n"
    + DEPENDENCIES_IN_USE
)


def startup(work: Path, repeats: int) -> dict[str, Any]:
    """`kgov scan one-file.yaml -o json` as a whole process against `python -c 'import yaml'` (and
    the interpreter alone, and the libraries kgov cannot start without), CPU medians; and what
    `python -X importtime` shows for that scan."""
    # As installed: bytecode compiled (PYTHONDONTWRITEBYTECODE or a fresh checkout would otherwise
    # have every start compile kgov's sources, which is not what a user's start costs).
    compileall.compile_dir(Path(kgov.__file__).parent, quiet=1)
    one = work / "one-file.yaml"
    one.parent.mkdir(parents=True, exist_ok=True)
    one.write_text(ONE_FILE, encoding="utf-8")
    report = work / "one-file.json"
    commands = {
        "python": [sys.executable, "-c", "pass"],
        "import_yaml": [sys.executable, "-c", "import yaml"],
        "dependencies": [sys.executable, "-c", "import yaml, click; from pydantic import BaseModel"],
        # The same with one pydantic model defined and used: what any pydantic projection costs first.
        "dependencies_in_use": [sys.executable, "-c", DEPENDENCIES_IN_USE],
        "dependencies_in_use_without_plugins": [sys.executable, "-c", DEPENDENCIES_IN_USE_WITHOUT_PLUGINS],
        "kgov_scan_one_file": [
            *(sys.executable, "-m", "kgov", "scan", str(one), "-o", "json"),
            *("--output-file", str(report)),
        ],
        "kgov_version": [sys.executable, "-m", "kgov", "version"],
        "kgov_help": [sys.executable, "-m", "kgov", "--help"],
    }
    timings = {name: Timing() for name in commands}
    for _ in range(repeats):  # interleaved, so a busy moment weighs on every command alike
        for name, command in commands.items():
            wall, cpu, done = timed_process(command)
            if done.returncode not in (0, 1):
                raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
            timings[name].add(wall, cpu)
    floor = timings["import_yaml"]
    scan = timings["kgov_scan_one_file"]
    return {
        "repeats": repeats,
        "wall_s": {name: t.median for name, t in timings.items()},
        "cpu_s": {name: t.cpu_median for name, t in timings.items()},
        "ratios": {
            "kgov_scan/import_yaml": scan.median / floor.median,
            "kgov_scan/import_yaml_cpu": scan.cpu_median / floor.cpu_median,
            "dependencies/import_yaml_cpu": timings["dependencies"].cpu_median / floor.cpu_median,
            "dependencies_in_use/import_yaml_cpu": timings["dependencies_in_use"].cpu_median
            / floor.cpu_median,
            "dependencies_in_use_without_plugins/import_yaml_cpu": timings[
                "dependencies_in_use_without_plugins"
            ].cpu_median
            / floor.cpu_median,
            "kgov_version/python_cpu": timings["kgov_version"].cpu_median / timings["python"].cpu_median,
        },
        "imports": import_times([*commands["kgov_scan_one_file"][1:]]),
        "profile": startup_profile(commands["kgov_scan_one_file"][3:], repeats),
    }


def import_times(arguments: list[str]) -> dict[str, Any]:
    """`python -X importtime` of a kgov command: the modules it imports, the slowest by their own
    time, and whether any module that has no business on that path was imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *arguments], capture_output=True, text=True, check=False
    )
    own: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[len("import time:") :].split("|"))
        own[name], cumulative[name] = int(self_us), int(cumulative_us)
    kgov_own = {name: us for name, us in own.items() if name == "kgov" or name.startswith("kgov.")}
    return {
        "modules": len(own),
        "kgov_modules": len(kgov_own),
        "total_us": sum(own.values()),
        "kgov_cli_cumulative_us": cumulative.get("kgov.cli"),
        "yaml_cumulative_us": cumulative.get("yaml"),
        "slowest_own_us": dict(sorted(own.items(), key=lambda item: -item[1])[:15]),
        "not_on_scan_path": sorted(
            name for name in own if any(name == m or name.startswith(m + ".") for m in NOT_ON_SCAN_PATH)
        ),
    }


# Runs a kgov command in-process and writes, as JSON, the CPU each module's import took itself and
# who imported it, and the CPU of the whole command (`main`), for `startup_profile`.
PROFILE_DRIVER = """
import json, sys, time
import _frozen_importlib_external as loaders
own, parent, stack = {}, {}, []
def timed(loader):
    run = loader.exec_module
    def exec_module(self, module):
        name = module.__name__
        parent.setdefault(name, stack[-1][0] if stack else None)
        start = time.process_time()
        stack.append([name, 0.0])
        try:
            return run(self, module)
        finally:
            _, children = stack.pop()
            spent = time.process_time() - start
            own[name] = own.get(name, 0.0) + spent - children
            if stack:
                stack[-1][1] += spent
    loader.exec_module = exec_module
for loader in (loaders.SourceFileLoader, loaders.SourcelessFileLoader, loaders.ExtensionFileLoader):
    timed(loader)
out = sys.argv[1]
start = time.process_time()
try:
    from kgov.cli import main
    main(sys.argv[2:])
except SystemExit:
    pass
total = time.process_time() - start
with open(out, "w") as f:
    json.dump({"total": total, "own": own, "parent": parent}, f)
"""
PROFILE_GROUPS = ("yaml", "click", "pydantic", "kgov")
# pydantic's own dependencies count as pydantic.
PYDANTIC_PARTS = ("pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection")


def _group(name: str, parent: dict[str, str | None]) -> str:
    """Which of PROFILE_GROUPS a module's import is charged to: its own package's, or for the standard
    library, the package whose import brought it in ("stdlib" when the command itself did, at run
    time)."""
    seen: str | None = name
    while seen is not None:
        top = seen.split(".", 1)[0]
        if top in PYDANTIC_PARTS:
            return "pydantic"
        if top in PROFILE_GROUPS:
            return top
        seen = parent.get(seen)
    return "stdlib"


def startup_profile(arguments: list[str], repeats: int) -> dict[str, Any]:
    """Where a kgov command's CPU goes after the interpreter has started (medians over `repeats` runs,
    ms): each package's imports with the standard library modules they bring in, kgov's own modules
    (class definitions, data read at import), and the command's work once imported; and kgov's
    modules that cost most by themselves."""
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder, "profile.json")
        for _ in range(repeats):
            subprocess.run([sys.executable, "-c", PROFILE_DRIVER, str(out), *arguments], check=False)
            runs.append(json.loads(out.read_text(encoding="utf-8")))
    stages: list[dict[str, float]] = []
    for run in runs:
        stage = dict.fromkeys((*PROFILE_GROUPS, "stdlib"), 0.0)
        for name, spent in run["own"].items():
            stage[_group(name, run["parent"])] += spent
        stage["work"] = run["total"] - sum(stage.values())
        stages.append(stage)
    median_ms = {key: round(statistics.median(s[key] for s in stages) * 1000, 1) for key in stages[0]}
    kgov_own = {
        name: round(statistics.median(run["own"].get(name, 0.0) for run in runs) * 1000, 2)
        for name in runs[0]["own"]
        if name.startswith("kgov")
    }
    return {
        "repeats": repeats,
        "ms": median_ms,
        "total_ms": round(statistics.median(run["total"] for run in runs) * 1000, 1),
        "kgov_slowest_own_ms": dict(sorted(kgov_own.items(), key=lambda item: -item[1])[:12]),
    }


# ---- data sets -------------------------------------------------------------------------------


def generated(work: Path, name: str, documents: int, multiple: float | None) -> DataSet:
    """A generated set, reused from `work` when it was made by the same generator and seed."""
    path = work / name
    marker = path / ".generated.json"
    wanted = {"generator_version": generate.GENERATOR_VERSION, "seed": generate.DEFAULT_SEED}
    meta = json.loads(marker.read_text()) if marker.is_file() else {}
    if any(meta.get(k) != v for k, v in wanted.items()) or meta.get("requested") != documents:
        print(f"generating {name} ({documents} documents) ...", file=sys.stderr)
        stats = generate.generate(path, documents)
        meta = {**generate.stats_json(stats, generate.DEFAULT_SEED), "requested": documents}
        marker.write_text(json.dumps(meta, indent=2) + "\n")
    return DataSet(name, path, multiple)


def measure_size(data: DataSet) -> list[Path]:
    files = [Path(p) for p in discover([str(data.path)])[0]]
    data.files = len(files)
    data.bytes = sum(p.stat().st_size for p in files)
    return files


def quick_corpus(work: Path) -> Path | None:
    """A small real subset: the corpus's autoscaler and ingress-nginx folders, copied side by side."""
    if not generate.CORPUS.is_dir():
        return None
    target = work / "corpus-quick"
    if not target.is_dir():
        for part in ("autoscaler", "ingress-nginx"):
            shutil.copytree(generate.CORPUS / part, target / part)
    return target


# ---- running ---------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    gc.collect()
    cpu_start, start = time.process_time(), time.perf_counter()
    value = fn()
    return time.perf_counter() - start, time.process_time() - cpu_start, value


def bench_set(
    data: DataSet, repeats: int, kgov: KgovInProcess, with_checkov: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    files = measure_size(data)
    parse, fast, inprocess, process, checkov = Timing(), Timing(), Timing(), Timing(), Timing()
    runs: list[KgovRun] = []
    index = 0
    while index < repeats:
        wall, cpu, data.documents = timed(lambda: parse_floor(files))
        parse.add(wall, cpu)
        wall, cpu, _ = timed(lambda: kgov_parse(files))
        fast.add(wall, cpu)
        if data.documents > ONE_RUN_ABOVE:
            repeats = 1
        gc.collect()
        run = kgov.run(data.path)
        runs.append(run)
        inprocess.add(run.total_s, run.cpu_s)
        gc.collect()
        process.add(*kgov_process(data.path))
        if with_checkov and (index == 0 or data.documents <= CHECKOV_ONCE_ABOVE):
            checkov.add(*checkov_process(data.path))
        index += 1
        log(
            f"  {data.name} run {index}/{repeats}: parse {parse.runs[-1]:.2f}s, "
            f"kgov {run.total_s:.2f}s in-process / {process.runs[-1]:.2f}s process"
            + (f", checkov {checkov.runs[-1]:.2f}s" if len(checkov.runs) == index else "")
        )
    return report_set(data, parse, fast, inprocess, runs, process, checkov if with_checkov else None)


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def report_set(
    data: DataSet,
    parse: Timing,
    fast: Timing,
    inprocess: Timing,
    runs: list[KgovRun],
    process: Timing,
    checkov: Timing | None,
) -> dict[str, Any]:
    median_run = sorted(runs, key=lambda r: r.total_s)[len(runs) // 2]
    per_doc = 1e6 / max(data.documents, 1)
    checkov_s = checkov.median if checkov else None
    checkov_cpu = checkov.cpu_median if checkov else None
    return {
        "name": data.name,
        "multiple": data.multiple,
        "files": data.files,
        "documents": data.documents,
        "bytes": data.bytes,
        "runs": len(parse.runs),
        "checkov_runs": len(checkov.runs) if checkov else 0,
        "parse_s": parse.median,
        "kgov_parse_s": fast.median,
        "kgov_s": inprocess.median,
        "kgov_phases_s": {
            "load": median_run.load_s,
            "inventory": median_run.inventory_s,
            "evaluate": median_run.evaluate_s,
        },
        "report_s": median_run.report_s,
        "kgov_process_s": process.median,
        "checkov_s": checkov_s,
        "cpu_s": {
            "parse": parse.cpu_median,
            "kgov_parse": fast.cpu_median,
            "kgov": inprocess.cpu_median,
            "kgov_process": process.cpu_median,
            "checkov": checkov_cpu,
        },
        "objects": median_run.objects,
        "findings": sum(median_run.findings.values()),
        "findings_by_check": dict(sorted(median_run.findings.items())),
        "input_errors": median_run.errors,
        "ratios": {
            "kgov/parse": inprocess.median / parse.median,
            "kgov/parse_cpu": inprocess.cpu_median / parse.cpu_median,
            "kgov_process/parse": process.median / parse.median,
            "kgov_process/parse_cpu": process.cpu_median / parse.cpu_median,
            "parse/kgov_parse_cpu": parse.cpu_median / fast.cpu_median,
            "checkov/kgov": ratio(checkov_s, process.median),
            "checkov/kgov_cpu": ratio(checkov_cpu, process.cpu_median),
        },
        "per_document_us": {
            "parse": parse.median * per_doc,
            "kgov": inprocess.median * per_doc,
            "kgov_process": process.median * per_doc,
            "checkov": checkov_s * per_doc if checkov_s is not None else None,
        },
        "all_runs_s": {
            "parse": parse.runs,
            "kgov": inprocess.runs,
            "kgov_process": process.runs,
            "checkov": checkov.runs if checkov else None,
        },
    }


def growth(sets: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-document cost at each generated size, and the largest size's over the smallest's (1.0 is
    linear; above 1 grows faster than the input)."""
    generated_sets = sorted((s for s in sets if s["multiple"] is not None), key=lambda s: s["documents"])
    if len(generated_sets) < 2:
        return {"per_document_us": {}, "linearity": {}}
    small, large = generated_sets[0], generated_sets[-1]
    tools = ["parse", "kgov", "kgov_process", "checkov"]
    return {
        "per_document_us": {s["name"]: s["per_document_us"] for s in generated_sets},
        "linearity": {
            tool: large["per_document_us"][tool] / small["per_document_us"][tool]
            for tool in tools
            if large["per_document_us"][tool] is not None and small["per_document_us"][tool] is not None
        },
        "from": small["name"],
        "to": large["name"],
    }


def budgets(sets: list[dict[str, Any]], grow: dict[str, Any]) -> dict[str, Any]:
    """The budgets, wall and CPU: analysis over parse and linearity on the largest set; the whole
    process over parse and checkov over kgov on the corpus (checkov on the largest set it ran on when
    the corpus is not measured)."""
    largest = max(sets, key=lambda s: s["documents"])
    with_checkov = [s for s in sets if s["checkov_s"] is not None]
    largest_checkov = max(with_checkov, key=lambda s: s["documents"]) if with_checkov else None
    kgov_parse, kgov_parse_cpu = largest["ratios"]["kgov/parse"], largest["ratios"]["kgov/parse_cpu"]
    linear = grow["linearity"].get("kgov")
    result: dict[str, Any] = {
        "kgov/parse": {
            "set": largest["name"],
            "value": kgov_parse,
            "cpu_value": kgov_parse_cpu,
            "max": BUDGET_KGOV_OVER_PARSE,
            "holds": kgov_parse <= BUDGET_KGOV_OVER_PARSE,
            "holds_cpu": kgov_parse_cpu <= BUDGET_KGOV_OVER_PARSE,
        },
        "checkov/kgov": {"set": None, "value": None, "min": BUDGET_CHECKOV_OVER_KGOV, "holds": None},
        "linear": {
            "value": linear,
            "max": LINEARITY_TOLERANCE,
            "holds": None if linear is None else linear <= LINEARITY_TOLERANCE,
        },
    }
    corpus = next((s for s in sets if s["name"] == "corpus"), None)
    if corpus is not None:
        value, cpu_value = corpus["ratios"]["kgov_process/parse"], corpus["ratios"]["kgov_process/parse_cpu"]
        result["kgov_process/parse"] = {
            "set": "corpus",
            "value": value,
            "cpu_value": cpu_value,
            "max": BUDGET_PROCESS_OVER_PARSE,
            "holds": value <= BUDGET_PROCESS_OVER_PARSE,
            "holds_cpu": cpu_value <= BUDGET_PROCESS_OVER_PARSE,
        }
        if corpus["checkov_s"] is not None:
            largest_checkov = corpus  # the budget is the corpus's
    if largest_checkov is not None:
        value = largest_checkov["ratios"]["checkov/kgov"]
        cpu_value = largest_checkov["ratios"]["checkov/kgov_cpu"]
        result["checkov/kgov"] = {
            "set": largest_checkov["name"],
            "value": value,
            "cpu_value": cpu_value,
            "min": BUDGET_CHECKOV_OVER_KGOV,
            "holds": value >= BUDGET_CHECKOV_OVER_KGOV,
            "holds_cpu": cpu_value >= BUDGET_CHECKOV_OVER_KGOV,
        }
    return result


def machine(checkov: str | None) -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pyyaml": yaml.__version__,
        "libyaml": getattr(yaml, "__with_libyaml__", False),
        "checkov": checkov,
    }


def print_table(sets: list[dict[str, Any]], grow: dict[str, Any], budget: dict[str, Any]) -> None:
    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = (
        f"{'set':<12}{'docs':>9}{'MB':>8}{'parse s':>9}{'kparse s':>10}{'kgov s':>9}{'proc s':>9}{'checkov s':>11}"
        f"{'kgov/parse':>12}{'checkov/kgov':>14}{'kgov us/doc':>13}"
    )
    print(header)
    print("-" * len(header))
    for s in sets:
        print(
            f"{s['name']:<12}{s['documents']:>9}{s['bytes'] / 1e6:>8.1f}{s['parse_s']:>9.2f}"
            f"{s['kgov_parse_s']:>10.2f}{s['kgov_s']:>9.2f}"
            f"{s['kgov_process_s']:>9.2f}{num(s['checkov_s'], '.2f'):>11}"
            f"{s['ratios']['kgov/parse']:>12.2f}{num(s['ratios']['checkov/kgov'], '.1f'):>14}"
            f"{s['per_document_us']['kgov']:>13.0f}"
        )
    if grow["linearity"]:
        shown = ", ".join(f"{tool} {value:.2f}" for tool, value in grow["linearity"].items())
        print(f"linearity ({grow['from']} -> {grow['to']}, per-document cost ratio): {shown}")
    for name, entry in budget.items():
        cpu = f" (CPU {entry['cpu_value']:.2f})" if entry.get("cpu_value") is not None else ""
        where = f" on {entry['set']}" if entry.get("set") else ""
        print(f"budget {name}{where}: {num(entry['value'], '.2f')}{cpu} -> holds: {entry['holds']}")


def startup_budgets(start: dict[str, Any]) -> dict[str, Any]:
    value, cpu_value = start["ratios"]["kgov_scan/import_yaml"], start["ratios"]["kgov_scan/import_yaml_cpu"]
    leaked = start["imports"]["not_on_scan_path"]
    return {
        "one_file/import_yaml": {
            "value": value,
            "cpu_value": cpu_value,
            "max": BUDGET_ONE_FILE_OVER_IMPORT_YAML,
            "holds": value <= BUDGET_ONE_FILE_OVER_IMPORT_YAML,
            "holds_cpu": cpu_value <= BUDGET_ONE_FILE_OVER_IMPORT_YAML,
        },
        "scan_path_imports": {"value": len(leaked), "max": 0, "holds": not leaked, "modules": leaked},
    }


def print_startup(start: dict[str, Any]) -> None:
    cpu, ratios, imports = start["cpu_s"], start["ratios"], start["imports"]
    print(
        f"one file (CPU s, median of {start['repeats']}): python {cpu['python']:.3f}, import yaml "
        f"{cpu['import_yaml']:.3f}, yaml+click+pydantic {cpu['dependencies']:.3f} "
        f"({cpu['dependencies_in_use']:.3f} with one model used, "
        f"{cpu['dependencies_in_use_without_plugins']:.3f} without plugin search), "
        f"kgov scan {cpu['kgov_scan_one_file']:.3f}, "
        f"kgov version {cpu['kgov_version']:.3f}, kgov --help {cpu['kgov_help']:.3f}"
    )
    print(
        f"kgov scan one file / import yaml: {ratios['kgov_scan/import_yaml']:.2f} wall, "
        f"{ratios['kgov_scan/import_yaml_cpu']:.2f} CPU (budget <= {BUDGET_ONE_FILE_OVER_IMPORT_YAML:g}); "
        f"{imports['modules']} modules ({imports['kgov_modules']} of kgov), importtime "
        f"{imports['total_us'] / 1000:.0f} ms; off the scan path but imported: {imports['not_on_scan_path'] or 'none'}"
    )
    profile = start["profile"]
    stages = ", ".join(f"{name} {ms:.0f}" for name, ms in profile["ms"].items())
    print(
        f"one-file scan in-process CPU (ms, median of {profile['repeats']}): {stages}; all {profile['total_ms']:.0f}"
    )


def write_results(
    out: Path,
    args: argparse.Namespace,
    repeats: int,
    checkov: str | None,
    corpus_documents: int,
    results: list[dict[str, Any]],
    sets: list[DataSet],
    start: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    grow = growth(results)
    budget = budgets(results, grow) if results else {}
    if start is not None:
        budget |= startup_budgets(start)
    document = {
        "benchmark": "scan",
        "quick": args.quick,
        "complete": len(results) == len(sets),
        "repeats": repeats,
        "machine": machine(checkov),
        "corpus_documents": corpus_documents,
        "checkov_max_multiple": None if checkov is None else args.checkov_max,
        "sets": results,
        "growth": grow,
        "startup": start,
        "budgets": budget,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return grow, budget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds: corpus subset, small generated set")
    parser.add_argument("--sizes", default="1,10,100", help="generated sizes as multiples of the corpus")
    parser.add_argument("--repeats", type=int, default=3, help="timings per set (median taken)")
    parser.add_argument(
        "--checkov-max",
        type=float,
        default=1,
        help="run checkov on the corpus and generated sets up to this multiple (10x takes it over 20 min)",
    )
    parser.add_argument("--no-checkov", action="store_true")
    parser.add_argument(
        "--startup-repeats", type=int, help="runs of the one-file scan and its floors (default 10; --quick 3)"
    )
    parser.add_argument("--work", type=Path, default=OUT, help="where generated sets are kept")
    parser.add_argument(
        "--out", type=Path, help=f"JSON results (default {RESULTS}; --quick: {QUICK_RESULTS})"
    )
    args = parser.parse_args(argv)
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731

    checkov = None if args.no_checkov else ensure_checkov(install=not args.quick)
    corpus_documents = generate.corpus_size()[0] if generate.CORPUS.is_dir() else 3662
    if args.quick:
        repeats = 1
        plan = [(f"gen-{n}", n, n / corpus_documents) for n in QUICK_SIZES]
        corpus = quick_corpus(args.work)
    else:
        repeats = args.repeats
        multiples = [float(m) for m in args.sizes.split(",") if m.strip()]
        plan = [(f"gen-{m:g}x", round(corpus_documents * m), m) for m in multiples]
        corpus = generate.CORPUS if generate.CORPUS.is_dir() else None
    sets: list[DataSet] = []
    if corpus is not None:
        sets.append(DataSet("corpus-quick" if args.quick else "corpus", corpus, None))
    sets += [generated(args.work, name, documents, multiple) for name, documents, multiple in plan]

    if not sets:
        parser.error("nothing to measure: give --sizes")
    out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    grow: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    kgov = KgovInProcess()
    kgov.run(min(sets, key=lambda d: d.multiple or 0).path)  # warm-up (imports, catalogues), untimed
    results: list[dict[str, Any]] = []
    for data in sets:
        use_checkov = checkov is not None and (data.multiple is None or data.multiple <= args.checkov_max)
        log(f"{data.name}: {data.path}")
        results.append(bench_set(data, repeats, kgov, use_checkov, log))
        # Written after every set, so a long run that is stopped still leaves what it measured.
        grow, budget = write_results(out, args, repeats, checkov, corpus_documents, results, sets)
    log("one file: kgov scan against python -c 'import yaml' ...")
    start = startup(args.work, args.startup_repeats or (3 if args.quick else 10))
    grow, budget = write_results(out, args, repeats, checkov, corpus_documents, results, sets, start)
    print_table(results, grow, budget)
    print_startup(start)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
