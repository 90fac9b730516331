"""Lifecycles of IP rights as explicit state machines, derived from an office profile.

Transitions are data: ``Transition(action, from_states, to_state, roles, preconditions)``.
The machine only answers "may ``role`` do ``action`` from ``state``, and what must hold"; the
named preconditions (``fee_paid:renewal``, ``opposition_period_over`` ...) are checked by the
registry rules that own the facts. Automatic time events (role ``system``) are computed by
:func:`due_time_events`, a pure function of the profile, the state, recorded dates and the
ledger time, so every node derives the same events.

State names and WIPO legal-status standards (ST.27 patents, ST.61 trade marks, ST.87
designs). Those standards describe *events* in categories; each state here is the status
reached after events of one category (see :data:`STATUS_CATEGORY`, :data:`LIFE_STATUS`):

=================== ===================================== ==========
state               category of the events that lead here life status
=================== ===================================== ==========
filed               application filing                    pending
formalities_checked application filing (formal check)     pending
under_examination   search and examination                pending
published           application publication               pending
opposition_period   application publication (period open) pending
opposed             pre-grant challenge (opposition)      pending
refused, withdrawn  application termination               ceased
registered/granted  IP right grant / registration         in_force
renewal_due         IP right maintenance (window open)    in_force
in_grace_period     IP right maintenance (late payment)   in_force
lapsed, expired     IP right termination                  ceased
surrendered         IP right termination                  ceased
cancelled           post-grant challenge -> termination   ceased
invalidated         post-grant challenge -> termination   ceased
=================== ===================================== ==========

``lapsed`` = ended because a renewal was not made; ``expired`` = term ended, or (patents) a
maintenance fee was not paid by the end of its grace period, as the USPTO words it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from ipledger.registry.calendar import (
    Duration,
    add_days,
    add_months,
    date_of_ms,
    format_iso_date,
    start_of_day_ms,
)
from ipledger.registry.profiles import FEE_NAMES, OfficeProfile, RightRules

__all__ = [
    "ALL_STATES",
    "LIFE_STATUS",
    "PRECONDITIONS",
    "ROLES",
    "STATUS_CATEGORY",
    "MaintenanceDue",
    "RightDates",
    "StateMachine",
    "TimeEvent",
    "Transition",
    "TransitionRejected",
    "current_expiry",
    "due_time_events",
    "machine_for",
    "maintenance_schedule",
]

ROLES: tuple[str, ...] = (
    "applicant",
    "owner",
    "representative",
    "examiner",
    "registrar",
    "any_party",
    "system",
)

ABSENT = "absent"  # pseudo-state: no record yet (the only state ``file`` starts from)
FILED = "filed"
FORMALITIES_CHECKED = "formalities_checked"
UNDER_EXAMINATION = "under_examination"
PUBLISHED = "published"
OPPOSITION_PERIOD = "opposition_period"
OPPOSED = "opposed"
REGISTERED = "registered"
GRANTED = "granted"
RENEWAL_DUE = "renewal_due"
IN_GRACE_PERIOD = "in_grace_period"
REFUSED = "refused"
WITHDRAWN = "withdrawn"
EXPIRED = "expired"
LAPSED = "lapsed"
SURRENDERED = "surrendered"
CANCELLED = "cancelled"
INVALIDATED = "invalidated"

ALL_STATES: tuple[str, ...] = (
    ABSENT,
    FILED,
    FORMALITIES_CHECKED,
    UNDER_EXAMINATION,
    PUBLISHED,
    OPPOSITION_PERIOD,
    OPPOSED,
    REGISTERED,
    GRANTED,
    RENEWAL_DUE,
    IN_GRACE_PERIOD,
    REFUSED,
    WITHDRAWN,
    EXPIRED,
    LAPSED,
    SURRENDERED,
    CANCELLED,
    INVALIDATED,
)

#: WIPO ST.27 / ST.61 / ST.87 style category of the events that lead into each state.
STATUS_CATEGORY: Mapping[str, str] = MappingProxyType(
    {
        ABSENT: "none",
        FILED: "application filing",
        FORMALITIES_CHECKED: "application filing",
        UNDER_EXAMINATION: "search and examination",
        PUBLISHED: "application publication",
        OPPOSITION_PERIOD: "application publication",
        OPPOSED: "pre-grant challenge",
        REGISTERED: "IP right grant",
        GRANTED: "IP right grant",
        RENEWAL_DUE: "IP right maintenance",
        IN_GRACE_PERIOD: "IP right maintenance",
        REFUSED: "application termination",
        WITHDRAWN: "application termination",
        EXPIRED: "IP right termination",
        LAPSED: "IP right termination",
        SURRENDERED: "IP right termination",
        CANCELLED: "post-grant challenge",
        INVALIDATED: "post-grant challenge",
    }
)

#: Coarse life status in the ST.27 sense: pending application, right in force, or ceased.
LIFE_STATUS: Mapping[str, str] = MappingProxyType(
    {
        ABSENT: "none",
        **dict.fromkeys(
            (FILED, FORMALITIES_CHECKED, UNDER_EXAMINATION, PUBLISHED, OPPOSITION_PERIOD, OPPOSED),
            "pending",
        ),
        **dict.fromkeys((REGISTERED, GRANTED, RENEWAL_DUE, IN_GRACE_PERIOD), "in_force"),
        **dict.fromkeys(
            (REFUSED, WITHDRAWN, EXPIRED, LAPSED, SURRENDERED, CANCELLED, INVALIDATED), "ceased"
        ),
    }
)

#: Named preconditions a transition may carry (plus ``fee_paid:<fee name>``).
PRECONDITIONS: Mapping[str, str] = MappingProxyType(
    {
        "applicant_heard": "the applicant was told the grounds and could answer",
        "examination_passed": "examination found no ground for refusal",
        "publication_due": "the date for publishing the application has come",
        "within_opposition_period": "ledger time is within the opposition period",
        "opposition_period_over": "the opposition period has ended",
        "no_pending_opposition": "no opposition is pending",
        "no_other_pending_opposition": "no opposition other than this one is pending",
        "opposition_decision_final": "the opposition decision is final",
        "within_renewal_window": "ledger time is within the renewal window before expiry",
        "renewals_remaining": "the maximum number of renewals is not reached",
        "no_renewals_remaining": "the maximum number of renewals is reached",
        "expiry_reached": "the registration's expiry date has passed",
        "not_renewed": "no renewal was recorded for this term",
        "within_grace_period": "ledger time is within the grace period",
        "grace_period_over": "the grace period has ended",
        "within_maintenance_window": "ledger time is within a maintenance fee window",
        "maintenance_due_date_passed": "a maintenance fee due date passed unpaid",
        "maintenance_fee_unpaid": "the maintenance fee due was not paid",
        "term_ended": "the maximum term of protection has ended",
        "recorded_right_holders_consent": "holders of recorded rights (licensees...) consent",
        "cancellation_decision_final": "a revocation/cancellation decision is final",
        "invalidity_decision_final": "a declaration of invalidity is final",
        "ceased_for_non_payment": "the right ceased for a missed renewal/maintenance payment",
        "within_reinstatement_period": "the period for reinstatement has not ended",
    }
)

_GRANT_KINDS = frozenset({"patent", "utility_model"})
_APPLICATION_STATES = (FILED, FORMALITIES_CHECKED, UNDER_EXAMINATION, PUBLISHED)
_OPPOSITION_STATES = (OPPOSITION_PERIOD, OPPOSED)
_MAX_CHAIN = 256  # more automatic events than this from one call means a profile bug


@dataclass(frozen=True)
class Transition:
    """One allowed move: ``action`` by one of ``roles`` from ``from_states`` to ``to_state``."""

    action: str
    from_states: tuple[str, ...]
    to_state: str
    roles: tuple[str, ...]
    preconditions: tuple[str, ...] = ()

    @property
    def automatic(self) -> bool:
        """True if this is a time event the ledger produces (role ``system``)."""
        return "system" in self.roles


class TransitionRejected(ValueError):  # noqa: N818 - name fixed by the registry API
    """A transition is not allowed; ``reason`` says exactly why, ``code`` classifies it.

    Codes: ``unknown_state``, ``unknown_action``, ``unknown_role``, ``state_not_allowed``,
    ``role_not_allowed``.
    """

    def __init__(self, code: str, reason: str, *, state: str, action: str, role: str) -> None:
        self.code = code
        self.reason = reason
        self.state = state
        self.action = action
        self.role = role
        super().__init__(reason)


@dataclass(frozen=True)
class StateMachine:
    """The lifecycle of one right kind at one office."""

    office: str
    right_kind: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]
    initial_state: str = ABSENT
    _by_action: Mapping[str, tuple[Transition, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_action: dict[str, list[Transition]] = {}
        for t in self.transitions:
            _check_transition(t, self.states)
            for other in by_action.get(t.action, []):
                overlap = set(other.from_states) & set(t.from_states)
                if overlap:
                    raise ValueError(f"action {t.action!r} defined twice from {sorted(overlap)}")
            by_action.setdefault(t.action, []).append(t)
        index = {a: tuple(ts) for a, ts in by_action.items()}
        object.__setattr__(self, "_by_action", MappingProxyType(index))

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action, in order of first definition."""
        return tuple(self._by_action)

    @property
    def terminal_states(self) -> tuple[str, ...]:
        """States no transition leaves."""
        leaving = {s for t in self.transitions for s in t.from_states}
        return tuple(s for s in self.states if s not in leaving)

    def transitions_from(self, state: str) -> tuple[Transition, ...]:
        """Transitions that start from ``state``, in definition order."""
        return tuple(t for t in self.transitions if state in t.from_states)

    def allowed_actions(self, state: str, role: str) -> tuple[str, ...]:
        """Actions ``role`` may take from ``state``."""
        return tuple(t.action for t in self.transitions_from(state) if role in t.roles)

    def transition(self, state: str, action: str, role: str) -> Transition:
        """The transition for ``action`` by ``role`` from ``state``, or TransitionRejected."""
        where = f"{self.right_kind} at office {self.office}"
        if state not in self.states:
            raise TransitionRejected(
                "unknown_state",
                f"unknown state {state!r} for {where}; states: {', '.join(self.states)}",
                state=state,
                action=action,
                role=role,
            )
        candidates = self._by_action.get(action)
        if candidates is None:
            raise TransitionRejected(
                "unknown_action",
                f"unknown action {action!r} for {where}; actions: {', '.join(self.actions)}",
                state=state,
                action=action,
                role=role,
            )
        if role not in ROLES:
            raise TransitionRejected(
                "unknown_role",
                f"unknown role {role!r}; roles: {', '.join(ROLES)}",
                state=state,
                action=action,
                role=role,
            )
        for t in candidates:
            if state in t.from_states:
                if role in t.roles:
                    return t
                raise TransitionRejected(
                    "role_not_allowed",
                    f"role {role!r} may not {action!r} a {where} in state {state!r}; "
                    f"allowed roles: {', '.join(_ordered(t.roles, ROLES))}",
                    state=state,
                    action=action,
                    role=role,
                )
        allowed = {s for t in candidates for s in t.from_states}
        raise TransitionRejected(
            "state_not_allowed",
            f"action {action!r} is not allowed from state {state!r} for {where}; "
            f"allowed from: {', '.join(_ordered(allowed, self.states))}",
            state=state,
            action=action,
            role=role,
        )

    def describe(self) -> str:
        """A Markdown description of states and transitions, for docs."""
        lines = [
            f"## Lifecycle of {self.right_kind} at office {self.office}",
            "",
            "| state | category (ST.27/ST.61/ST.87 style) | life status |",
            "|---|---|---|",
        ]
        lines += [f"| {s} | {STATUS_CATEGORY[s]} | {LIFE_STATUS[s]} |" for s in self.states]
        lines += [
            "",
            "| action | from | to | roles | preconditions |",
            "|---|---|---|---|---|",
        ]
        for t in self.transitions:
            lines.append(
                f"| {t.action} | {', '.join(t.from_states)} | {t.to_state} | "
                f"{', '.join(t.roles)} | {', '.join(t.preconditions) or '-'} |"
            )
        return "\n".join(lines) + "\n"


