"""Generic spiders driven by `SourceConfig`: feeds, sitemaps and listings with pagination."""
