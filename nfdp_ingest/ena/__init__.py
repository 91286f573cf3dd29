"""ENA brokering: records → ENA XML (records, documents, writer, export), checks (schemas, validate),
the Webin REST v2 client (webin, receipt), the upload area (upload), and submit with its
write-back and archive of exchanges (submit, writeback, state)."""