def _ordered(items: tuple[str, ...] | set[str], order: tuple[str, ...]) -> list[str]:
    return [x for x in order if x in items]


def _check_transition(t: Transition, states: tuple[str, ...]) -> None:
    if not t.from_states or not t.roles:
        raise ValueError(f"transition {t.action!r} needs from_states and roles")
    for s in (*t.from_states, t.to_state):
        if s not in states:
            raise ValueError(f"transition {t.action!r} uses unknown state {s!r}")
    for r in t.roles:
        if r not in ROLES:
            raise ValueError(f"transition {t.action!r} uses unknown role {r!r}")
    for p in t.preconditions:
        name, _, arg = p.partition(":")
        if name == "fee_paid" and arg in FEE_NAMES:
            continue
        if p not in PRECONDITIONS:
            raise ValueError(f"transition {t.action!r} uses unknown precondition {p!r}")


# --------------------------------------------------------------------------------------------
# building machines from profiles


def _fee(rules: RightRules, *names: str) -> tuple[str, ...]:
    return tuple(f"fee_paid:{n}" for n in names if rules.fees.defined(n))


_MACHINES: dict[tuple[int, str], tuple[OfficeProfile, StateMachine]] = {}


def machine_for(profile: OfficeProfile, right_kind: str) -> StateMachine:
    """The lifecycle of ``right_kind`` under ``profile``; ValueError if not supported.

    Built once per profile object and kind (profiles are immutable).
    """
    cached = _MACHINES.get((id(profile), right_kind))
    if cached is not None and cached[0] is profile:
        return cached[1]
    machine = _build_machine(profile, right_kind)
    _MACHINES[(id(profile), right_kind)] = (profile, machine)
    return machine


