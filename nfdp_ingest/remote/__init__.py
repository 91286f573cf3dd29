"""The lab's side of remote submission: ``client`` (HTTP calls to an NFDP server) and
``submit`` (validate locally, upload what the server lacks, submit, follow)."""
