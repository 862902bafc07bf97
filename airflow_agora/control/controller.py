"""The closed-loop controller: from a project's set point and run history, the next configuration.

One pure function, :func:`propose`, called after every recorded run. It

1. finds the current *regime*: runs since the last drift (a changed stage-structure fingerprint
   after a code change, input grown or shrunk by more than ``drift_input_pct``, or a configuration
   already seen running ``drift_runtime_pct`` slower or faster than before). Older runs no longer
   describe the job, so the project re-learns from the regime's runs only (auto-healing);
2. reverts to the last good configuration after a failed run, and marks the failed configuration
   unsafe for inputs at least that large (out of memory, lost executors and timeouts also mark
   every smaller cluster of that type);
3. fits :class:`~airflow_agora.control.run_model.FittedRunModel` to the regime's successful runs
   (the calibration: observed runtimes, not the prior, drive every later prediction);
4. chooses among the candidates within a bounded step of the current cluster (capacity at most
   ``max_step`` times larger or smaller) and never one predicted to miss the SLA when one predicted
   to meet it exists. While *learning* (fewer than ``learning_runs`` successful runs in the regime) it
   explores: the cheapest configuration not yet run whose mid estimate meets the SLA, else an instance
   type not yet run whose low estimate might meet it for less (types differ in ways the catalogue
   cannot tell, such as how the job uses memory). Afterwards it
   exploits: the cheapest whose high estimate (or, when none, mid) meets the SLA, with every run
   configuration at its observed runtime.

Set points: an SLA (cheapest within it; with a cost target too, the target is reported against),
a cost target alone (fastest within it), or none (cheapest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from airflow_agora.control.run_model import FittedRunModel
from airflow_agora.domain.cluster import ClusterConfig
from airflow_agora.domain.errors import InvalidInputError
from airflow_agora.domain.project import FailureReason, Phase, RunRecord, SetPoint
from airflow_agora.prediction.runtime_prior import NodeSpec, Observation, PriorEstimate


@dataclass(frozen=True)
class Candidate:
    """A configuration the controller may choose, with its price per cluster-hour and the start-up
    time billed on top of every run's runtime."""

    node: NodeSpec
    nodes: int
    usd_per_hour: float
    startup_s: float = 0.0

    def cost_usd(self, runtime_s: float) -> float:
        return (runtime_s + self.startup_s) * self.usd_per_hour / 3600

    @property
    def key(self) -> tuple[str, int]:
        return (self.node.name, self.nodes)

    @property
    def capacity(self) -> float:
        return self.node.capacity(self.nodes)


class Scored(NamedTuple):
    candidate: Candidate
    estimate: PriorEstimate
    cost_usd: float


@dataclass(frozen=True)
class ControllerOptions:
    max_step: float = 2.0
    learning_runs: int = 3
    drift_input_pct: float = 25.0
    drift_runtime_pct: float = 40.0
    prior_sigma: float = 0.1


@dataclass(frozen=True)
class Decision:
    config: ClusterConfig
    reason: str
    phase: Phase
    predicted_runtime_s: float | None = None
    predicted_runtime_high_s: float | None = None
    predicted_cost_usd: float | None = None
    drift: str | None = None
    unsafe: tuple[tuple[str, int], ...] = field(default=())


def propose(
    runs: list[RunRecord],
    candidates: list[Candidate],
    set_point: SetPoint,
    *,
    initial: ClusterConfig | None = None,
    options: ControllerOptions | None = None,
) -> Decision:
    """The next run's configuration (see the module docstring). ``runs`` are oldest first."""
    options = options or ControllerOptions()
    if not candidates:
        raise InvalidInputError("no candidate configurations", fix="widen the project's allowed instance types/workers")
    by_key = {c.key: c for c in candidates}
    if not runs:
        if initial is not None:
            return Decision(initial, "first run: the configuration as written", Phase.LEARNING)
        return Decision(_median_capacity(candidates), "first run: the median-capacity candidate", Phase.LEARNING)
    regime, drift, since_drift = current_regime(runs, options)
    last = runs[-1]
    unsafe = unsafe_configs(runs, candidates, last.input_bytes)
    good = [r for r in regime if r.succeeded]
    phase = _phase(good, since_drift, options)
    allowed = [c for c in candidates if c.key not in unsafe]
    if not allowed:
        raise InvalidInputError(
            "every candidate configuration failed before at this input size",
            fix="allow larger clusters or other instance types for the project",
        )
    current = by_key.get(_key(last.config)) or min(allowed, key=lambda c: abs(c.nodes - last.config.num_workers))

    if not last.succeeded:
        previous_good = next((r for r in reversed(runs) if r.succeeded and _key(r.config) not in unsafe), None)
        if previous_good is not None:
            return Decision(
                previous_good.config,
                f"revert to the last good configuration after {last.failure_reason or 'a failure'}",
                phase,
                drift=drift,
                unsafe=tuple(sorted(unsafe)),
            )
        bigger = [c for c in allowed if c.capacity > current.capacity]
        step = min(bigger or allowed, key=lambda c: (abs(c.capacity - 2 * current.capacity), c.usd_per_hour))
        return Decision(
            _config(step, last.config), "no good run yet: a larger cluster after the failure", phase, drift=drift
        )

    if not good:
        return Decision(last.config, "re-run to re-learn after drift", phase, drift=drift)
    model = _fit(good, candidates, expected_next_input(runs), options)
    seen = {_key(r.config) for r in good}
    scored = _score(model, allowed)
    near = _near(scored, current, options)
    choice, why = _choose(near, scored, set_point, seen, phase, model.identified)
    return Decision(
        _config(choice.candidate, last.config),
        why,
        phase,
        choice.estimate.runtime_s,
        choice.estimate.runtime_high_s,
        choice.cost_usd,
        drift=drift,
        unsafe=tuple(sorted(unsafe)),
    )