def _build_machine(profile: OfficeProfile, right_kind: str) -> StateMachine:
    rules = profile.rules(right_kind)
    if not rules.supported:
        raise ValueError(
            f"office {profile.office_code} ({profile.name}) does not register {right_kind!r}; "
            f"supported: {', '.join(profile.supported_kinds)}"
        )
    in_force, grant_action = (
        (GRANTED, "grant") if right_kind in _GRANT_KINDS else (REGISTERED, "register")
    )
    ts: list[Transition] = [
        Transition("file", (ABSENT,), FILED, ("applicant", "representative"), _fee(rules, "filing"))
    ]

    # application phase: one state per procedural step, in the profile's order
    prev = FILED
    examinable = [FILED]
    pending = [FILED]
    for i, step in enumerate(rules.steps):
        if step == "formalities":
            ts.append(
                Transition(
                    "check_formalities", (prev,), FORMALITIES_CHECKED, ("examiner", "registrar")
                )
            )
            prev = FORMALITIES_CHECKED
            examinable.append(prev)
        elif step == "examination":
            ts.append(
                Transition(
                    "start_examination",
                    (prev,),
                    UNDER_EXAMINATION,
                    ("examiner",),
                    _fee(rules, "search", "examination"),
                )
            )
            prev = UNDER_EXAMINATION
            examinable.append(prev)
        elif step == "publication":
            opens_opposition = i + 1 < len(rules.steps) and rules.steps[i + 1] == "opposition"
            target = OPPOSITION_PERIOD if opens_opposition else PUBLISHED
            pre: tuple[str, ...] = ("examination_passed",) if prev == UNDER_EXAMINATION else ()
            if right_kind in _GRANT_KINDS:
                pre = (*pre, "publication_due")
            ts.append(
                Transition(
                    "publish", (prev,), target, ("registrar",), (*pre, *_fee(rules, "publication"))
                )
            )
            prev = target
        # "opposition" is entered by "publish" above
        if prev not in pending:
            pending.append(prev)
    if OPPOSITION_PERIOD in pending:
        pending.append(OPPOSED)

    if prev == OPPOSITION_PERIOD:
        ts += [
            Transition(
                "file_opposition",
                (OPPOSITION_PERIOD, OPPOSED),
                OPPOSED,
                ("any_party",),
                ("within_opposition_period", *_fee(rules, "opposition")),
            ),
            Transition(
                "withdraw_opposition",
                (OPPOSED,),
                OPPOSITION_PERIOD,
                ("any_party", "representative"),
                ("no_other_pending_opposition",),
            ),
            Transition(
                "reject_opposition",
                (OPPOSED,),
                OPPOSITION_PERIOD,
                ("examiner",),
                ("opposition_decision_final", "no_other_pending_opposition"),
            ),
            Transition(
                "uphold_opposition",
                (OPPOSED,),
                REFUSED,
                ("examiner",),
                ("opposition_decision_final",),
            ),
            Transition(
                grant_action,
                (OPPOSITION_PERIOD,),
                in_force,
                ("registrar", "system"),
                (
                    "opposition_period_over",
                    "no_pending_opposition",
                    *_fee(rules, "registration", "grant"),
                ),
            ),
        ]
    else:
        pre = ("examination_passed",) if UNDER_EXAMINATION in pending else ()
        ts.append(
            Transition(
                grant_action,
                (prev,),
                in_force,
                ("examiner", "registrar"),
                (*pre, *_fee(rules, "registration", "grant")),
            )
        )
    if UNDER_EXAMINATION in examinable:
        # The examiner's acceptance: the application stays under examination until it is
        # published (or granted); "examination_passed" then holds without attestation.
        ts.append(Transition("accept", (UNDER_EXAMINATION,), UNDER_EXAMINATION, ("examiner",)))
    ts += [
        Transition("refuse", tuple(examinable), REFUSED, ("examiner",), ("applicant_heard",)),
        Transition("withdraw", tuple(pending), WITHDRAWN, ("applicant", "representative")),
    ]

    # life of the right
    alive: tuple[str, ...] = (in_force,)
    renewal, maintenance = rules.renewal, rules.maintenance
    if renewal is not None:
        alive = (in_force, RENEWAL_DUE, IN_GRACE_PERIOD)
        ts += [
            Transition(
                "open_renewal_window",
                (in_force,),
                RENEWAL_DUE,
                ("system",),
                ("within_renewal_window", "renewals_remaining"),
            ),
            Transition(
                "renew",
                (in_force, RENEWAL_DUE),
                in_force,
                ("owner", "representative"),
                ("within_renewal_window", "renewals_remaining", *_fee(rules, "renewal")),
            ),
            Transition(
                "enter_grace_period",
                (in_force, RENEWAL_DUE),
                IN_GRACE_PERIOD,
                ("system",),
                ("expiry_reached", "not_renewed", "renewals_remaining"),
            ),
            Transition(
                "renew_late",
                (IN_GRACE_PERIOD,),
                in_force,
                ("owner", "representative"),
                ("within_grace_period", *_fee(rules, "renewal", "renewal_surcharge")),
            ),
            Transition(
                "lapse",
                (IN_GRACE_PERIOD,),
                LAPSED,
                ("system",),
                ("grace_period_over", "not_renewed"),
            ),
        ]
        if renewal.max_renewals is not None:
            ts.append(
                Transition(
                    "expire",
                    (in_force,),
                    EXPIRED,
                    ("system",),
                    ("term_ended", "no_renewals_remaining"),
                )
            )
    elif maintenance is not None:
        alive = (in_force, RENEWAL_DUE, IN_GRACE_PERIOD)
        payers = ("owner", "representative", "any_party")
        ts += [
            Transition(
                "open_maintenance_window",
                (in_force,),
                RENEWAL_DUE,
                ("system",),
                ("within_maintenance_window",),
            ),
            Transition(
                "pay_maintenance_fee",
                (in_force, RENEWAL_DUE),
                in_force,
                payers,
                ("within_maintenance_window", *_fee(rules, "maintenance")),
            ),
            Transition(
                "enter_grace_period",
                (in_force, RENEWAL_DUE),
                IN_GRACE_PERIOD,
                ("system",),
                ("maintenance_due_date_passed",),
            ),
            Transition(
                "pay_maintenance_fee_late",
                (IN_GRACE_PERIOD,),
                in_force,
                payers,
                ("within_grace_period", *_fee(rules, "maintenance", "maintenance_surcharge")),
            ),
            Transition(
                "expire",
                (IN_GRACE_PERIOD,),
                EXPIRED,
                ("system",),
                ("grace_period_over", "maintenance_fee_unpaid"),
            ),
        ]
        if rules.has_expiry:
            ts.append(
                Transition("expire", (in_force, RENEWAL_DUE), EXPIRED, ("system",), ("term_ended",))
            )
    elif rules.has_expiry:
        ts.append(Transition("expire", (in_force,), EXPIRED, ("system",), ("term_ended",)))

    ts += [
        Transition(
            "surrender",
            alive,
            SURRENDERED,
            ("owner", "representative"),
            ("recorded_right_holders_consent",),
        ),
        Transition(
            "cancel",
            alive,
            CANCELLED,
            ("examiner", "registrar"),
            ("cancellation_decision_final", *_fee(rules, "cancellation")),
        ),
        Transition(
            "invalidate",
            alive,
            INVALIDATED,
            ("examiner", "registrar"),
            ("invalidity_decision_final", *_fee(rules, "invalidation")),
        ),
    ]
    if renewal is not None or maintenance is not None:
        ceased = (LAPSED,) if renewal is not None else (EXPIRED,)  # not term ends
        ts.append(
            Transition(
                "reinstate",
                ceased,
                in_force,
                ("registrar",),
                (
                    "ceased_for_non_payment",
                    "within_reinstatement_period",
                    *_fee(rules, "reinstatement"),
                ),
            )
        )

    used = {s for t in ts for s in (*t.from_states, t.to_state)}
    states = tuple(s for s in ALL_STATES if s in used)
    return StateMachine(profile.office_code, right_kind, states, tuple(ts))


