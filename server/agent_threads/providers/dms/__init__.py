"""Alibaba DMS Data Agent: sessions, their history and the agent's live output."""
