"""The cost of encryption at rest and of the proof of authorship on the
confirm path, measured in one run: starts a throw-away registry
(tests/server/registry_harness.py), confirms N filled-in Parkinson drafts
from several client threads (confirms/s and latency), reads the sizes of
what those confirms sealed from the database, and runs bench/sealing_bench
with those sizes (the sealing work and the authorship signature of one
confirm). Prints each as a share of the measured confirm time.

usage: python3 bench/confirm_load.py [BUILD_DIR] [FORMS] [THREADS]"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
sys.path.insert(0, os.path.join(repo, "tests", "server"))
from registry_harness import Registry  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build")
forms = int(sys.argv[2]) if len(sys.argv) > 2 else 400
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 4
ITEMS = {"発症年月": "2019-04", "診断年月日": "2024-05-20", "A-1": "該当", "B-1": "該当",
         "C-2": "なし", "治療効果": "改善あり", "Hoehn_Yahr": 3, "生活機能障害度": 2}
PATIENT = {"name": "負荷 太郎", "kana": "ふか たろう", "birth_date": "1950-05-01", "sex": "男",
           "insurance_number": "12345678"}

reg = Registry(repo, build)
reg.server_args = ["--rate-limit", "0", "--session-rate-limit", "0", "--patients-per-hour", "1000000",
                   "--authorship-sweep-minutes", "0"]
try:
    reg.start()
    clerk = reg.client("terminal-1").login("clerk.suzuki")
    drafts = []
    for i in range(forms):
        _, p = clerk.request("POST", "/patients", dict(PATIENT, name=f"負荷 {i}"))
        _, f = clerk.request("POST", "/forms", {"patient_id": p["id"], "disease": "指定難病/6",
                                                "variant": "新規"})
        _, f = clerk.request("PUT", f"/forms/{f['id']}",
                             {"version": f["version"], "date": "2024-06-01",
                              "municipality": "131016", "items": {**f["items"], **ITEMS}})
        drafts.append(f)
    doctors = [reg.client("terminal-1").login("dr.sato") for _ in range(threads)]
    latencies = []
    lock = threading.Lock()

    def confirm(doctor, mine):
        for f in mine:
            start = time.perf_counter()
            status, _ = doctor.request("POST", f"/forms/{f['id']}/confirm",
                                       {"version": f["version"]})
            took = time.perf_counter() - start
            assert status == 200, status
            with lock:
                latencies.append(took)

    workers = [threading.Thread(target=confirm, args=(doctors[t], drafts[t::threads]))
               for t in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    sizes = reg.sql("SELECT avg(octet_length(f.items_sealed))::int,"
                    " avg(octet_length(f.judgment_sealed))::int,"
                    " avg(octet_length(p.identity))::int FROM institution.forms f"
                    " JOIN institution.patients p ON p.id = f.patient_id"
                    " WHERE f.status = 'confirmed'")[0]
    overhead = 29  # format byte, nonce, tag
    bench = subprocess.run(
        [f"{build}/bench/sealing_bench", "--items", str(int(sizes[0]) - overhead),
         "--judgment", str(int(sizes[1]) - overhead), "--identity", str(int(sizes[2]) - overhead),
         "--server-key", os.path.join(reg.pki, "server.key"), "--benchmark_format=json"],
        check=True, capture_output=True, text=True)
    results = {b["name"]: b["real_time"] / 1000.0 for b in json.loads(bench.stdout)["benchmarks"]}
    latencies.sort()
    confirms_per_s = forms / elapsed
    print(f"confirms: {forms} from {threads} threads in {elapsed:.2f} s = {confirms_per_s:.0f}/s;"
          f" latency p50 {1000 * statistics.median(latencies):.2f} ms,"
          f" p99 {1000 * latencies[int(0.99 * (len(latencies) - 1))]:.2f} ms")
    print(f"sealed sizes (bytes, avg): items {sizes[0]}, judgment {sizes[1]}, identity {sizes[2]}")
    cpu_ms = 1000.0 * 2 / confirms_per_s  # CPU time per confirm on this 2-core machine
    for name, label in [("BM_ConfirmSealing", "sealing (4 key unwraps, 4 opens, 1 seal)"),
                        ("BM_ConfirmAuthorshipSignature", "authorship signature (ECDSA P-256)")]:
        us = results[name]
        print(f"{label}: {us:.1f} µs per confirm = {100 * us / 1000 / cpu_ms:.2f} % of the"
              f" {cpu_ms:.2f} ms of CPU a confirm takes at {confirms_per_s:.0f}/s on 2 cores")
finally:
    reg.stop()