# --------------------------------------------------------------------------------------------
# automatic time events


@dataclass(frozen=True)
class RightDates:
    """Dates recorded for one right; everything time events are computed from.

    ``registration_date`` is the registration or grant date. ``expiry_date``, when given,
    overrides the computed end of the current term (it must be given for a recorded term).
    ``renewals`` counts renewals recorded. ``maintenance_paid`` holds the payment dates of the
    maintenance fees paid so far, in schedule order, counting only fees due after the
    registration date (see :func:`maintenance_schedule`).
    """

    filing_date: date | None = None
    publication_date: date | None = None
    registration_date: date | None = None
    expiry_date: date | None = None
    renewals: int = 0
    maintenance_paid: tuple[date, ...] = ()


@dataclass(frozen=True)
class TimeEvent:
    """An automatic transition (role ``system``) that takes effect on ``effective_date``."""

    action: str
    effective_date: date
    reason: str

    @property
    def effective_ms(self) -> int:
        """Ledger time from which the event is due (00:00Z of the effective date)."""
        return start_of_day_ms(self.effective_date)


@dataclass(frozen=True)
class MaintenanceDue:
    """One maintenance fee after grant: payable from ``window_opens`` to ``due`` without
    surcharge, then until ``grace_ends`` with surcharge."""

    number: int  # 0-based among the fees due after the registration date
    schedule_index: int  # position in the profile's ``due`` list
    window_opens: date
    due: date
    grace_ends: date


