"""The tamper-evident audit trail: a SHA-256 chain over canonical JSON entries."""

from .chain import GENESIS_HASH, canonical_content, canonical_details, entry_hash, format_time
from .events import AuditEvent
from .verify import VerifyResult, verify_chain

__all__ = ["GENESIS_HASH", "AuditEvent", "VerifyResult", "canonical_content",
           "canonical_details", "entry_hash", "format_time", "verify_chain"]
