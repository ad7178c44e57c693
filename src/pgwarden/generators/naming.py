"""Python names for database objects: snake_case attributes, PascalCase classes.

Spec identifiers are Postgres identifiers -- any text up to 63 bytes -- so the
mapping has to survive hostile input: non-identifier characters become ``_``,
keywords get a trailing ``_``, and two objects that land on one Python name
are an error naming both (a silent ``_2`` suffix would move when the spec changes).
"""

from __future__ import annotations

import keyword
import re
import unicodedata

_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")  # HTTPServer -> HTTP_Server
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")  # stripeCustomerId -> stripe_Customer_Id
_NON_WORD = re.compile(r"[^0-9a-zA-Z_]+")

#: Names the generated methods use for their own parameters (and ``self``): a
#: column with such a name gets a trailing underscore so it cannot shadow them.
RESERVED = frozenset(
    {
        "self",
        "keys",
        "after",
        "limit",
        "include_deleted",
        "values",
        "rows",
        "patch",
        "older_than",
        "candidate",
    }
)


def _ascii(text: str) -> str:
    """Accents fold (``é`` -> ``e``); other letters keep their identity as ``u<hex>``
    (``日`` -> ``_u65e5_``) so two non-Latin names do not collapse into one."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if ch.isascii():
            out.append(ch)
        elif unicodedata.combining(ch):
            continue
        elif ch.isalnum() or unicodedata.category(ch).startswith("S"):
            out.append(f"_u{ord(ch):x}_")
    return "".join(out)


def snake(name: str) -> str:
    """camelCase to snake_case: ``stripeCustomerId`` -> ``stripe_customer_id``."""
    text = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", _ascii(name)))
    text = _NON_WORD.sub("_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        text = "x"
    if text[0].isdigit():
        text = f"n{text}"
    return text


def attr(name: str) -> str:
    """A safe attribute / parameter name for a column."""
    text = snake(name)
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in RESERVED:
        text += "_"
    return text


def pascal(name: str) -> str:
    """``K8sClusterConfig`` stays; ``user_profile`` -> ``UserProfile``; hostile text is cleaned."""
    words = snake(name).split("_")
    text = "".join(w[:1].upper() + w[1:] for w in words if w)
    return text or "X"


def constant(name: str) -> str:
    """``K8sClusterConfig`` -> ``K8S_CLUSTER_CONFIG``."""
    return snake(name).upper()


def enum_member(value: str) -> str:
    """A member name for an enum value: the value itself when it is a valid constant."""
    if value.isidentifier() and value.isascii() and value.isupper():
        text = value
    else:
        text = snake(value).upper()
    # E741: ``O`` and ``I`` read as digits, so they are prefixed like keywords
    if keyword.iskeyword(text) or text.startswith("_") or text in ("O", "I", "L"):
        text = f"V_{text}"
    return text
