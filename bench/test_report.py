#!/usr/bin/env python3
"""test_report.py: unit tests of bench/report.py — medians over rounds, ratios to the peers,
issue 6's verdicts with each round's own figures, FAILED rows and the exit status of
`table` — on made-up results, so that they hold whatever the machine's speed. Run by
tests/run-all.sh (`make test`); standard library only."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402


def run(round_, scenario, contestant, conns, rps, p99_ms, ok=True, compare="rps", reason=None):
    """One record as `report.py add` writes it."""
    record = {"round": str(round_), "scenario": scenario, "label": f"{scenario} label",
              "contestant": contestant, "conns": conns, "compare": compare, "ok": ok}
    if ok:
        record.update(rps=float(rps), p50_us=int(p99_ms * 500), p99_us=int(p99_ms * 1000))
    else:
        record["reason"] = reason or "1 timeout errors"
    return record


def verdicts(records, meta=None):
    return dict((text.split(":")[0], (text, verdict))
                for text, verdict in report.targets(report.summarise(records), meta or {}))


class Medians(unittest.TestCase):
    def test_median_of_three_rounds_and_ratio_of_medians(self):
        records = [run(1, "1", "plenary", 32, 30000, 2), run(1, "1", "nginx", 32, 20000, 3),
                   run(2, "1", "plenary", 32, 10000, 9), run(2, "1", "nginx", 32, 40000, 1),
                   run(3, "1", "plenary", 32, 33000, 3), run(3, "1", "nginx", 32, 30000, 2)]
        rows = report.summarise(records)
        plenary = report.find(rows, "1", "plenary", 32)
        self.assertEqual(plenary["rps"], 30000)
        self.assertEqual(plenary["p99_us"], 3000)
        self.assertEqual(plenary["ratio"], "1.00x nginx")
        text, verdict = verdicts(records)["cached page >= 1.0x nginx at 32"]
        self.assertEqual(verdict, "met")  # 30,000 / 30,000: the verdict is on the medians
        # each round's ratio, in round order, though the median met the target
        self.assertTrue(text.endswith("(rounds 1.50x, 0.25x, 1.10x)"), text)

    def test_rounds_listed_in_round_order_not_arrival(self):
        records = [run(r, "4c", "plenary", 256, rate, p99)
                   for r, rate, p99 in ((3, 24506, 15.7), (1, 21023, 20.6), (2, 15807, 25.6))]
        text, verdict = verdicts(records)["large record, search p99 < 20 ms at 256"]
        self.assertEqual(verdict, "missed")
        self.assertIn("20.6 ms (rounds 20.6 ms at 21,023/s, 25.6 ms at 15,807/s, "
                      "15.7 ms at 24,506/s)", text)

    def test_one_round_lists_no_rounds(self):
        records = [run(1, "3", "plenary", 32, 15000, 5), run(1, "3", "json-server", 32, 1000, 50)]
        text, verdict = verdicts(records)["cache off, filtered list >= 10x json-server at 32"]
        self.assertEqual(verdict, "met")
        self.assertNotIn("rounds", text)
        self.assertTrue(text.endswith("15.0x"), text)

    def test_p99_ratio_to_the_seed_record(self):
        records = [run(r, "4a", contestant, 32, 10000, p99, compare="p99")
                   for r in (1, 2, 3) for contestant, p99 in (("plenary", 6 + r), ("plenary-seed", 3))]
        text, verdict = verdicts(records)["large record, filtered page p99 <= 2x seed record at 32"]
        self.assertEqual(verdict, "missed")  # 8 ms against 3 ms
        self.assertIn("2.67x (rounds 2.33x, 2.67x, 3.00x)", text)


class Failures(unittest.TestCase):
    def test_a_failed_round_fails_the_row_and_its_target(self):
        records = [run(1, "3", "plenary", 256, 15000, 20), run(1, "3", "json-server", 256, 0, 0, ok=False),
                   run(2, "3", "plenary", 256, 15000, 20), run(2, "3", "json-server", 256, 1500, 400)]
        rows = report.summarise(records)
        peer = report.find(rows, "3", "json-server", 256)
        self.assertEqual(peer["failed"], "1 timeout errors")
        self.assertNotIn("rps", peer)  # never counted in a median
        self.assertEqual(report.find(rows, "3", "plenary", 256)["ratio"], "- vs json-server (failed)")
        self.assertEqual(verdicts(records)["cache off, filtered list >= 10x json-server at 256"][1],
                         "failed")

    def test_table_exits_1_on_a_failed_row_and_0_without(self):
        ok = [run(r, "1", who, 32, 1000, 1) for r in (1, 2) for who in ("plenary", "nginx")]
        for records, status in ((ok, 0), (ok + [run(1, "1", "json-server", 32, 0, 0, ok=False)], 1)):
            with tempfile.TemporaryDirectory() as tmp:
                results = os.path.join(tmp, "results.jsonl")
                meta = os.path.join(tmp, "meta.tsv")
                with open(results, "w", encoding="utf-8") as f:
                    f.writelines(json.dumps(r) + "\n" for r in records)
                with open(meta, "w", encoding="utf-8") as f:
                    f.write("title\tmade-up results\n")
                with open(os.devnull, "w") as quiet:
                    saved, sys.stdout = sys.stdout, quiet
                    try:
                        got = report.cmd_table([results, meta, tmp])
                    finally:
                        sys.stdout = saved
                self.assertEqual(got, status)
                with open(os.path.join(tmp, "last.md"), encoding="utf-8") as f:
                    md = f.read()
                self.assertIn("cached page >= 1.0x nginx at 32: 1.00x (rounds 1.00x, 1.00x)", md)
                self.assertEqual("**FAILED**" in md, status == 1)


if __name__ == "__main__":
    unittest.main(verbosity=1)
