"""The prose this server hands the model as it is (``render.py``'s part for it): its instructions and the texts
of the transcript prompts. What the server writes around vendor data is in ``render``."""

INSTRUCTIONS = """Reads the conversations of cloud agents (Qoder, Alibaba CMS/STAROps digital employees, DMS Data \
Agent, RDS AI, Tencent DataAgent) as compact transcripts. Start with list_providers, then list_threads, then \
get_thread_messages with a ref; follow next_cursor for more. stream_chat follows (or continues) a live conversation."""

SUMMARY = """Summarise the agent conversation {ref}.
Cover what was asked; what the agent did (main steps, tools, sub-agents); the outcome (done, failed, still \
running, waiting for input); and anything left open. Quote ids, numbers and error codes exactly. Under 200 words \
unless asked for more.
The transcript follows: one line per message, times UTC, long values shortened with …(+N chars). If it ends with \
a cursor, read the rest with get_thread_messages before concluding."""

FAILURE = """Find where the agent in {ref} failed, and why.
1. Look for error events (an "error …" line or part), tool results marked ERROR, failed or cancelled statuses, and the \
last messages before the thread stopped.
2. Name the first failure the others follow from: message #seq, time, tool or step, error code and message.
3. Explain the likely cause from the surrounding messages, and what would fix it or what to check next.
To see a shortened value whole, call get_thread_messages(thread="{ref}", detail="full", \
kinds=["event", "tool_call", "tool_call_response"]). If the transcript ends with a cursor, read on before \
concluding that nothing failed."""
