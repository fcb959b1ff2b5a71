"""`ioc simulate`: realistic records of the four source systems, pushed through POST /ingest.

Modules: `clock` (simulated time that never runs ahead of real time; working hours),
`base` (the event scheduler every source builds on), `world` (units, weights, seeded ids),
`dvc`, `eoffice`, `population`, `telecom` + `telecom_sites` (one per source system),
`faults` (deliberately bad records), `sender` (NDJSON batches over HTTP), `run` (the driver)
and `demo` (`--with-pipeline`: a separate demo pipeline beside the simulator).

Every generator is a pure function of (seed, start, options) and the simulated time it is
advanced to, so the same seed and start give the same records however fast they are sent.
"""
