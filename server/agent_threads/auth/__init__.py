"""Request signing, one ``httpx.Auth`` per scheme around pure, clock-injectable functions."""
