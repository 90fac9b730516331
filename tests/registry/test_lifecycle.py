"""registry.lifecycle: state machines per right kind and office profile."""

from __future__ import annotations

import pytest

from ipledger.registry.lifecycle import (
    ALL_STATES,
    LIFE_STATUS,
    ROLES,
    STATUS_CATEGORY,
    StateMachine,
    Transition,
    TransitionRejected,
    machine_for,
)
from ipledger.registry.profiles import OfficeProfile, builtin_profiles, load_profile

PROFILES = builtin_profiles()
MACHINES: list[tuple[str, str, StateMachine]] = [
    (name, kind, machine_for(p, kind)) for name, p in PROFILES.items() for kind in p.supported_kinds
]
IDS = [f"{name}-{kind}" for name, kind, _ in MACHINES]
ACTIVE = ("registered", "granted")


def in_force(m: StateMachine) -> str:
    return "granted" if "granted" in m.states else "registered"


def walk(m: StateMachine, steps: list[tuple[str, str]], start: str = "absent") -> str:
    state = start
    for action, role in steps:
        state = m.transition(state, action, role).to_state
    return state


def application_walk(profile: OfficeProfile, kind: str) -> list[tuple[str, str]]:
    """Filing to registration along the profile's steps."""
    rules = profile.rules(kind)
    steps = [("file", "applicant")]
    for step in rules.steps:
        if step == "formalities":
            steps.append(("check_formalities", "examiner"))
        elif step == "examination":
            steps.append(("start_examination", "examiner"))
        elif step == "publication":
            steps.append(("publish", "registrar"))
    grant = "grant" if kind in ("patent", "utility_model") else "register"
    steps.append((grant, "system" if rules.has_step("opposition") else "registrar"))
    return steps


# -- walks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "m"), MACHINES, ids=IDS)
def test_walk_filing_to_registration(name: str, kind: str, m: StateMachine) -> None:
    profile = PROFILES[name]
    assert walk(m, application_walk(profile, kind)) == in_force(m)


@pytest.mark.parametrize(("name", "kind", "m"), MACHINES, ids=IDS)
def test_walk_renewal_or_maintenance_then_end(name: str, kind: str, m: StateMachine) -> None:
    rules = PROFILES[name].rules(kind)
    live = in_force(m)
    if rules.renewal is not None:
        assert walk(m, [("open_renewal_window", "system"), ("renew", "owner")], live) == live
        assert walk(m, [("renew", "representative")], live) == live
        late = [
            ("open_renewal_window", "system"),
            ("enter_grace_period", "system"),
            ("renew_late", "owner"),
        ]
        assert walk(m, late, live) == live
        lapse = [
            ("open_renewal_window", "system"),
            ("enter_grace_period", "system"),
            ("lapse", "system"),
        ]
        assert walk(m, lapse, live) == "lapsed"
        assert walk(m, [("reinstate", "registrar")], "lapsed") == live
        if rules.renewal.max_renewals is not None:
            assert walk(m, [("expire", "system")], live) == "expired"
        else:
            assert "expire" not in m.actions
    elif rules.maintenance is not None:
        pay = [("open_maintenance_window", "system"), ("pay_maintenance_fee", "any_party")]
        assert walk(m, pay, live) == live
        late = [
            ("open_maintenance_window", "system"),
            ("enter_grace_period", "system"),
            ("pay_maintenance_fee_late", "owner"),
        ]
        assert walk(m, late, live) == live
        unpaid = [
            ("open_maintenance_window", "system"),
            ("enter_grace_period", "system"),
            ("expire", "system"),
        ]
        assert walk(m, unpaid, live) == "expired"
        assert walk(m, [("expire", "system")], live) == "expired"  # end of term
        assert walk(m, [("reinstate", "registrar")], "expired") == live
    elif rules.has_expiry:
        assert walk(m, [("expire", "system")], live) == "expired"
        assert "reinstate" not in m.actions
    else:  # e.g. geographical indications: unlimited duration
        assert "expire" not in m.actions
        assert "renew" not in m.actions


