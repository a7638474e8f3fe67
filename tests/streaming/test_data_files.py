"""A center's phrase lists and playbook wording: checked when loaded, each problem one line
naming the file and the place; read from the center's own files (CALLHEAT_PHRASES_FILE,
CALLHEAT_PLAYBOOK_FILE) by every command that scores calls."""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

import streaming.scoring
from streaming import center_files
from streaming.cli import main
from streaming.errors import InvalidDataFile, UsageError
from streaming.scoring import Scorer
from streaming.scoring.data_check import check_playbook, parse_json
from streaming.scoring.known import CUE_KEYS, PHRASE_CATEGORIES, PRACTICE_KEYS
from streaming.scoring.phrase_check import GUARDS, check_phrases
from streaming.scoring.phrases import PACKAGED_FILE as PACKAGED_PHRASES
from streaming.scoring.phrases import Guards, PhraseBook
from streaming.scoring.playbook import PACKAGED_FILE as PACKAGED_PLAYBOOK
from streaming.scoring.playbook import Playbook
from streaming.settings import Settings
from streaming.store import StoreBatch
from tests.factories import CallScript

# words no packaged list holds, added by a center
CENTER_PHRASE = "fetch the head honcho"
CENTER_TURN = "Right, fetch the head honcho, I am done with this."


def packaged(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def write(tmp_path: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2), "utf-8")
    return path


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    return text


# --- the packaged files --------------------------------------------------------------------


def test_the_packaged_files_pass_their_checks_with_nothing_to_warn_of(caplog):
    assert check_phrases(packaged(PACKAGED_PHRASES), "phrases.json") == []
    assert check_playbook(packaged(PACKAGED_PLAYBOOK), "playbook.json") == []
    with caplog.at_level(logging.WARNING):
        PhraseBook.default(), Playbook.default()
    assert not caplog.records


