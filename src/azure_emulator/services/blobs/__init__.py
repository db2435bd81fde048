"""Azure Blob Storage downloads of generated reports (SAS URLs), mounted at ``/blobs``."""