@pytest.mark.parametrize(("name", "kind", "m"), MACHINES, ids=IDS)
def test_walk_ending_paths(name: str, kind: str, m: StateMachine) -> None:
    rules = PROFILES[name].rules(kind)
    live = in_force(m)
    assert walk(m, [("file", "representative"), ("withdraw", "applicant")]) == "withdrawn"
    assert walk(m, [("file", "applicant"), ("refuse", "examiner")]) == "refused"
    assert walk(m, [("surrender", "owner")], live) == "surrendered"
    assert walk(m, [("cancel", "registrar")], live) == "cancelled"
    assert walk(m, [("invalidate", "examiner")], live) == "invalidated"
    if rules.has_step("opposition"):
        app = application_walk(PROFILES[name], kind)[:-1]
        opposed = [*app, ("file_opposition", "any_party")]
        assert walk(m, opposed) == "opposed"
        assert walk(m, [*opposed, ("uphold_opposition", "examiner")]) == "refused"
        back = [*opposed, ("reject_opposition", "examiner")]
        assert walk(m, back) == "opposition_period"
        assert walk(m, [*back, ("register", "system")]) == live
        assert walk(m, [*opposed, ("withdraw_opposition", "any_party")]) == "opposition_period"
        assert walk(m, [*opposed, ("withdraw", "applicant")]) == "withdrawn"
        assert walk(m, [*opposed, ("file_opposition", "any_party")]) == "opposed"


def test_euipo_trademark_walk_by_name() -> None:
    m = machine_for(load_profile("euipo"), "trademark")
    states = []
    state = "absent"
    for action, role in [
        ("file", "applicant"),
        ("check_formalities", "examiner"),
        ("start_examination", "examiner"),
        ("publish", "registrar"),
        ("register", "system"),
        ("open_renewal_window", "system"),
        ("renew", "owner"),
        ("open_renewal_window", "system"),
        ("enter_grace_period", "system"),
        ("lapse", "system"),
    ]:
        state = m.transition(state, action, role).to_state
        states.append(state)
    assert states == [
        "filed",
        "formalities_checked",
        "under_examination",
        "opposition_period",
        "registered",
        "renewal_due",
        "registered",
        "renewal_due",
        "in_grace_period",
        "lapsed",
    ]
    t = m.transition("in_grace_period", "renew_late", "owner")
    assert t.preconditions == (
        "within_grace_period",
        "fee_paid:renewal",
        "fee_paid:renewal_surcharge",
    )
    reg = m.transition("opposition_period", "register", "system")
    assert reg.preconditions == ("opposition_period_over", "no_pending_opposition")
    assert reg.automatic


def test_uspto_patent_walk_by_name() -> None:
    m = machine_for(load_profile("uspto"), "patent")
    steps = [
        ("file", "applicant"),
        ("check_formalities", "examiner"),
        ("publish", "registrar"),
        ("start_examination", "examiner"),
        ("grant", "examiner"),
        ("open_maintenance_window", "system"),
        ("pay_maintenance_fee", "owner"),
        ("open_maintenance_window", "system"),
        ("enter_grace_period", "system"),
        ("pay_maintenance_fee_late", "any_party"),
        ("open_maintenance_window", "system"),
        ("enter_grace_period", "system"),
        ("expire", "system"),
    ]
    assert walk(m, steps) == "expired"
    assert "opposition_period" not in m.states
    assert "registered" not in m.states
    assert m.transition("under_examination", "grant", "registrar").preconditions == (
        "examination_passed",
        "fee_paid:grant",
    )


# -- rejections: every action x every state x every role ----------------------------------------


