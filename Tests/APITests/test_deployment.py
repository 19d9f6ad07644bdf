"""docs/deployment.md's manifests, docs/prometheus.yml and docs/grafana-dashboard.json against the
real server: every manifest parses with a known kind/apiVersion, ports and probe paths are the
ones the server serves, settings exist, and every metric name they use is exposed by a live
server's /metrics (both the lfm_serve_* family and the vllm:* model-server-protocol family)."""
import json
import os
import re
import signal
import threading
import time
import urllib.request

import pytest

from conftest import ROOT, Server

DOCS = os.path.join(ROOT, "docs")
DEPLOYMENT = open(os.path.join(DOCS, "deployment.md"), encoding="utf-8").read()
METRIC = re.compile(r"\b(lfm_serve_[a-z0-9_]+|vllm:[a-z0-9_]+)")
API_VERSIONS = {
    "Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "PodDisruptionBudget": "policy/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2", "InferencePool": "inference.networking.k8s.io/v1",
    "InferenceObjective": "inference.networking.x-k8s.io/v1alpha2", "HTTPRoute": "gateway.networking.k8s.io/v1",
}


def manifests():
    import yaml
    blocks = re.findall(r"```yaml\n(.*?)```", DEPLOYMENT, re.S)
    return [o for b in blocks for o in yaml.safe_load_all(b) if o]


def by_kind(kind):
    return [o for o in manifests() if o["kind"] == kind]


def exposed_families(server, client):
    """Metric family names of a live /metrics after one request (so lazily created series exist)."""
    from prometheus_client.parser import text_string_to_metric_families
    # A prompt of a few KV pages, so the prefix cache keeps some afterwards.
    prompt = "Which settings matter when deploying a fleet of model servers behind a gateway? " * 6
    client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": prompt}], max_tokens=2)
    status, raw = server.raw("GET", "/metrics")
    assert status == 200
    families = {}
    for fam in text_string_to_metric_families(raw.decode()):
        families[fam.name] = fam
        for s in fam.samples:
            families.setdefault(s.name, fam)  # _bucket / _count / _sum / _total sample names
    return families


def assert_exposed(names, families, where):
    assert names, f"no metric names found in {where}"
    missing = sorted(n for n in names if n not in families)
    assert not missing, f"{where} uses metrics the server does not expose: {missing}"


def test_every_manifest_has_a_known_kind_and_api_version():
    objs = manifests()
    kinds = [o["kind"] for o in objs]
    for kind in API_VERSIONS:
        assert kind in kinds, f"docs/deployment.md has no {kind}"
    for o in objs:
        assert o["apiVersion"] == API_VERSIONS[o["kind"]], (o["kind"], o["apiVersion"])
        assert o["metadata"]["name"]


