"""A synthetic indicator scheme of K indicators (default 60) for the scoring benchmark.

The scheme looks like a large enterprise's 党支部目标管理考核表: six scored blocks (the seed's
班子建设 … 基础工作) plus a bonus block, 100 points, three one-vote vetoes (一票否决), two bonus
items, and mostly ledger targets (三会一课 per month and per quarter, yearly counts and yearly sums),
some of them flexible with a tolerance, with check deductions, ballots, qualitative levels and the
secretary's term around them. Targets are set per branch category.

It only uses the rule types of ``standard-rules`` and the ledger types of ``standard-ledgers``;
ledger types are reused across indicators (a 60-indicator table has more indicators than the
standard plugin has ledger types). It is deterministic: the same K gives the same scheme.

Use :func:`build_scheme` for the :class:`~bastion.core.scheme.Scheme`, and :func:`plugin` for an
object to register with ``Registry.load(extra=[("bench-scheme", plugin(scheme))])``.
"""

from __future__ import annotations

from typing import Any

from bastion.core.scheme import Scheme

from bastion import hookimpl

PLUGIN_NAME = "bench-scheme"

BLOCKS = ("班子建设", "党员教育和管理", "党风党纪建设", "发展党员工作", "职工思想政治工作", "基础工作")

# (name, ledger type, per, aggregate, targets) — cycled through for the ledger_target indicators.
# Sub-annual targets are per unit (1 per month / per quarter), yearly ones per year.
LEDGER_TEMPLATES: list[tuple[str, str, str, str, dict[str, float]]] = [
    ("支委会每月召开", "committee_meeting", "month", "count", {"*": 1}),
    ("支部党员大会每季度召开", "branch_assembly", "quarter", "count", {"*": 1}),
    ("党课每季度一次", "party_lecture", "quarter", "count", {"*": 1}),
    ("组织生活会和民主评议党员", "organizational_life", "year", "count", {"*": 1}),
    ("党小组会每月召开", "group_meeting", "month", "count", {"*": 1}),
    ("廉政教育", "integrity_education", "year", "count", {"*": 2, "离退休": 1}),
    ("党员志愿服务时长", "volunteer_service", "year", "sum", {"*": 120, "生产一线": 100, "离退休": 60}),
    ("职工思想动态分析每季度一次", "ideology_analysis", "quarter", "count", {"*": 1}),
    ("完成发展党员计划", "new_member", "year", "sum", {"*": 1, "生产一线": 2, "离退休": 0}),
    ("入党积极分子培养", "activist_training", "year", "count", {"*": 2, "离退休": 0}),
    ("主题党日每月开展", "theme_party_day", "month", "count", {"*": 1}),
    ("为群众办实事", "practical_deed", "year", "count", {"*": 3, "机关": 2, "离退休": 1}),
    ("党费按月收缴", "dues_collection", "month", "count", {"*": 1}),
    ("集中学习", "study_session", "year", "count", {"*": 4, "离退休": 2}),
    ("廉政警示教育每季度一次", "integrity_education", "quarter", "count", {"*": 1}),
    ("专题组织生活", "organizational_life", "year", "count", {"*": 1}),
    ("主题党日特色活动", "theme_party_day", "year", "count", {"*": 2, "离退休": 1}),
    ("办实事项目季度推进", "practical_deed", "quarter", "count", {"*": 1, "离退休": 0}),
    ("学习研讨", "study_session", "year", "count", {"*": 2}),
    ("积极分子季度考察", "activist_training", "quarter", "count", {"*": 1, "离退休": 0}),
]
# Flexible (弹性) ledger indicators, with their tolerance: every FLEXIBLE_EVERY-th yearly ledger indicator.
FLEXIBLE_EVERY = 3
TOLERANCES = (0.1, 0.2, 0.25)

FINDING_NAMES = ("作风建设督查", "支部工作记录规范", "台账资料完整", "阵地建设规范", "意识形态工作责任制",
                 "保密工作检查", "安全生产督查")
VETO_NAMES = ("班子团结", "党员受党纪政纪处分", "完成上级部署的工作任务", "重大安全责任事故", "意识形态重大问题")
BALLOT_SOURCES: tuple[list[str] | None, ...] = (["members"], ["self", "peers", "superior"], None)
BALLOT_NAMES = ("党员群众满意度测评", "自评、互评、考评综合评价", "述职评议综合测评")
LEVEL_NAMES = ("班子建设上级考评", "党建品牌创建评定", "基础工作规范化评定")
BONUS = (("选树典型", "model_selected", 3.0, 1.5), ("受上级表彰", "commendation", 4.0, 2.0))