def current_expiry(rules: RightRules, dates: RightDates) -> date | None:
    """Last day of the current term: recorded, or anchor + term + renewals x period."""
    if dates.expiry_date is not None:
        return dates.expiry_date
    if rules.term is None:
        return None
    anchor = dates.filing_date if rules.term_anchor == "filing_date" else dates.registration_date
    if anchor is None:
        return None
    total = rules.term
    if rules.renewal is not None and dates.renewals:
        total = total.plus(rules.renewal.period.times(dates.renewals))
    return total.after(anchor)


def maintenance_schedule(rules: RightRules, dates: RightDates) -> tuple[MaintenanceDue, ...]:
    """Maintenance fees due after the registration date and by the end of the term."""
    m = rules.maintenance
    if m is None:
        return ()
    anchor = dates.filing_date if m.anchor == "filing_date" else dates.registration_date
    if anchor is None:
        return ()
    expiry = current_expiry(rules, dates)
    out: list[MaintenanceDue] = []
    for i, period in enumerate(m.due):
        due = period.after(anchor)
        if dates.registration_date is not None and due <= dates.registration_date:
            continue
        if expiry is not None and due > expiry:
            break
        out.append(
            MaintenanceDue(
                len(out),
                i,
                _from_anchor(anchor, period, m.window_before, -1) or m.window_before.before(due),
                due,
                _from_anchor(anchor, period, m.grace_after, 1) or m.grace_after.after(due),
            )
        )
    return tuple(out)