class PlanningChoices(NamedTuple):
    """What a DAG planner may pick for a project's next run (see :func:`planning_choices`)."""

    known: list[Scored]
    hopeful: list[Scored]


def planning_choices(
    runs: list[RunRecord],
    candidates: list[Candidate],
    recommended: ClusterConfig,
    options: ControllerOptions | None = None,
) -> PlanningChoices:
    """What a DAG planner may pick for this project's next run, scored by the calibrated model, so the
    DAG's goal decides among them.

    ``known``: while the project learns, its recommendation (the controller's exploration) and the
    configurations it already ran well at their observed runtimes, so a DAG whose deadline the
    exploration would break can keep a known size. Once it is optimizing, also every safe candidate
    within a bounded step of the last good run's cluster.

    ``hopeful``: once it is optimizing, those of the latter it has not run, scored at their *low*
    runtime estimates. A DAG planner offers them when no plan of known ones meets the DAG's deadline:
    each task's controller only sees its own job, so only the DAG can tell that one of them must try
    something faster or a different shape. While learning, the controller's own exploration goes
    first (the low estimates are still wide).

    Both are empty when the project has no successful run to calibrate on."""
    options = options or ControllerOptions()
    regime, _, since_drift = current_regime(runs, options) if runs else ([], None, None)
    good = [r for r in regime if r.succeeded]
    if not good:
        return PlanningChoices([], [])
    unsafe = unsafe_configs(runs, candidates, runs[-1].input_bytes)
    allowed = [c for c in candidates if c.key not in unsafe]
    model = _fit(good, candidates, expected_next_input(runs), options)
    scored = {s.candidate.key: s for s in _score(model, allowed)}
    seen = [_key(r.config) for r in good]
    keys, hopeful = [*seen, _key(recommended)], []
    last = scored.get(seen[-1])
    if _phase(good, since_drift, options) == Phase.OPTIMIZING:
        near = _near(list(scored.values()), last.candidate, options) if last else list(scored.values())
        keys += [s.candidate.key for s in near] if last else []
        for s in near:
            if s.candidate.key not in seen:
                low, high = s.estimate.runtime_low_s, s.estimate.runtime_high_s
                hopeful.append(Scored(s.candidate, PriorEstimate(low, low, high), s.candidate.cost_usd(low)))
    return PlanningChoices([scored[k] for k in dict.fromkeys(keys) if k in scored], hopeful)


def _fit(good: list[RunRecord], candidates: list[Candidate], next_input: float | None, options) -> FittedRunModel:
    nodes = {c.node.name: c.node for c in candidates}
    return FittedRunModel(prior_sigma=options.prior_sigma).fit(
        [
            Observation(_node(r, nodes), r.config.num_workers, _scaled(r.runtime_s, r.input_bytes, next_input))
            for r in good
        ]
    )


def _score(model: FittedRunModel, candidates: list[Candidate]) -> list[Scored]:
    out = []
    for c in candidates:
        estimate = model.predict(c.node, c.nodes)
        out.append(Scored(c, estimate, c.cost_usd(estimate.runtime_s)))
    return out


def _near(scored: list[Scored], current: Candidate, options: ControllerOptions) -> list[Scored]:
    """Those within ``max_step`` of the current capacity (all when none is)."""
    low, high = current.capacity / options.max_step, current.capacity * options.max_step
    return [s for s in scored if low <= s.candidate.capacity <= high] or scored


