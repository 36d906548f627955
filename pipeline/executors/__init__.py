"""Executors: where the synthesize stage runs. `local` is `pipeline.synthesize.worker.Worker` in this
process; `ray` (`ray_executor.RayWorker`) spreads segments over engine actors on a Ray cluster.
`pipeline.render.make_worker` picks one from `cfg.run.executor`; both have the same interface."""