def test_the_known_categories_and_keys_cover_everything_the_scoring_code_spells():
    """What known.py lists inline must follow the code: every category a turn's phrases or a
    call's counts are read by (``state.phrase("agent", "curt")``, ``"vague" in found``,
    ``found.keys() & {...}``) and every practice key recorded (``practice_row(s, "no_recap", ...)``)."""
    categories, keys = set(), set()
    everything = set().union(*PHRASE_CATEGORIES.values())
    for path in Path(streaming.scoring.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                consts = [a.value for a in node.args
                          if isinstance(a, ast.Constant) and isinstance(a.value, str)]  # fmt: skip
                if func in ("phrase", "quote") and len(consts) == 2:
                    assert consts[1] in PHRASE_CATEGORIES[consts[0]], (path.name, consts)
                    categories.add(consts[1])
                if func == "practice_row" and isinstance(node.args[1], ast.Constant):
                    keys.add(node.args[1].value)  # practice_row(state, key, kind, ...)
                on = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
                if func == "pop" and on == "found":
                    categories.update(consts)
            if isinstance(node, ast.Compare) and ast.unparse(node.comparators[0]) == "found":
                categories.update(c.value for c in [node.left] if isinstance(c, ast.Constant))
            if isinstance(node, ast.BinOp) and ast.unparse(node.left) == "found.keys()":
                if isinstance(node.right, ast.Set):
                    categories.update(c.value for c in node.right.elts if isinstance(c, ast.Constant))
    assert {"curt", "vague", "timeframe", "when", "repeat"} <= categories  # the scan reads the code
    assert categories <= everything, categories - everything
    assert {"no_recap", "callback_promised"} <= keys and keys <= PRACTICE_KEYS, keys - PRACTICE_KEYS
    assert CUE_KEYS <= PRACTICE_KEYS and {"asked_manager", "no_recap"} <= CUE_KEYS


def test_every_guard_the_phrase_book_reads_is_checked():
    assert set(GUARDS) == {f.name for f in fields(Guards)}


# --- phrases.json: each bad edit gives its one line ------------------------------------------


def _set(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        raw[section][key] = value

    return edit


def _insert(section: str, category: str, index: int, entry: Any) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw[section][category].insert(index, entry)


def _rename(section: str, old: str, new: str) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw[section].__setitem__(new, raw[section].pop(old))


PHRASE_EDITS = [
    # a blank entry made every call "asked for a manager": the empty pattern matches everything
    (_insert("customer", "manager", 3, ""), "customer.manager[3] is empty"),
    (_insert("customer", "manager", 0, "   "), "customer.manager[0] is empty"),
    # a list replaced by a string was read a character at a time
    (_set("customer", "manager", "your manager"), "customer.manager must be a list of phrases, got a string"),
    # null, or a misspelt key, silently removed the hard rule
    (_set("customer", "cancel", None), "customer.cancel is null: give a list of phrases (an empty list [] "
     "switches the category off)"),
    (_rename("customer", "manager", "manger"),
     "customer.manger is not a category the scorer knows (did you mean manager?)"),
    (_rename("agent", "empathy", "empathy "),
     'agent."empathy " is not a category the scorer knows (did you mean empathy?)'),
    (_insert("customer", "legal", 2, "re:("),
     'customer.legal[2] "re:(" is not a valid regular expression: missing ), unterminated subpattern at '
     "position 0"),
    (_insert("customer", "legal", 1, "re:(sue|)"),
     'customer.legal[1] "re:(sue|)" matches the empty string, so it would match every turn'),
    (_insert("agent", "empathy", 0, "*"), 'agent.empathy[0] "*" matches the empty string, so it would '
     "match every turn"),
    (_insert("agent", "time", 0, "re:(?i)noon"),
     'agent.time[0] "re:(?i)noon" cannot be used in a list: global flags not at the start of the '
     "expression at position 3"),
    (_insert("customer", "abuse", 1, 42), "customer.abuse[1] must be a string, got a number"),
    (_set("customer", "_about", "comments are fine"), None),
    (_set("customer", "cancel", []), None),  # a rule switched off on purpose stays allowed
    (lambda raw: raw.__setitem__("agnet", {}),
     "agnet is not a section the scorer reads (did you mean agent?)"),
    (lambda raw: raw.__setitem__("guards", []), "guards must be an object, got a list"),
    # the negation guard given as a string was read a character at a time: off
    (lambda raw: raw["guards"]["negatable"].__setitem__("customer", "manager, cancel"),
     "guards.negatable.customer must be a list of categories, got a string"),
    (lambda raw: raw["guards"].__setitem__("negatable", "customer"),
     "guards.negatable must map a speaker (customer, agent) to categories, got a string"),
    (lambda raw: raw["guards"]["negatable"]["customer"].append("manger"),
     "guards.negatable.customer[8] manger is not a customer category (did you mean manager?)"),
    (lambda raw: raw["guards"]["bridges"].insert(0, 7), "guards.bridges[0] must be a string, got a number"),
    (lambda raw: raw["guards"]["negations"].insert(1, ""), "guards.negations[1] is empty"),
    (lambda raw: raw["guards"].__setitem__("negatible", {}),
     "guards.negatible is not a guard the scorer knows (did you mean negatable?)"),
    (lambda raw: raw["guards"]["void_before"]["agent"].__setitem__("empathy", "but"),
     "guards.void_before.agent.empathy must be a list of words, got a string"),
    (lambda raw: raw["guards"]["void_in_call_after"]["customer"]["cancel"].__setitem__(0, "bereavment"),
     "guards.void_in_call_after.customer.cancel[0] bereavment is not a customer category (did you mean "
     "bereavement?)"),
    # a category only a guard reads: known through the guard that names it
    (lambda raw: raw["guards"]["void_in_call_after"]["customer"].__setitem__("cancel", []),
     "customer.bereavement is not a category the scorer knows"),
]  # fmt: skip


@pytest.mark.parametrize("edit, message", PHRASE_EDITS)
def test_a_bad_edit_of_the_phrase_lists_is_one_line_naming_the_file_and_the_place(edit, message, tmp_path):
    raw = packaged(PACKAGED_PHRASES)
    edit(raw)
    path = write(tmp_path, "phrases.json", raw)
    if message is None:
        PhraseBook.from_file(path)
        return
    with pytest.raises(InvalidDataFile) as info:
        PhraseBook.from_file(path)
    assert one_line(info) == f"{path}: {message}"
    assert isinstance(info.value, UsageError)  # exit 2, as a bad setting


def test_an_empty_list_switches_a_category_off_and_a_left_out_one_is_warned_of(tmp_path, caplog):
    raw = packaged(PACKAGED_PHRASES)
    raw["customer"]["cancel"] = []
    del raw["customer"]["legal"], raw["agent"]["jargon"]
    with caplog.at_level(logging.WARNING):
        book = PhraseBook.from_file(write(tmp_path, "phrases.json", raw))
    assert "cancel" not in book.match("customer", "Cancel my contract now.")
    assert "manager" in book.match("customer", "Get me your manager now.")
    warned = [r.getMessage() for r in caplog.records]
    file = tmp_path / "phrases.json"
    tail = ("nothing matches it, so what reads it is off (a list [] says so on purpose; a copy made "
            "before this release lacks its new categories: take them from the packaged file)")
    assert warned == [f"{file}: no customer legal: {tail}", f"{file}: no agent jargon: {tail}"]


def test_json_errors_name_the_file_and_the_line(tmp_path):
    lines = json.dumps(packaged(PACKAGED_PHRASES), indent=2).splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == '"your manager",')
    lines[at + 1] = lines[at + 1].rstrip(",") + ","  # the next entry with a comma: fine unless last
    last = next(i for i in range(at, len(lines)) if lines[i].strip() == "],") - 1
    lines[last] += ","  # a trailing comma after the list's last phrase
    path = write(tmp_path, "phrases.json", "\n".join(lines))
    with pytest.raises(InvalidDataFile) as info:
        PhraseBook.from_file(path)
    assert one_line(info).startswith(f"{path} line {last + 2}: Expecting value (column ")
    assert one_line(info).endswith("; a comma too many?)")
    with pytest.raises(InvalidDataFile, match=r"^phrases.json: manager is given twice in one object"):
        parse_json('{"customer": {"manager": ["a"], "manager": ["b"]}}', "phrases.json")
    with pytest.raises(InvalidDataFile, match=r"^phrases.json: expected a JSON object \(.*\), got a list$"):
        parse_json("[]", "phrases.json")


def test_a_missing_or_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(InvalidDataFile) as info:
        PhraseBook.from_file(tmp_path / "nowhere.json")
    assert one_line(info) == f"{tmp_path / 'nowhere.json'}: no such file"
    with pytest.raises(InvalidDataFile) as info:
        Playbook.from_file(tmp_path)
    assert one_line(info) == f"{tmp_path}: is a directory, not a file"
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"_about": "saved by Notepad"}')
    Playbook.from_file(tmp_path / "bom.json")
    (tmp_path / "latin1.json").write_bytes(b'{"_about": "caf\xe9"}')
    with pytest.raises(InvalidDataFile, match=r"latin1.json: not UTF-8 text \(byte 15\)$"):
        Playbook.from_file(tmp_path / "latin1.json")