def _choose(
    near: list[Scored], scored: list[Scored], set_point: SetPoint, seen: set, phase: Phase, identified: bool
) -> tuple[Scored, str]:
    """The candidate to run next and why: ``near`` are those within a bounded step, ``scored`` all."""

    def cheapest(options: list[Scored]) -> Scored:
        return min(options, key=lambda s: (s.cost_usd, s.estimate.runtime_s))

    def fastest(options: list[Scored]) -> Scored:
        return min(options, key=lambda s: (s.estimate.runtime_s, s.cost_usd))

    sla, target = set_point.sla_s, set_point.cost_target_usd
    if sla is None and target is not None:
        within = [s for s in near if s.cost_usd <= target] or [s for s in scored if s.cost_usd <= target]
        if within:
            return fastest(within), "fastest predicted within the cost target"
        return cheapest(scored), "no configuration is predicted within the cost target: the cheapest"
    if sla is None:
        return cheapest(near), "cheapest predicted"
    meeting = [s for s in near if s.estimate.runtime_s <= sla] or [s for s in scored if s.estimate.runtime_s <= sla]
    tried = [s.candidate.node for s in scored if s.candidate.key in seen]
    if not meeting:
        # running the fastest again teaches nothing when it has run: try where the job might be faster
        hopeful = [s for s in scored if s.candidate.key not in seen and s.estimate.runtime_low_s <= sla]
        if hopeful:
            return _most_novel(hopeful, tried), (
                f"explore: nothing is predicted to meet the {sla:g} s SLA; this untried configuration might"
            )
        return fastest(scored), f"no configuration is predicted to meet the {sla:g} s SLA: the fastest"
    if phase != Phase.OPTIMIZING:
        fresh = [s for s in meeting if s.candidate.key not in seen]
        met = [s for s in scored if s.candidate.key in seen and s.estimate.runtime_s <= sla]
        incumbent = min((s.cost_usd for s in met), default=float("inf"))
        cheaper = [s for s in fresh if s.cost_usd < incumbent]
        if identified:  # the model has seen how the job scales: explore only where even its high estimate fits
            cheaper = [s for s in cheaper if s.estimate.runtime_high_s <= sla]
        if cheaper:
            return cheapest(cheaper), "explore: cheapest untried configuration predicted to meet the SLA"
        if fresh and not met:
            return cheapest(fresh), "explore: nothing has met the SLA yet"
        tried_names = {node.name for node in tried}
        other_types = [s for s in fresh if s.candidate.node.name not in tried_names]
        if identified and other_types:
            return _most_novel(other_types, tried), "explore: the untried type most different in memory per vCPU"
        hopeful = [
            s
            for s in scored
            if s.candidate.node.name not in tried_names
            and s.estimate.runtime_low_s <= sla
            and s.candidate.cost_usd(s.estimate.runtime_low_s) < incumbent
        ]
        if hopeful:
            return _most_novel(hopeful, tried), "explore: an untried configuration that might meet the SLA for less"
        if fresh and not identified:
            best = cheapest(met).candidate
            same_type = [s for s in fresh if s.candidate.node.name == best.node.name] or fresh
            return (
                min(same_type, key=lambda s: (abs(s.candidate.capacity - best.capacity), s.cost_usd)),
                "explore: a neighbouring cluster size, to learn how the job scales",
            )
    safe = [s for s in meeting if s.estimate.runtime_high_s <= sla]
    note = "" if safe else " (its high estimate exceeds the SLA)"
    return cheapest(safe or meeting), f"cheapest predicted to meet the SLA{note}"


def _most_novel(options: list[Scored], tried: list[NodeSpec]) -> Scored:
    """Of ``options``, the cheapest on the instance type most different in memory per vCPU from the types
    run so far. The model knows each type's CPU speed but not how the job uses memory, so a run there
    teaches it most."""

    def memory_novelty(s: Scored) -> float:
        per_vcpu = s.candidate.node.memory_gib / s.candidate.node.vcpus
        return min((abs(math.log(per_vcpu * n.vcpus / n.memory_gib)) for n in tried), default=0.0)

    return min(options, key=lambda s: (-round(memory_novelty(s), 9), s.cost_usd, s.estimate.runtime_s))


def current_regime(runs: list[RunRecord], options: ControllerOptions) -> tuple[list[RunRecord], str | None, int | None]:
    """The runs that still describe the job, what drift the last run showed (None if none) and how many
    runs ago the last drift was (None: never). A code change or a runtime jump on an unchanged cluster
    ends the regime (older runs are dropped); input growth keeps it, since runtimes are scaled by input."""
    start, reason, last_drift = 0, None, None
    reference_input = runs[0].input_bytes
    for i in range(1, len(runs)):
        reason, cut = _drift(runs[start:i], runs[i], reference_input, options)
        if reason:
            last_drift = i
            start = i if cut else start
            reference_input = runs[i].input_bytes
        reference_input = reference_input or runs[i].input_bytes
    since = None if last_drift is None else len(runs) - 1 - last_drift
    return runs[start:], reason if since == 0 else None, since


