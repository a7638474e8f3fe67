"""What the scorer's code reads from a center's data files, taken from that code: the phrase
categories per speaker (``data/phrases.json``) and the playbook keys (``data/playbook.json``).

The checks of those files (:mod:`streaming.scoring.data_check`) compare them with these, so a
category or key the code stopped reading, or a misspelt one, is named instead of ignored.
Most come from the constants the code looks them up with; what the code spells inline is
listed here, and ``tests/streaming/test_data_files.py`` reads the code for every category and
key it spells, so this list cannot fall behind unnoticed.

>>> "manager" in PHRASE_CATEGORIES["customer"], "manger" in PHRASE_CATEGORIES["customer"]
(True, False)
>>> "asked_manager" in CUE_KEYS, "callback_promised" in PRACTICE_KEYS - CUE_KEYS
(True, True)
"""

from __future__ import annotations

from streaming.events import SPEAKERS
from streaming.scoring import features, practices, turns
from streaming.scoring.playbook import DETECTORS
from streaming.scoring.risk import RULE_FLOORS

# categories read by name outside the constants below: state.phrase(speaker, category) in
# features.call_features and playbook.DETECTORS, and a turn's categories in turns.read_turn
_READ_INLINE = {
    "customer": frozenset({"repeat", "profanity", "abuse", "when"}),
    "agent": frozenset({"curt", "jargon", "empathy", "options", "ownership", "vague", "time",
                        "timeframe", "callback", "commitment", "reflect", "boundary", "closing"}),
}  # fmt: skip

PHRASE_CATEGORIES: dict[str, frozenset[str]] = {
    "customer": frozenset({*features.ESCALATION_PHRASES, *RULE_FLOORS, *turns.NEGATIVE_PHRASES,
                           *turns.ACK_NEEDED, *_READ_INLINE["customer"]}),
    "agent": frozenset({*practices.GOOD_PRACTICES, *_READ_INLINE["agent"]}),
}  # fmt: skip
assert set(PHRASE_CATEGORIES) == set(SPEAKERS)

# practice keys recorded for a call other than a detector's: the lapse of no recap at the end
# (ending.close_ended), and the good practice of a callback promised (turns._agent_practices)
_RECORDED_LAPSES = frozenset({"no_recap"})
_RECORDED_GOOD = frozenset({"callback_promised"})

# keys whose wording the wallboard shows (Playbook.cue): the detectors' cues, and the lapses
# recorded for the call page; a playbook file should word each of them
CUE_KEYS: frozenset[str] = frozenset(DETECTORS) | _RECORDED_LAPSES
# every key a playbook file may word: good practices too (recorded for the agent's trends)
PRACTICE_KEYS: frozenset[str] = CUE_KEYS | frozenset(practices.GOOD_PRACTICES.values()) | _RECORDED_GOOD