# --- playbook.json ---------------------------------------------------------------------------

PLAYBOOK_EDITS = [
    # a key with a stray space dropped that practice's whisper in silence
    (lambda raw: raw.__setitem__("asked_manager ", raw.pop("asked_manager")),
     '"asked_manager " is not a practice the scorer knows (did you mean asked_manager?)'),
    (lambda raw: raw.__setitem__("frobnicate", {"reason": "x"}),
     "frobnicate is not a practice the scorer knows"),
    # a whisper given as a list showed on a tile as "['Use plain words', 'short steps']"
    (lambda raw: raw["jargon"].__setitem__("whisper", ["Use plain words", "short steps"]),
     "jargon.whisper must be a string (or null for no whisper), got a list"),
    (lambda raw: raw["jargon"].__setitem__("reason", None), "jargon.reason must be a string, got null"),
    (lambda raw: raw["jargon"].__setitem__("reason", " "), "jargon.reason is empty"),
    (lambda raw: raw["jargon"].__setitem__("wisper", "Plain words."),
     "jargon.wisper is not a field the scorer reads (did you mean whisper?)"),
    (lambda raw: raw["jargon"].__setitem__("practice", "6"),
     "jargon.practice must be a number or null, got a string"),
    (lambda raw: raw.__setitem__("jargon", "Use plain words"),
     'jargon must be an object with "reason" and "whisper", got a string'),
    (lambda raw: raw["callback_promised"].__setitem__("whisper", None), None),  # no whisper: allowed
]  # fmt: skip


