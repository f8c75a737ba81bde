"""The report's findings: where this run's measurements contradict Peter 2023, and where they
agree, written from the stored results (never pasted text that could disagree with them).

Each finding reads the numbers of one claim from the records of ``driftscale demo``
(``results/<part>.json``): its verdict follows from the measured evidence (a property report's
``holds`` and evidence, the memorisation fractions, the stored Monte-Carlo standard errors), so
another seed or another version of the code that measures differently writes a different
finding. :func:`failure_links` gives every failing property check the anchor of its
explanation: the finding that covers it, or a generic one built from its evidence and method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from driftscale.report.charts import fmt
from driftscale.report.results import RunResults

__all__ = ["Explanation", "Finding", "explanations", "failure_links", "findings"]

Verdict = Literal["contradicts", "needs care", "agrees"]
Z_DISAGREE = 3.0  # |z| above which a stored value and its Monte-Carlo estimate disagree


@dataclass(frozen=True)
class Finding:
    """One claim of the paper against this run's measurement.

    Attributes
    ----------
    id : str
        HTML anchor (``finding-...``).
    claim : str
        What the paper says, with its section or equation.
    measured : list of str
        What was measured, sentence by sentence, with the numbers of this run.
    verdict : {"contradicts", "needs care", "agrees"}
    where : str
        Anchor of the report's section with the evidence.
    covers : tuple of str
        Property ids (of the property reports) whose failure this finding explains.
    """

    id: str
    claim: str
    measured: list[str]
    verdict: Verdict
    where: str
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A failing property check that no finding covers: its evidence and method, as stored."""

    id: str
    title: str
    claim: str
    evidence: list[tuple[str, str]]
    method: str


def _label(report: dict[str, Any]) -> str:
    return f"{report['process']} ({report['data']})"


def _reports(results: RunResults) -> list[dict[str, Any]]:
    return list(results.records.get("properties", {}).get("reports", []))


def _property(report: dict[str, Any], pid: str) -> dict[str, Any] | None:
    return next((p for p in report.get("properties", []) if p.get("id") == pid), None)


def _prop1(results: RunResults) -> Finding | None:
    measured, failing = [], False
    for rep in _reports(results):
        p = _property(rep, "differential_entropy_increasing")
        if p is None or p["holds"] is None:
            continue
        ev = p["evidence"]
        if p["holds"]:
            measured.append(f"On {_label(rep)} the entropy increases at every measured step.")
            continue
        failing = True
        seq = rep["lyapunov"]["differential_entropy"]
        peak = seq["values"][seq["steps"].index(ev["max_at_step"])]
        drops = "; ".join(
            f"{fmt(d['from'])} → {fmt(d['to'])}: {fmt(d['difference'], 3)} nats "
            f"(z = {fmt(d['z'], 3)})"
            for d in ev.get("significant_decreases", [])
        )
        admissible = "every" if ev.get("eq10_all_betas_admissible") else "not every"
        measured.append(
            f"On {_label(rep)} the entropy H(U_i) peaks at step {fmt(ev['max_at_step'])} "
            f"({fmt(peak)} nats, above H(N(0, I)) = {fmt(ev.get('entropy_of_N(0,I)'))}) and then "
            f"decreases ({drops}), although {admissible} beta of the schedule satisfies Eq. (10)."
        )
    if not measured:
        return None
    return Finding(
        id="finding-prop1",
        claim="Prop. 1: the differential entropy of the forward chain increases when beta "
        "satisfies Eq. (10) (Peter 2023, Eq. (9)-(15)).",
        measured=measured,
        verdict="contradicts" if failing else "agrees",
        where="properties",
        covers=("differential_entropy_increasing",) if failing else (),
    )


def _eq18(results: RunResults) -> Finding | None:
    for rep in _reports(results):
        p = _property(rep, "conditional_entropy_increasing")
        ev = {} if p is None else p["evidence"]
        if "eq18_as_printed" not in ev:
            continue
        steps = rep["lyapunov"]["conditional_entropy"]["steps"]
        printed, closed, mc = ev["eq18_as_printed"], ev["closed_form"], ev["monte_carlo"]
        se = ev["monte_carlo_stderr"]
        z_printed = max(abs(a - m) / s for a, m, s in zip(printed, mc, se, strict=True) if s > 0)
        z_closed = ev["max_abs_z_closed_form_vs_monte_carlo"]
        measured = [
            f"On {_label(rep)} at step {fmt(steps[-1])}: Eq. (18) as printed gives "
            f"{fmt(printed[-1])} nats, n/2 ln(2 pi e (1 - alpha_bar_i)) gives {fmt(closed[-1])}, "
            f"Monte Carlo on the process's paths {fmt(mc[-1])} ± {fmt(se[-1], 2)}.",
            f"Largest |z| against Monte Carlo over {len(steps)} steps: {fmt(z_closed, 3)} for "
            f"the closed form, {fmt(z_printed, 3)} for Eq. (18) as printed. The monotonicity of "
            f"Prop. 2 {'holds' if p['holds'] else 'fails'}.",
        ]
        bad = z_printed > Z_DISAGREE and z_closed <= Z_DISAGREE
        return Finding(
            id="finding-eq18",
            claim="Eq. (18): the conditional entropy H(U_i | U_0) = ln((2 pi e)^n (1 - "
            "alpha_bar_i)^n) (Peter 2023, Prop. 2).",
            measured=measured,
            verdict="contradicts" if bad else "agrees",
            where="properties",
        )
    return None


