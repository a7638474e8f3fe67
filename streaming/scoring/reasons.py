"""Plain-words reasons for a risk: which features moved it, said as a supervisor would.

>>> from streaming.scoring.state import CallState
>>> s = CallState("c1", transfers=3)
>>> describe("transfers", 3.0, s)
'3rd transfer'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from streaming.scoring.state import CallState


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _times(n: float) -> str:
    n = int(round(n))
    return "once" if n == 1 else f"{n} times"


# feature -> its plain words at this value (None: not worth saying at this value)
PHRASES: dict[str, Callable[[float, CallState], str | None]] = {
    "manager": lambda v, s: "asked for a manager",
    "cancel": lambda v, s: "threatened to cancel",
    "complaint": lambda v, s: f"complaining (\"{s.quote('customer', 'complaint')}\")",
    "formal_complaint": lambda v, s: "wants to make a formal complaint",
    "legal": lambda v, s: "legal threat",
    "regulator": lambda v, s: "threatened regulator or social media",
    "abuse": lambda v, s: "abusive language",
    "profanity": lambda v, s: f"harsh words (\"{s.quote('customer', 'profanity')}\")",
    "negative_sentiment": lambda v, s: f"customer sentiment {-v:+.2f}",
    "falling_sentiment": lambda v, s: (
        f"customer sentiment falling for {s.negative_streak} turns"
        if s.negative_streak >= 2 else "customer sentiment falling"),
    "worst_turn": lambda v, s: f"a very negative turn ({-v:+.2f})",
    "negative_streak": lambda v, s: (
        f"{int(v)} negative customer turns in a row" if v >= 2 else "a negative customer turn"),
    "repeat_contact": lambda v, s: (
        "repeat caller" if s.repeat_caller
        else f"repeat contact (\"{s.quote('customer', 'repeat')}\")"),
    "talk_over": lambda v, s: f"agent talked over the customer {_times(s.talk_over)}",
    "dead_air": lambda v, s: f"dead air {_times(s.dead_air)}",
    "agent_pace": lambda v, s: f"agent pace {v:.0%} above their norm",
    "customer_talk_share": lambda v, s: "customer doing most of the talking",
    "customer_speech": lambda v, s: _talked(s.customer_ms),
    "customer_words": lambda v, s: _talked(s.customer_ms),  # the same talk, on a log scale
    "customer_turns": lambda v, s: f"long back-and-forth ({int(v)} customer turns)" if v >= 4 else None,
    "customer_questions": lambda v, s: (
        "customer asked a question" if v < 2 else f"customer asked {int(v)} questions"),
    "customer_exclaims": lambda v, s: f"customer exclaimed {_times(v)}",
    "mean_negative": lambda v, s: f"customer negative on average ({-v:+.2f})",
    "satisfaction_gap": lambda v, s: "customer not satisfied so far" if v >= 0.5 else None,
    "answer_disappoints": lambda v, s: "agent's last answer likely to disappoint",
    "holds": lambda v, s: f"on hold {_times(s.holds)}",
    "hold_minutes": lambda v, s: f"{v:.0f} min on hold" if v >= 1 else "time on hold",
    "transfers": lambda v, s: f"{ordinal(s.transfers)} transfer",
    "queue_wait": lambda v, s: f"waited {v:.0f} min in queue" if v >= 1 else "waited in queue",
    # from 10 minutes: a call of a few minutes is an ordinary call, whatever its weight says
    "duration": lambda v, s: f"long call ({v * 10:.0f} min)" if v >= 1.0 else None,
    "venting": lambda v, s: "customer venting (long negative turns)",
    "agent_curt": lambda v, s: f"agent curt (\"{s.quote('agent', 'curt')}\")",
    "agent_jargon": lambda v, s: (
        f"agent jargon (\"{s.quote('agent', 'jargon')}\")" if s.phrase("agent", "jargon")
        else "agent's long explanations"),
    "no_empathy": lambda v, s: "no empathy shown yet",
    "no_acknowledgement": lambda v, s: "complaint not acknowledged",
    "no_timeframe": lambda v, s: "asked \"when\", no timeframe given",
    # the learned model's sparse inputs (RiskModel.sparse_contributions), not call-state features
    "wording": lambda v, s: "customer's wording",
    "queue": lambda v, s: f"{s.queue or 'this queue'} calls escalate often",
    "agent": lambda v, s: "this agent's calls escalate often",
}  # fmt: skip


def _talked(ms: float) -> str | None:
    minutes = ms / 60_000
    return (f"customer has talked for {minutes:.0f} min" if minutes >= 1
            else "customer talking at length" if minutes >= 0.5 else None)  # fmt: skip


def describe(feature: str, value: float, state: CallState) -> str | None:
    """A short phrase for a feature that raised risk, or None if it has none."""
    phrase = PHRASES.get(feature)
    return phrase(value, state) if phrase else None


# A feature that says the same as another one already given is left out:
# feature -> the features that, given already, say what it would.
_MOOD = {"negative_sentiment", "mean_negative", "satisfaction_gap"}  # one of these says it
SAID_BY: dict[str, set[str]] = {
    **{f: _MOOD - {f} for f in _MOOD},
    "worst_turn": {"negative_sentiment"},
    "hold_minutes": {"holds"},
    "customer_words": {"customer_speech"},
    "customer_speech": {"customer_words"},
}

# when nothing about the call itself explains its risk: the learned model puts even a call
# with nothing wrong high, because many of this center's calls escalated (RiskModel.base_contribution)
BASE_RATE_REASON = "many calls here escalate"


def wording(words: list[str]) -> str:
    """The reason for the customer's words, quoting those that raised the risk most.

    >>> print(wording(["refund", "not working"]))
    customer's words ("refund", "not working")
    """
    return "customer's words (" + ", ".join(f'"{w}"' for w in words) + ")" if words else "customer's wording"


def top_reasons(
    contributions: dict[str, float], x: dict[str, float], state: CallState, limit: int = 3,
    quote_words: Callable[[], list[str]] | None = None,
) -> list[tuple[str, str]]:
    """The ``limit`` features that raised the risk most: ``(feature, plain words)``.

    ``quote_words`` gives the customer's words that raised the risk most, asked for only
    when the wording is among the reasons.
    """
    out: list[tuple[str, str]] = []
    for feature, c in sorted(contributions.items(), key=lambda kv: kv[1], reverse=True):
        if c <= 0.05 or len(out) >= limit:
            break
        # a feature at 0 is "nothing wrong": never a reason, whatever its weight (the learned
        # model's wording, queue and agent are not features in x: their part counts as it is)
        if SAID_BY.get(feature, set()) & {f for f, _ in out} or x.get(feature, 1.0) <= 0.0:
            continue
        if feature == "wording" and quote_words is not None:
            text: str | None = wording(quote_words())
        else:
            text = describe(feature, x.get(feature, 0.0), state)
        if text:
            out.append((feature, text))
    return out


# a reason's words without its figures and quotes, for counting reasons across calls:
# (pattern on the reason with its brackets dropped, the kind it counts as)
_KINDS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), k) for p, k in [
    (r"^\d+(st|nd|rd|th) transfer$", "transfers"),
    (r"^customer sentiment falling( for \d+ turns)?$", "customer sentiment falling"),
    (r"^customer sentiment [-+\u2212]?[\d.]+$", "customer sentiment negative"),
    (r"^(\d+ negative customer turns in a row|a negative customer turn)$", "negative customer turns"),
    (r"^waited( \d+ min)? in queue$", "waited in queue"),
    (r"^(customer has talked for \d+ min|customer talking at length)$", "customer talking at length"),
    (r"^customer asked (a question|\d+ questions)$", "customer asked questions"),
    (r"^(\d+ min on hold|time on hold|long or repeated holds)$", "time on hold"),
    (r"^repeated transfers$", "transfers"),
    # a playbook cue (data/playbook.json's wording) and the risk feature for the same lapse
    (r"^(complaint not acknowledged|no acknowledgement yet)$", "complaint not acknowledged"),
    (r"^no empathy shown( yet)?$", "no empathy shown"),
    (r"^(agent talked over the customer( once| \d+ times)?|agent interrupting)$",
     "agent talked over the customer"),
    (r"^(agent jargon|agent's long explanations|jargon / long explanations)$",
     "agent jargon / long explanations"),
    (r"^(agent curt|agent pace / tone|agent pace \d+% above their norm)$", "agent pace / tone"),
    (r'^(asked "when", no timeframe given|no timeframe given)$', "no timeframe given"),
    (r"^(?!this agent's ).+ calls escalate often$", "this queue's calls escalate often"),
    (r"^(.*) (once|\d+ times)$", r"\1"),  # talked over, dead air, on hold, exclaimed
]]  # fmt: skip


def reason_kind(reason: str) -> str:
    """What ``reason`` says without its figures or quotes: the same kind of reason counts as
    one when reasons are counted across calls (the trends page).

    >>> [reason_kind(r) for r in ['repeat contact ("third time")', "3rd transfer", "on hold 2 times"]]
    ['repeat contact', 'transfers', 'on hold']
    """
    text = re.sub(r"\s*\([^)]*\)", "", reason).strip()
    for pattern, kind in _KINDS:
        if found := pattern.fullmatch(text):
            return found.expand(kind)
    return text
