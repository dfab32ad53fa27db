"""The papermill batch runner and all it needs: the run matrix, execution, warm kernels, worker
processes, locks, output folders, shipping to Dask workers, the manifest and the HTML report.
It knows nothing about peacekeeping: it never imports ``analysis`` (checked by the import
contract).
"""