WEIGHTS = {"ledger_month": 2.0, "ledger_quarter": 2.0, "ledger_year": 1.5, "flexible": 2.0,
           "finding_deduction": 3.0, "ballot_score": 3.0, "level_score": 2.0, "secretary_term": 2.0}


def _mix(indicators: int) -> dict[str, int]:
    """How many indicators of each rule a K-indicator scheme has (60 → 3 veto, 2 bonus, 5 deductions …)."""
    if indicators < 8:
        raise ValueError("a benchmark scheme needs at least 8 indicators")
    veto = 3 if indicators >= 20 else 1
    bonus = 2 if indicators >= 20 else 1
    scored = indicators - veto - bonus
    finding = max(1, round(scored * 0.09))
    ballot = max(1, min(len(BALLOT_SOURCES), round(scored * 0.055)))
    level = max(1, round(scored * 0.055))
    secretary = 1
    ledger = scored - finding - ballot - level - secretary
    return {"veto_on_finding": veto, "ledger_per_item": bonus, "finding_deduction": finding,
            "ballot_score": ballot, "level_score": level, "secretary_term": secretary, "ledger_target": ledger}


def _nth(names: tuple[str, ...], n: int) -> str:
    base = names[n % len(names)]
    return base if n < len(names) else f"{base}（{n // len(names) + 1}）"


def _points(weights: list[float], total: float = 100.0) -> list[float]:
    """Points proportional to ``weights``, in steps of 0.5, adding up to ``total`` exactly."""
    raw = [total * w / sum(weights) for w in weights]
    points = [max(0.5, round(r * 2) / 2) for r in raw]
    residual = round((total - sum(points)) * 2)  # in half points
    order = sorted(range(len(points)), key=lambda i: raw[i] - points[i], reverse=residual > 0)
    k = 0
    while residual != 0:
        i = order[k % len(order)]
        step = 0.5 if residual > 0 else -0.5
        if points[i] + step >= 0.5:
            points[i] += step
            residual -= 1 if residual > 0 else -1
        k += 1
    return points