@pytest.mark.parametrize("edit, message", PLAYBOOK_EDITS)
def test_a_bad_edit_of_the_playbook_is_one_line_naming_the_file_and_the_place(edit, message, tmp_path):
    raw = packaged(PACKAGED_PLAYBOOK)
    edit(raw)
    path = write(tmp_path, "playbook.json", raw)
    if message is None:
        Playbook.from_file(path)
        return
    with pytest.raises(InvalidDataFile) as info:
        Playbook.from_file(path)
    assert one_line(info) == f"{path}: {message}"


def test_a_practice_left_without_wording_is_warned_of(tmp_path, caplog):
    raw = packaged(PACKAGED_PLAYBOOK)
    del raw["stuck"]
    with caplog.at_level(logging.WARNING):
        Playbook.from_file(write(tmp_path, "playbook.json", raw))
    warned = [r.getMessage() for r in caplog.records]
    assert warned == [f"{tmp_path / 'playbook.json'}: no wording for stuck: the wallboard shows the key "
                      "itself, with no whisper"]


# --- the center's own files, through the settings ------------------------------------------------


def center_files_with_a_phrase_and_a_whisper(tmp_path: Path) -> tuple[Path, Path]:
    phrases = packaged(PACKAGED_PHRASES)
    phrases["customer"]["manager"].append(CENTER_PHRASE)
    playbook = packaged(PACKAGED_PLAYBOOK)
    playbook["asked_manager"]["whisper"] = "Bring in the duty lead now."
    return write(tmp_path, "phrases.json", phrases), write(tmp_path, "playbook.json", playbook)


def test_the_centers_own_files_are_what_the_scorer_reads(tmp_path):
    phrases, playbook = center_files_with_a_phrase_and_a_whisper(tmp_path)
    settings = Settings(phrases_file=phrases, playbook_file=playbook, data_dir=tmp_path)
    files = center_files.load(settings)
    call = CallScript("c1").say("agent", "Hello, how can I help?").say("customer", CENTER_TURN)
    for scorer, fired in ((Scorer(phrases=files.phrases, playbook=files.playbook), True), (Scorer(), False)):
        batch = StoreBatch()
        last = [scorer.apply(e, batch) for e in call.events][-1].updates[-1]
        assert ("asked for a manager" in last.reasons) is fired, last
        assert (last.whisper == "Bring in the duty lead now.") is fired, last
        assert (last.level == "hot") is fired, last


