"""The thresholds of the suggested moments in Settings: saved in the store by the real page (AppTest), in force
for the analysis after, with an ``ANNOTATE_SUGGEST_*`` variable winning and its field shown as fixed."""

from __future__ import annotations

from annotate import config
from annotate.store import Store
from annotate.suggest.settings import PREFERENCE, SuggestSettings


def widget(at, name):
    return next(n for n in at.number_input if n.key == f"cx_suggest_{name}")


def test_an_admin_saves_thresholds_that_the_analysis_then_uses(data_dir, no_sample, run_page, monkeypatch):
    monkeypatch.delenv("ANNOTATE_SUGGEST_HOLD_MIN_S", raising=False)
    at = run_page("settings")
    assert widget(at, "hold_min_s").value == SuggestSettings().hold_min_s
    widget(at, "hold_min_s").set_value(12.5)
    widget(at, "vad_mode").set_value(3)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert not at.exception and not at.error
    with Store.open(config.resolve()) as store:
        assert store.preferences.get(PREFERENCE)["hold_min_s"] == 12.5
        now = SuggestSettings.for_store(store)
    assert (now.hold_min_s, now.vad_mode) == (12.5, 3) and now.digest != SuggestSettings().digest
    assert any("Saved the thresholds" in s.value for s in at.success)


def test_a_variable_wins_over_the_saved_value_and_its_field_is_fixed(data_dir, no_sample, run_page, monkeypatch):
    with Store.open(config.resolve()) as store:
        store.preferences.set(PREFERENCE, {"silence_min_s": 8.0, "cut_ratio": 4.0})
    monkeypatch.setenv("ANNOTATE_SUGGEST_SILENCE_MIN_S", "2")
    with Store.open(config.resolve()) as store:
        now = SuggestSettings.for_store(store)
    assert (now.silence_min_s, now.cut_ratio) == (2.0, 4.0)
    at = run_page("settings")
    assert widget(at, "silence_min_s").disabled and widget(at, "silence_min_s").value == 2.0
    assert not widget(at, "cut_ratio").disabled and widget(at, "cut_ratio").value == 4.0


def test_a_threshold_out_of_range_is_refused_in_one_line_and_nothing_saved(data_dir, no_sample, run_page):
    at = run_page("settings")
    widget(at, "analysis_width").set_value(5000)
    next(b for b in at.button if b.label == "Save thresholds").click().run()
    assert not at.exception
    assert any("5000 is outside" in e.value for e in at.error)  # shown as text: Markdown escaped
    with Store.open(config.resolve()) as store:
        assert store.preferences.get(PREFERENCE) == {}
