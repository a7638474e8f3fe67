"""The difficult-customer playbook as detectors on a call's state.

Each detector looks at the turns so far (through :class:`CallState` and its
features) and, when the agent has lapsed, yields a :class:`Cue`: the reason shown
on the wallboard and the whisper a supervisor can send. Wording lives in
``data/playbook.json`` so a center can edit it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streaming.scoring.data_check import check_playbook, parse_json, read_text
from streaming.scoring.risk import RULE_HOLD_CALM_TURNS
from streaming.scoring.state import CallState

Features = dict[str, float]
log = logging.getLogger(__name__)
PACKAGED_FILE = Path(__file__).parent / "data" / "playbook.json"  # CALLHEAT_PLAYBOOK_FILE's default


@dataclass(frozen=True, slots=True)
class Cue:
    key: str
    reason: str
    whisper: str | None


def _rule_holds(s: CallState) -> bool:
    """Whether a hard rule's phrase still holds: the customer has not been calm since."""
    return s.calm_turns_since_rule < RULE_HOLD_CALM_TURNS


# key -> detector(state, features) -> lapse present?  Order = priority on the wallboard.
# Features are read with .get: a missing one is absent, not an error.
DETECTORS: dict[str, Callable[[CallState, Features], bool]] = {
    "abuse": lambda s, x: x.get("abuse", 0.0) > 0,
    # escalation requests, while their hard rule holds (the customer not calm since)
    "asked_manager": lambda s, x: x.get("manager", 0.0) > 0 and _rule_holds(s),
    "legal_threat": lambda s, x: x.get("legal", 0.0) > 0 and _rule_holds(s),
    "public_threat": lambda s, x: x.get("regulator", 0.0) > 0 and _rule_holds(s),
    "churn_threat": lambda s, x: x.get("cancel", 0.0) > 0 and _rule_holds(s),
    "formal_complaint": lambda s, x: x.get("formal_complaint", 0.0) > 0 and _rule_holds(s),
    "interrupting": lambda s, x: s.talk_over >= 2,
    # curt words in the agent's last turn: what the agent is doing wrong now comes before
    # what the agent has yet to say (curt words turns ago do not hide a new complaint's cue)
    "curt": lambda s, x: "curt" in s.agent_last,
    # shown before the agent answers, so a whisper can come first (AWAITING_AGENT below)
    "no_empathy": lambda s, x: x.get("no_empathy", 0.0) > 0,
    "repeat_caller": lambda s, x: x.get("repeat_contact", 0.0) > 0,
    "venting": lambda s, x: s.venting_now,
    "no_ack": lambda s, x: s.awaiting_ack,
    "pace_tone": lambda s, x: x.get("agent_pace", 0.0) > 0.25,
    # playbook 9: repeated transfers; long or repeated holds (one transfer is no lapse)
    "handoffs": lambda s, x: s.transfers >= 2,
    "long_hold": lambda s, x: s.holds >= 2 or x.get("hold_minutes", 0.0) > 2,
    # playbook 10: asked "when" and not told, or a promise made with no "when"
    "no_timeframe": lambda s, x: (s.awaiting_timeframe or s.commit_no_timeframe) and s.n_agent_turns >= 1,
    "stuck": lambda s, x: s.negative_streak >= 4,
    "no_options": lambda s, x: x.get("duration", 0.0) > 0.4 and x.get("negative_sentiment", 0.0) > 0.2
    and x.get("options_offered", 0.0) == 0,
    "jargon": lambda s, x: x.get("agent_jargon", 0.0) > 0,
    # playbook 12: the agent closing the call ("anything else I can help with?") with no recap
    "no_recap": lambda s, x: "closing" in s.agent_last and s.n_agent_turns >= 2
    and "recap_given" not in s.practices_seen,
}


