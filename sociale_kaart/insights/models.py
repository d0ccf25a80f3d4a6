"""Insights (issue #15): population figures per area, from a CBS "Kerncijfers wijken en buurten" file.

Nothing else is stored here: every other figure of the area analysis is counted when it is asked for,
the searches of months that are over from their counts that directory.search_log adds up nightly.
"""

from .. import clock
from ..extensions import Model, db


class AreaPopulation(Model):
    """Residents of one area (or, with no area, of the whole municipality), as CBS published them."""

    __tablename__ = "area_population"
    id = db.Column(db.Integer, primary_key=True)
    area_id = db.Column(db.ForeignKey("areas.id", ondelete="CASCADE"), unique=True)  # None: the municipality
    region_codes = db.Column(db.String(200), nullable=False, default="")  # the CBS codes added up, "WK158101"
    year = db.Column(db.Integer)  # from CBS's "Perioden", when the file has it
    residents = db.Column(db.Integer)
    aged_65_plus = db.Column(db.Integer)
    aged_75_plus = db.Column(db.Integer)
    single_person_households = db.Column(db.Integer)
    source = db.Column(db.String(300), nullable=False, default="")  # shown under the figures (attribution)
    imported_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    area = db.relationship("Area")
