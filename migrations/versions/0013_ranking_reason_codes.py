"""ranking reason codes: a match's stored reasons become codes with parameters, no Dutch sentence (issue #13)

Revision ID: 0013_ranking_reason_codes
Revises: 0012_job_runs
Create Date: 2026-12-12 10:00:00.000000

Before, matches.explanation held the ranking's reasons as [code, params] pairs (a broker's or the
batch's suggestion) and always a Dutch sentence under "text" (a volunteer's interest stored only
the sentence). Now "reasons" is a list of records {"code": ..., parameters...}, worded in the
reader's language when shown (sociale_kaart.matching.reasons). The upgrade turns pairs into
records and, where a match has only the sentence, reads the codes back from it; a sentence with
a part it cannot read keeps its "text" so that nothing is lost. Only JSON values change, row by
row, so it runs alike on SQLite and PostgreSQL.
"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_ranking_reason_codes'
down_revision = '0012_job_runs'
branch_labels = None
depends_on = None

matches = sa.table("matches", sa.column("id", sa.Integer), sa.column("explanation", sa.JSON))

# The Dutch wording of ranking.explain() before this revision.
_MODES = {"lopend": "walk", "per fiets": "bike", "met de auto": "car"}
_WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_PARTS = ("ochtend", "middag", "avond")
_FIXED = {
    "heeft geldige VOG": "vog",
    "hielp eerder bij deze aanvrager": "helped_before",
    "hielp al eens bij deze aanvrager": "helped_earlier",
    "gevraagd: dezelfde vrijwilliger": "same_volunteer",
    "spreekt de gevraagde taal": "language",
    "nieuw, nog geen taak": "new",
}
_DISTANCE = re.compile(r"(\d+(?:,\d+)?) km (lopend|per fiets|met de auto) \(max (\d+(?:,\d+)?)\)")
_AVAILABLE = re.compile(r"beschikbaar (.+?)(?:, (\d+) van (\d+) weken)?")
_CELL = re.compile(r"(ma|di|wo|do|vr|za|zo)-(ochtend|middag|avond)")
_SKILLS = re.compile(r"vaardigheden: (\d+) van (\d+) gevraagd")
_LOAD = re.compile(r"laatste 4 weken: (\d+) ta(?:ak|ken)")


def _number(text):
    value = float(text.replace(",", "."))
    return int(value) if value == int(value) else value


def read_reason(part, explanation):
    """Return the record of one Dutch reason, or None when the text is not one."""
    if part in _FIXED:
        return {"code": _FIXED[part]}
    match = _DISTANCE.fullmatch(part)
    if match:
        return {"code": "distance", "km": float(match[1].replace(",", ".")), "mode": _MODES[match[2]],
                "max": _number(match[3])}
    match = _AVAILABLE.fullmatch(part)
    if match:
        cells = []
        for text in match[1].split(" en "):
            cell = _CELL.fullmatch(text)
            if cell is None:
                return None
            cells.append([_WEEKDAYS.index(cell[1]), _PARTS.index(cell[2])])
        if match[2]:
            covered, total = int(match[2]), int(match[3])
        else:
            total = explanation.get("total") if isinstance(explanation.get("total"), int) else 1
            covered = explanation.get("covered") if isinstance(explanation.get("covered"), int) else total
        return {"code": "available", "cells": cells, "covered": covered, "total": total}
    match = _SKILLS.fullmatch(part)
    if match:
        return {"code": "skills", "matched": int(match[1]), "wanted": int(match[2])}
    match = _LOAD.fullmatch(part)
    if match:
        return {"code": "load", "tasks": int(match[1])}
    return None


def upgraded(explanation):
    """Return an explanation with reason records and without the sentence (where every part was read)."""
    if not isinstance(explanation, dict):
        return explanation
    result = dict(explanation)
    text = result.pop("text", None)
    reasons = result.get("reasons")
    if isinstance(reasons, list) and reasons:
        result["reasons"] = [
            {"code": reason[0], **(reason[1] if isinstance(reason[1], dict) else {})}
            if isinstance(reason, list) and len(reason) == 2 else reason
            for reason in reasons
        ]
    elif isinstance(text, str) and text.strip():
        records = [read_reason(part.strip(), result) for part in text.split(" · ")]
        if all(record is not None for record in records):
            result["reasons"] = records
        else:
            result["text"] = text          # not ours to guess: keep the words
    return result


def downgraded(explanation):
    """Return an explanation with [code, params] pairs, as the code before this revision stored them."""
    if not isinstance(explanation, dict) or not isinstance(explanation.get("reasons"), list):
        return explanation
    result = dict(explanation)
    pairs = []
    for reason in result["reasons"]:
        if isinstance(reason, dict):
            params = dict(reason)
            pairs.append([params.pop("code", ""), params])
        else:
            pairs.append(reason)
    result["reasons"] = pairs
    result.setdefault("text", "")
    return result


def _rewrite(change):
    bind = op.get_bind()
    rows = bind.execute(sa.select(matches.c.id, matches.c.explanation)).all()
    for row in rows:
        new = change(row.explanation)
        if new != row.explanation:
            bind.execute(matches.update().where(matches.c.id == row.id).values(explanation=new))


def upgrade():
    _rewrite(upgraded)


def downgrade():
    _rewrite(downgraded)
