"""Alibaba RDS AI assistant: conversations, their messages, and sending a query."""
