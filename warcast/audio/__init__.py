"""Audio: probing the file, its container, artwork, tags and loudness (masters)."""
