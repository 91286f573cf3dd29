"""What leaves the platform as files: file reports, nf-core sample sheets, DRS objects."""
