"""BlobStore adapters: `local` (a folder under the data directory)."""