def _from_anchor(anchor: date, period: Duration, delta: Duration, sign: int) -> date | None:
    """anchor + (period +/- delta) when both are whole months (USPTO: "3 years after grant",
    not "6 months before the clamped 3.5-year date"); None otherwise."""
    if period.days or delta.days:
        return None
    months = period.total_months + sign * delta.total_months
    return add_months(anchor, months) if months >= 0 else None


def _renewals_left(rules: RightRules, dates: RightDates) -> bool:
    r = rules.renewal
    return r is not None and (r.max_renewals is None or dates.renewals < r.max_renewals)


def _iso(d: date) -> str:
    return format_iso_date(d)


def _next_event(
    rules: RightRules, kind: str, state: str, d: RightDates
) -> tuple[str, date, str, RightDates] | None:
    """The next automatic event from ``state`` (ignoring ``now``), or None."""
    in_force = GRANTED if kind in _GRANT_KINDS else REGISTERED
    if state == OPPOSITION_PERIOD:
        if d.publication_date is None or rules.opposition_period is None:
            return None
        end = rules.opposition_period.after(d.publication_date)
        eff = add_days(end, 1)
        action = "grant" if kind in _GRANT_KINDS else "register"
        reason = (
            f"opposition period {rules.opposition_period} from publication "
            f"{_iso(d.publication_date)} ended {_iso(end)} with no opposition pending"
        )
        return action, eff, reason, replace(d, registration_date=d.registration_date or eff)
    if state not in (in_force, RENEWAL_DUE, IN_GRACE_PERIOD):
        return None
    expiry = current_expiry(rules, d)

    if rules.renewal is not None:
        if expiry is None:
            return None
        r = rules.renewal
        if not _renewals_left(rules, d):
            if state != in_force:
                return None
            limit = f"maximum of {r.max_renewals} renewals reached"
            return "expire", add_days(expiry, 1), f"term ended {_iso(expiry)}; {limit}", d
        grace_end = r.grace_after.after(expiry)
        if state == in_force and not r.window_before.is_zero():
            opens = r.window_before.before(expiry)
            reason = f"renewal window {r.window_before} before expiry {_iso(expiry)} opened"
            return "open_renewal_window", opens, reason, d
        if state in (in_force, RENEWAL_DUE):
            reason = (
                f"expiry {_iso(expiry)} passed without renewal; late renewal with surcharge "
                f"until {_iso(grace_end)}"
            )
            return "enter_grace_period", add_days(expiry, 1), reason, d
        reason = f"grace period ended {_iso(grace_end)} without renewal"
        return "lapse", add_days(grace_end, 1), reason, d

    if rules.maintenance is not None:
        schedule = maintenance_schedule(rules, d)
        paid = len(d.maintenance_paid)
        term_end = (
            ("expire", add_days(expiry, 1), f"term ended {_iso(expiry)}", d)
            if expiry is not None
            else None
        )
        if paid >= len(schedule):
            return term_end if state in (in_force, RENEWAL_DUE) else None
        fee = schedule[paid]
        label = f"maintenance fee {fee.schedule_index + 1} (due {_iso(fee.due)})"
        if state == in_force and not rules.maintenance.window_before.is_zero():
            event: tuple[str, date, str, RightDates] = (
                "open_maintenance_window",
                fee.window_opens,
                f"payment window for {label} opened",
                d,
            )
        elif state in (in_force, RENEWAL_DUE):
            event = (
                "enter_grace_period",
                add_days(fee.due, 1),
                f"{label} unpaid; payable with surcharge until {_iso(fee.grace_ends)}",
                d,
            )
        else:
            event = (
                "expire",
                add_days(fee.grace_ends, 1),
                f"{label} not paid by the end of the grace period {_iso(fee.grace_ends)}",
                d,
            )
        if term_end is not None and term_end[1] < event[1]:
            return term_end
        return event

    if expiry is None or state != in_force:
        return None
    return "expire", add_days(expiry, 1), f"term ended {_iso(expiry)}", d