def scheme_dict(indicators: int = 60, *, blocks: int = 6, scheme_id: str | None = None) -> dict[str, Any]:
    """The scheme document (a plain dict, as a plugin could load it from YAML)."""
    mix = _mix(indicators)
    scored: list[dict[str, Any]] = []  # scored indicators, in order, with a weight each
    yearly = 0
    for n in range(mix["ledger_target"]):
        name, ledger_type, per, aggregate, targets = LEDGER_TEMPLATES[n % len(LEDGER_TEMPLATES)]
        round_ = n // len(LEDGER_TEMPLATES)
        spec: dict[str, Any] = {
            "name": name if round_ == 0 else f"{name}（{round_ + 1}）", "kind": "controllable",
            "rule": "ledger_target", "params": {"ledger_type": ledger_type, "per": per, "aggregate": aggregate},
            "targets": dict(targets)}
        flexible = False
        if per == "year":
            yearly += 1
            flexible = yearly % FLEXIBLE_EVERY == 0
        if flexible:
            spec["kind"], spec["tolerance"] = "flexible", TOLERANCES[yearly % len(TOLERANCES)]
        scored.append({**spec, "_w": WEIGHTS["flexible" if flexible else f"ledger_{per}"]})
    for n in range(mix["finding_deduction"]):
        scored.append({"name": _nth(FINDING_NAMES, n), "kind": "controllable", "rule": "finding_deduction",
                       "params": {"per_finding": 1.0 + (n % 2)}, "_w": WEIGHTS["finding_deduction"]})
    for n in range(mix["ballot_score"]):
        sources = BALLOT_SOURCES[n % len(BALLOT_SOURCES)]
        scored.append({"name": _nth(BALLOT_NAMES, n), "kind": "controllable", "rule": "ballot_score",
                       "params": {"sources": sources} if sources else {}, "_w": WEIGHTS["ballot_score"]})
    for n in range(mix["level_score"]):
        scored.append({"name": _nth(LEVEL_NAMES, n), "kind": "controllable", "rule": "level_score",
                       "params": {"sources": ["superior"]}, "_w": WEIGHTS["level_score"]})
    scored.append({"name": "支部按期换届", "kind": "controllable", "rule": "secretary_term", "params": {},
                   "_w": WEIGHTS["secretary_term"]})

    # Interleave the rule types so every block gets a realistic mix (stride over the list).
    stride = max(1, len(scored) // blocks)
    order = sorted(range(len(scored)), key=lambda i: (i % stride, i))
    scored = [scored[i] for i in order]
    for spec, pts in zip(scored, _points([s.pop("_w") for s in scored]), strict=True):
        spec["points"] = pts

    blocks = min(blocks, len(scored))
    out_blocks = []
    size, extra = divmod(len(scored), blocks)
    start = 0
    veto_blocks = [0, min(2, blocks - 1), blocks - 1]  # 班子建设, 党风党纪建设, 基础工作, like the seed
    for b in range(blocks):
        end = start + size + (1 if b < extra else 0)
        code = f"B{b + 1}"
        inds = []
        for v in range(mix["veto_on_finding"]):
            if (veto_blocks[v] if v < len(veto_blocks) else 0) == b:
                inds.append({"code": f"{code}-V{v + 1}", "name": _nth(VETO_NAMES, v), "kind": "veto", "points": 0,
                             "rule": "veto_on_finding", "description": "一票否决"})
        for k, spec in enumerate(scored[start:end], start=1):
            inds.append({"code": f"{code}-{k:02d}", **spec})
        out_blocks.append({"code": code, "name": BLOCKS[b % len(BLOCKS)] + ("" if b < len(BLOCKS) else str(b)),
                           "indicators": inds})
        start = end
    bonus = [{"code": f"BX-{n + 1}", "name": name, "kind": "bonus", "points": pts, "rule": "ledger_per_item",
              "params": {"ledger_type": ledger_type, "per_item": per_item}}
             for n, (name, ledger_type, pts, per_item) in enumerate(BONUS[:mix["ledger_per_item"]])]
    if bonus:
        out_blocks.append({"code": "BX", "name": "加分项", "indicators": bonus})

    return {
        "id": scheme_id or f"bench-{indicators}",
        "version": "bench.1",
        "name": f"基准测试考核表（{indicators} 项指标）",
        "description": "Synthetic scheme for the scoring benchmark (benchmarks/synthetic_scheme.py).",
        "total_points": 100,
        "bonus_cap": 5,
        "blocks": out_blocks,
        "grades": [
            {"name": "先进", "min_score": 95, "advanced": True},
            {"name": "良好", "min_score": 85},
            {"name": "合格", "min_score": 70},
            {"name": "不合格", "min_score": 0},
        ],
        "veto_grade": "不合格",
        "tiers": {"method": "rank_share", "bands": [
            {"name": "第一档", "share": 0.2}, {"name": "第二档", "share": 0.7}, {"name": "第三档", "share": 0.1}]},
        "source_weights": {"self": 0.1, "members": 0.4, "peers": 0.2, "superior": 0.3},
        "calendar": [{"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核"}],
    }


def build_scheme(indicators: int = 60, *, blocks: int = 6, scheme_id: str | None = None) -> Scheme:
    """A valid :class:`Scheme` with ``indicators`` indicators (including vetoes and bonus items)."""
    return Scheme.model_validate(scheme_dict(indicators, blocks=blocks, scheme_id=scheme_id))


class BenchSchemePlugin:
    """A plugin object contributing one scheme (register it as ``bench-scheme``)."""

    __version__ = "bench"

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme

    @hookimpl
    def bastion_schemes(self) -> list[Scheme]:
        return [self.scheme]


def plugin(scheme: Scheme) -> BenchSchemePlugin:
    return BenchSchemePlugin(scheme)


def describe(scheme: Scheme) -> dict[str, Any]:
    """Counts by rule, kind and block: for the benchmark's report."""
    rules: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for spec in scheme.indicators():
        rules[spec.rule] = rules.get(spec.rule, 0) + 1
        kinds[str(spec.kind)] = kinds.get(str(spec.kind), 0) + 1
    return {"id": scheme.id, "indicators": sum(rules.values()), "blocks": len(scheme.blocks), "rules": rules,
            "kinds": kinds, "points": sum(b.points for b in scheme.blocks)}
