"""Transcripts: the model and its formats, and what derives them (Whisper, speakers, glossary)."""