@pytest.mark.parametrize(("name", "kind", "m"), MACHINES, ids=IDS)
def test_every_combination_matches_allow_list(name: str, kind: str, m: StateMachine) -> None:
    checked = 0
    for action in (*m.actions, "teleport"):
        defs = [t for t in m.transitions if t.action == action]
        for state in m.states:
            for role in ROLES:
                allowed = [t for t in defs if state in t.from_states and role in t.roles]
                if allowed:
                    assert m.transition(state, action, role) is allowed[0]
                    continue
                with pytest.raises(TransitionRejected) as info:
                    m.transition(state, action, role)
                err = info.value
                assert isinstance(err, ValueError)
                assert (err.state, err.action, err.role) == (state, action, role)
                assert str(err) == err.reason
                if not defs:
                    assert err.code == "unknown_action"
                    assert f"unknown action {action!r}" in err.reason
                elif not any(state in t.from_states for t in defs):
                    assert err.code == "state_not_allowed"
                    froms = [s for s in m.states if any(s in t.from_states for t in defs)]
                    assert err.reason.endswith("allowed from: " + ", ".join(froms))
                else:
                    assert err.code == "role_not_allowed"
                    (t,) = [t for t in defs if state in t.from_states]
                    roles = [r for r in ROLES if r in t.roles]
                    assert err.reason.endswith("allowed roles: " + ", ".join(roles))
                checked += 1
    assert checked > 0


# The EUIPO trade-mark allow-list, written out by hand: (action, from state) -> roles.
EUIPO_TM_ALLOWED: dict[tuple[str, str], set[str]] = {
    ("file", "absent"): {"applicant", "representative"},
    ("check_formalities", "filed"): {"examiner", "registrar"},
    ("start_examination", "formalities_checked"): {"examiner"},
    ("accept", "under_examination"): {"examiner"},
    ("publish", "under_examination"): {"registrar"},
    ("file_opposition", "opposition_period"): {"any_party"},
    ("file_opposition", "opposed"): {"any_party"},
    ("withdraw_opposition", "opposed"): {"any_party", "representative"},
    ("reject_opposition", "opposed"): {"examiner"},
    ("uphold_opposition", "opposed"): {"examiner"},
    ("register", "opposition_period"): {"registrar", "system"},
    ("refuse", "filed"): {"examiner"},
    ("refuse", "formalities_checked"): {"examiner"},
    ("refuse", "under_examination"): {"examiner"},
    **{
        ("withdraw", s): {"applicant", "representative"}
        for s in (
            "filed",
            "formalities_checked",
            "under_examination",
            "opposition_period",
            "opposed",
        )
    },
    ("open_renewal_window", "registered"): {"system"},
    ("renew", "registered"): {"owner", "representative"},
    ("renew", "renewal_due"): {"owner", "representative"},
    ("enter_grace_period", "registered"): {"system"},
    ("enter_grace_period", "renewal_due"): {"system"},
    ("renew_late", "in_grace_period"): {"owner", "representative"},
    ("lapse", "in_grace_period"): {"system"},
    **{
        (a, s): roles
        for s in ("registered", "renewal_due", "in_grace_period")
        for a, roles in (
            ("surrender", {"owner", "representative"}),
            ("cancel", {"examiner", "registrar"}),
            ("invalidate", {"examiner", "registrar"}),
        )
    },
    ("reinstate", "lapsed"): {"registrar"},
}


def test_euipo_trademark_allow_list_exact() -> None:
    m = machine_for(load_profile("euipo"), "trademark")
    actual: dict[tuple[str, str], set[str]] = {}
    for action in m.actions:
        for state in m.states:
            for role in ROLES:
                try:
                    m.transition(state, action, role)
                except TransitionRejected:
                    continue
                actual.setdefault((action, state), set()).add(role)
    assert actual == EUIPO_TM_ALLOWED