def due_time_events(
    profile: OfficeProfile, right_kind: str, state: str, dates: RightDates, now_ms: int
) -> list[TimeEvent]:
    """Automatic events due at ledger time ``now_ms`` for a right in ``state``.

    The events form a chain (each starts from the state the previous one reached), ordered by
    effective date; an event never takes effect before the one it follows (nor, for a
    registered right, before its registration date), so ties keep causal order. The same
    inputs always give the same list. Dates are UTC calendar days of ledger time.
    """
    machine = machine_for(profile, right_kind)
    rules = profile.rules(right_kind)
    if state not in machine.states:
        raise ValueError(f"unknown state {state!r} for {right_kind} at {profile.office_code}")
    today = date_of_ms(now_ms)
    events: list[TimeEvent] = []
    floor = dates.registration_date
    current = dates
    for _ in range(_MAX_CHAIN):
        nxt = _next_event(rules, right_kind, state, current)
        if nxt is None:
            break
        action, effective, reason, following = nxt
        if floor is not None and effective < floor:
            effective = floor
        if effective > today:
            break
        state = machine.transition(state, action, "system").to_state
        events.append(TimeEvent(action, effective, reason))
        floor, current = effective, following
    else:  # pragma: no cover - guarded by profile validation
        raise RuntimeError("automatic event chain did not terminate")
    return events
