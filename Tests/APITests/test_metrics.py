"""GET /metrics parses with prometheus_client and its counters move as requests run."""
from prometheus_client.parser import text_string_to_metric_families


def scrape(server):
    status, raw = server.raw("GET", "/metrics")
    assert status == 200
    out = {}
    for fam in text_string_to_metric_families(raw.decode()):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_parse_and_move(server, client):
    before = scrape(server)
    client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "metrics?"}], max_tokens=3,
                                   extra_body={"ignore_eos": True})
    after = scrape(server)
    key = ("lfm_serve_requests_total", (("endpoint", "/v1/chat/completions"), ("status", "200")))
    assert after[key] >= before.get(key, 0) + 1
    gen = ("lfm_serve_generation_tokens_total", ())
    assert after[gen] >= before.get(gen, 0) + 3
    ttft = ("lfm_serve_time_to_first_token_seconds_count", ())
    assert after[ttft] >= before.get(ttft, 0) + 1
    assert after[("lfm_serve_kv_cache_pages_total", ())] > 0
    assert after[("lfm_serve_model_info", (("model", "tiny-chat"),))] == 1
    assert after[("lfm_serve_process_resident_memory_bytes", ())] > 0


def test_metrics_need_no_api_key():
    from conftest import Server
    s = Server("--api-key", "k")
    try:
        assert s.raw("GET", "/metrics")[0] == 200
    finally:
        s.stop()