DRIFT_REASONS = ("code change", "runtime on an unchanged cluster", "input grew", "input shrank")


def is_drift_reason(reason: str) -> bool:
    """Whether a recommendation's reason starts with a drift :func:`_drift` detected."""
    return reason.startswith(DRIFT_REASONS)


def _drift(
    regime: list[RunRecord], run: RunRecord, reference_input: int | None, options: ControllerOptions
) -> tuple[str | None, bool]:
    first_fp = next((r.fingerprint for r in regime if r.fingerprint), None)
    if run.fingerprint and first_fp and run.fingerprint != first_fp:
        return "code change: the stage structure differs", True
    if run.succeeded:
        same = [r for r in regime if r.succeeded and _key(r.config) == _key(run.config)]
        if same:
            expected = _scaled(same[-1].runtime_s, same[-1].input_bytes, run.input_bytes)
            change = 100 * (run.runtime_s - expected) / expected
            if abs(change) > options.drift_runtime_pct:
                return f"runtime on an unchanged cluster {'rose' if change > 0 else 'fell'} {abs(change):.0f}%", True
    if run.input_bytes and reference_input:
        change = 100 * (run.input_bytes - reference_input) / reference_input
        if abs(change) > options.drift_input_pct:
            return f"input {'grew' if change > 0 else 'shrank'} {abs(change):.0f}%", False
    return None, False


def _scaled(runtime_s: float, observed_input: int | None, input_bytes: float | None) -> float:
    """``runtime_s`` observed on ``observed_input`` bytes, scaled linearly to ``input_bytes``."""
    if observed_input and input_bytes:
        return runtime_s * input_bytes / observed_input
    return runtime_s


def expected_next_input(runs: list[RunRecord], window: int = 3, max_growth: float = 1.5) -> float | None:
    """The next run's input: the last one's, grown at the recent per-run rate when it has been growing
    (shrinking is not anticipated: the safe side for an SLA)."""
    sizes = [r.input_bytes for r in runs if r.input_bytes][-(window + 1) :]
    if not sizes:
        return None
    if len(sizes) < 2:
        return float(sizes[-1])
    growth = (sizes[-1] / sizes[0]) ** (1 / (len(sizes) - 1))
    return sizes[-1] * min(max(growth, 1.0), max_growth)


def unsafe_configs(runs: list[RunRecord], candidates: list[Candidate], input_bytes: int | None) -> set[tuple[str, int]]:
    """Configurations that failed at this input size or less: the failed one, and for resource failures
    (out of memory, lost executors, timeouts) every smaller cluster of the same type."""
    unsafe: set[tuple[str, int]] = set()
    for r in runs:
        if r.succeeded:
            continue
        if input_bytes is not None and r.input_bytes is not None and input_bytes < 0.9 * r.input_bytes:
            continue  # failed on a larger input than now
        unsafe.add(_key(r.config))
        if r.failure_reason != FailureReason.OTHER:
            unsafe.update(
                c.key for c in candidates if c.node.name == r.config.instance_type and c.nodes <= r.config.num_workers
            )
    return unsafe


def _phase(good: list[RunRecord], since_drift: int | None, options: ControllerOptions) -> Phase:
    if since_drift is not None and since_drift < options.learning_runs:
        return Phase.RELEARNING
    return Phase.OPTIMIZING if len(good) >= options.learning_runs else Phase.LEARNING


def _median_capacity(candidates: list[Candidate]) -> ClusterConfig:
    ordered = sorted(candidates, key=lambda c: (c.capacity, c.usd_per_hour))
    middle = ordered[(len(ordered) - 1) // 2]
    return ClusterConfig(middle.node.name, middle.nodes)


def _key(config: ClusterConfig) -> tuple[str, int]:
    return (config.instance_type, config.num_workers)


def _node(run: RunRecord, nodes: dict[str, NodeSpec]) -> NodeSpec:
    known = nodes.get(run.config.instance_type)
    if known is None:
        raise InvalidInputError(
            f"run {run.run_key} used {run.config.instance_type}, which no candidate has",
            fix="include the instance types the project has run on among its candidates",
        )
    return known


def _config(c: Candidate, like: ClusterConfig) -> ClusterConfig:
    return ClusterConfig(
        c.node.name,
        c.nodes,
        driver_instance_type=like.driver_instance_type,
        platform=like.platform,
        photon=like.photon,
        spot_share=like.spot_share,
    )
