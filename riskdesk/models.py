"""ORM models (SQLAlchemy 2.0 typed). Schema changes go through migrations/."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskdesk.db import Base
from riskdesk.vocabulary import ROLES


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    roles_text: Mapped[str] = mapped_column("roles", String(80), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Raised whenever existing sign-ins must end (sign-out, password change, disable, role change);
    # a session remembers the version it was signed in under and is refused once it differs.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def roles(self) -> set[str]:
        return set(self.roles_text.split())

    @roles.setter
    def roles(self, value) -> None:
        self.roles_text = " ".join(r for r in ROLES if r in set(value))

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (
        Index("ix_proposal_status_updated", "status", "updated_at"),
        Index("ix_proposal_state_updated", "city_state", "updated_at"),
        Index("ix_proposal_country_updated", "partner_country", "updated_at"),
        Index("ix_proposal_type_updated", "agreement_type", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    city_name: Mapped[str] = mapped_column(String(120))
    city_state: Mapped[str] = mapped_column(String(2), index=True)
    partner_name: Mapped[str] = mapped_column(String(200), index=True)
    partner_country: Mapped[str] = mapped_column(String(2), index=True)
    agreement_type: Mapped[str] = mapped_column(String(40), index=True)
    agreement_status: Mapped[str] = mapped_column(String(40), default="new")
    status: Mapped[str] = mapped_column(String(40), default="draft", index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    next_review_on: Mapped[dt.date | None] = mapped_column(Date)
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)

    parties: Mapped[list[Party]] = relationship(back_populates="proposal", cascade="all, delete-orphan",
                                                order_by="Party.id")
    sectors: Mapped[list[ProposalSector]] = relationship(cascade="all, delete-orphan")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="proposal", order_by="Assessment.id",
                                                         cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id}


class Party(Base):
    """A named counterpart of a proposal (partner, intermediary, person or vendor): what screening checks."""

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # partner | intermediary | person | vendor
    name: Mapped[str] = mapped_column(String(200), index=True)
    country: Mapped[str] = mapped_column(String(2), default="")
    role: Mapped[str] = mapped_column(String(200), default="")

    proposal: Mapped[Proposal] = relationship(back_populates="parties")


class ProposalSector(Base):
    __tablename__ = "proposal_sector"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    sector: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ChecklistRelease(Base):
    """An immutable, content-hashed snapshot of every checklist file."""

    __tablename__ = "checklist_release"
    __table_args__ = (
        # At most one active release: a unique index over the active rows only (all share active = true).
        Index("uq_checklist_release_one_active", "active", unique=True,
              postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    item_count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Assessment(Base):
    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("checklist_release.id"), index=True)
    proposal_version: Mapped[int] = mapped_column(Integer)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    rating: Mapped[str] = mapped_column(String(20), index=True)
    prohibited: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)

    proposal: Mapped[Proposal] = relationship(back_populates="assessments")
    release: Mapped[ChecklistRelease] = relationship()


class Mitigation(Base):
    """Staff accepted a mitigation for a finding; the residual rating leaves the finding out."""

    __tablename__ = "mitigation"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(80))
    mitigation: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Transition(Base):
    __tablename__ = "transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    by: Mapped[User | None] = relationship()


class Report(Base):
    """An issued council report: the stored PDF's bytes never change (sha256 checked on every read)."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class AuditEvent(Base):
    """Append-only: no code path updates or deletes these rows."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(80), default="system")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class ListSnapshot(Base):
    """One imported restricted-party list file (kept whole, so a snapshot can be re-parsed exactly)."""

    __tablename__ = "list_snapshot"
    __table_args__ = (
        # At most one active snapshot per list kind.
        Index("uq_list_snapshot_one_active_per_format", "format", unique=True,
              postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed file bytes
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ScreeningHit(Base):
    __tablename__ = "screening_hit"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("list_snapshot.id"))
    query: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    entry_uid: Mapped[str] = mapped_column(String(120))
    entry_hash: Mapped[str] = mapped_column(String(64))
    list_source: Mapped[str] = mapped_column(String(200))
    matched_name: Mapped[str] = mapped_column(String(400))
    score: Mapped[float] = mapped_column(Float)
    why: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Adjudication(Base):
    """A person's decision on a screening hit; a false positive stays quiet until the entry changes."""

    __tablename__ = "adjudication"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_key: Mapped[str] = mapped_column(String(1000), index=True)
    entry_uid: Mapped[str] = mapped_column(String(120))
    entry_hash: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(20))  # true_match | false_positive
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    by_name: Mapped[str] = mapped_column(String(80), default="")
