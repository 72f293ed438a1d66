"""The Scrapy project: generic spiders, pipelines, extraction and deduplication."""
