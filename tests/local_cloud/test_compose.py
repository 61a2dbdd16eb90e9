"""docker-compose.localstack.yml cannot run here (no Docker engine): check its structure instead, and that it
stays in step with the pinned versions and the files it mounts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from local_cloud import settings

ROOT = settings.REPO_ROOT
COMPOSE = ROOT / "docker-compose.localstack.yml"
EXPECTED_SERVICES = {"localstack", "postgres", "mlflow", "prometheus", "grafana", "exporter"}
FILLED_LATER: set[str] = set()  # folders another part of the project fills (none left)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _pin(requirements: str, package: str) -> str:
    pattern = rf"^{re.escape(package)}(?:\[[^\]]*\])?==([^\s#]+)"
    match = re.search(pattern, (ROOT / requirements).read_text(), re.M)
    assert match, f"{package} is not pinned in {requirements}"
    return match.group(1)


def test_services_are_the_local_cloud_and_its_companions(compose):
    assert set(compose["services"]) == EXPECTED_SERVICES


def test_ports_are_published_once_on_localhost(compose):
    published = {}
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            host, host_port, _ = mapping.split(":")
            assert host == "127.0.0.1", f"{name} publishes {mapping} beyond this machine"
            assert host_port not in published, f"{name} and {published.get(host_port)} publish {host_port}"
            published[host_port] = name
    assert published["4566"] == "localstack"  # the port every LocalStack tool expects
    assert {"5432", "5000", "9090", "3000", "9106"} <= set(published)


def test_mount_sources_build_contexts_and_volumes_exist(compose):
    declared_volumes = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                if Path(source).parts[0] in FILLED_LATER and not (ROOT / source).exists():
                    continue
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in declared_volumes, f"{name} uses undeclared volume {source}"
        if build := service.get("build"):
            context = ROOT / build["context"]
            if build["context"] in FILLED_LATER and not context.exists():
                continue
            assert context.is_dir(), f"{name} builds from {context}, which does not exist"
            assert (context / build.get("dockerfile", "Dockerfile")).is_file()
        for dependency in service.get("depends_on", []):
            assert dependency in compose["services"], f"{name} depends on unknown {dependency}"


def test_localstack_image_matches_the_host_pins(compose):
    # GIVEN the image LocalStack's service builds
    localstack = compose["services"]["localstack"]
    dockerfile = (ROOT / localstack["build"]["dockerfile"]).read_text()
    install = (ROOT / "local_cloud/docker/install_localstack.sh").read_text()
    # THEN it is a Python base with localstack-core from the host's own pins (no LocalStack image: those
    # exit without an auth token), the project's plugins and the local-process executor
    assert re.search(r"^FROM python:", dockerfile, re.M) and "FROM localstack/" not in dockerfile
    assert "COPY requirements/localstack.txt" in dockerfile and "-r requirements/localstack.txt" in install
    assert "COPY local_cloud/plugins" in dockerfile and "cp -R local_cloud/plugins/." in install
    assert (
        "LAMBDA_RUNTIME_EXECUTOR:-local-process"
        in (ROOT / "local_cloud/docker/start_localstack.sh").read_text()
    )
    # AND its Lambda interpreter is the functions' runtime, with the same runtime packages as the host's
    template = (ROOT / "template.yaml").read_text()
    declared = re.search(r"^  LambdaRuntime:\n(?:    .*\n)*?    Default: (\S+)", template, re.M).group(1)
    assert f"python{localstack['build']['args']['LAMBDA_PYTHON_VERSION']}" == declared
    assert "-r requirements/lambda-runtime.txt" in install
    assert _pin("requirements/lambda-runtime.txt", "awslambdaric") == _pin(
        "requirements/ml.txt", "awslambdaric"
    )


def test_prometheus_scrapes_the_exporter_and_grafana_reads_the_dashboards(compose):
    prometheus = yaml.safe_load((ROOT / "local_cloud/docker/prometheus.yml").read_text())
    targets = [t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]]
    exporter_port = compose["services"]["exporter"]["ports"][0].split(":")[-1]
    assert f"exporter:{exporter_port}" in targets
    provisioning = ROOT / "local_cloud/docker/grafana/provisioning"
    provider = yaml.safe_load((provisioning / "dashboards/review-sentiment.yml").read_text())
    grafana_volumes = compose["services"]["grafana"]["volumes"]
    dashboards_mount = next(v for v in grafana_volumes if v.startswith("./dashboards:"))
    assert provider["providers"][0]["options"]["path"] == dashboards_mount.split(":")[1]


def _compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) when installed, else Debian's `docker-compose`; None without either."""
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_accepts_the_file(tmp_path):
    command = _compose_command()
    assert command, (
        "no docker compose: .ci/run installs Debian's docker-compose (apt-get install docker-compose)"
    )
    compose_file = COMPOSE
    if not (ROOT / "observability").exists():  # the exporter's build context comes with its own change
        data = yaml.safe_load(COMPOSE.read_text())
        (tmp_path / "observability").mkdir()
        data["services"]["exporter"]["build"]["context"] = str(tmp_path / "observability")
        compose_file = tmp_path / "docker-compose.localstack.yml"
        compose_file.write_text(yaml.safe_dump(data))
    result = subprocess.run(
        [*command, "--project-directory", str(ROOT), "-f", str(compose_file), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
