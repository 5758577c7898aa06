"""Export for deployment: ONNX (``torch.onnx.export(dynamo=True)``) and ``.pt2`` (``torch.export``), every file
checked against eager PyTorch and carrying its own class names and preprocessing.

(The room is ``exporting``: a package named ``export`` would shadow the ``zoo.export`` function once imported.)
"""

from .api import ExportResult, export

__all__ = ["ExportResult", "export"]
