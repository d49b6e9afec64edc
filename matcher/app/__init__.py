"""Applications on top of the library: the command line, batch jobs (local or Dask), the history
store, HTML reports and plots."""
