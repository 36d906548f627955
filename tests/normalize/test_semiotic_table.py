"""The semiotic rules are a table: every rule of every class fires in `ORDER`, once, and `--explain` names
each rewrite by the name of the rule in that table that made it."""

from __future__ import annotations

from pipeline.normalize import explain
from pipeline.normalize.semiotic import CLASSES, ORDER, expand_semiotic


def test_order_holds_every_rule_of_every_class_once():
    in_classes = [rule for cls in CLASSES for rule in cls.RULES]
    assert sorted(map(id, ORDER)) == sorted(map(id, in_classes))
    assert len(set(map(id, ORDER))) == len(ORDER)


def test_explain_names_the_table_rule_that_rewrote_each_span():
    names = {rule.name for rule in ORDER}
    text = "At 8.45 p.m. on 10/06/2005 he paid $3.50 for 2.5kg, 3 ft 6 in of rope, and 10^40 of the 22d."
    _, rewrites = explain(text)
    fired = {(span, rule) for span, rule, _ in rewrites if rule in names}
    assert fired >= {
        ("8.45 p.m.", "time"),
        ("10/06/2005", "date (numeric)"),
        ("$3.50", "money"),
        ("2.5kg", "measure"),
        ("3 ft 6 in", "feet and inches"),
        ("10^40", "power"),
    }
    for span, rule in fired:  # the named rule's own pattern matches the span it rewrote
        assert any(r.pattern.search(span) for r in ORDER if r.name == rule), (span, rule)


def test_the_order_decides_what_a_span_becomes():
    """ "4:00-5:00" is a time range only because the range rule fires before the single time's."""
    assert expand_semiotic("open 4:00-5:00 daily") == "open four o'clock to five o'clock daily"
    single = next(r for r in ORDER if r.name == "time")
    assert single.apply("open 4:00-5:00 daily") == "open four o'clock-five o'clock daily"
