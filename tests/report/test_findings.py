"""Findings are written from the measured records: change a measurement, the finding changes."""

from __future__ import annotations

import copy
import dataclasses

from driftscale.report.charts import fmt
from driftscale.report.findings import explanations, failure_links, findings


def _with(results, edit):
    records = copy.deepcopy(results.records)
    edit(records)
    return dataclasses.replace(results, records=records)


def _by_id(results):
    return {f.id: f for f in findings(results)}


def test_the_demo_contradicts_prop1_eq18_and_new_samples_with_its_own_numbers(demo_results):
    found = _by_id(demo_results)
    assert [f.verdict for f in findings(demo_results)][:3] == ["contradicts"] * 3
    assert found["finding-prop1"].verdict == "contradicts"  # raw digits, measured (seed 0)
    raw = demo_results.records["properties"]["reports"][1]
    ev = next(p for p in raw["properties"] if p["id"] == "differential_entropy_increasing")
    text = " ".join(found["finding-prop1"].measured)
    assert f"peaks at step {fmt(ev['evidence']['max_at_step'])}" in text
    drop = ev["evidence"]["significant_decreases"][0]
    assert f"z = {fmt(drop['z'], 3)}" in text
    assert found["finding-eq18"].verdict == "contradicts"
    assert found["finding-memorisation"].verdict == "contradicts"
    assert "128/128 (100 %)" in found["finding-memorisation"].measured[0]
    assert found["finding-guidance"].verdict == "needs care"
    assert found["finding-permutations"].verdict == "agrees"


def test_a_prop1_that_holds_is_reported_as_agreeing(demo_results):
    def holds(records):
        for rep in records["properties"]["reports"]:
            for p in rep["properties"]:
                if p["id"] == "differential_entropy_increasing" and p["holds"] is False:
                    p["holds"] = True

    found = _by_id(_with(demo_results, holds))
    assert found["finding-prop1"].verdict == "agrees"
    assert all("increases at every measured step" in m for m in found["finding-prop1"].measured)


def test_samples_that_are_new_do_not_contradict_section_3_2(demo_results):
    def new(records):
        for rec in records["reverse"]["samplers"].values():
            rec["memorization"]["fraction_memorised"] = 0.0
            rec["memorization"]["num_memorised"] = 0

    found = _by_id(_with(demo_results, new))
    assert found["finding-memorisation"].verdict == "agrees"
    assert "0/128" in found["finding-memorisation"].measured[0]


def test_eq18_agreeing_with_monte_carlo_would_not_be_a_contradiction(demo_results):
    def printed_is_right(records):
        for rep in records["properties"]["reports"]:
            for p in rep["properties"]:
                if "eq18_as_printed" in p["evidence"]:
                    p["evidence"]["eq18_as_printed"] = list(p["evidence"]["monte_carlo"])

    assert _by_id(_with(demo_results, printed_is_right))["finding-eq18"].verdict == "agrees"


def test_every_failing_check_links_to_an_explanation(demo_results):
    found = findings(demo_results)
    links = failure_links(demo_results, found)
    reports = demo_results.records["properties"]["reports"]
    failing = {
        (k, p["id"]) for k, r in enumerate(reports) for p in r["properties"] if p["holds"] is False
    }
    assert set(links) == failing and failing
    ids = {f.id for f in found} | {e.id for e in explanations(demo_results, found)}
    assert set(links.values()) <= ids
    assert links[(1, "differential_entropy_increasing")] == "finding-prop1"


def test_a_failure_no_finding_covers_gets_its_evidence_and_method(demo_results):
    def fail(records):
        p = records["properties"]["reports"][2]["properties"][0]  # osmosis initial_state
        p["holds"] = False

    results = _with(demo_results, fail)
    found = findings(results)
    (e,) = explanations(results, found)
    assert e.id == "why-2-initial-state" and failure_links(results, found)[(2, "initial_state")]
    assert e.method == results.records["properties"]["reports"][2]["properties"][0]["method"]
