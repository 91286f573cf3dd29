"""Staging: files a remote submitter uploads (per token) before a submission claims them.

``names`` checks a staged file's name; ``records`` keeps the ``staged_file`` rows;
``area`` writes and removes the bytes (local folder or the ``nfdp-staging`` bucket);
``service`` ties them together for the API and the CLI; ``uploads`` is MinIO mode's
presigned multipart upload.
"""
