"""The tamper-evident audit trail: a SHA-256 chain over canonical JSON entries."""

from console.audit.chain import (
           GENESIS_HASH,
           canonical_content,
           canonical_details,
           entry_hash,
           format_time,
)
from console.audit.events import AuditEvent
from console.audit.verify import VerifyResult, verify_chain

__all__ = ["GENESIS_HASH", "AuditEvent", "VerifyResult", "canonical_content",
           "canonical_details", "entry_hash", "format_time", "verify_chain"]
