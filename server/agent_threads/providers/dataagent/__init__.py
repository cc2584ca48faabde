"""Tencent Cloud DataAgent: sessions of an instance, their records as transcripts, ChatAI to send and follow."""
