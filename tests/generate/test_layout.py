"""The generators' layout helpers: string literals that mean exactly their text, and
lines measured the way ruff measures them (wide characters take two columns)."""

from __future__ import annotations

import ast

from hypothesis import example, given
from hypothesis import strategies as st

from pgwarden.generators.layout import LINE, SetCall, assign, call, py_str, py_str_parts, width
from pgwarden.generators.naming import enum_member


@given(st.text())
@example("\U000e0001x")  # a non-printable astral character: \u takes only four digits
@example("\U0010ffff\x00\u2028'\"\\")
def test_py_str_is_a_literal_of_exactly_the_text(text: str) -> None:
    assert ast.literal_eval(py_str(text)) == text


@given(st.text(min_size=1), st.integers(min_value=8, max_value=90))
def test_py_str_parts_join_back_and_fit(text: str, limit: int) -> None:
    parts = py_str_parts(text, limit)
    assert "".join(ast.literal_eval(p) for p in parts) == text
    # a part exceeds the limit only when one character's escape alone does
    assert all(width(p) <= max(limit, 12) for p in parts)


def test_width_counts_wide_characters_twice() -> None:
    assert width("abc") == 3
    assert width("日本") == 4
    assert width("é") == 1
    assert width("e\u0301") == 1  # a combining accent takes no column
    assert width("😀") == 2


def test_call_explodes_by_display_width_not_length() -> None:
    args = ['"' + "日" * 30 + '"', '"' + "本" * 20 + '"']
    one = call(4, "f", args)
    assert len(f"    f({', '.join(args)})") <= LINE < width(f"    f({', '.join(args)})")
    assert one.count("\n") == 3 and one.endswith("    )")


def test_set_call_and_assign_explode_as_ruff_does() -> None:
    items = tuple(f'"{"v" * 20}{i}"' for i in range(5))
    text = call(8, "_Col", ["name='x'", SetCall("values=frozenset", items)], ",")
    assert "values=frozenset(\n                {\n" in text and text.endswith("        ),")
    assert assign(8, "self.x", "y") == "        self.x = y"
    long = assign(8, "self." + "a" * 50, "B" * 50 + "(self._rt)")
    assert long.splitlines()[0].endswith("= (") and long.splitlines()[-1] == "        )"


def test_enum_members_avoid_ambiguous_names() -> None:
    assert enum_member("O") == "V_O"
    assert enum_member("I") == "V_I"
    assert enum_member("ACTIVE") == "ACTIVE"
