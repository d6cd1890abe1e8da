"""Files (avatars, documents) behind the BlobStore port."""
