"""render: batch audiobook rendering (see README.md; the stages and their records: docs/ARCHITECTURE.md)."""