def test_kubernetes_example_is_valid_and_uses_real_settings():
    """The Deployment: the served port, readiness on /health, liveness on /livez,
    only LFM_SERVE_ variables docs/configuration.md lists, and a grace period covering preStop +
    the drain timeout."""
    (dep,) = by_kind("Deployment")
    (svc,) = by_kind("Service")
    pod = dep["spec"]["template"]
    c = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in c["env"]}
    port = c["ports"][0]
    assert port["containerPort"] == int(env.get("LFM_SERVE_PORT", 8080)) == 8080
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    assert c["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert "startupProbe" not in c  # /livez answers while the model downloads and loads
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"]["port"] in (port["name"], port["containerPort"])
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == port["containerPort"]
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"] == pod["metadata"]["labels"]
    assert svc["spec"]["ports"][0]["targetPort"] in (port["name"], port["containerPort"])
    config_doc = open(os.path.join(DOCS, "configuration.md"), encoding="utf-8").read()
    known = set(re.findall(r"`(LFM_SERVE_[A-Z_]+)`", config_doc))
    for name in env:
        assert name in known, name
    assert env["LFM_SERVE_METRICS_COMPAT"] == "vllm"
    # The grace period covers the preStop sleep plus the drain timeout.
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["spec"]["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + int(env["LFM_SERVE_SHUTDOWN_TIMEOUT"]) + 5
    # Requests: the memory request covers model + KV budget (1 GiB here) + overhead; the limit is above it.
    mem = c["resources"]["requests"]["memory"]
    assert mem.endswith("Gi") and int(mem[:-2]) * 1024 >= 1024 + 400 + 250
    assert int(c["resources"]["limits"]["memory"][:-2]) > int(mem[:-2]) * 1024
    assert c["resources"]["requests"]["cpu"] == env["LFM_SERVE_THREADS"]


def test_disruption_budget_and_gateway_objects_select_the_deployment():
    (dep,) = by_kind("Deployment")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    port = dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    (pdb,) = by_kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == labels
    assert pdb["spec"]["maxUnavailable"] < dep["spec"]["replicas"]
    (pool,) = by_kind("InferencePool")
    assert pool["spec"]["selector"]["matchLabels"] == labels
    assert [p["number"] for p in pool["spec"]["targetPorts"]] == [port]
    assert pool["spec"]["endpointPickerRef"]["port"]["number"] > 0
    for obj in by_kind("InferenceObjective"):
        assert obj["spec"]["poolRef"]["name"] == pool["metadata"]["name"]
        assert obj["spec"]["poolRef"]["group"] == "inference.networking.k8s.io"
    (route,) = by_kind("HTTPRoute")
    backends = [b for r in route["spec"]["rules"] for b in r["backendRefs"]]
    assert {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool["metadata"]["name"]} in backends
    (hpa,) = by_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": dep["metadata"]["name"]}
    assert hpa["spec"]["minReplicas"] >= 2  # with maxUnavailable 1, one replica always serves


def test_probe_and_scrape_paths_exist_on_the_server(server):
    (dep,) = by_kind("Deployment")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    paths = {c[p]["httpGet"]["path"] for p in ("readinessProbe", "livenessProbe")}
    paths.add(dep["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"])
    import yaml
    scrape = yaml.safe_load(open(os.path.join(DOCS, "prometheus.yml")))
    paths |= {job["metrics_path"] for job in scrape["scrape_configs"]}
    for path in paths:
        status, _ = server.raw("GET", path)
        assert status == 200, path


def test_hpa_metric_is_exposed(server, client):
    import yaml
    (adapter,) = by_kind("ConfigMap")
    rules = yaml.safe_load(adapter["data"]["config.yaml"])["rules"]
    (hpa,) = by_kind("HorizontalPodAutoscaler")
    adapter_names = {r["name"]["as"]: r for r in rules}
    for m in hpa["spec"]["metrics"]:
        rule = adapter_names[m["pods"]["metric"]["name"]]  # the HPA asks for a name the adapter provides
        assert re.fullmatch(rule["name"]["matches"], METRIC.search(rule["seriesQuery"]).group(1))
    names = {n for r in rules for n in METRIC.findall(r["seriesQuery"])}
    assert "vllm:num_requests_waiting" in names
    assert_exposed(names, exposed_families(server, client), "the prometheus-adapter rules")


def test_dashboard_queries_use_exposed_metrics(server, client):
    dash = json.load(open(os.path.join(DOCS, "grafana-dashboard.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    titles = " ".join(p["title"] for p in dash["panels"]).lower()
    for topic in ("waiting", "running", "kv cache", "first token", "inter-token", "tokens per second", "prefix", "preemption", "429"):
        assert topic in titles, topic
    names = {n for e in exprs for n in METRIC.findall(e)}
    # Every selector in a query is one of ours (no name from another server slipped in).
    selectors = {n for e in exprs for n in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]", e)}
    assert selectors <= names | {"by"}, selectors - names
    assert_exposed(names, exposed_families(server, client), "docs/grafana-dashboard.json")
    assert any("vllm:" in n for n in names) and any(n.startswith("lfm_serve_") for n in names)


def test_metric_names_in_docs_are_exposed(server, client):
    """Every metric name docs/deployment.md, docs/prometheus.yml and docs/api.md mention exists,
    except vllm:lora_requests_info, which the docs say is absent (no adapters) and is absent."""
    text = DEPLOYMENT + open(os.path.join(DOCS, "prometheus.yml")).read() + open(os.path.join(DOCS, "api.md")).read()
    names = {n for n in METRIC.findall(text) if not n.endswith("_")}
    families = exposed_families(server, client)
    assert "vllm:lora_requests_info" in names and "vllm:lora_requests_info" not in families
    assert_exposed(names - {"vllm:lora_requests_info"}, families, "the docs")


def test_vllm_protocol_metrics_from_a_live_server(server, client):
    """The model-server-protocol metrics parse with prometheus_client as gauges with model_name,
    and cache_config_info carries the page size and page count."""
    families = exposed_families(server, client)
    for name in ("vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc", "vllm:cache_config_info"):
        fam = families[name]
        assert fam.type == "gauge", name
        (sample,) = fam.samples
        assert sample.labels["model_name"] == "tiny-chat"
    assert 0 <= families["vllm:kv_cache_usage_perc"].samples[0].value <= 1
    info = families["vllm:cache_config_info"].samples[0]
    assert info.value == 1 and info.labels["block_size"] == "16"
    assert int(info.labels["num_gpu_blocks"]) == families["lfm_serve_kv_cache_pages_total"].samples[0].value
    # Once idle (the engine publishes its state after the request's last step): nothing waits
    # or runs, and the pages the prefix cache keeps from the request do not count as use.
    from prometheus_client.parser import text_string_to_metric_families
    deadline = time.time() + 10
    while True:
        idle = {f.name: f.samples[0].value for f in text_string_to_metric_families(server.raw("GET", "/metrics")[1].decode())
                if f.name.startswith("vllm:num_requests") or f.name in ("vllm:kv_cache_usage_perc", "lfm_serve_prefix_cache_pages")}
        if idle["vllm:num_requests_running"] == 0 or time.time() > deadline:
            break
        time.sleep(0.01)
    assert idle["vllm:num_requests_running"] == idle["vllm:num_requests_waiting"] == 0
    assert idle["lfm_serve_prefix_cache_pages"] > 0 and idle["vllm:kv_cache_usage_perc"] == 0


def test_vllm_gauges_move_under_load():
    """While generations run, vllm:num_requests_running and vllm:kv_cache_usage_perc rise above 0,
    and with one sequence slot the other requests wait; with --metrics-compat none the family is
    absent."""
    s = Server("--max-num-seqs", "1", "--block-size", "8")
    try:
        body = {"model": "tiny-chat", "messages": [{"role": "user", "content": "go"}], "max_tokens": 60, "temperature": 0,
                "ignore_eos": True}
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(s.raw("POST", "/v1/chat/completions", body)[0]))
                   for _ in range(3)]
        for t in threads:
            t.start()
        seen = {"running": 0.0, "waiting": 0.0, "usage": 0.0}
        deadline = time.time() + 30
        while time.time() < deadline and not (seen["running"] >= 1 and seen["waiting"] >= 1 and seen["usage"] > 0):
            raw = urllib.request.urlopen(s.base + "/metrics", timeout=10).read().decode()
            for key, name in (("running", "vllm:num_requests_running"), ("waiting", "vllm:num_requests_waiting"),
                              ("usage", "vllm:kv_cache_usage_perc")):
                m = re.search(re.escape(name) + r'\{model_name="tiny-chat"\} (\S+)', raw)
                seen[key] = max(seen[key], float(m.group(1)))
            assert 'block_size="8"' in raw
            time.sleep(0.005)
        for t in threads:
            t.join(120)
        assert statuses == [200, 200, 200]
        assert seen["running"] == 1 and seen["waiting"] >= 1 and 0 < seen["usage"] <= 1, seen
    finally:
        s.stop()
    off = Server("--metrics-compat", "none")
    try:
        status, raw = off.raw("GET", "/metrics")
        assert status == 200 and b"lfm_serve_num_requests_waiting" in raw and b"vllm:" not in raw
    finally:
        off.stop()


def test_livez_stays_200_while_draining_and_health_turns_503():
    """Liveness stays 200 while the server drains (a probe must not kill a draining pod);
    readiness turns 503 at SIGTERM. Three long generations run one at a time, so the drain
    (which waits for all of them) lasts seconds while the probes are checked."""
    s = Server("--max-num-seqs", "1")
    try:
        body = {"model": "tiny-chat", "messages": [{"role": "user", "content": "long"}], "max_tokens": 150, "temperature": 0,
                "ignore_eos": True}

        def long_request():
            try:
                s.raw("POST", "/v1/chat/completions", body)
            except OSError:
                pass  # how the drain ends these is the shutdown tests' concern

        threads = [threading.Thread(target=long_request) for _ in range(3)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        while time.time() < deadline and b'vllm:num_requests_running{model_name="tiny-chat"} 1.0' not in s.raw("GET", "/metrics")[1]:
            time.sleep(0.01)
        assert s.raw("GET", "/livez") == (200, b'{"status":"alive"}')
        s.proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        while time.time() < deadline and s.raw("GET", "/health")[0] != 503:
            time.sleep(0.01)
        assert s.raw("GET", "/health")[0] == 503
        assert s.raw("GET", "/livez") == (200, b'{"status":"alive"}')
        for t in threads:
            t.join(120)
    finally:
        s.stop()


def test_probe_and_scrape_routes_need_no_api_key():
    """Kubernetes probes and Prometheus carry no credentials: /health, /livez and /metrics answer
    without the key while the API routes refuse."""
    s = Server("--api-key", "secret")
    try:
        for path in ("/health", "/livez", "/metrics"):
            assert s.raw("GET", path)[0] == 200, path
        assert s.raw("GET", "/v1/models")[0] == 401
    finally:
        s.stop()
