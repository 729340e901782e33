"""Run the benchmark: ``python -m bench``. Prints a table and writes bench/results.json.

It measures, on this machine and in one run: cold bubblewrap and cold Docker
gradings, warm-pool gradings, the latency from stored submission to stored
verdict through Celery and Redis (p50 and p95), gradings per second at 1, 4
and 16 concurrent submissions, and the time nbgrader and otter-grader take to
grade the same correct VAE loss.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--cold-samples", type=int, default=5, help="gradings per cold backend (default 5)")
    parser.add_argument("--warm-samples", type=int, default=20, help="warm gradings and service latencies (default 20)")
    parser.add_argument("--concurrency", default="1,4,16", help="comma-separated burst sizes (default 1,4,16)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker pool processes (default: CPU cores)")
    parser.add_argument("--skip-others", action="store_true", help="skip nbgrader and otter-grader")
    parser.add_argument("--skip-service", action="store_true", help="skip the Celery, Redis and PostgreSQL measurements")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="where to write the JSON results")
    return parser.parse_args(argv)


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def summarize(values: list[float] | None) -> dict | None:
    if not values:
        return None
    return {"p50": statistics.median(values), "p95": percentile(values, 0.95), "samples": len(values)}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import torch

    from bench import grading

    # One thread on the trusted side, as the worker's pool processes run (learning.tasks).
    torch.set_num_threads(1)

    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "exercise": grading.SLUG,
    }

    print("cold bwrap ...", flush=True)
    cold_bwrap = grading.measure_cold("bwrap", args.cold_samples)
    print("cold docker ...", flush=True)
    cold_docker = grading.measure_cold("docker", args.cold_samples)
    print("warm pool (bwrap) ...", flush=True)
    warm_bwrap = grading.measure_warm(args.warm_samples, backend="bwrap")
    print("warm pool (fork server) ...", flush=True)
    warm_grade = grading.measure_warm(args.warm_samples, backend="forkserver")
    results["cold_bwrap"] = summarize(cold_bwrap)
    results["cold_docker"] = summarize(cold_docker)
    results["warm_grade_bwrap"] = summarize(warm_bwrap)
    results["warm_grade"] = summarize(warm_grade)
    results["cold_bwrap_p50_ms"] = results["cold_bwrap"]["p50"] if cold_bwrap else None
    results["cold_docker_p50_ms"] = results["cold_docker"]["p50"] if cold_docker else None

    throughput: dict[str, float] = {}
    cpu_busy: dict[str, float] = {}
    if not args.skip_service:
        from bench import service

        service.setup_django()
        # Every submission differs, so each draws its own hidden cases, as real ones do.
        source = grading.next_submission_source

        print("service latency ...", flush=True)
        with service.worker(concurrency=1, pool_size=1):
            latencies = service.measure_latency(args.warm_samples, source, gap_s=1.0)
        results["service_latency"] = summarize(latencies)
        results["warm_p50_ms"] = results["service_latency"]["p50"]
        results["warm_p95_ms"] = results["service_latency"]["p95"]
        with service.worker(concurrency=args.workers, pool_size=1):
            for burst in (int(size) for size in args.concurrency.split(",")):
                print(f"throughput at {burst} concurrent ...", flush=True)
                rate, busy = service.measure_throughput(burst, source, rounds=max(2, 32 // burst))
                throughput[str(burst)] = rate
                cpu_busy[str(burst)] = busy
    elif warm_grade:
        results["warm_p50_ms"] = statistics.median(warm_grade)
        results["warm_p95_ms"] = percentile(warm_grade, 0.95)
    results["throughput_per_s"] = throughput
    # The share of all cores busy during each burst: near 1.0, throughput is bound by the CPU.
    results["cpu_busy_share"] = cpu_busy

    if cold_bwrap and results.get("warm_p50_ms"):
        results["cold_over_warm"] = results["cold_bwrap_p50_ms"] / results["warm_p50_ms"]

    results["nbgrader_ms"] = results["otter_ms"] = None
    if not args.skip_others:
        print("nbgrader and otter-grader ...", flush=True)
        from bench.others import measure_other_graders

        others = measure_other_graders(repeats=3)
        results.update(others)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nwrote {args.output}")
    return 0


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} ms"


def print_table(results: dict) -> None:
    rows = [
        ("cold bubblewrap grading, p50", _ms(results.get("cold_bwrap_p50_ms"))),
        ("cold Docker grading, p50", _ms(results.get("cold_docker_p50_ms"))),
        ("warm-pool grading, bwrap pool (in process), p50", _ms((results.get("warm_grade_bwrap") or {}).get("p50"))),
        ("warm-pool grading, fork-server pool (in process), p50", _ms((results.get("warm_grade") or {}).get("p50"))),
        ("submission to stored verdict, warm, p50", _ms(results.get("warm_p50_ms"))),
        ("submission to stored verdict, warm, p95", _ms(results.get("warm_p95_ms"))),
        ("cold p50 / warm p50", f"{results['cold_over_warm']:.1f}x" if results.get("cold_over_warm") else "n/a"),
    ]
    for burst, rate in results.get("throughput_per_s", {}).items():
        busy = results.get("cpu_busy_share", {}).get(burst)
        share = f", CPU {busy:.0%} busy" if busy is not None else ""
        rows.append((f"throughput at {burst} concurrent", f"{rate:.2f} gradings/s{share}"))
    rows += [("nbgrader autograde", _ms(results.get("nbgrader_ms"))), ("otter run", _ms(results.get("otter_ms")))]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value:>20}")


if __name__ == "__main__":
    sys.exit(main())
