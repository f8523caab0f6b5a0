"""deploy/ as a cluster takes it: overlays rendered by the pinned kustomize and validated
strictly, Argo CD Applications syncing overlays that render, and the copy podman can play.
The deploy folder is this test's own, whatever the project's deploy/ holds."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

# Trailing commas keep these imports split, so ruff formats them the same for any package name.
from {{ cookiecutter.package_name }}.release.manifests import (
    check_deploy,
    documents,
    playable,
    render,
)
from {{ cookiecutter.package_name }}.release.versions import (
    ReleaseError,
)

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "svc"},
    "spec": {
        "replicas": 1,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "service",
                        "image": "model-service",
                        "ports": [{"name": "http", "containerPort": 3000}],
                    }
                ]
            }
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "svc"},
    "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
}


def _write(path: Path, *docs: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    root = tmp_path / "deploy"
    _write(root / "base" / "deployment.yaml", DEPLOYMENT)
    _write(root / "base" / "service.yaml", SERVICE)
    _write(root / "base" / "kustomization.yaml", {
        "resources": ["deployment.yaml", "service.yaml"],
        "labels": [{"pairs": {"app": "svc"}, "includeSelectors": True}],
    })  # fmt: skip
    for environment in ("staging", "production"):
        _write(root / "overlays" / environment / "kustomization.yaml", {
            "namespace": f"svc-{environment}", "resources": ["../../base"],
            "replicas": [{"name": "svc", "count": 3 if environment == "production" else 1}],
            "images": [{"name": "model-service", "newName": "registry.example/org/svc",
                        "digest": "sha256:" + "a" * 64}],
        })  # fmt: skip
        _write(root / "argocd" / f"{environment}.yaml", {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": f"svc-{environment}", "namespace": "argocd"},
            "spec": {"source": {"repoURL": "https://github.com/org/svc.git",
                                "targetRevision": "main",
                                "path": f"deploy/overlays/{environment}"},
                     "destination": {"server": "https://kubernetes.default.svc",
                                     "namespace": f"svc-{environment}"}},
        })  # fmt: skip
    return root


def test_a_sound_deploy_folder_renders_validates_and_syncs(deploy: Path) -> None:
    lines = check_deploy(deploy, "main")
    assert lines == [
        f"{env}: Deployment, Service render and validate; its Application syncs them"
        for env in ("staging", "production")
    ]
    rendered = documents(render(deploy / "overlays" / "production"))
    (deployment,) = [doc for doc in rendered if doc["kind"] == "Deployment"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example/org/svc@sha256:" + "a" * 64
    assert deployment["metadata"]["namespace"] == "svc-production"


def _edit(path: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(deploy: Path) -> None:
        file = deploy / path
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        change(doc)
        file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    return apply


def _containers(doc: dict) -> list:
    return doc["spec"]["template"]["spec"]["containers"]


BROKEN = {
    "unknown field": (
        _edit("base/deployment.yaml", lambda d: d["spec"].update(replica=2)),
        r"Deployment/svc at spec: Additional properties are not allowed \('replica'",
    ),
    "wrong type": (
        _edit("base/service.yaml", lambda d: d["spec"]["ports"][0].update(port="eighty")),
        r"Service/svc at spec\.ports\.0\.port: 'eighty' is not of type 'integer'",
    ),
    "missing resource": (
        _edit("base/kustomization.yaml", lambda d: d["resources"].append("gone.yaml")),
        r"deploy/overlays/staging does not render: .*gone\.yaml",
    ),
    "path elsewhere": (
        _edit("argocd/staging.yaml", lambda d: d["spec"]["source"].update(path="deploy/base")),
        r"staging\.yaml: spec\.source\.path is 'deploy/base', not deploy/overlays/staging",
    ),
    "path to nothing": (
        _edit("argocd/production.yaml", lambda d: d["spec"]["source"].update(path="deploy/overlays/prod")),
        r"production\.yaml: spec\.source\.path is 'deploy/overlays/prod', not deploy/overlays/production",
    ),
    "the other environment's overlay": (
        _edit("argocd/staging.yaml", lambda d: (d["spec"]["source"].update(path="deploy/overlays/production"),
                                                d["spec"]["destination"].update(namespace="svc-production"))),
        r"staging\.yaml: spec\.source\.path is 'deploy/overlays/production', not deploy/overlays/staging",
    ),
    "no source": (
        _edit("argocd/staging.yaml", lambda d: d["spec"].pop("source")),
        r"staging\.yaml: spec\.source\.path is None, not deploy/overlays/staging",
    ),
    "spec a list": (
        _edit("argocd/production.yaml", lambda d: d.update(spec=[1])),
        r"production\.yaml: spec\.source\.path is None",
    ),
    "namespace apart": (
        _edit("argocd/staging.yaml", lambda d: d["spec"]["destination"].update(namespace="other")),
        r"staging\.yaml: spec\.destination\.namespace is not the overlay's \['svc-staging'\]",
    ),
    "another branch": (
        _edit("argocd/staging.yaml", lambda d: d["spec"]["source"].update(targetRevision="dev")),
        r"staging\.yaml: spec\.source\.targetRevision is not main",
    ),
    "not an application": (
        _edit("argocd/staging.yaml", lambda d: d.update(kind="ApplicationSet")),
        r"staging\.yaml: not an Argo CD Application",
    ),
    "no container port name": (
        _edit("base/deployment.yaml", lambda d: _containers(d)[0]["ports"][0].update(name=7)),
        r"at spec\.template\.spec\.containers\.0\.ports\.0\.name: 7 is not of type 'string'",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("breaking", "says"), BROKEN.values(), ids=BROKEN.keys())
def test_each_kind_of_broken_deploy_folder_is_named(
    deploy: Path, breaking: Callable[[Path], None], says: str
) -> None:
    breaking(deploy)
    with pytest.raises(ReleaseError, match=r"deploy/ would not deploy:") as refused:
        check_deploy(deploy, "main")
    assert refused.match(says), str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("spec: [unclosed\n", r"staging\.yaml: not readable as YAML \(ParserError"),
        ("- a list\n", r"staging\.yaml: not an Argo CD Application"),
        ("just words\n", r"staging\.yaml: not an Argo CD Application"),
        (None, r"staging\.yaml: not readable as YAML \(FileNotFoundError"),
    ],
    ids=["no YAML", "a list", "a scalar", "missing"],
)
def test_an_application_file_that_is_no_application_is_named(
    deploy: Path, text: str | None, says: str
) -> None:
    path = deploy / "argocd" / "staging.yaml"
    if text is None:
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ReleaseError, match=says):
        check_deploy(deploy, "main")


def test_the_playable_copy_publishes_the_http_port_on_loopback_and_changes_nothing_else(
    deploy: Path,
) -> None:
    rendered = render(deploy / "overlays" / "production")  # 3 replicas
    played = documents(playable(rendered, "staging", 4321))
    original = documents(rendered)
    (deployment,) = [doc for doc in played if doc["kind"] == "Deployment"]
    assert deployment["metadata"]["name"] == "svc-staging"
    (port,) = _containers(deployment)[0]["ports"]
    assert port == {"name": "http", "containerPort": 3000, "hostPort": 4321, "hostIP": "127.0.0.1"}
    assert deployment["spec"]["replicas"] == 1
    for doc in (deployment, *original):  # put back what it changed: the rest is identical
        if doc["kind"] == "Deployment":
            doc["metadata"]["name"] = "svc"
            doc["spec"]["replicas"] = 1
            for key in ("hostPort", "hostIP"):
                _containers(doc)[0]["ports"][0].pop(key, None)
    assert played == original


def test_an_overlay_without_one_http_deployment_cannot_be_played(deploy: Path) -> None:
    rendered = render(deploy / "overlays" / "staging")
    (twin,) = [doc for doc in documents(rendered) if doc["kind"] == "Deployment"]
    twin["metadata"]["name"] = "twin"
    with pytest.raises(ReleaseError, match="renders 2 Deployments"):
        playable(rendered + "---\n" + yaml.safe_dump(twin), "staging", 4321)
    with pytest.raises(ReleaseError, match=r"would not deploy: .*'replica' was unexpected"):
        playable(rendered.replace("replicas: 1", "replica: 1"), "staging", 4321)
    unnamed = rendered.replace("name: http\n", "name: web\n")
    with pytest.raises(ReleaseError, match="no container port named http"):
        playable(unnamed, "staging", 4321)