def test_the_playbook_file_setting_words_the_wallboards_cues(tmp_path):
    from dashboard import reads
    from streaming.store import PracticeRow, open_store

    _, playbook = center_files_with_a_phrase_and_a_whisper(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        store.apply(StoreBatch(practices=[PracticeRow("c1", "asked_manager", "situation", 3, 1.0e9)]))
        whispers = [c.whisper for c in reads.playbook_cues(store, "c1", playbook)]
        assert whispers == ["Bring in the duty lead now."]
        packaged_whisper = Playbook.default().cue("asked_manager").whisper
        assert [c.whisper for c in reads.playbook_cues(store, "c1")] == [packaged_whisper]
    finally:
        store.close()


def test_backtest_scores_with_the_centers_phrase_file(tmp_path, monkeypatch, capsys):
    call = CallScript("c1").say("agent", "Hello, how can I help?").say("customer", CENTER_TURN)
    call.end("escalated")
    events = write(tmp_path, "events.jsonl", "\n".join(json.dumps(e) for e in call.dicts()) + "\n")
    alerted = {}
    for setting in ("", "center"):
        if setting:
            phrases, _ = center_files_with_a_phrase_and_a_whisper(tmp_path)
            monkeypatch.setenv("CALLHEAT_PHRASES_FILE", str(phrases))
        assert main(["backtest", "--events", str(events), "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)["thresholds"]
        alerted[setting] = next(r["alerted_calls"] for r in rows if r["threshold"] == 0.7)
    assert alerted == {"": 0, "center": 1}


BROKEN = '{"customer": {"manager": ["your manager",]}}'


@pytest.mark.parametrize("command", [
    ["score"], ["run", "--port", "1"], ["train", "--data", "nowhere.jsonl"],
    ["backtest", "--events", "nowhere.jsonl"], ["evaluate", "--data", "nowhere.jsonl"],
    ["simulate", "--history-days", "1"],
])  # fmt: skip
def test_every_command_that_scores_checks_the_phrase_file_first(command, tmp_path, monkeypatch, capsys):
    """Before any broker, store, wallboard or simulator: one line, exit 2."""
    path = write(tmp_path, "phrases.json", BROKEN)
    monkeypatch.setenv("CALLHEAT_PHRASES_FILE", str(path))
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CALLHEAT_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing there
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"callheat: error: setting phrases_file (CALLHEAT_PHRASES_FILE): {path} line 1: "
                            "Expecting value (column 42; a comma too many?)\n")  # fmt: skip
    assert captured.out == "" and not (tmp_path / "data").exists()


def test_the_wallboard_checks_the_playbook_file_first(tmp_path, monkeypatch, capsys):
    from streaming.broker import free_port

    monkeypatch.setenv("CALLHEAT_PLAYBOOK_FILE", str(tmp_path / "nowhere.json"))
    monkeypatch.setenv("CALLHEAT_STORE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    assert main(["dashboard", "--port", str(free_port())]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"callheat: error: setting playbook_file (CALLHEAT_PLAYBOOK_FILE): "
                            f"{tmp_path / 'nowhere.json'}: no such file\n")  # fmt: skip
    assert captured.out == "" and not (tmp_path / "c.db").exists()


def test_an_empty_file_setting_is_a_setting_error(monkeypatch, capsys):
    monkeypatch.setenv("CALLHEAT_PLAYBOOK_FILE", " ")
    assert main(["backtest", "--events", "nowhere.jsonl"]) == 2
    assert capsys.readouterr().err == ("callheat: error: setting playbook_file (CALLHEAT_PLAYBOOK_FILE): "
                                       "expected a file, got ' '\n")  # fmt: skip


@pytest.mark.parametrize("command", [["score"], ["run"]])
def test_score_and_run_with_a_broken_phrase_file_exit_2_in_one_line_without_a_traceback(command, tmp_path):
    raw = packaged(PACKAGED_PHRASES)
    raw["customer"]["manager"].insert(3, "")
    path = write(tmp_path, "phrases.json", raw)
    env = {**os.environ, "CALLHEAT_PHRASES_FILE": str(path), "CALLHEAT_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "streaming.cli", *command], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (f"callheat: error: setting phrases_file (CALLHEAT_PHRASES_FILE): {path}: "
                           "customer.manager[3] is empty\n")  # fmt: skip
    assert proc.stdout == "" and not (tmp_path / "data").exists()  # no wallboard address, nothing started