# Cues on what the agent has yet to say (a complaint reflected back, empathy, a timeframe
# when asked "when"). The wallboard shows them at once, so a whisper can come before the
# agent's answer; they count against the agent only once the agent has spoken since without
# saying it.
AWAITING_AGENT = frozenset({"no_ack", "no_empathy", "no_timeframe"})
# Cues on what the customer brings, not on how the agent handles it: recorded for the
# agent's trends as situations met (kind ``situation``), never as the agent's lapses.
SITUATIONS = frozenset({"repeat_caller", "venting", "abuse", "asked_manager", "legal_threat",
                        "public_threat", "churn_threat", "formal_complaint"})
# Cues the wallboard shows while the call goes on, recorded only when it ends (ending.py): the
# agent may still recap after "anything else?"
AT_THE_END = frozenset({"no_recap"})
# Cues shown from the customer's first turn but the agent's lapse only from this turn of the
# customer's on: a customer stating the fault in the opening ("my bookcase arrived damaged")
# reads negative, and agents who then solve it calmly were charged with no empathy (a review
# of the agents' trends: the best agents' rate doubled)
RECORDED_FROM_CUSTOMER_TURN = {"no_empathy": 2}


def to_record(keys: list[str], *, agent_spoke: bool, customer_turns: int = 2) -> list[tuple[str, str]]:
    """Which of the cues ``keys`` (present now) to record for the agent's trends, with their
    kind (``lapse`` or ``situation``), after an event where the agent spoke or not, the
    customer having spoken ``customer_turns`` times.

    >>> to_record(["venting", "no_ack", "jargon"], agent_spoke=False)
    [('venting', 'situation'), ('jargon', 'lapse')]
    >>> to_record(["no_ack"], agent_spoke=True)
    [('no_ack', 'lapse')]
    >>> to_record(["no_empathy"], agent_spoke=True, customer_turns=1)
    []
    """
    return [(k, "situation" if k in SITUATIONS else "lapse") for k in keys
            if (agent_spoke or k not in AWAITING_AGENT) and k not in AT_THE_END
            and customer_turns >= RECORDED_FROM_CUSTOMER_TURN.get(k, 0)]


# The risk feature that already says what a playbook cue would (so a tile doesn't say it twice).
SAME_AS_FEATURE = {
    "abuse": "abuse",
    "interrupting": "talk_over",
    "no_empathy": "no_empathy",
    "repeat_caller": "repeat_contact",
    "venting": "venting",
    "no_ack": "no_acknowledgement",
    "asked_manager": "manager",
    "legal_threat": "legal",
    "public_threat": "regulator",
    "churn_threat": "cancel",
    "formal_complaint": "formal_complaint",
    "pace_tone": "agent_pace",
    "curt": "agent_curt",
    "handoffs": "transfers",
    "long_hold": "hold_minutes",
    "no_timeframe": "no_timeframe",
    "stuck": "negative_streak",
    "jargon": "agent_jargon",
}


class Playbook:
    """Detectors plus the center's wording for each practice."""

    def __init__(self, practices: dict[str, dict[str, object]]) -> None:
        self.practices = practices

    @classmethod
    def default(cls) -> Playbook:
        """The wording shipped with CallHeat (``data/playbook.json``)."""
        return cls.from_file(PACKAGED_FILE)

    @classmethod
    def from_file(cls, path: Path) -> Playbook:
        """The wording in the file ``path`` (a center's own, ``CALLHEAT_PLAYBOOK_FILE``)."""
        return cls.from_json(read_text(path), str(path))

    @classmethod
    def from_json(cls, text: str, name: str = "playbook.json") -> Playbook:
        """The wording in ``text`` (the file ``name``), checked first: a problem is an
        InvalidDataFile in one line naming the file and the place (``data_check``)."""
        raw = parse_json(text, name)
        for warning in check_playbook(raw, name):
            log.warning("%s", warning)
        return cls({k: v for k, v in raw.items() if not k.startswith("_")})

    def cue(self, key: str) -> Cue:
        p = self.practices.get(key, {})
        whisper = p.get("whisper")
        return Cue(key, str(p.get("reason", key)), None if whisper is None else str(whisper))

    def lapses(self, state: CallState, features: Features) -> list[Cue]:
        """The practices the agent is missing right now, most urgent first."""
        return [self.cue(key) for key, detect in DETECTORS.items() if detect(state, features)]