def test_rejection_reasons_read_well() -> None:
    m = machine_for(load_profile("euipo"), "trademark")
    with pytest.raises(TransitionRejected) as info:
        m.transition("filed", "renew", "owner")
    assert info.value.code == "state_not_allowed"
    assert info.value.reason == (
        "action 'renew' is not allowed from state 'filed' for trademark at office EM; "
        "allowed from: registered, renewal_due"
    )
    with pytest.raises(TransitionRejected) as info:
        m.transition("registered", "renew", "any_party")
    assert info.value.reason == (
        "role 'any_party' may not 'renew' a trademark at office EM in state 'registered'; "
        "allowed roles: owner, representative"
    )
    with pytest.raises(TransitionRejected) as info:
        m.transition("registered", "grant", "registrar")
    assert info.value.code == "unknown_action"
    assert "unknown action 'grant'" in info.value.reason
    with pytest.raises(TransitionRejected) as info:
        m.transition("granted", "renew", "owner")
    assert info.value.code == "unknown_state"
    with pytest.raises(TransitionRejected) as info:
        m.transition("registered", "renew", "king")
    assert info.value.code == "unknown_role"
    with pytest.raises(ValueError, match="not allowed"):
        m.transition("lapsed", "renew", "owner")


# -- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "m"), MACHINES, ids=IDS)
def test_structure(name: str, kind: str, m: StateMachine) -> None:
    assert m.initial_state == "absent"
    assert m.states[0] == "absent"
    assert set(m.states) <= set(ALL_STATES)
    assert [s for s in ALL_STATES if s in m.states] == list(m.states)
    # every state is reachable from "absent"
    seen = {"absent"}
    frontier = ["absent"]
    while frontier:
        s = frontier.pop()
        for t in m.transitions_from(s):
            if t.to_state not in seen:
                seen.add(t.to_state)
                frontier.append(t.to_state)
    assert seen == set(m.states)
    # terminal states are ceased states; every ceased state that is not terminal can be reinstated
    for s in m.terminal_states:
        assert LIFE_STATUS[s] == "ceased"
    for s in m.states:
        assert s in STATUS_CATEGORY
        if LIFE_STATUS[s] == "ceased" and s not in m.terminal_states:
            assert {t.action for t in m.transitions_from(s)} == {"reinstate"}
    # automatic events are system-only
    for t in m.transitions:
        if t.automatic and t.action != "register" and t.action != "grant":
            assert t.roles == ("system",)
    text = m.describe()
    for action in m.actions:
        assert f"| {action} |" in text
    for state in m.states:
        assert f"| {state} |" in text


def test_steps_that_do_not_exist_are_skipped() -> None:
    design = machine_for(load_profile("euipo"), "industrial_design")
    assert "opposition_period" not in design.states
    assert "published" not in design.states
    assert "file_opposition" not in design.actions
    assert design.transition("under_examination", "register", "examiner").to_state == "registered"
    copyright_m = machine_for(load_profile("generic"), "copyright")
    assert copyright_m.transition("formalities_checked", "register", "registrar")
    assert "under_examination" not in copyright_m.states
    utility = machine_for(load_profile("generic"), "utility_model")
    assert utility.transition("published", "grant", "registrar").to_state == "granted"


def test_unsupported_kind() -> None:
    with pytest.raises(ValueError, match="does not register 'patent'"):
        machine_for(load_profile("euipo"), "patent")
    with pytest.raises(ValueError, match="unknown right kind"):
        machine_for(load_profile("euipo"), "spaceship")


def test_machine_validates_its_data() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        StateMachine(
            "XX",
            "trademark",
            ("absent", "filed"),
            (Transition("file", ("absent",), "filed", ("king",)),),
        )
    with pytest.raises(ValueError, match="unknown state"):
        StateMachine(
            "XX",
            "trademark",
            ("absent",),
            (Transition("file", ("absent",), "filed", ("applicant",)),),
        )
    with pytest.raises(ValueError, match="unknown precondition"):
        StateMachine(
            "XX",
            "trademark",
            ("absent", "filed"),
            (Transition("file", ("absent",), "filed", ("applicant",), ("moon_is_full",)),),
        )
    with pytest.raises(ValueError, match="defined twice"):
        StateMachine(
            "XX",
            "trademark",
            ("absent", "filed"),
            (
                Transition("file", ("absent",), "filed", ("applicant",)),
                Transition("file", ("absent",), "filed", ("owner",)),
            ),
        )


def test_machines_are_deterministic() -> None:
    for name, kind, m in MACHINES:
        again = machine_for(load_profile(name), kind)
        assert again == m
        assert again.describe() == m.describe()
