#!/usr/bin/env python3
"""Draws the plots of docs/benchmarks.md from docs/benchmarks.json (pip install matplotlib).

    python3 scripts/plot_benchmarks.py            # writes docs/img/*.png
"""
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "img")
LFM, PEER = "#2b6cb0", "#a0aec0"


def bars(ax, labels, ours, theirs, title, ylabel, peer_name, ratio_fmt="{:.2f}×", higher_is_better=True):
    x = range(len(labels))
    w = 0.38
    ax.bar([i - w / 2 for i in x], ours, w, label="lfm-serve", color=LFM)
    ax.bar([i + w / 2 for i in x], theirs, w, label=peer_name, color=PEER)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        r = a / b if higher_is_better else b / a
        ax.annotate(ratio_fmt.format(r), (i - w / 2, a), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.legend(fontsize=8, loc="lower right")


def main():
    data = json.load(open(os.path.join(ROOT, "docs", "benchmarks.json")))
    os.makedirs(OUT, exist_ok=True)

    s = data["single_stream"]
    rows = s["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    labels = [r["format"] for r in rows]
    bars(axes[0], labels, [r["lfm_pp512"] for r in rows], [r["peer_pp512"] for r in rows],
         "prefill pp512 (tok/s)", "tokens/s", "llama.cpp")
    bars(axes[1], labels, [r["lfm_tg128"] for r in rows], [r["peer_tg128"] for r in rows],
         "decode tg128 (tok/s)", "tokens/s", "llama.cpp")
    fig.suptitle(f"LFM2-350M shape, 2 threads — {s['session']}; label = lfm-serve / llama.cpp", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "single_stream.png"), dpi=110)
    plt.close(fig)

    if "batched_decode" in data:
        s = data["batched_decode"]
        rows = s["rows"]
        fig, ax = plt.subplots(figsize=(4.5, 3.2))
        bars(ax, [r["format"] for r in rows], [r["lfm"] for r in rows], [r["peer"] for r in rows],
             "batched decode, 16 sequences (tok/s)", "tokens/s", "llama.cpp")
        fig.suptitle(f"2 threads — {s['session']}", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "batched_decode.png"), dpi=110)
        plt.close(fig)

    s = data["serving"]
    rows = s["rows"]
    fig, axes = plt.subplots(1, len(rows), figsize=(2.4 * len(rows), 3.2))
    for ax, r in zip(axes, rows):
        better_high = "tok/s" in r["metric"]
        bars(ax, [""], [r["lfm"]], [r["peer"]], r["workload"], r["metric"], "llama-server", higher_is_better=better_high,
             ratio_fmt="{:.2f}×" if better_high else "{:.1f}× faster")
    fig.suptitle(f"Serving, Q8_0, 2 threads — {s['session']}; label = lfm-serve / llama-server", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "serving.png"), dpi=110)
    plt.close(fig)
    if "long_prompts" in data:
        s = data["long_prompts"]
        rows = s["rows"]
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        labels = [f"{r['tokens'] // 1000}k" for r in rows]
        bars(axes[0], labels, [r["lfm_ttft_s"] for r in rows], [r["peer_ttft_s"] for r in rows],
             "time to first token (s), lower is better", "seconds", "llama-server", higher_is_better=False,
             ratio_fmt="{:.2f}× faster")
        axes[0].legend(fontsize=8, loc="upper left")
        b = s["bench"]
        bars(axes[1], [r["test"] for r in b], [r["lfm"] for r in b], [r["peer"] for r in b],
             "prefill and decode at depth (tok/s)", "tokens/s", "llama-bench")
        fig.suptitle(f"Long prompts, Q8_0, 2 threads — {s['session']}", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(OUT, "long_prompts.png"), dpi=110)
        plt.close(fig)

    print("wrote", ", ".join(sorted(os.listdir(OUT))))


if __name__ == "__main__":
    main()
