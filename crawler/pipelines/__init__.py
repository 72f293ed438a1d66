"""Item pipelines, one small job each, in order: extract -> dedup -> store."""

PIPELINES = {
    "crawler.pipelines.extract.ExtractPipeline": 100,
    "crawler.pipelines.dedup.DedupPipeline": 200,
    "crawler.pipelines.store.StorePipeline": 300,
}
