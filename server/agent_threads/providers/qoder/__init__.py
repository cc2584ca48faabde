"""Qoder Cloud Agents: sessions and their threads, event pages as transcripts, SSE to follow and send."""
