"""All tables, imported here so that `Base.metadata` is complete for Alembic."""

from core.storage.tables.alerts import AlertDigestRow, AlertSubscriptionRow
from core.storage.tables.analysis import AnalysisRow, ModelVersionRow
from core.storage.tables.crawl import CrawlRunRow, PageIdMoveRow, PageRow, SourceRow
from core.storage.tables.ops import WatchStateRow
from core.storage.tables.review import AnnotationRow, IndexOutboxRow, ReviewRow
from core.storage.tables.users import (
    ApiTokenRow,
    AuditRow,
    LoginThrottleRow,
    SavedSearchRow,
    UserRow,
    UserSessionRow,
)

__all__ = [
    "AlertDigestRow",
    "AlertSubscriptionRow",
    "AnalysisRow",
    "AnnotationRow",
    "ApiTokenRow",
    "AuditRow",
    "CrawlRunRow",
    "IndexOutboxRow",
    "LoginThrottleRow",
    "ModelVersionRow",
    "PageIdMoveRow",
    "PageRow",
    "ReviewRow",
    "SavedSearchRow",
    "SourceRow",
    "UserRow",
    "UserSessionRow",
    "WatchStateRow",
]
