"""Batch matching: many jobs from one job file, run here or on a Dask cluster, kept in the store.

A job file (YAML) lists jobs; each names a cohort (a folder or file for
:func:`matcher.load_cohort`), rule overrides, an output folder, and optionally a scenario sweep::

    out: out/batch                 # results and matcher.db go here (default: out)
    defaults: {k: 3, seed: 0}      # applied to every job; a job's own values win
    jobs:
      - name: spring
        cohort: data/spring-2026
        sweep: {k: [2, 3]}         # one job per combination: spring[k=2], spring[k=3]
      - name: autumn
        cohort: data/autumn-2026
        solver: cpsat
        adopt: true                # this run is the cohort's matching for later history rules

Paths are relative to the job file. A job's keys are ``name``, ``cohort``, ``out`` (default: the
job's name under the batch's ``out``), ``sweep``, ``adopt``, ``explain`` (a sentence per pair in
the report), ``block_rows`` (score a big cohort in
blocks of this many startups, spread over the Dask cluster), and any field of
:class:`matcher.data.rules.Rules`, which overrides the cohort's programme.yaml. A sweep expands to the
cartesian product of its lists, in the order written.

What a batch does:

* Validates the whole file first; a malformed file is refused with every problem, naming the
  file, line, job and field, before any job runs.
* Feeds each cohort the history of its programme from the store (pairs of earlier cohorts,
  :meth:`matcher.app.store.Store.history_for`) besides its own history file, running the cohorts of a
  programme in order of start date so a later cohort sees an earlier one's matching.
* Skips a job already done with the same inputs: the content hash of the cohort's files, the
  resolved rules, the history and the matcher version is in the store and in the job's
  ``job.json``. ``force=True`` runs it again.
* Reports a failing job with its error and goes on with the others; a job that crashes (a bug, a
  resource limit) is named with its stage, its traceback kept in ``job.log`` in its folder.
* Writes every file atomically (:func:`matcher.app.report.write_report`), then records the run in
  the store (SQLite ``matcher.db`` beside the outputs by default), then writes ``job.json``: an
  interrupted batch leaves only complete files, and the next run completes what was cut short.
* Is safe to run twice at once, and to kill at any point: a lock per job, each run stored once
  per attempt, a job whose run is stored but whose ``job.json`` is missing completed without
  solving or storing again (:mod:`~matcher.app.batch.run` says how).
* Writes ``index.html`` (every job, and the scenarios of each cohort side by side) and
  ``batch.json`` into the batch's ``out``.

With ``dask="local"`` (a ``LocalCluster``), a scheduler address (``tcp://host:8786``) or a
``distributed.Client``, jobs run on Dask workers; they need the job's files at the same paths
(a shared file system). Results equal a local run's bit for bit: each job is solved the same way
whichever worker runs it, and the store is written by the caller, in job order within a stage.

The package: :mod:`~matcher.app.batch.jobs` reads and expands job files,
:mod:`~matcher.app.batch.execute` solves one job, :mod:`~matcher.app.batch.run` runs a batch
(stages, skipping, the store, Dask), :mod:`~matcher.app.batch.outcomes` says what became of each
job and :mod:`~matcher.app.batch.index` writes the summary page.

Examples
--------
>>> import tempfile, pathlib
>>> from matcher.app.batch import run_batch
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> spring = pathlib.Path("data/spring-2026").resolve()
>>> _ = (folder / "jobs.yaml").write_text(
...     f"jobs:\\n  - {{name: spring, cohort: {spring}, sweep: {{k: [2, 3]}}}}\\n")
>>> batch = run_batch(folder / "jobs.yaml")
>>> [(job.name, job.state, job.status) for job in batch.jobs]
[('spring[k=2]', 'done', 'optimal'), ('spring[k=3]', 'done', 'optimal')]
>>> [job.state for job in run_batch(folder / "jobs.yaml").jobs]     # same inputs: skipped
['skipped', 'skipped']
"""

from __future__ import annotations

from matcher.app.batch.execute import MARKER, execute_job, inputs_hash
from matcher.app.batch.jobs import FILE_KEYS, JOB_KEYS, Job, load_jobs
from matcher.app.batch.outcomes import BatchResult, JobOutcome
from matcher.app.batch.run import run_batch

__all__ = ["Job", "JobOutcome", "BatchResult", "load_jobs", "run_batch", "inputs_hash", "execute_job",
           "JOB_KEYS", "FILE_KEYS", "MARKER"]