def _memorisation(results: RunResults) -> Finding | None:
    samplers = results.records.get("reverse", {}).get("samplers", {})
    if not samplers:
        return None
    full: list[tuple[str, dict[str, Any]]] = []
    coarse: list[tuple[str, dict[str, Any]]] = []
    baseline = None
    for label, rec in samplers.items():
        mem, sample = rec.get("memorization") or {}, rec["sample"]
        baseline = rec.get("baseline_heldout_vs_train", baseline)
        text = (
            f"{label}: {mem.get('num_memorised')}/{mem.get('num_samples')} "
            f"({fmt(100 * mem.get('fraction_memorised', 0.0), 3)} %)"
        )
        (full if sample["num_steps"] == sample["schedule"]["T"] else coarse).append((text, mem))
    if not full:
        return None
    measured = [
        "Copies of a training digit (d1/d2 below "
        f"{fmt(full[0][1].get('threshold', 1 / 3), 3)}) among the exact reverse process's "
        "samples, every step: " + "; ".join(t for t, _ in full) + "."
    ]
    if baseline:
        measured.append(
            f"Real held-out digits flagged as copies: {baseline['num_memorised']}/"
            f"{baseline['num_samples']}; median d1 of the samples "
            f"{fmt(full[0][1].get('d1_median'))} against {fmt(baseline['d1_median'])} for "
            "the held-out digits."
        )
    if coarse:
        measured.append("With a coarse grid: " + "; ".join(t for t, _ in coarse) + ".")
    copies = all(m.get("fraction_memorised", 0.0) > 0.5 for _, m in full)
    return Finding(
        id="finding-memorisation",
        claim='Section 3.2: the reverse process "can sample new images from the distribution '
        'p(F) that are not part of the training data".',
        measured=measured,
        verdict="contradicts" if copies else "agrees",
        where="reverse",
    )


def _guidance(results: RunResults) -> Finding | None:
    osm = results.records.get("compare", {}).get("osmosis")
    if not osm or osm.get("guidance", {}).get("kind") != "noise":
        return None
    frames = osm["frames"]
    return Finding(
        id="finding-guidance",
        claim='Sec. 4.2 / Fig. 1: osmosis with the canonical drift of "a standard normal noise '
        'sample v".',
        measured=[
            "Such a sample is negative at half the pixels on average, where d = grad v / v and "
            "the steady state (mu_f / mu_v) v are undefined (osmosis needs v > 0).",
            f"This run used v = {fmt(osm['guidance']['offset'])} + N(0, 1): the smallest value "
            f"of any frame is {fmt(min(fr['min'] for fr in frames))} (positive), the largest "
            f"relative mass error {fmt(max(fr['relative_mass_error'] for fr in frames), 2)}.",
        ],
        verdict="needs care",
        where="scales",
    )


def _permutations(results: RunResults) -> Finding | None:
    measured, covers = [], set()
    for rep in _reports(results):
        p = _property(rep, "permutation_invariance")
        if p is None or p["holds"] is None:
            continue
        ev = p["evidence"]
        if rep["process"] == "diffusion":
            measured.append(
                f"{_label(rep)}: {'invariant' if p['holds'] else 'NOT invariant'} (coupled noise "
                f"max |difference| {fmt(ev.get('coupled_max_abs_difference'))}, in distribution "
                f"p = {fmt(ev.get('in_distribution_p_value'), 3)})."
            )
        else:
            covers.add("permutation_invariance")
            measured.append(
                f"{_label(rep)}: a random pixel permutation changes the result by "
                f"{fmt(ev.get('random_permutation_relative_difference'), 3)} (relative); the "
                f"rotation by 180 degrees by {fmt(ev.get('rotation180_relative_difference'), 3)}."
            )
    if not measured:
        return None
    diffusion_ok = all("NOT" not in m for m in measured)
    return Finding(
        id="finding-permutations",
        claim="Prop. 3 and Sec. 4.4: probabilistic diffusion is invariant under pixel "
        "permutations; osmosis, which smooths in the image domain, is not.",
        measured=measured,
        verdict="agrees" if diffusion_ok else "contradicts",
        where="properties",
        covers=tuple(sorted(covers)),
    )


FINDINGS: tuple[Callable[[RunResults], Finding | None], ...] = (
    _prop1,
    _eq18,
    _memorisation,
    _guidance,
    _permutations,
)
_ORDER = {"contradicts": 0, "needs care": 1, "agrees": 2}


def findings(results: RunResults) -> list[Finding]:
    """Every finding this run's records allow, contradictions first."""
    found = [f for build in FINDINGS if (f := build(results)) is not None]
    return sorted(found, key=lambda f: _ORDER[f.verdict])


def _explanation_id(index: int, pid: str) -> str:
    return f"why-{index}-{pid.replace('_', '-')}"


def failure_links(results: RunResults, found: list[Finding]) -> dict[tuple[int, str], str]:
    """``(report index, property id)`` of every failing check -> the anchor explaining it."""
    links = {}
    for k, rep in enumerate(_reports(results)):
        for p in rep.get("properties", []):
            if p.get("holds") is False:
                cover = next((f.id for f in found if p["id"] in f.covers), None)
                links[(k, p["id"])] = cover or _explanation_id(k, p["id"])
    return links


def explanations(results: RunResults, found: list[Finding]) -> list[Explanation]:
    """The failing checks no finding covers, with their stored evidence and method."""
    out = []
    links = failure_links(results, found)
    reports = _reports(results)
    for (k, pid), anchor in links.items():
        p = _property(reports[k], pid)
        if p is None or not anchor.startswith("why-"):
            continue
        evidence = [
            (key, fmt(v)) for key, v in p["evidence"].items() if not isinstance(v, list | dict)
        ]
        title = f"{pid} on {_label(reports[k])}"
        out.append(Explanation(anchor, title, p["claim"], evidence, p["method"]))
    return out
